//! The `semrob` binary end to end: regions, the SRVR benchmark, rendering, and clear
//! errors for bad input.

mod certify;
mod doc;
mod regions;
mod render;
mod srvr;
#[path = "../support/binary.rs"]
mod support;
