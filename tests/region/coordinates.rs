//! Runs in unit coordinates and dimension-free steps (SPEC §3, "Coordinates and steps in n
//! dimensions"): the same method on the domain scaled to the unit cube, with boxes reported
//! in the parameters' units.
//!
//! The oracle: a run in unit coordinates on `f` over `[lo, hi]` is, step for step, a native
//! run on `g(v) = f(lo + (hi − lo) v)` over `[0, 1]ⁿ` (with `∇g = (hi − lo) ⊙ ∇f`), its boxes
//! mapped back by `u = lo + (hi − lo) v`. The rescaled function is written here, not taken
//! from the library.

use crate::support::{iou, OracleFn};
use nalgebra::DMatrix;
use proptest::prelude::*;
use semrob::region::{
    find_region, Coordinates, Goal, HyperParams, Method, Region, RegionError, RegionRun,
};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;

/// `g(v) = f(lo + len ⊙ v)` and its gradient by the chain rule.
struct Rescaled {
    f: OracleFn,
    lo: Vec<f64>,
    len: Vec<f64>,
}

impl SemanticFunction for Rescaled {
    fn dim(&self) -> usize {
        self.f.dim()
    }

    fn provides_gradients(&self) -> bool {
        true
    }

    fn evaluate(&self, v: &DMatrix<f64>, gradient_rows: usize) -> Result<Evaluation, EvalError> {
        let u = DMatrix::from_fn(v.nrows(), v.ncols(), |j, i| {
            self.lo[i] + self.len[i] * v[(j, i)]
        });
        let mut e = self.f.evaluate(&u, gradient_rows)?;
        if let Some(g) = e.gradients.as_mut() {
            for (i, mut column) in g.column_iter_mut().enumerate() {
                column *= self.len[i];
            }
        }
        Ok(e)
    }
}

fn boxes(run: &RegionRun) -> Vec<(Vec<f64>, Vec<f64>)> {
    run.trace
        .iter()
        .map(|s| (s.lower.clone(), s.upper.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every box of a unit-coordinate run, the final one included, is the rescaled native
    /// run's box mapped back (to 1e-9 of each axis), with the same losses and stop reason.
    #[test]
    fn a_unit_run_is_the_native_run_on_the_rescaled_function(
        n in 1usize..=4,
        method_index in 0usize..3,
        centre in prop::collection::vec(0.2f64..0.8, 4),
        lengths in prop::collection::vec(0.5f64..3.0, 4),
        half_width in prop_oneof![Just(None), Just(Some(0.03)), Just(Some(0.1))],
        adversarial in any::<bool>(),
    ) {
        // Axes of very different lengths: degrees, a distance, a fraction.
        let scale = [360.0, 100.0, 2.0, 0.5];
        let lo: Vec<f64> = (0..n).map(|i| -0.3 * scale[i]).collect();
        let len: Vec<f64> = (0..n).map(|i| scale[i] * lengths[i]).collect();
        let hi: Vec<f64> = (0..n).map(|i| lo[i] + len[i]).collect();
        let at = |v: &[f64]| -> Vec<f64> { (0..n).map(|i| lo[i] + len[i] * v[i]).collect() };
        let bump = Oracle::gaussian_bump(
            0.9,
            &at(&centre[..n]),
            &(0..n).map(|i| 0.25 * len[i]).collect::<Vec<_>>(),
        );
        let method = Method::ALL[method_index];
        let hyper = HyperParams {
            eta: 0.4,
            iterations: 40,
            start_half_width: half_width,
            ..HyperParams::default()
        };
        let start: Vec<f64> = (0..n).map(|i| 0.35 + 0.1 * i as f64).collect();
        let goal = Goal::from_adversarial(adversarial);

        let domain = Region::new(lo.clone(), hi.clone()).unwrap();
        let unit = HyperParams { coordinates: Coordinates::Unit, ..hyper };
        let f = OracleFn::new(bump.clone());
        let run = find_region(&f, method, &domain, &at(&start), &unit, goal).unwrap();

        let g = Rescaled { f: OracleFn::new(bump), lo: lo.clone(), len: len.clone() };
        let cube = Region::new(vec![0.0; n], vec![1.0; n]).unwrap();
        let oracle = find_region(&g, method, &cube, &start, &hyper, goal).unwrap();

        prop_assert_eq!(run.stop, oracle.stop);
        prop_assert_eq!(run.iterations, oracle.iterations);
        prop_assert_eq!(run.evaluations, oracle.evaluations);
        let mut pairs = boxes(&run);
        pairs.push((run.region.lower().as_slice().to_vec(), run.region.upper().as_slice().to_vec()));
        let mut want = boxes(&oracle);
        want.push((oracle.region.lower().as_slice().to_vec(), oracle.region.upper().as_slice().to_vec()));
        for (step, ((a, b), (va, vb))) in pairs.iter().zip(&want).enumerate() {
            let (wa, wb) = (at(va), at(vb));
            for i in 0..n {
                let tol = 1e-9 * len[i];
                prop_assert!((a[i] - wa[i]).abs() <= tol && (b[i] - wb[i]).abs() <= tol,
                    "step {}: [{}, {}] vs mapped [{}, {}] on axis {}", step, a[i], b[i], wa[i], wb[i], i);
                prop_assert!(lo[i] <= a[i] && b[i] <= hi[i]);
            }
        }
        for (s, o) in run.trace.iter().zip(&oracle.trace) {
            match (s.loss, o.loss) {
                (Some(x), Some(y)) => prop_assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs())),
                (x, y) => prop_assert_eq!(x, y),
            }
        }
    }
}

