//! Test utilities shared by the certificate tests: step functions with a known failing
//! share, and a function that records every point it is asked.
#![allow(dead_code)] // each test module uses a different part

use std::sync::Mutex;

use nalgebra::{DMatrix, DVector};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};

/// `f = low` on the box `[hole_lower, hole_upper]` and `high` elsewhere: on a box containing
/// the hole, the failing share (for a threshold between the two) is the hole's volume
/// fraction.
pub struct StepHole {
    pub hole_lower: Vec<f64>,
    pub hole_upper: Vec<f64>,
    pub low: f64,
    pub high: f64,
}

impl StepHole {
    /// In the unit box `[0, 1]ⁿ`, a hole of volume fraction `q`: `[0, q] × [0, 1]ⁿ⁻¹`.
    pub fn unit(n: usize, q: f64, low: f64, high: f64) -> StepHole {
        let mut hole_upper = vec![1.0; n];
        hole_upper[0] = q;
        StepHole {
            hole_lower: vec![0.0; n],
            hole_upper,
            low,
            high,
        }
    }

    pub fn value(&self, u: &[f64]) -> f64 {
        let inside = u
            .iter()
            .zip(self.hole_lower.iter().zip(&self.hole_upper))
            .all(|(&x, (&a, &b))| a <= x && x < b);
        if inside {
            self.low
        } else {
            self.high
        }
    }
}

impl SemanticFunction for StepHole {
    fn dim(&self) -> usize {
        self.hole_lower.len()
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
        let values = DVector::from_iterator(
            points.nrows(),
            (0..points.nrows()).map(|j| {
                let u: Vec<f64> = points.row(j).iter().copied().collect();
                self.value(&u)
            }),
        );
        Ok(Evaluation {
            values,
            gradients: None,
        })
    }
}

/// A function that records every point it is evaluated at.
pub struct Recording<F> {
    pub inner: F,
    pub points: Mutex<Vec<Vec<f64>>>,
}

impl<F> Recording<F> {
    pub fn new(inner: F) -> Recording<F> {
        Recording {
            inner,
            points: Mutex::new(Vec::new()),
        }
    }

    pub fn recorded(&self) -> Vec<Vec<f64>> {
        self.points.lock().unwrap().clone()
    }
}

impl<F: SemanticFunction> SemanticFunction for Recording<F> {
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
        let mut log = self.points.lock().unwrap();
        for j in 0..points.nrows() {
            log.push(points.row(j).iter().copied().collect());
        }
        drop(log);
        self.inner.evaluate(points, gradient_rows)
    }
}

/// `P(Bin(n, q) ≤ k)` by a direct sum (an independent check of the certificate's rate).
pub fn binomial_cdf(k: usize, n: usize, q: f64) -> f64 {
    let mut term = (1.0 - q).powi(n as i32); // i = 0
    let mut sum = term;
    for i in 1..=k.min(n) {
        term *= (n - i + 1) as f64 / i as f64 * q / (1.0 - q);
        sum += term;
    }
    sum
}
