//! Semantic parameter spaces and the function of interest (SPEC §1, §4).
//!
//! `f(u)` maps a semantic parameter vector `u ∈ Ω ⊂ Rⁿ` (azimuth, elevation, …) to a
//! score in [0, 1]. The region methods only see it through [`SemanticFunction`].

pub mod contents;
pub mod finite_difference;
mod function;
pub mod grid;
pub mod oracle;
mod param;
mod wrappers;

pub use contents::BoxContents;
pub use function::{EvalError, Evaluation, SemanticFunction};
pub use grid::{grid_point, Axis, Grid, GridError, GridProblem, GRID_FORMAT};
pub use param::{
    check_axes, map_point_count, paper_axes, AxisSpec, AxisSpecError, SemanticParam, UnknownParam,
};
pub use wrappers::{BlackBox, Counting, Counts};