/// The start box is `[u0 − w, u0 + w]` in unit coordinates: `w` of each axis's length on
/// either side, whatever the axis's units, and clipped by the domain like every box.
#[test]
fn the_start_box_is_a_fraction_of_each_axis() {
    let domain = Region::new(vec![0.0, -10.0, 2.0], vec![360.0, 90.0, 4.0]).unwrap();
    let f = OracleFn::new(Oracle::constant(3, 0.5));
    let hyper = HyperParams {
        coordinates: Coordinates::Unit,
        start_half_width: Some(0.05),
        iterations: 1,
        ..HyperParams::default()
    };
    let run = find_region(
        &f,
        Method::OirB,
        &domain,
        &[130.0, -8.0, 3.0],
        &hyper,
        Goal::Robust,
    )
    .unwrap();
    let first = &run.trace[0];
    let want_lower = [130.0 - 18.0, -10.0, 3.0 - 0.1];
    let want_upper = [130.0 + 18.0, -8.0 + 5.0, 3.0 + 0.1];
    for i in 0..3 {
        assert!((first.lower[i] - want_lower[i]).abs() < 1e-9, "{first:?}");
        assert!((first.upper[i] - want_upper[i]).abs() < 1e-9, "{first:?}");
    }
    // Native coordinates with the same half-width: the same number in every unit.
    let native = HyperParams {
        coordinates: Coordinates::Native,
        ..hyper
    };
    let run = find_region(
        &f,
        Method::OirB,
        &domain,
        &[130.0, 40.0, 3.0],
        &native,
        Goal::Robust,
    )
    .unwrap();
    assert_eq!(run.trace[0].lower, vec![129.95, 39.95, 2.95]);
}

/// What the coordinates are for (SPEC §3): on a 3-D plateau with axes in
/// degrees and a distance, the paper's ε start in native units grows nothing (the face
/// integrals of a (2ε)³ box are ~1e-10), while OIR from a start box of 5 % of each axis in
/// unit coordinates grows to most of the plateau's volume in 200 steps at η 0.4.
#[test]
fn in_three_dimensions_unit_coordinates_and_a_start_box_grow_regions() {
    let (lo, hi) = ([0.0, -10.0, 2.0], [360.0, 90.0, 4.0]);
    let (pl, pu) = ([100.0, 20.0, 2.4], [200.0, 70.0, 3.4]);
    // Logistic edges of a tenth of each plateau side: the oracle's rate is per unit, so the
    // distance axis is written in hundredths to share one rate with the angles.
    let hundredths = |v: [f64; 3]| vec![v[0], v[1], 100.0 * v[2]];
    let f = OracleFn::new(Oracle::smooth_box(
        1.0,
        &hundredths(pl),
        &hundredths(pu),
        0.3,
    ));
    let domain = Region::new(hundredths(lo), hundredths(hi)).unwrap();
    let start = hundredths([130.0, 30.0, 2.732]);
    let paper = HyperParams {
        eta: 0.4,
        iterations: 200,
        ..HyperParams::default()
    };
    let unit = HyperParams {
        coordinates: Coordinates::Unit,
        start_half_width: Some(0.05),
        ..paper
    };
    let plateau = 100.0 * 50.0 * 100.0;
    for method in [Method::OirB, Method::OirW] {
        let native = find_region(&f, method, &domain, &start, &paper, Goal::Robust).unwrap();
        assert!(
            native.region.volume() < 1e-6 * plateau,
            "{method}: {native:?}"
        );
        let run = find_region(&f, method, &domain, &start, &unit, Goal::Robust).unwrap();
        let (a, b) = (run.region.lower(), run.region.upper());
        let overlap = iou(a.as_slice(), b.as_slice(), &hundredths(pl), &hundredths(pu));
        assert!(
            run.region.volume() > 0.6 * plateau && overlap > 0.35,
            "{method}: volume {} of {plateau}, IoU {overlap}",
            run.region.volume()
        );
    }
}

