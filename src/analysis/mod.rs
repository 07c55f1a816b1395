//! Analyses on the function of interest: maps, regions, and the SRVR benchmark (SPEC §4–5).

pub mod benchmark;
pub mod certificates;
pub mod inputs;
pub mod map;
pub mod map_folder;
pub mod network_function;
pub mod region_runs;
pub mod srvr;
pub mod srvr_report;
pub mod traps;
