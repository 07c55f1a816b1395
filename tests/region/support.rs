//! Test utilities shared by the region tests: an oracle seen as a semantic function.
#![allow(dead_code)] // each test binary uses a different part

use std::ops::Range;

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use semrob::region::faces::{boundary_grid, face_means, face_points};
use semrob::region::methods::{naive_from_means, oir_b_from_means};
use semrob::region::{Direction, Region};
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

/// The relative error of the naive (λ = 0) and OIR_B directions with `m` face points against
/// the exact loss gradients, on a Gaussian bump and a box of about one σ per side.
pub fn direction_errors(n: usize, m: usize) -> (f64, f64) {
    let f = Oracle::gaussian_bump(0.9, &vec![0.0; n], &vec![1.0; n]);
    let lower: Vec<f64> = (0..n).map(|i| -0.3 - 0.1 * i as f64).collect();
    let upper: Vec<f64> = (0..n).map(|i| 0.8 + 0.05 * i as f64).collect();
    let region = Region::new(lower, upper).unwrap();
    let outer = region.outer(0.05);
    let grid = boundary_grid(n, m);
    let inner = face_means(&grid, m, &values_at(&f, &face_points(&region, &grid, m)));
    let outer_means = face_means(&grid, m, &values_at(&f, &face_points(&outer, &grid, m)));
    let naive = naive_from_means(&region, &inner, 0.0);
    let oir_b = oir_b_from_means(&region, &inner, &outer_means, 0.05);
    let (dl, du) = f.integral_gradient(region.lower().as_slice(), region.upper().as_slice());
    let (ol, ou) = f.integral_gradient(outer.lower().as_slice(), outer.upper().as_slice());
    let exact_naive = Direction {
        lower: -DVector::from_vec(dl.clone()),
        upper: -DVector::from_vec(du.clone()),
    };
    let exact_oir_b = Direction {
        lower: DVector::from_fn(n, |i, _| 1.025 * ol[i] - 0.025 * ou[i] - 2.0 * dl[i]),
        upper: DVector::from_fn(n, |i, _| -0.025 * ol[i] + 1.025 * ou[i] - 2.0 * du[i]),
    };
    let rel = |x: &Direction, y: &Direction| {
        let diff = (&x.lower - &y.lower).norm_squared() + (&x.upper - &y.upper).norm_squared();
        (diff / (y.lower.norm_squared() + y.upper.norm_squared())).sqrt()
    };
    (rel(&naive, &exact_naive), rel(&oir_b, &exact_oir_b))
}
