//! Why a region computation was refused or failed.

use std::fmt;

use crate::semantic::{EvalError, Evaluation};

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
    /// One of the rest rule's two parameters without the other (SPEC §3, "Rest rule").
    #[error("{given} is set and {missing} is not: the rest rule needs both (or neither: the fixed budget)")]
    RestRuleHalfGiven {
        given: &'static str,
        missing: &'static str,
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
    #[error(transparent)]
    BadBatch(Box<BadBatch>),
    /// The function of interest failed (or returned a non-finite value).
    #[error(transparent)]
    Evaluation(#[from] EvalError),
}

/// An evaluated batch of the wrong shape (boxed in [`RegionError`], which every region result
/// carries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the function returned {got} for a batch of {} points (expected {expected})",
    .expected.values
)]
pub struct BadBatch {
    pub expected: BatchShape,
    pub got: BatchShape,
}

impl BadBatch {
    /// A [`RegionError::BadBatch`] when `got` is not `expected`.
    pub fn check(expected: BatchShape, got: BatchShape) -> Result<(), RegionError> {
        if got == expected {
            Ok(())
        } else {
            Err(RegionError::BadBatch(Box::new(BadBatch { expected, got })))
        }
    }
}

/// The shape of an evaluated batch: its values and, where they were asked for, its gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchShape {
    pub values: usize,
    pub gradients: GradientShape,
}

/// The gradients of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradientShape {
    /// None were asked for (whatever came back is not looked at).
    NotAsked,
    /// Asked for, none came back.
    Missing,
    /// A matrix, one row per point asked.
    Matrix { rows: usize, cols: usize },
}

impl BatchShape {
    /// What a batch of `points` values with `gradient_rows` rows of `n` partial derivatives
    /// must be (`gradient_rows = 0`: no gradients asked).
    pub fn expected(points: usize, gradient_rows: usize, n: usize) -> BatchShape {
        BatchShape {
            values: points,
            gradients: if gradient_rows == 0 {
                GradientShape::NotAsked
            } else {
                GradientShape::Matrix {
                    rows: gradient_rows,
                    cols: n,
                }
            },
        }
    }

    /// The shape of what came back, its gradients only where `asked` has some.
    pub fn of(e: &Evaluation, asked: &BatchShape) -> BatchShape {
        let gradients = match (&asked.gradients, &e.gradients) {
            (GradientShape::NotAsked, _) => GradientShape::NotAsked,
            (_, None) => GradientShape::Missing,
            (_, Some(g)) => GradientShape::Matrix {
                rows: g.nrows(),
                cols: g.ncols(),
            },
        };
        BatchShape {
            values: e.values.len(),
            gradients,
        }
    }
}

impl fmt::Display for BatchShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} values", self.values)?;
        match self.gradients {
            GradientShape::NotAsked => Ok(()),
            GradientShape::Missing => write!(f, " and no gradients"),
            GradientShape::Matrix { rows, cols } => {
                write!(f, " and a {rows} × {cols} gradient matrix")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector};

    fn evaluation(values: usize, gradients: Option<(usize, usize)>) -> Evaluation {
        Evaluation {
            values: DVector::zeros(values),
            gradients: gradients.map(|(r, c)| DMatrix::zeros(r, c)),
        }
    }

    #[test]
    fn a_batch_shape_says_what_was_asked_and_what_came_back() {
        let values_only = BatchShape::expected(4, 0, 2);
        assert_eq!(values_only.to_string(), "4 values");
        // Gradients nobody asked for are not looked at.
        let got = BatchShape::of(&evaluation(3, Some((3, 2))), &values_only);
        assert_eq!(got.to_string(), "3 values");
        assert_ne!(got, values_only);
        assert_eq!(
            BatchShape::of(&evaluation(4, Some((1, 1))), &values_only),
            values_only
        );

        let with_gradients = BatchShape::expected(8, 4, 2);
        assert_eq!(
            with_gradients.to_string(),
            "8 values and a 4 × 2 gradient matrix"
        );
        let missing = BatchShape::of(&evaluation(8, None), &with_gradients);
        assert_eq!(missing.to_string(), "8 values and no gradients");
        assert_eq!(missing.gradients, GradientShape::Missing);
        assert_eq!(
            BatchShape::of(&evaluation(8, Some((4, 2))), &with_gradients),
            with_gradients
        );
    }
}
