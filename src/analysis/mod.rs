//! Analyses on the function of interest: maps, regions, and the SRVR benchmark (SPEC §4–5).

pub mod benchmark;
pub mod function;
pub mod inputs;
pub mod map;
pub mod regions;
pub mod report;
pub mod srvr;
pub mod traps;
