//! Test utilities shared by the `region_*` tests: an oracle seen as a semantic function.
#![allow(dead_code)] // each test binary uses a different part

use std::sync::atomic::{AtomicUsize, Ordering};

use nalgebra::{DMatrix, DVector};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;

/// An [`Oracle`] behind the [`SemanticFunction`] trait, counting what it is asked.
pub struct OracleFn {
    pub oracle: Oracle,
    /// Whether it offers gradients (a black box when false).
    pub gradients: bool,
    /// Batch calls, points evaluated, points at which gradients were computed.
    pub calls: AtomicUsize,
    pub points: AtomicUsize,
    pub gradient_points: AtomicUsize,
}

impl OracleFn {
    pub fn new(oracle: Oracle) -> OracleFn {
        OracleFn {
            oracle,
            gradients: true,
            calls: AtomicUsize::new(0),
            points: AtomicUsize::new(0),
            gradient_points: AtomicUsize::new(0),
        }
    }

    pub fn black_box(oracle: Oracle) -> OracleFn {
        OracleFn {
            gradients: false,
            ..OracleFn::new(oracle)
        }
    }

    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.calls.load(Ordering::Relaxed),
            self.points.load(Ordering::Relaxed),
            self.gradient_points.load(Ordering::Relaxed),
        )
    }
}

impl SemanticFunction for OracleFn {
    fn dim(&self) -> usize {
        self.oracle.dim()
    }

    fn provides_gradients(&self) -> bool {
        self.gradients
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        if points.ncols() != self.dim() {
            return Err(EvalError::Dimension {
                expected: self.dim(),
                got: points.ncols(),
            });
        }
        if gradient_rows > 0 && !self.gradients {
            return Err(EvalError::NoGradients);
        }
        let m = points.nrows();
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.points.fetch_add(m, Ordering::Relaxed);
        let rows: Vec<Vec<f64>> = (0..m)
            .map(|j| points.row(j).iter().copied().collect())
            .collect();
        let values = DVector::from_iterator(m, rows.iter().map(|x| self.oracle.value(x)));
        let gradient_rows = gradient_rows.min(m);
        let gradients = (gradient_rows > 0).then(|| {
            self.gradient_points
                .fetch_add(gradient_rows, Ordering::Relaxed);
            let g: Vec<Vec<f64>> = rows[..gradient_rows]
                .iter()
                .map(|x| self.oracle.gradient(x))
                .collect();
            DMatrix::from_fn(gradient_rows, self.dim(), |j, i| g[j][i])
        });
        Ok(Evaluation { values, gradients })
    }
}

/// The intersection over union of two boxes.
pub fn iou(a_lower: &[f64], a_upper: &[f64], b_lower: &[f64], b_upper: &[f64]) -> f64 {
    let vol = |l: &[f64], u: &[f64]| {
        l.iter()
            .zip(u)
            .map(|(l, u)| (u - l).max(0.0))
            .product::<f64>()
    };
    let il: Vec<f64> = a_lower
        .iter()
        .zip(b_lower)
        .map(|(x, y)| x.max(*y))
        .collect();
    let iu: Vec<f64> = a_upper
        .iter()
        .zip(b_upper)
        .map(|(x, y)| x.min(*y))
        .collect();
    let inter = vol(&il, &iu);
    inter / (vol(a_lower, a_upper) + vol(b_lower, b_upper) - inter)
}

/// A named oracle of the catalogue with its domain.
pub fn example(name: &str) -> (OracleFn, semrob::region::Region) {
    let e = semrob_oracles::example(name).unwrap_or_else(|| panic!("no oracle named {name}"));
    let domain = semrob::region::Region::new(e.domain_lower, e.domain_upper).expect("valid domain");
    (OracleFn::new(e.oracle), domain)
}
