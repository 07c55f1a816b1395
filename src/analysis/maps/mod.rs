//! Maps of the function of interest and what is read off them: the network map (NSM) and the
//! data map (DSM) sampled on a grid of Ω ([`map`], SPEC §4), and semantic traps found on a
//! map ([`traps`], the paper's §5).

pub mod map;
pub mod traps;
