//! Test utilities shared by the region tests: an oracle seen as a semantic function.
#![allow(dead_code)] // each test binary uses a different part

use nalgebra::DMatrix;
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
