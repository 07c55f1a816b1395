//! Why a region computation was refused or failed.

use crate::semantic::EvalError;

/// A usage error (bad parameters, dimensions, start) or a failure of the function of interest.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    /// A region needs at least one dimension.
    #[error("a region needs n ≥ 1 dimensions, got n = 0")]
    NoDimensions,
    /// More dimensions than the `2ⁿ` corners can be enumerated for.
    #[error(
        "n = {n} dimensions is too many: a region has 2ⁿ corners, at most n = {max} is supported"
    )]
    TooManyDimensions { n: usize, max: usize },
    /// Two things that must have the same dimension do not.
    #[error("{what} has {got} coordinates, expected {expected}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A bound is NaN or infinite.
    #[error("{which}[{index}] = {value} is not a finite number")]
    NonFiniteBound {
        which: &'static str,
        index: usize,
        value: f64,
    },
    /// A box whose lower bound is not below its upper bound.
    #[error("lower[{index}] = {lower} must be below upper[{index}] = {upper}")]
    EmptySide {
        index: usize,
        lower: f64,
        upper: f64,
    },
    /// A domain side shorter than the minimum side ε.
    #[error("domain side {index} is {side}, shorter than the minimum side epsilon = {epsilon}")]
    DomainTooSmall {
        index: usize,
        side: f64,
        epsilon: f64,
    },
    /// The start is not a finite point of the domain.
    #[error("init[{index}] = {value} is outside the domain [{lower}, {upper}]")]
    InitOutsideDomain {
        index: usize,
        value: f64,
        lower: f64,
        upper: f64,
    },
    /// A start box that leaves the domain.
    #[error("start box {which}[{index}] = {value} is outside the domain [{lower}, {upper}]")]
    StartBoxOutsideDomain {
        which: &'static str,
        index: usize,
        value: f64,
        lower: f64,
        upper: f64,
    },
    /// A start box with a side shorter than the minimum side ε.
    #[error("start box side {index} is {side}, shorter than the minimum side epsilon = {epsilon}")]
    StartBoxTooSmall {
        index: usize,
        side: f64,
        epsilon: f64,
    },
    /// A search given start boxes, not one per run.
    #[error("{got} start boxes for {expected} runs (one per method and start, method-major)")]
    StartBoxCount { expected: usize, got: usize },
    /// A hyper-parameter outside its valid range.
    #[error("{name} = {value} must satisfy {rule}")]
    HyperParameter {
        name: &'static str,
        value: f64,
        rule: String,
    },
    /// OIR_W's emphasis factor outside `0 ≤ β < 2/(2n−1)` (SPEC §3).
    #[error("beta = {beta} must satisfy 0 ≤ β < 2/(2n−1) = {bound:.3} for n = {n}")]
    Beta { beta: f64, bound: f64, n: usize },
    /// Face quadrature is not defined for this method (see `region::faces`).
    #[error("face_points = {face_points} is not supported by {method}: its derivation is tied to the 2ⁿ corners (use face_points = 2)")]
    FacePointsUnsupported {
        method: super::Method,
        face_points: usize,
    },
    /// A step would evaluate more points than the limit.
    #[error("face_points = {face_points} in n = {n} dimensions needs {points} points per step, more than the limit of {max}")]
    TooManyPoints {
        face_points: usize,
        n: usize,
        points: usize,
        max: usize,
    },
    /// The method needs `∇f` and the function provides none.
    #[error("{method} needs gradients of f and this function provides none (use naive or oir-b)")]
    GradientsRequired { method: super::Method },
    /// The function of interest returned a batch of the wrong shape.
    #[error("the function returned {got} for a batch of {points} points (expected {expected})")]
    BadBatch {
        points: usize,
        expected: String,
        got: String,
    },
    /// The function of interest failed (or returned a non-finite value).
    #[error(transparent)]
    Evaluation(#[from] EvalError),
}
