//! The driver's contract (SPEC §3): in 1-D naive diverges without the regulariser (the width
//! grows by ≥ 2ηm per step on f ≥ m) and converges to width c/λ with it; every run stays in the
//! domain with sides ≥ ε, finite, one batch per step, counted exactly; regions follow shifts,
//! permutations and mirrors of f; usage errors are typed; adversarial mode is the method on
//! 1 − f; undefined losses are null; stop reasons name the final box.

use crate::support::OracleFn;
use approx::{abs_diff_eq, relative_eq};
use nalgebra::DMatrix;
use proptest::prelude::*;
use semrob::region::faces::boundary_point_count;
use semrob::region::Goal;
use semrob::region::{
    find_region, HyperParams, Method, Region, RegionError, RegionRun, RunState, StopReason,
    MAX_POINTS_PER_STEP,
};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;

fn widths(run: &RegionRun) -> Vec<f64> {
    let mut w: Vec<f64> = run.trace.iter().map(|s| s.upper[0] - s.lower[0]).collect();
    w.push(run.region.sides()[0]);
    w
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Divergence: naive with λ = 0 on f ≥ m > 0 (1-D) widens the box by at least 2ηm per step
    /// until the domain stops it (Theorem B.1 of the paper's supplement).
    #[test]
    fn naive_without_regulariser_diverges_until_the_domain_stops_it(
        m in 0.01f64..1.0, eta in 0.01f64..2.0, start in -50f64..50.0,
        centre in -50f64..50.0, sigma in 1f64..30.0,
    ) {
        // f = m + (1 − m) · bump ≥ m.
        let f = Oracle::sum("floor-plus-bump", &[
            Oracle::constant(1, m),
            Oracle::gaussian_bump(1.0 - m, &[centre], &[sigma]),
        ]);
        let domain = Region::new(vec![-100.0], vec![100.0]).unwrap();
        let hyper = HyperParams { eta, lambda: 0.0, iterations: 400, ..HyperParams::default() };
        let run = find_region(&OracleFn::new(f), Method::Naive, &domain, &[start], &hyper, Goal::Robust).unwrap();
        let w = widths(&run);
        let mut free_steps = 0;
        for k in 0..w.len() - 1 {
            let (lo, hi) = if k + 1 < run.trace.len() {
                (run.trace[k + 1].lower[0], run.trace[k + 1].upper[0])
            } else {
                (run.region.lower()[0], run.region.upper()[0])
            };
            if lo <= -100.0 || hi >= 100.0 {
                break; // the domain stopped it
            }
            free_steps += 1;
            prop_assert!(w[k + 1] - w[k] >= 2.0 * eta * m * (1.0 - 1e-9), "step {}: {} → {}", k, w[k], w[k + 1]);
        }
        prop_assert!(free_steps >= 1);
        // Each bound moves outwards by at least ηm per step and travels at most 200, so where
        // the budget outlasts that, the box ends as the whole domain.
        if 400.0 * eta * m > 210.0 {
            prop_assert_eq!(run.region.lower()[0], -100.0);
            prop_assert_eq!(run.region.upper()[0], 100.0);
            prop_assert_eq!(run.stop, StopReason::Converged);
        }
    }

    /// The regulariser: naive with λ > 0 on a constant c (1-D) converges to width c/λ.
    #[test]
    fn naive_with_regulariser_converges_to_width_c_over_lambda(
        c in 0.1f64..1.0, lambda in 0.05f64..1.0, eta_frac in 0.1f64..0.9, start in -10f64..10.0,
    ) {
        let eta = eta_frac / (2.0 * lambda); // 2ηλ < 1: monotone convergence
        let domain = Region::new(vec![-100.0], vec![100.0]).unwrap();
        let hyper = HyperParams { eta, lambda, iterations: 5000, ..HyperParams::default() };
        let f = OracleFn::new(Oracle::constant(1, c));
        let run = find_region(&f, Method::Naive, &domain, &[start], &hyper, Goal::Robust).unwrap();
        prop_assert_eq!(run.stop, StopReason::Converged);
        let w = run.region.sides()[0];
        prop_assert!(abs_diff_eq!(w, c / lambda, epsilon = 1e-6 * c / lambda), "width {} vs c/λ = {}", w, c / lambda);
        // Symmetric growth on a constant: the box stays centred on the start.
        let mid = 0.5 * (run.region.lower()[0] + run.region.upper()[0]);
        prop_assert!(abs_diff_eq!(mid, start, epsilon = 1e-9 * (1.0 + start.abs())));
    }
}

