//! Wrappers that change how a semantic function is seen, not what it computes: one that
//! counts what it is asked (for tests and benchmarks of evaluation budgets), and one that
//! hides its gradients (a black box, as a real network is to OIR_W).

use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::DMatrix;

use super::{EvalError, Evaluation, SemanticFunction};

/// What a [`Counting`] function was asked, over its successful evaluations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Batch calls.
    pub calls: usize,
    /// Points evaluated.
    pub points: usize,
    /// Points at which a gradient was computed.
    pub gradient_points: usize,
}

/// `f` unchanged, counting its batch calls, points and gradient points.
#[derive(Debug, Default)]
pub struct Counting<F> {
    inner: F,
    calls: AtomicUsize,
    points: AtomicUsize,
    gradient_points: AtomicUsize,
}

impl<F> Counting<F> {
    pub fn new(inner: F) -> Counting<F> {
        Counting {
            inner,
            calls: AtomicUsize::new(0),
            points: AtomicUsize::new(0),
            gradient_points: AtomicUsize::new(0),
        }
    }

    pub fn counts(&self) -> Counts {
        Counts {
            calls: self.calls.load(Ordering::Relaxed),
            points: self.points.load(Ordering::Relaxed),
            gradient_points: self.gradient_points.load(Ordering::Relaxed),
        }
    }

    pub fn inner(&self) -> &F {
        &self.inner
    }
}

impl<F: SemanticFunction> SemanticFunction for Counting<F> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn provides_gradients(&self) -> bool {
        self.inner.provides_gradients()
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        let e = self.inner.evaluate(points, gradient_rows)?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.points.fetch_add(points.nrows(), Ordering::Relaxed);
        let g = e.gradients.as_ref().map_or(0, |g| g.nrows());
        self.gradient_points.fetch_add(g, Ordering::Relaxed);
        Ok(e)
    }
}

/// `f` without its gradients: values only, and [`EvalError::NoGradients`] for a gradient.
#[derive(Debug, Clone)]
pub struct BlackBox<F>(pub F);

impl<F: SemanticFunction> SemanticFunction for BlackBox<F> {
    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn provides_gradients(&self) -> bool {
        false
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        EvalError::check_dimension(self.dim(), points)?;
        if gradient_rows > 0 {
            return Err(EvalError::NoGradients);
        }
        self.0.evaluate(points, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::oracle::OracleFunction;
    use semrob_oracles::Oracle;

    #[test]
    fn counting_counts_successful_calls_and_changes_nothing() {
        let plain = OracleFunction(Oracle::multilinear(0.5, &[(0.0, 1.0), (2.0, 3.0)]));
        let f = Counting::new(plain.clone());
        let points = DMatrix::from_row_slice(3, 2, &[0.1, 2.5, 0.9, 2.1, 0.5, 2.9]);
        assert_eq!(
            f.evaluate(&points, 2).unwrap(),
            plain.evaluate(&points, 2).unwrap()
        );
        assert!(matches!(
            f.evaluate(&DMatrix::zeros(1, 3), 0),
            Err(EvalError::Dimension {
                expected: 2,
                got: 3
            })
        ));
        f.evaluate(&points, 0).unwrap();
        assert_eq!(
            f.counts(),
            Counts {
                calls: 2,
                points: 6,
                gradient_points: 2
            }
        );
    }

    #[test]
    fn a_black_box_gives_values_and_refuses_gradients() {
        let plain = OracleFunction(Oracle::constant(2, 0.25));
        let f = BlackBox(plain.clone());
        let points = DMatrix::from_row_slice(1, 2, &[0.3, 0.4]);
        assert!(!f.provides_gradients());
        assert_eq!(
            f.evaluate(&points, 0).unwrap(),
            plain.evaluate(&points, 0).unwrap()
        );
        assert!(matches!(
            f.evaluate(&points, 1),
            Err(EvalError::NoGradients)
        ));
    }
}
