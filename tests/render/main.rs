//! The renderer: analytic cases, real meshes, golden renders and properties.

mod analytic;
mod data;
mod golden;
mod properties;
mod support;
#[cfg(feature = "torch")]
mod tensor;
