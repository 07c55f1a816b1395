//! Analyses on the function of interest, in three groups, each the layer above the one before:
//!
//! * the function on a network ([`network_function`], SPEC §1): render, classify, score,
//!   with what it loads, its render-while-classifying stream and jobs sharing a network;
//! * maps ([`maps`], SPEC §4): the function sampled on a grid, and the traps on a map;
//! * regions and SRVR (SPEC §5, §7, §8): region runs on a function or a map
//!   ([`region_runs`], with the region modes), their certificates ([`certificates`]), the
//!   SRVR aggregation ([`srvr`]), its report model ([`srvr_report`]), SRVR from a folder of
//!   maps ([`map_folder`]) and the benchmark on real networks ([`benchmark`]).

pub mod benchmark;
pub mod certificates;
pub mod map_folder;
pub mod maps;
pub mod network_function;
pub mod region_runs;
pub mod srvr;
pub mod srvr_report;
