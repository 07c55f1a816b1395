use nalgebra::{DMatrix, DVector};

/// The values (and, when asked, gradients) of `f` at a batch of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `f` at every point, in the order of the rows of the points matrix.
    pub values: DVector<f64>,
    /// `∇f` at the first `gradient_rows` points (row `j` is the gradient at point `j`);
    /// `None` when no gradient was asked for.
    pub gradients: Option<DMatrix<f64>>,
}

/// Why a batch evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A method that needs `∇f` (OIR_W) was given a function without gradients.
    #[error("this function provides no gradients (the method needs them: use a black-box method, or a function with gradients)")]
    NoGradients,
    /// The points matrix has the wrong number of columns.
    #[error("points have {got} coordinates, the function expects {expected}")]
    Dimension { expected: usize, got: usize },
    /// The function returned a value that is not a finite number.
    #[error("the function returned a non-finite value {value} at point {point:?}")]
    NonFinite { value: f64, point: Vec<f64> },
    /// Anything else the function's back end reports (renderer, network, I/O), with its
    /// own message and cause chain (`EvalError::backend`).
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl EvalError {
    /// A back-end failure: an error value (kept as the source chain) or a message.
    pub fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        EvalError::Backend(e.into())
    }

    /// Checks that `points` has one column per parameter of a function of `dim` parameters.
    pub fn check_dimension(dim: usize, points: &DMatrix<f64>) -> Result<(), EvalError> {
        if points.ncols() == dim {
            Ok(())
        } else {
            Err(EvalError::Dimension {
                expected: dim,
                got: points.ncols(),
            })
        }
    }
}

/// A function of interest `f: Rⁿ → [0, 1]` evaluated in batches (SPEC §1).
///
/// Points are the rows of an `m × n` matrix, so the `2ⁿ` corners of a region step (the
/// corner matrix of SPEC §2) go through the back end in one call: one render batch and one
/// network batch for a real classifier.
pub trait SemanticFunction: Sync {
    /// The number of semantic parameters `n`.
    fn dim(&self) -> usize;

    /// Whether [`SemanticFunction::evaluate`] can return gradients.
    fn provides_gradients(&self) -> bool {
        false
    }

    /// `f` at every row of `points`, and `∇f` at the first `gradient_rows` of them.
    ///
    /// Gradients can cost far more than values (finite differences through a renderer and a
    /// network), so a caller asks for them only where it needs them: OIR_W needs `∇f` at the
    /// inner corners, not at the outer ones. `gradient_rows = 0` asks for values only; a
    /// function without gradients returns [`EvalError::NoGradients`] when asked for any.
    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError>;
}
