//! The `semrob` binary end to end: regions, the SRVR benchmark, rendering, and clear
//! errors for bad input.

#[path = "../binary/mod.rs"]
mod binary;
mod regions;
mod render;
mod srvr;