#[test]
fn a_start_half_width_must_be_a_positive_number() {
    let domain = Region::new(vec![0.0], vec![1.0]).unwrap();
    let f = OracleFn::new(Oracle::constant(1, 0.5));
    for w in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let hyper = HyperParams {
            start_half_width: Some(w),
            ..HyperParams::default()
        };
        match find_region(&f, Method::Naive, &domain, &[0.5], &hyper, Goal::Robust) {
            Err(RegionError::HyperParameter { name, .. }) => assert_eq!(name, "start_half_width"),
            other => panic!("w = {w}: {other:?}"),
        }
    }
}

/// ε is the minimum side in the run's coordinates: a domain axis shorter than ε is refused
/// in native units and accepted in unit coordinates, where every axis is 1 long.
#[test]
fn epsilon_is_checked_in_the_run_coordinates() {
    let domain = Region::new(vec![0.0, 0.0], vec![100.0, 1e-6]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, 0.5));
    let native = HyperParams::default();
    assert!(matches!(
        find_region(
            &f,
            Method::Naive,
            &domain,
            &[50.0, 5e-7],
            &native,
            Goal::Robust
        ),
        Err(RegionError::DomainTooSmall { index: 1, .. })
    ));
    let unit = HyperParams {
        coordinates: Coordinates::Unit,
        iterations: 3,
        ..native
    };
    let run = find_region(
        &f,
        Method::Naive,
        &domain,
        &[50.0, 5e-7],
        &unit,
        Goal::Robust,
    )
    .unwrap();
    assert!(run.region.upper()[1] <= 1e-6 && run.region.lower()[1] >= 0.0);
}

/// Refine mode continues a run from the box it reached: a box that is ε wide in unit
/// coordinates comes back from the parameters' units a few ulps narrower, and is still a
/// valid start (widened to ε), on axes of awkward lengths.
#[test]
fn a_collapsed_unit_box_is_a_valid_start_box() {
    let f = OracleFn::new(Oracle::constant(3, 0.01));
    let hyper = HyperParams {
        coordinates: Coordinates::Unit,
        lambda: 50.0,
        iterations: 30,
        ..HyperParams::default()
    };
    for (lo, hi) in [
        (0.1, 0.7),
        (-10.0, 90.0),
        (2.0, 4.0),
        (0.0, 360.0),
        (1e-3, 3.3e3),
    ] {
        let domain = Region::new(vec![0.0, -10.0, lo], vec![360.0, 90.0, hi]).unwrap();
        let init = [130.0, 30.0, lo + 0.37 * (hi - lo)];
        let run = find_region(&f, Method::Naive, &domain, &init, &hyper, Goal::Robust).unwrap();
        assert_eq!(
            run.stop,
            semrob::region::StopReason::Collapsed,
            "[{lo}, {hi}]"
        );
        let next = semrob::region::RunState::from_box(
            &f,
            Method::Naive,
            &domain,
            &run.region,
            &hyper,
            Goal::Robust,
        );
        let next = next.unwrap_or_else(|e| panic!("[{lo}, {hi}]: {e}"));
        let sides = next.region().sides();
        for i in 0..3 {
            let len = domain.sides()[i];
            assert!(sides[i] >= hyper.epsilon * len * (1.0 - 1e-9), "{sides:?}");
        }
    }
}