/// A function from one of the oracle families, in `n` dimensions, from a seed vector.
fn any_oracle(kind: usize, n: usize, p: &[f64]) -> Oracle {
    match kind {
        0 => Oracle::constant(n, p[0]),
        1 => Oracle::multilinear(1.0, &(0..n).map(|i| (0.5, p[i] - 0.5)).collect::<Vec<_>>()),
        2 => Oracle::gaussian_bump(
            p[0],
            &(0..n).map(|i| 100.0 * (p[i] - 0.5)).collect::<Vec<_>>(),
            &vec![10.0 + 30.0 * p[1]; n],
        ),
        3 => Oracle::smooth_box(
            p[0],
            &vec![-30.0 * p[1]; n],
            &vec![30.0 * p[2] + 1.0; n],
            0.5 + 3.0 * p[3],
        ),
        _ => Oracle::trap(
            1.0,
            &vec![-40.0; n],
            &vec![40.0; n],
            p[0],
            &vec![-5.0; n],
            &vec![5.0; n],
            2.0,
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The driver's invariants: for any function, method, hyper-parameters, start and mode, the bounds stay
    /// in the domain with every side ≥ ε, nothing is NaN or infinite, each step is ONE batch
    /// call, and the reported evaluation counts are exactly what the function was asked.
    #[test]
    fn runs_stay_in_the_domain_finite_and_counted(
        n in 1usize..=6, kind in 0usize..5, p in prop::collection::vec(0f64..1.0, 6),
        method in prop::sample::select(Method::ALL.to_vec()),
        log_eta in -3f64..3.0, lambda in 0f64..2.0, alpha in 0.001f64..1.0, beta_frac in 0f64..1.0,
        log_eps in -8f64..-1.0, iterations in 1usize..60, tolerance in prop_oneof![Just(0.0), 0f64..1e-3],
        face_points in 2usize..=4, start in prop::collection::vec(0f64..=1.0, 6), adversarial in any::<bool>(),
    ) {
        // OIR_W is corner-only; beyond n = 4 at most 3 points per dimension keep the case cheap.
        let face_points = match method {
            Method::OirW => 2,
            _ if n > 4 => face_points.min(3),
            _ => face_points,
        };
        let hyper = HyperParams {
            eta: 10f64.powf(log_eta),
            lambda,
            alpha,
            beta: beta_frac * HyperParams::beta_bound(n) * 0.999,
            iterations,
            epsilon: 10f64.powf(log_eps),
            tolerance,
            face_points,
            ..HyperParams::default()
        };
        let domain = Region::new(vec![-50.0; n], vec![60.0; n]).unwrap();
        // Starts anywhere, the domain's boundary included (start = 0 or 1).
        let init: Vec<f64> = (0..n).map(|i| -50.0 + 110.0 * start[i]).collect();
        let f = OracleFn::new(any_oracle(kind, n, &p));
        let run = find_region(&f, method, &domain, &init, &hyper, Goal::from_adversarial(adversarial)).unwrap();
        let eps = hyper.epsilon;
        let boxes = run.trace.iter().map(|s| (s.lower.clone(), s.upper.clone()))
            .chain(std::iter::once((run.region.lower().iter().copied().collect(), run.region.upper().iter().copied().collect())));
        for (lo, hi) in boxes {
            for i in 0..n {
                prop_assert!(lo[i].is_finite() && hi[i].is_finite());
                prop_assert!(-50.0 <= lo[i] && hi[i] <= 60.0, "[{}, {}] leaves the domain", lo[i], hi[i]);
                prop_assert!(hi[i] - lo[i] >= eps, "side {} < ε = {}", hi[i] - lo[i], eps);
            }
        }
        prop_assert!(run.trace.iter().all(|s| s.loss.is_none_or(f64::is_finite)));
        prop_assert!(run.trace[0].lower.iter().zip(&init).all(|(l, u)| l <= u));
        prop_assert!(run.trace[0].upper.iter().zip(&init).all(|(h, u)| h >= u), "the start box contains the start");
        let per_box = boundary_point_count(n, face_points);
        let per_step = if method == Method::Naive { per_box } else { 2 * per_box };
        let (calls, points, gradient_points) = f.counts();
        prop_assert_eq!(run.iterations, run.trace.len());
        prop_assert_eq!(calls, run.iterations, "one batch call per step");
        prop_assert_eq!(run.evaluations, points);
        prop_assert_eq!(run.evaluations, run.iterations * per_step);
        prop_assert_eq!(run.gradient_evaluations, gradient_points);
        let expect_g = if method == Method::OirW { run.iterations * per_box } else { 0 };
        prop_assert_eq!(run.gradient_evaluations, expect_g);
        prop_assert!(run.iterations <= iterations);
        if matches!(run.stop, StopReason::MaxIterations | StopReason::CollapsedDrifting) {
            prop_assert_eq!(run.iterations, iterations);
            prop_assert!(run.hit_cap);
        }
        if run.hit_cap {
            prop_assert_eq!(run.iterations, iterations);
        }
        // The stop reason names the final box: sides at their minimum (below 1.5 ε) or not.
        let minimal = run.region.sides().iter().filter(|&&r| r < 1.5 * eps).count();
        match run.stop {
            StopReason::Converged | StopReason::Rested | StopReason::MaxIterations => {
                prop_assert_eq!(minimal, 0)
            }
            StopReason::Collapsed | StopReason::CollapsedDrifting => prop_assert_eq!(minimal, n),
            StopReason::PartlyCollapsed => prop_assert!(0 < minimal && minimal < n),
            StopReason::NonFiniteStep => {}
        }
        let json = serde_json::to_string(&run).unwrap();
        prop_assert!(!json.contains("NaN") && !json.contains("inf"));
    }
}

/// Bounds of a run, for comparisons.
fn bounds(run: &RegionRun) -> (Vec<f64>, Vec<f64>) {
    (
        run.region.lower().iter().copied().collect(),
        run.region.upper().iter().copied().collect(),
    )
}

/// Whether `x` and `y` have the same length and agree to `tol` in every coordinate.
fn close(x: &[f64], y: &[f64], tol: f64) -> bool {
    abs_diff_eq!(x[..], y[..], epsilon = tol)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Symmetries: shifting f, the domain and the start by s shifts the region by s; permuting
    /// the dimensions permutes it; mirroring a dimension mirrors it (to rounding).
    #[test]
    fn regions_follow_shifts_permutations_and_mirrors(
        n in 1usize..=3, kind in 2usize..5, p in prop::collection::vec(0f64..1.0, 6),
        method in prop::sample::select(Method::ALL.to_vec()),
        shift in prop::collection::vec(-100f64..100.0, 3), perm_seed in 0usize..6, mirror_dim in 0usize..3,
        start in prop::collection::vec(-20f64..20.0, 3),
    ) {
        let f = any_oracle(kind, n, &p);
        let hyper = HyperParams { iterations: 150, ..HyperParams::default() };
        let (dl, du) = (vec![-60.0; n], vec![70.0; n]);
        let domain = Region::new(dl.clone(), du.clone()).unwrap();
        let init = start[..n].to_vec();
        let base = find_region(&OracleFn::new(f.clone()), method, &domain, &init, &hyper, Goal::Robust).unwrap();
        let (bl, bu) = bounds(&base);
        let tol = 1e-6;

        // Shift.
        let s = &shift[..n];
        let add = |v: &[f64]| v.iter().zip(s).map(|(a, b)| a + b).collect::<Vec<f64>>();
        let shifted = find_region(
            &OracleFn::new(f.shifted(s)), method,
            &Region::new(add(&dl), add(&du)).unwrap(), &add(&init), &hyper, Goal::Robust,
        ).unwrap();
        let (sl, su) = bounds(&shifted);
        prop_assert!(close(&sl, &add(&bl), tol) && close(&su, &add(&bu), tol), "shift: {:?} {:?} vs {:?} {:?}", sl, su, add(&bl), add(&bu));

        // Permutation: new dimension i is old dimension perm[i].
        let perms: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        let perm: Vec<usize> = perms[perm_seed].iter().copied().filter(|&k| k < n).collect();
        let pick = |v: &[f64]| perm.iter().map(|&k| v[k]).collect::<Vec<f64>>();
        let permuted = find_region(
            &OracleFn::new(f.permuted(&perm)), method,
            &Region::new(pick(&dl), pick(&du)).unwrap(), &pick(&init), &hyper, Goal::Robust,
        ).unwrap();
        let (pl, pu) = bounds(&permuted);
        prop_assert!(close(&pl, &pick(&bl), tol) && close(&pu, &pick(&bu), tol), "permutation {:?}", perm);

        // Mirror dimension d: x_d → −x_d, so [a_d, b_d] → [−b_d, −a_d].
        let d = mirror_dim % n;
        let flip = |lo: &[f64], hi: &[f64]| {
            let (mut l, mut h) = (lo.to_vec(), hi.to_vec());
            l[d] = -hi[d];
            h[d] = -lo[d];
            (l, h)
        };
        let (ml, mu) = flip(&dl, &du);
        let mut minit = init.clone();
        minit[d] = -init[d];
        let mirrored = find_region(
            &OracleFn::new(f.mirrored(d)), method, &Region::new(ml, mu).unwrap(), &minit, &hyper, Goal::Robust,
        ).unwrap();
        let (el, eu) = flip(&bl, &bu);
        let (gl, gu) = bounds(&mirrored);
        prop_assert!(close(&gl, &el, tol) && close(&gu, &eu, tol), "mirror {}: {:?} {:?} vs {:?} {:?}", d, gl, gu, el, eu);
    }
}

#[test]
fn adversarial_mode_is_the_method_on_one_minus_f() {
    let f = Oracle::trap(
        0.95,
        &[10.0, 10.0],
        &[80.0, 60.0],
        0.9,
        &[30.0, 20.0],
        &[50.0, 40.0],
        1.0,
    );
    let one_minus_f = Oracle::sum("1 − f", &[Oracle::constant(2, 1.0), f.scaled(-1.0)]);
    let domain = Region::new(vec![0.0, 0.0], vec![100.0, 100.0]).unwrap();
    let hyper = HyperParams {
        iterations: 200,
        ..HyperParams::default()
    };
    for method in Method::ALL {
        let adv = find_region(
            &OracleFn::new(f.clone()),
            method,
            &domain,
            &[40.0, 30.0],
            &hyper,
            Goal::Adversarial,
        )
        .unwrap();
        let direct = find_region(
            &OracleFn::new(one_minus_f.clone()),
            method,
            &domain,
            &[40.0, 30.0],
            &hyper,
            Goal::Robust,
        )
        .unwrap();
        // 1 − f and the oracle of 1 − f associate their sums differently: equal to rounding.
        assert_eq!(adv.iterations, direct.iterations, "{method}");
        assert_eq!(adv.stop, direct.stop, "{method}");
        let near = |a: f64, b: f64| relative_eq!(a, b, epsilon = 1e-9, max_relative = 1e-9);
        for (x, y) in adv.trace.iter().zip(&direct.trace) {
            assert!(
                x.lower.iter().zip(&y.lower).all(|(a, b)| near(*a, *b)),
                "{method}"
            );
            assert!(
                x.upper.iter().zip(&y.upper).all(|(a, b)| near(*a, *b)),
                "{method}"
            );
            // Losses near an equilibrium are differences of nearly equal terms: compare
            // against the size of the terms (the box's volume).
            let v: f64 = x.lower.iter().zip(&x.upper).map(|(l, u)| u - l).product();
            match (x.loss, y.loss) {
                (Some(a), Some(b)) => {
                    assert!(
                        abs_diff_eq!(a, b, epsilon = 1e-9 * (1.0 + v)),
                        "{method}: {a} vs {b}"
                    )
                }
                (a, b) => assert_eq!(a, b, "{method}"),
            }
        }
        // The hole is where the network fails: the adversarial region grows inside it.
        assert!(adv.region.volume() > 10.0, "{method}: {:?}", adv.region);
    }
}

#[test]
fn oir_w_loss_is_undefined_not_nan_when_f_vanishes() {
    let domain = Region::new(vec![0.0, 0.0], vec![10.0, 10.0]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, 0.0));
    let run = find_region(
        &f,
        Method::OirW,
        &domain,
        &[5.0, 5.0],
        &HyperParams::default(),
        Goal::Robust,
    )
    .unwrap();
    assert!(run.trace.iter().all(|s| s.loss.is_none()));
    assert_eq!(
        run.stop,
        StopReason::Converged,
        "f = 0 everywhere: nothing moves"
    );
    assert_eq!(run.iterations, 1);
    let json = serde_json::to_value(&run).unwrap();
    assert_eq!(json["trace"][0]["loss"], serde_json::Value::Null);
    assert_eq!(json["stop"], "converged");
}

#[test]
fn a_start_on_the_domain_boundary_begins_one_sided() {
    let domain = Region::new(vec![0.0], vec![360.0]).unwrap();
    let f = OracleFn::new(Oracle::constant(1, 1.0));
    let hyper = HyperParams {
        iterations: 1,
        ..HyperParams::default()
    };
    let run = find_region(&f, Method::Naive, &domain, &[0.0], &hyper, Goal::Robust).unwrap();
    assert_eq!(run.trace[0].lower, vec![0.0]);
    let side = run.trace[0].upper[0] - run.trace[0].lower[0];
    assert!((1e-5..1.1e-5).contains(&side), "side {side}");
    let run = find_region(&f, Method::Naive, &domain, &[360.0], &hyper, Goal::Robust).unwrap();
    assert_eq!(run.trace[0].upper, vec![360.0]);
    // 360 − (360 − 1e-5) is below 1e-5 in f64: the lower bound steps down by ulps until the
    // side is ε, and no further.
    let hi = std::hint::black_box(360.0_f64);
    assert!(hi - (hi - 1e-5) < 1e-5);
    let lower = run.trace[0].lower[0];
    assert!(360.0 - lower >= 1e-5, "side {}", 360.0 - lower);
    assert!(
        360.0 - lower.next_up() < 1e-5,
        "the smallest such box: {lower}"
    );
}

#[test]
fn a_domain_side_of_exactly_epsilon_and_a_step_of_exactly_the_point_limit_are_accepted() {
    // A side equal to ε is the smallest box the domain can hold: allowed.
    let domain = Region::new(vec![0.0, 0.0], vec![1.0, 1e-5]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, 0.5));
    let hyper = HyperParams {
        iterations: 3,
        ..HyperParams::default()
    };
    let run = find_region(&f, Method::OirB, &domain, &[0.5, 0.0], &hyper, Goal::Robust).unwrap();
    assert_eq!((run.region.lower()[1], run.region.upper()[1]), (0.0, 1e-5));
    // OIR_B in 20-D evaluates 2 · 2²⁰ = 2²¹ points per step: exactly the limit, accepted
    // (nothing is evaluated to check it).
    let domain20 = Region::new(vec![0.0; 20], vec![1.0; 20]).unwrap();
    let f20 = OracleFn::new(Oracle::constant(20, 0.5));
    assert_eq!(2 * boundary_point_count(20, 2), MAX_POINTS_PER_STEP);
    RunState::new(
        &f20,
        Method::OirB,
        &domain20,
        &[0.5; 20],
        &HyperParams::default(),
        Goal::Robust,
    )
    .unwrap();
    assert_eq!(f20.counts().0, 0);
}

