//! Gradients by central finite differences for any function of interest (SPEC §1, OIR_W).
//!
//! A rendered classifier is a black box in `u`: OIR_W needs `∇f` at the corners, so
//! [`FiniteDifference`] evaluates `f(u ± h eᵢ)` for every dimension at the points whose
//! gradient is asked for and forms `(f(u + h eᵢ) − f(u − h eᵢ)) / 2h` (error `O(h²)` for
//! smooth f). The `m` points and the `2n·g` neighbours of the first `g` go to the wrapped
//! function in ONE batch, so a region step stays one render batch and one network batch.

use nalgebra::{DMatrix, DVector};

use crate::semantic::{EvalError, Evaluation, SemanticFunction};

/// `f` with gradients by central differences of step `steps[i]` along dimension `i`.
#[derive(Debug, Clone)]
pub struct FiniteDifference<F> {
    inner: F,
    steps: Vec<f64>,
}

/// Why a finite-difference wrapper could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    #[error("finite-difference step {index} is {value}: it must be a finite number > 0")]
    NotPositive { index: usize, value: f64 },
    #[error("{got} finite-difference steps for a function of {expected} parameters")]
    Count { expected: usize, got: usize },
}

impl<F: SemanticFunction> FiniteDifference<F> {
    /// Wraps `inner` with one step per dimension (in the units of that dimension).
    pub fn new(inner: F, steps: Vec<f64>) -> Result<Self, StepError> {
        if steps.len() != inner.dim() {
            return Err(StepError::Count {
                expected: inner.dim(),
                got: steps.len(),
            });
        }
        if let Some((index, &value)) = steps
            .iter()
            .enumerate()
            .find(|(_, h)| !(h.is_finite() && **h > 0.0))
        {
            return Err(StepError::NotPositive { index, value });
        }
        Ok(FiniteDifference { inner, steps })
    }

    /// The same step `h` in every dimension.
    pub fn uniform(inner: F, h: f64) -> Result<Self, StepError> {
        let n = inner.dim();
        Self::new(inner, vec![h; n])
    }

    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// The wrapped function back.
    pub fn into_inner(self) -> F {
        self.inner
    }

    pub fn steps(&self) -> &[f64] {
        &self.steps
    }
}

impl<F> FiniteDifference<F> {
    /// What the wrapped function is evaluated at for `f` at the rows of `points` and `∇f` at
    /// the first `gradient_rows` of them: the `m` points, then for point `j < g` and dimension
    /// `i` the pair `(u_j + h_i e_i, u_j − h_i e_i)` at rows `m + 2(j n + i)` and
    /// `m + 2(j n + i) + 1`. Evaluate it (with other stencils, in one batch, when several
    /// functions share a back end) and finish with [`FiniteDifference::from_stencil`].
    pub fn stencil(&self, points: &DMatrix<f64>, gradient_rows: usize) -> DMatrix<f64> {
        let (m, n) = points.shape();
        let g = gradient_rows.min(m);
        let mut all = DMatrix::zeros(m + 2 * n * g, n);
        all.rows_mut(0, m).copy_from(points);
        for j in 0..g {
            for i in 0..n {
                let row = m + 2 * (j * n + i);
                for k in 0..n {
                    all[(row, k)] = points[(j, k)];
                    all[(row + 1, k)] = points[(j, k)];
                }
                all[(row, i)] += self.steps[i];
                all[(row + 1, i)] -= self.steps[i];
            }
        }
        all
    }

    /// `f` at the points and `∇f` at the first `gradient_rows` (none when 0), from the wrapped
    /// function's `values` at [`FiniteDifference::stencil`]`(points, gradient_rows)`.
    pub fn from_stencil(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
        values: &DVector<f64>,
    ) -> Result<Evaluation, EvalError> {
        let (m, n) = points.shape();
        let g = gradient_rows.min(m);
        if values.len() != m + 2 * n * g {
            return Err(EvalError::backend(format!(
                "the wrapped function returned {} values for {} points",
                values.len(),
                m + 2 * n * g
            )));
        }
        let gradients = (gradient_rows > 0).then(|| {
            DMatrix::from_fn(g, n, |j, i| {
                let row = m + 2 * (j * n + i);
                (values[row] - values[row + 1]) / (2.0 * self.steps[i])
            })
        });
        Ok(Evaluation {
            values: DVector::from_iterator(m, values.iter().take(m).copied()),
            gradients,
        })
    }
}

impl<F: SemanticFunction> SemanticFunction for FiniteDifference<F> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn provides_gradients(&self) -> bool {
        true
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        EvalError::check_dimension(self.dim(), points)?;
        if gradient_rows == 0 {
            return self.inner.evaluate(points, 0);
        }
        let e = self
            .inner
            .evaluate(&self.stencil(points, gradient_rows), 0)?;
        self.from_stencil(points, gradient_rows, &e.values)
    }
}

/// A borrowed function is a function (so a wrapper can borrow what it wraps).
impl<F: SemanticFunction + ?Sized> SemanticFunction for &F {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn provides_gradients(&self) -> bool {
        (**self).provides_gradients()
    }
    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        (**self).evaluate(points, gradient_rows)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use semrob_oracles::Oracle;

    use super::*;
    use crate::semantic::oracle::OracleFunction;

    /// Counts batch calls and points, hides the oracle's exact gradient.
    #[derive(Debug)]
    struct Counting {
        f: OracleFunction,
        calls: AtomicUsize,
        points: AtomicUsize,
    }

