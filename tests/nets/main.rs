//! The classifiers: weight files, parity with PyTorch, pretrained outputs, and the
//! function of interest (render + classify).

mod checkpoint;
mod common;
mod function;
mod parity;
mod pretrained;
#[path = "../util/mod.rs"]
mod util;