#[test]
fn an_overflowing_step_stops_the_run_instead_of_producing_infinity() {
    // Faces of a 3-D box with sides 2e200 have measure 4e400 = ∞ in f64. (λ = 0: with λ = 0.1
    // the regulariser λr = 2e-6 beats the face measure r² = 4e-10 of the 3-D start box and
    // the box would shrink instead.)
    let domain = Region::new(vec![-1e200; 3], vec![1e200; 3]).unwrap();
    let f = OracleFn::new(Oracle::constant(3, 1.0));
    let hyper = HyperParams {
        eta: 1e300,
        lambda: 0.0,
        ..HyperParams::default()
    };
    let run = find_region(&f, Method::Naive, &domain, &[0.0; 3], &hyper, Goal::Robust).unwrap();
    assert_eq!(run.stop, StopReason::NonFiniteStep);
    assert_eq!(
        run.region, domain,
        "the first step fills the domain, the second overflows"
    );
    assert_eq!(run.iterations, 2);
    assert!(run.trace.iter().all(|s| s.loss.is_none_or(f64::is_finite)));
}

#[test]
fn usage_errors_are_typed_and_name_the_value() {
    let domain = Region::new(vec![0.0, 0.0], vec![10.0, 10.0]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, 0.5));
    let black = OracleFn::black_box(Oracle::constant(2, 0.5));
    let h = HyperParams::default();
    let err = |r: Result<RegionRun, RegionError>| r.unwrap_err().to_string();
    assert_eq!(
        err(find_region(
            &black,
            Method::OirW,
            &domain,
            &[1.0, 1.0],
            &h,
            Goal::Robust
        )),
        "oir-w needs gradients of f and this function provides none (use naive or oir-b)"
    );
    assert!(find_region(&black, Method::OirB, &domain, &[1.0, 1.0], &h, Goal::Robust).is_ok());
    assert_eq!(
        err(find_region(
            &f,
            Method::OirW,
            &domain,
            &[1.0, 1.0],
            &HyperParams { beta: 0.7, ..h },
            Goal::Robust
        )),
        "beta = 0.7 must satisfy 0 ≤ β < 2/(2n−1) = 0.667 for n = 2"
    );
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain,
            &[1.0, 11.0],
            &h,
            Goal::Robust
        )),
        "init[1] = 11 is outside the domain [0, 10]"
    );
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain,
            &[1.0, f64::NAN],
            &h,
            Goal::Robust
        )),
        "init[1] = NaN is outside the domain [0, 10]"
    );
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain,
            &[1.0],
            &h,
            Goal::Robust
        )),
        "init has 1 coordinates, expected 2"
    );
    let domain3 = Region::new(vec![0.0; 3], vec![1.0; 3]).unwrap();
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain3,
            &[0.5; 3],
            &h,
            Goal::Robust
        )),
        "the function has 2 coordinates, expected 3"
    );
    assert_eq!(
        err(find_region(&f, Method::OirW, &domain, &[1.0, 1.0], &HyperParams { face_points: 3, ..h }, Goal::Robust)),
        "face_points = 3 is not supported by oir-w: its derivation is tied to the 2ⁿ corners (use face_points = 2)"
    );
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain,
            &[1.0, 1.0],
            &HyperParams { epsilon: 20.0, ..h },
            Goal::Robust
        )),
        "domain side 0 is 10, shorter than the minimum side epsilon = 20"
    );
    assert_eq!(
        err(find_region(
            &f,
            Method::Naive,
            &domain,
            &[1.0, 1.0],
            &HyperParams { eta: -1.0, ..h },
            Goal::Robust
        )),
        "eta = -1 must satisfy 0 < η < ∞"
    );
    let many = HyperParams {
        face_points: 1000,
        ..h
    };
    let f3 = OracleFn::new(Oracle::constant(3, 0.5));
    let points = 2 * (1000usize.pow(3) - 998usize.pow(3));
    assert_eq!(
        err(find_region(&f3, Method::OirB, &domain3, &[0.5; 3], &many, Goal::Robust)),
        format!("face_points = 1000 in n = 3 dimensions needs {points} points per step, more than the limit of 2097152")
    );
    assert_eq!(f3.counts().0, 0, "refused before any evaluation");
}