    impl SemanticFunction for Counting {
        fn dim(&self) -> usize {
            self.f.dim()
        }
        fn evaluate(&self, p: &DMatrix<f64>, g: usize) -> Result<Evaluation, EvalError> {
            if g > 0 {
                return Err(EvalError::NoGradients);
            }
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.points.fetch_add(p.nrows(), Ordering::SeqCst);
            self.f.evaluate(p, 0)
        }
    }

    fn counting(o: Oracle) -> Counting {
        Counting {
            f: OracleFunction(o),
            calls: AtomicUsize::new(0),
            points: AtomicUsize::new(0),
        }
    }

    #[test]
    fn central_differences_match_the_analytic_gradient_to_second_order() {
        let oracle = Oracle::gaussian_bump(0.95, &[180.0, 40.0], &[40.0, 20.0]);
        let exact = OracleFunction(oracle.clone());
        let points =
            DMatrix::from_row_slice(4, 2, &[130.0, 30.0, 50.0, 20.0, 200.0, 15.0, 310.0, 50.0]);
        let want = exact.evaluate(&points, 4).unwrap();
        let mut errors = Vec::new();
        for h in [1.0, 0.5, 0.25] {
            let fd = FiniteDifference::uniform(counting(oracle.clone()), h).unwrap();
            let got = fd.evaluate(&points, 4).unwrap();
            assert_eq!(got.values, want.values, "values are passed through");
            let err = (got.gradients.unwrap() - want.gradients.as_ref().unwrap()).amax();
            errors.push(err);
        }
        // Halving h divides a central difference's error by about 4 (O(h²)).
        for w in errors.windows(2) {
            let ratio = w[0] / w[1];
            assert!((3.5..4.5).contains(&ratio), "errors {errors:?}");
        }
        assert!(errors[2] < 1e-5, "errors {errors:?}");
    }

    #[test]
    fn values_and_neighbours_go_to_the_function_in_one_batch() {
        let oracle = Oracle::gaussian_bump(0.9, &[0.0, 0.0, 0.0], &[1.0, 2.0, 3.0]);
        let fd = FiniteDifference::new(counting(oracle), vec![1e-3, 2e-3, 3e-3]).unwrap();
        let points = DMatrix::from_fn(8, 3, |j, i| (j * 3 + i) as f64 * 0.1);
        let e = fd.evaluate(&points, 8).unwrap();
        assert_eq!(fd.inner().calls.load(Ordering::SeqCst), 1);
        assert_eq!(fd.inner().points.load(Ordering::SeqCst), 8 * (1 + 2 * 3));
        assert_eq!(e.gradients.unwrap().shape(), (8, 3));
        fd.evaluate(&points, 0).unwrap();
        assert_eq!(fd.inner().calls.load(Ordering::SeqCst), 2);
        assert_eq!(fd.inner().points.load(Ordering::SeqCst), 8 * 7 + 8);
        // Gradients at the first 3 points only: 3 · 2n neighbours, the 8 values unchanged.
        let e3 = fd.evaluate(&points, 3).unwrap();
        assert_eq!(
            fd.inner().points.load(Ordering::SeqCst),
            8 * 7 + 8 + 8 + 3 * 6
        );
        assert_eq!(e3.gradients.as_ref().unwrap().shape(), (3, 3));
        assert_eq!(e3.values, e.values);
    }

    #[test]
    fn bad_steps_are_refused() {
        let f = || counting(Oracle::constant(2, 0.5));
        assert_eq!(
            FiniteDifference::new(f(), vec![1.0]).unwrap_err(),
            StepError::Count {
                expected: 2,
                got: 1
            }
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                FiniteDifference::new(f(), vec![1.0, bad]).unwrap_err(),
                StepError::NotPositive { index: 1, .. }
            ));
        }
    }

    /// The wrapper keeps its steps, always provides gradients, and gives none from a stencil of
    /// values only (`gradient_rows = 0`); a borrowed function answers as the function does.
    #[test]
    fn steps_gradients_and_borrowed_functions_are_what_they_say() {
        let oracle = Oracle::gaussian_bump(0.9, &[0.0, 0.0, 0.0], &[1.0, 2.0, 3.0]);
        let fd = FiniteDifference::new(counting(oracle.clone()), vec![1e-3, 2e-3, 3e-3]).unwrap();
        assert_eq!(fd.steps(), &[1e-3, 2e-3, 3e-3]);
        assert_eq!(
            FiniteDifference::uniform(counting(oracle.clone()), 0.25)
                .unwrap()
                .steps(),
            &[0.25; 3]
        );
        assert!(fd.provides_gradients());
        assert!(!fd.inner().provides_gradients());

        let points = DMatrix::from_fn(2, 3, |j, i| (j + i) as f64 * 0.1);
        let values = fd
            .inner()
            .evaluate(&fd.stencil(&points, 0), 0)
            .unwrap()
            .values;
        let e = fd.from_stencil(&points, 0, &values).unwrap();
        assert_eq!(e.gradients, None);
        assert_eq!(e.values, values);

        // Through the `&F` impl: `F` is the reference itself.
        fn answers<F: SemanticFunction>(f: F) -> (usize, bool) {
            (f.dim(), f.provides_gradients())
        }
        let exact = OracleFunction(oracle);
        assert_eq!(answers(&exact), (3, true));
        assert_eq!(answers(fd.inner()), (3, false));
        assert_eq!(answers(&fd as &dyn SemanticFunction), (3, true));
    }
}
