//! Analyses over many semantic maps: robust regions and the SRVR benchmark (SPEC §5).

pub mod regions;
pub mod srvr;