#[test]
fn a_non_finite_value_from_f_is_an_error_naming_the_point() {
    // 1e300 · (1e300 x) overflows to +∞ at x ≥ 1.
    let f = OracleFn::new(Oracle::multilinear(1e300, &[(0.0, 1e300)]));
    let domain = Region::new(vec![0.0], vec![10.0]).unwrap();
    let err = find_region(
        &f,
        Method::Naive,
        &domain,
        &[5.0],
        &HyperParams::default(),
        Goal::Robust,
    )
    .unwrap_err();
    assert!(
        matches!(err, RegionError::Evaluation(EvalError::NonFinite { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("the function returned a non-finite value inf at point [4.99999"),
        "{err}"
    );
}

/// A function with gradients whose gradient rows come back broken: one entry not a number,
/// or the whole matrix of the wrong shape.
struct BrokenGradients {
    inner: OracleFn,
    /// `Some((row, column))`: that entry is NaN; `None`: one column too few.
    nan_at: Option<(usize, usize)>,
    asked: std::sync::Mutex<Vec<DMatrix<f64>>>,
}

impl SemanticFunction for BrokenGradients {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn provides_gradients(&self) -> bool {
        true
    }
    fn evaluate(&self, p: &DMatrix<f64>, g: usize) -> Result<Evaluation, EvalError> {
        self.asked.lock().unwrap().push(p.clone());
        let mut e = self.inner.evaluate(p, g)?;
        if let Some(grad) = e.gradients.as_mut() {
            match self.nan_at {
                Some(at) => grad[at] = f64::NAN,
                None => *grad = grad.columns(0, grad.ncols() - 1).into_owned(),
            }
        }
        Ok(e)
    }
}

#[test]
fn a_broken_gradient_is_an_error_naming_its_point_or_its_shape() {
    let domain = Region::new(vec![0.0; 2], vec![100.0; 2]).unwrap();
    let broken = |nan_at| BrokenGradients {
        inner: OracleFn::new(Oracle::gaussian_bump(0.9, &[50.0, 50.0], &[30.0, 30.0])),
        nan_at,
        asked: Default::default(),
    };
    // OIR_W asks ∇f at the 4 inner corners. The NaN at row 2, column 1 (entry 6 in
    // column-major order) belongs to corner 2: the error names that corner.
    let f = broken(Some((2, 1)));
    let run = |f: &BrokenGradients| {
        find_region(
            f,
            Method::OirW,
            &domain,
            &[40.0, 60.0],
            &HyperParams::default(),
            Goal::Robust,
        )
        .unwrap_err()
    };
    match run(&f) {
        RegionError::Evaluation(EvalError::NonFinite { value, point }) => {
            assert!(value.is_nan());
            let asked = f.asked.lock().unwrap();
            let corner: Vec<f64> = asked[0].row(2).iter().copied().collect();
            assert_eq!(point, corner);
            assert_ne!(point, asked[0].row(1).iter().copied().collect::<Vec<_>>());
        }
        other => panic!("{other}"),
    }
    let err = run(&broken(None));
    assert!(matches!(err, RegionError::BadBatch(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "the function returned 8 values and a 4 × 1 gradient matrix for a batch of 8 points \
         (expected 8 values and a 4 × 2 gradient matrix)"
    );
}

#[test]
fn a_run_in_ask_tell_form_counts_its_steps_and_stops_at_its_budget() {
    let f = OracleFn::new(Oracle::gaussian_bump(0.9, &[50.0, 50.0], &[30.0, 30.0]));
    let domain = Region::new(vec![0.0; 2], vec![100.0; 2]).unwrap();
    let hyper = HyperParams {
        iterations: 3,
        tolerance: 0.0,
        ..HyperParams::default()
    };
    let mut run = RunState::new(
        &f,
        Method::OirB,
        &domain,
        &[40.0, 60.0],
        &hyper,
        Goal::Robust,
    )
    .unwrap();
    assert_eq!((run.iterations(), run.stop()), (0, None));
    for k in 1..=3 {
        let points = run.ask().expect("still running").points.clone();
        let e = f.evaluate(&points, 0).unwrap();
        let step = run.tell(e).unwrap();
        assert_eq!((step.iteration, run.iterations()), (k, k));
        assert_eq!(step.stop.is_some(), k == 3);
        let moved: Vec<f64> = run.region().lower().iter().copied().collect();
        assert_ne!(moved, step.trace.lower, "the box grew after step {k}");
    }
    assert!(run.ask().is_none());
    assert_eq!(run.stop(), Some(StopReason::MaxIterations));
}

#[test]
fn naive_collapses_in_3d_where_the_regulariser_outweighs_the_faces() {
    // Start box side 2ε = 2e-5: face measure r² = 4e-10 against λ r = 2e-6, so the box shrinks
    // to the minimum side and stays there: no region, named as such.
    let domain = Region::new(vec![0.0; 3], vec![10.0; 3]).unwrap();
    let f = OracleFn::new(Oracle::constant(3, 1.0));
    let run = find_region(
        &f,
        Method::Naive,
        &domain,
        &[5.0; 3],
        &HyperParams::default(),
        Goal::Robust,
    )
    .unwrap();
    assert_eq!(run.stop, StopReason::Collapsed);
    assert!(
        run.region
            .sides()
            .iter()
            .all(|&r| (1e-5..1.5e-5).contains(&r)),
        "{:?}",
        run.region
    );
    assert_eq!(serde_json::to_value(run.stop).unwrap(), "collapsed");
    // A box at rest that never shrank is converged, not collapsed.
    let zero = OracleFn::new(Oracle::constant(3, 0.0));
    let h = HyperParams {
        lambda: 0.0,
        ..HyperParams::default()
    };
    let run = find_region(&zero, Method::Naive, &domain, &[5.0; 3], &h, Goal::Robust).unwrap();
    assert_eq!(run.stop, StopReason::Converged);
}

#[test]
fn a_box_flat_in_some_dimensions_is_partly_collapsed_not_converged() {
    // The domain is 1.2 ε thick in elevation, so the box's elevation side stays below 1.5 ε;
    // the azimuth side grows to its equilibrium c r₁ / λ = 10 r₁ and the run comes to rest.
    let eps = 1e-5;
    let domain = Region::new(vec![0.0, 0.0], vec![10.0, 1.2 * eps]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, 1.0));
    let hyper = HyperParams {
        iterations: 5000,
        ..HyperParams::default()
    };
    let run = find_region(
        &f,
        Method::Naive,
        &domain,
        &[5.0, 0.6 * eps],
        &hyper,
        Goal::Robust,
    )
    .unwrap();
    assert!(run.iterations < 5000, "at rest: {run:?}");
    let sides = run.region.sides();
    assert!(sides[1] < 1.5 * eps && sides[0] > 5.0 * eps, "{sides}");
    assert_eq!(run.stop, StopReason::PartlyCollapsed);
    assert_eq!(serde_json::to_value(run.stop).unwrap(), "partly_collapsed");
}

#[test]
fn a_collapsed_box_that_keeps_moving_is_collapsed_drifting() {
    // As in the 3-D collapse above, but f = 0.5 + 1000 (x₀ − 5) rises steeply along the first
    // axis: the collapsed box (every side ε) slides up the slope by η · ε² · 1000 ε / 2 = 5e-14
    // per step, more than the tolerance 1e-9 · ε = 1e-14, so it never comes to rest.
    let domain = Region::new(vec![0.0; 3], vec![10.0; 3]).unwrap();
    let slope = [(0.5 - 5000.0, 1000.0), (1.0, 0.0), (1.0, 0.0)];
    let f = OracleFn::new(Oracle::multilinear(1.0, &slope));
    let hyper = HyperParams {
        iterations: 400,
        ..HyperParams::default()
    };
    let run = find_region(&f, Method::Naive, &domain, &[5.0; 3], &hyper, Goal::Robust).unwrap();
    assert_eq!(run.iterations, 400);
    assert!(
        run.region.sides().iter().all(|&r| r < 1.5e-5),
        "{:?}",
        run.region
    );
    let before = &run.trace[300];
    assert!(
        run.region.lower()[0] > before.lower[0],
        "it slides up the slope"
    );
    assert_eq!(run.stop, StopReason::CollapsedDrifting);
    assert_eq!(
        serde_json::to_value(run.stop).unwrap(),
        "collapsed_drifting"
    );
}

#[test]
fn beta_at_its_bound_is_refused_and_just_below_it_accepted() {
    // 2 − (2n−1)β must stay positive: β = 2/(2n−1) itself is out, in every dimension.
    for (n, bound) in [(1, 2.0), (2, 2.0 / 3.0), (3, 0.4), (4, 2.0 / 7.0)] {
        assert_eq!(HyperParams::beta_bound(n), bound);
        let domain = Region::new(vec![0.0; n], vec![10.0; n]).unwrap();
        let f = OracleFn::new(Oracle::constant(n, 0.5));
        let at = |beta: f64| {
            let h = HyperParams {
                beta,
                iterations: 3,
                ..HyperParams::default()
            };
            find_region(&f, Method::OirW, &domain, &vec![5.0; n], &h, Goal::Robust)
        };
        assert!(
            matches!(at(bound), Err(RegionError::Beta { .. })),
            "n = {n}"
        );
        assert!(at(bound * (1.0 - 1e-12)).is_ok(), "n = {n}");
    }
}
