//! semrob: how robust are image classifiers to semantic changes?
//!
//! Data flows one way: mesh + camera → image batch → logits → scores → region updates →
//! results → report. Each stage is a module:
//!
//! * [`region`]: the math of boxes and the bottom-up region methods (SPEC §2–3), plain f64.
//! * [`semantic`]: semantic parameter spaces, tabulated maps and the function-of-interest trait.
//! * [`render`]: the CPU mesh renderer with the paper's (NMR) conventions (SPEC §6).
//! * [`nets`]: ImageNet classifiers on libtorch (feature `torch`) and the weight files they
//!   load (checkpoint reader, always built).
//! * [`analysis`]: regions and SRVR over many maps.
//! * [`certify`]: statistical certificates of boxes and the largest clean box (SPEC §8).
//! * [`report`]: result files (written atomically), JSON, tables, plots.
//! * [`runtime`]: process-wide settings for network runs (allocator, thread ownership).
//! * [`fuzzing`]: one fuzz harness body per file reader (issue 23; the targets are in `fuzz/`).

pub mod analysis;
pub mod certify;
pub mod files;
pub mod fuzzing;
pub mod nets;
pub mod region;
pub mod render;
pub mod report;
pub mod runtime;
pub mod semantic;