/// The dimension-free step rule (SPEC §3) on a constant `c` with
/// naive at λ = 0: each bound's gradient is its face's measure times `c`, so the rule moves
/// every bound of a cube of side `r` by `η c r` and the side grows by the factor `1 + 2ηc` a
/// step in every dimension from 2 on, as the paper's step does in 2-D. From the ε box of
/// unit coordinates: `r_k = 2ε (1 + 2ηc)^k` until the domain stops it. (In 1-D a face is a
/// point, and both rules move a bound by `η c`.)
#[test]
fn dimension_free_steps_grow_a_cube_geometrically_in_every_dimension() {
    let (c, eta) = (0.5, 0.1);
    for n in 2..=5 {
        let f = OracleFn::new(Oracle::constant(n, c));
        let lo: Vec<f64> = (0..n).map(|i| -(10.0f64.powi(i as i32))).collect();
        let hi: Vec<f64> = lo.iter().map(|x| -3.0 * x).collect();
        let domain = Region::new(lo.clone(), hi.clone()).unwrap();
        let centre: Vec<f64> = (0..n).map(|i| 0.5 * (lo[i] + hi[i])).collect();
        let hyper = HyperParams {
            eta,
            lambda: 0.0,
            iterations: 40,
            coordinates: Coordinates::Unit,
            steps: semrob::region::StepRule::DimensionFree,
            ..HyperParams::default()
        };
        let run = find_region(&f, Method::Naive, &domain, &centre, &hyper, Goal::Robust).unwrap();
        for (k, step) in run.trace.iter().enumerate() {
            let want = 2.0 * hyper.epsilon * (1.0 + 2.0 * eta * c).powi(k as i32);
            for i in 0..n {
                let side = (step.upper[i] - step.lower[i]) / (hi[i] - lo[i]);
                assert!(
                    (side - want).abs() <= 1e-9 * want,
                    "n = {n}, step {k}, axis {i}: side {side}, expected {want}"
                );
            }
        }
        // 40 steps at 1.1 per step: 2e-5 · 1.1⁴⁰ ≈ 9e-4 of each axis, in every dimension.
        assert_eq!(run.trace.len(), 40);
    }
}

/// In 1-D and 2-D the dimension-free rule is the paper's, bit for bit; in 3-D it is not.
#[test]
fn dimension_free_steps_are_the_papers_in_one_and_two_dimensions() {
    for n in 1..=3 {
        let centre = vec![50.0; n];
        let f = OracleFn::new(Oracle::gaussian_bump(0.9, &centre, &vec![20.0; n]));
        let domain = Region::new(vec![0.0; n], vec![100.0; n]).unwrap();
        let paper = HyperParams {
            iterations: 60,
            start_half_width: Some(1.0),
            ..HyperParams::default()
        };
        let free = HyperParams {
            steps: semrob::region::StepRule::DimensionFree,
            ..paper
        };
        let init = vec![45.0; n];
        for method in Method::ALL {
            let a = find_region(&f, method, &domain, &init, &paper, Goal::Robust).unwrap();
            let b = find_region(&f, method, &domain, &init, &free, Goal::Robust).unwrap();
            if n <= 2 {
                assert_eq!(a, b, "{method}, n = {n}");
            } else {
                assert_ne!(a.region, b.region, "{method}, n = {n}");
            }
        }
    }
}

/// A positive factor per bound leaves the boxes where the direction vanishes alone: on a
/// 3-D smooth plateau, OIR with dimension-free steps from the paper's ε start (unit
/// coordinates) settles where the paper's rule settles from a start box of useful size, and
/// both cover most of the plateau.
#[test]
fn dimension_free_steps_find_the_papers_regions_from_the_papers_start() {
    let (pl, pu) = ([100.0, 20.0, 240.0], [200.0, 70.0, 340.0]);
    let f = OracleFn::new(Oracle::smooth_box(1.0, &pl, &pu, 0.3));
    let domain = Region::new(vec![0.0, -10.0, 200.0], vec![360.0, 90.0, 400.0]).unwrap();
    let start = [130.0, 30.0, 273.2];
    let unit = HyperParams {
        coordinates: Coordinates::Unit,
        eta: 0.4,
        iterations: 400,
        ..HyperParams::default()
    };
    let free = HyperParams {
        steps: semrob::region::StepRule::DimensionFree,
        ..unit
    };
    let boxed = HyperParams {
        start_half_width: Some(0.05),
        ..unit
    };
    for method in [Method::OirB, Method::OirW] {
        let a = find_region(&f, method, &domain, &start, &free, Goal::Robust).unwrap();
        let b = find_region(&f, method, &domain, &start, &boxed, Goal::Robust).unwrap();
        let overlap = |r: &RegionRun| {
            iou(
                r.region.lower().as_slice(),
                r.region.upper().as_slice(),
                &pl,
                &pu,
            )
        };
        let between = iou(
            a.region.lower().as_slice(),
            a.region.upper().as_slice(),
            b.region.lower().as_slice(),
            b.region.upper().as_slice(),
        );
        assert!(
            overlap(&a) > 0.35 && overlap(&b) > 0.35,
            "{method}: {a:?} {b:?}"
        );
        assert!(
            between > 0.8,
            "{method}: IoU between the two {between}: {a:?} {b:?}"
        );
    }
}
