//! Test utilities shared by the region tests: an oracle seen as a semantic function.
#![allow(dead_code)] // each test binary uses a different part

use std::ops::Range;

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use semrob::region::Region;
use semrob::semantic::oracle::OracleFunction;
use semrob::semantic::{BlackBox, Counting, EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;

/// An [`Oracle`] behind the [`SemanticFunction`] trait (the library's `OracleFunction`),
/// counting what it is asked (the library's `Counting`), with or without its gradients.
pub enum OracleFn {
    WithGradients(Counting<OracleFunction>),
    BlackBox(Counting<BlackBox<OracleFunction>>),
}

impl OracleFn {
    pub fn new(oracle: Oracle) -> OracleFn {
        OracleFn::WithGradients(Counting::new(OracleFunction(oracle)))
    }

    pub fn black_box(oracle: Oracle) -> OracleFn {
        OracleFn::BlackBox(Counting::new(BlackBox(OracleFunction(oracle))))
    }

    /// Batch calls, points evaluated, points at which gradients were computed.
    pub fn counts(&self) -> (usize, usize, usize) {
        let c = match self {
            OracleFn::WithGradients(f) => f.counts(),
            OracleFn::BlackBox(f) => f.counts(),
        };
        (c.calls, c.points, c.gradient_points)
    }

    /// The oracle itself, for closed forms.
    pub fn oracle(&self) -> &Oracle {
        match self {
            OracleFn::WithGradients(f) => &f.inner().0,
            OracleFn::BlackBox(f) => &f.inner().0 .0,
        }
    }

    fn function(&self) -> &dyn SemanticFunction {
        match self {
            OracleFn::WithGradients(f) => f,
            OracleFn::BlackBox(f) => f,
        }
    }
}

impl SemanticFunction for OracleFn {
    fn dim(&self) -> usize {
        self.function().dim()
    }

    fn provides_gradients(&self) -> bool {
        self.function().provides_gradients()
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        self.function().evaluate(points, gradient_rows)
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

/// A box in 1 to `max_n` dimensions: centres uniform in ±`centre`, sides log-uniform with
/// log₁₀ in `log_sides`.
pub fn boxes(max_n: usize, centre: f64, log_sides: Range<f64>) -> impl Strategy<Value = Region> {
    (1usize..=max_n)
        .prop_flat_map(move |n| prop::collection::vec((-centre..centre, log_sides.clone()), n))
        .prop_map(|dims| {
            let lower: Vec<f64> = dims.iter().map(|&(c, s)| c - 0.5 * 10f64.powf(s)).collect();
            let upper: Vec<f64> = dims.iter().map(|&(c, s)| c + 0.5 * 10f64.powf(s)).collect();
            Region::new(lower, upper).expect("valid box")
        })
}

/// `f` at each row of `points`.
pub fn values_at(f: &Oracle, points: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_fn(points.nrows(), |j, _| {
        f.value(&points.row(j).iter().copied().collect::<Vec<_>>())
    })
}
