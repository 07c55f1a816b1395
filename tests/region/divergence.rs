//! Whole runs in n dimensions (SPEC §3): without the regulariser the bounds diverge, at a rate
//! that has a closed form on a constant; with it and the paper's defaults the box stays in the
//! domain; and OIR_W at β = 0 is naive at λ = 0 for a whole run, not only for one direction.

use crate::support::OracleFn;
use approx::relative_eq;
use proptest::prelude::*;
use semrob::region::Goal;
use semrob::region::{find_region, HyperParams, Method, Region, RegionRun, StopReason};
use semrob_oracles::Oracle;

/// Every box of a run in order: the boxes evaluated (the trace), then the final one.
fn boxes(run: &RegionRun) -> Vec<(Vec<f64>, Vec<f64>)> {
    run.trace
        .iter()
        .map(|s| (s.lower.clone(), s.upper.clone()))
        .chain(std::iter::once((
            run.region.lower().iter().copied().collect(),
            run.region.upper().iter().copied().collect(),
        )))
        .collect()
}

/// `Π_{i≠k} r_i`: the measure of the faces `a_k` and `b_k`.
fn face(lower: &[f64], upper: &[f64], k: usize) -> f64 {
    (0..lower.len())
        .filter(|&i| i != k)
        .map(|i| upper[i] - lower[i])
        .product()
}

/// `f ≥ m` everywhere: a floor `m` plus a bump or a trap (in `[0, 1 − m]`) on top of it.
fn floored(kind: usize, n: usize, m: f64, p: &[f64]) -> Oracle {
    let top = if kind == 0 {
        Oracle::gaussian_bump(
            1.0 - m,
            &(0..n).map(|i| 60.0 * (p[i] - 0.5)).collect::<Vec<_>>(),
            &vec![5.0 + 20.0 * p[3]; n],
        )
    } else {
        Oracle::trap(
            1.0 - m,
            &vec![-30.0; n],
            &vec![30.0; n],
            1.0 - m,
            &vec![-5.0; n],
            &vec![5.0; n],
            0.5 + p[3],
        )
    };
    Oracle::sum("floor-plus", &[Oracle::constant(n, m), top])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Naive with λ = 0 on f ≥ m > 0, n = 2 and 3: in every step every bound that the domain
    /// has not stopped moves outwards by at least `η m |face|`, `|face| = Π_{i≠k} r_i` of the
    /// box before the step (its face integral is at least `m |face|`), until the domain stops it.
    #[test]
    fn without_regulariser_every_bound_moves_out_by_eta_m_face(
        n in 2usize..=3, kind in 0usize..2, m in 0.05f64..1.0, log_eta in -2f64..0.0,
        log_eps in -2f64..-0.3, start in prop::collection::vec(-40f64..40.0, 3),
        p in prop::collection::vec(0f64..1.0, 4),
    ) {
        let eta = 10f64.powf(log_eta);
        let hyper = HyperParams {
            eta,
            lambda: 0.0,
            epsilon: 10f64.powf(log_eps),
            iterations: 300,
            ..HyperParams::default()
        };
        let (lo, hi) = (-100.0, 100.0);
        let domain = Region::new(vec![lo; n], vec![hi; n]).unwrap();
        let f = OracleFn::new(floored(kind, n, m, &p));
        let run = find_region(&f, Method::Naive, &domain, &start[..n], &hyper, Goal::Robust).unwrap();
        let boxes = boxes(&run);
        let mut checked = 0;
        for (step, pair) in boxes.windows(2).enumerate() {
            let ((a, b), (a2, b2)) = (&pair[0], &pair[1]);
            for k in 0..n {
                let least = eta * m * face(a, b, k);
                // Rounding of `a − η ∇` at |a| ≤ 100: a few ulps of 100.
                let slack = 1e-13;
                if a2[k] > lo {
                    prop_assert!(a[k] - a2[k] >= least - slack,
                        "step {}: a[{}] {} → {} (at least {})", step, k, a[k], a2[k], least);
                    checked += 1;
                }
                if b2[k] < hi {
                    prop_assert!(b2[k] - b[k] >= least - slack,
                        "step {}: b[{}] {} → {} (at least {})", step, k, b[k], b2[k], least);
                    checked += 1;
                }
            }
        }
        prop_assert!(checked >= 2 * n, "at least one free step");
        // In 2-D the smaller side grows at least by the factor 1 + 2ηm per step (each side gains
        // 2ηm times the other): where that fills the domain within the budget, the run ends
        // on the whole domain, at rest.
        if n == 2 && 2.0 * hyper.epsilon * (1.0 + 2.0 * eta * m).powi(300) >= 2.0 * (hi - lo) {
            prop_assert_eq!(&run.region, &domain);
            prop_assert_eq!(run.stop, StopReason::Converged);
        }
    }
}

/// On a constant `c` in 2-D from the square start box `[u₀ − ε, u₀ + ε]`, every method moves
/// each bound by `η c κ r` (`r` the other side) and the regulariser pulls it back by `η λ r`,
/// so the sides stay equal and grow by the factor `ρ = 1 + 2η (c κ − λ)` per step:
/// `r_t = 2ε ρᵗ` until the domain stops them, and the centre stays at `u₀`. κ = 1 for naive,
/// `2 − (1+α)²` for OIR_B (its outer box weighs `(1+α)²` against the inner box's 2),
/// `1 − 2β` for OIR_W (`(2 − 3β − β) / 2` from SPEC §3's `M_D^c` with `∇f = 0`).
#[test]
fn on_a_2d_constant_the_sides_grow_geometrically_at_the_closed_form_rate() {
    let c = 0.8;
    let u0 = [130.0, 30.0];
    let domain = Region::new(vec![-1e7, -1e7], vec![1e7, 1e7]).unwrap();
    let f = OracleFn::new(Oracle::constant(2, c));
    let d = HyperParams::default();
    for (method, lambda, kappa) in [
        (Method::Naive, 0.0, 1.0),
        (Method::Naive, 0.1, 1.0),
        (Method::OirB, 0.0, 2.0 - (1.0 + d.alpha).powi(2)),
        (Method::OirW, 0.0, 1.0 - 2.0 * d.beta),
    ] {
        let hyper = HyperParams {
            lambda,
            iterations: 300,
            ..d
        };
        let rho = 1.0 + 2.0 * d.eta * (c * kappa - lambda);
        let run = find_region(&f, method, &domain, &u0, &hyper, Goal::Robust).unwrap();
        let mut free = 0;
        for (t, (a, b)) in boxes(&run).iter().enumerate() {
            if a[0] <= -1e7 || b[0] >= 1e7 {
                break;
            }
            let expected = 2.0 * d.epsilon * rho.powi(t as i32);
            for k in 0..2 {
                let side = b[k] - a[k];
                // The start box's bounds are u₀ ± ε rounded at |u₀|: its sides are 2ε to a few
                // ulps of u₀, a relative error that every step carries along (the growth is
                // linear in the sides).
                let ulps = 1e-15 * (u0[k].abs() + side);
                let start_rounding = 4.0 * f64::EPSILON * u0[k].abs() / (2.0 * d.epsilon);
                assert!(
                    relative_eq!(
                        side,
                        expected,
                        epsilon = ulps,
                        max_relative = 1e-13 + start_rounding
                    ),
                    "{method} λ = {lambda}, step {t}: side {k} {side} vs 2ε ρᵗ = {expected}"
                );
                let mid = 0.5 * (a[k] + b[k]);
                assert!(
                    relative_eq!(mid, u0[k], epsilon = ulps, max_relative = 0.0),
                    "{method}, step {t}: centre {mid}"
                );
            }
            free += 1;
        }
        // ρ ≈ 1.14 to 1.16: from 2e-5 to 2e7 takes 170 to 190 steps.
        assert!((150..250).contains(&free), "{method}: {free} free steps");
        assert_eq!(run.region, domain, "{method}");
    }
}

/// The paper's domain and starts, in 2-D and (with a third dimension [0, 100]) in 3-D.
fn paper_problems() -> Vec<(Oracle, Region, Vec<Vec<f64>>)> {
    let starts_2d = [[130.0, 30.0], [50.0, 20.0], [200.0, 15.0], [310.0, 50.0]];
    let mut out = Vec::new();
    for e in semrob_oracles::examples()
        .into_iter()
        .filter(|e| e.oracle.dim() == 2)
    {
        let domain = Region::new(e.domain_lower.clone(), e.domain_upper.clone()).unwrap();
        out.push((
            e.oracle.clone(),
            domain,
            starts_2d.iter().map(|s| s.to_vec()).collect(),
        ));
    }
    let domain_3d = Region::new(vec![0.0, -10.0, 0.0], vec![360.0, 90.0, 100.0]).unwrap();
    let starts_3d: Vec<Vec<f64>> = starts_2d.iter().map(|s| vec![s[0], s[1], 50.0]).collect();
    for oracle in [
        Oracle::constant(3, 0.8),
        Oracle::smooth_box(1.0, &[100.0, 20.0, 30.0], &[200.0, 70.0, 80.0], 2.0),
        Oracle::gaussian_bump(0.9, &[180.0, 40.0, 50.0], &[40.0, 20.0, 30.0]),
    ] {
        out.push((oracle, domain_3d.clone(), starts_3d.clone()));
    }
    out
}

/// With λ > 0 (and every method) at the paper's defaults: every box of every run lies in the
/// domain with finite bounds and sides ≥ ε, and no step is non-finite. (The paper's code fails
/// both: its clipping has no effect, SPEC §3 defect 1.) On the constants the methods grow
/// without bound (`c > λ`), so the domain is what stops them.
#[test]
fn with_the_paper_defaults_no_bound_leaves_the_domain_and_no_step_is_non_finite() {
    let hyper = HyperParams::default();
    assert!(hyper.lambda > 0.0);
    let mut reached_the_boundary = 0;
    for (oracle, domain, starts) in paper_problems() {
        let f = OracleFn::new(oracle);
        let (lo, hi) = (domain.lower(), domain.upper());
        for method in Method::ALL {
            for s in &starts {
                let run = find_region(&f, method, &domain, s, &hyper, Goal::Robust).unwrap();
                assert_ne!(run.stop, StopReason::NonFiniteStep, "{method} from {s:?}");
                for (a, b) in boxes(&run) {
                    for k in 0..domain.dim() {
                        assert!(a[k].is_finite() && b[k].is_finite());
                        assert!(
                            lo[k] <= a[k] && b[k] <= hi[k],
                            "{method} from {s:?} on {}: [{}, {}] leaves the domain",
                            f.oracle(),
                            a[k],
                            b[k]
                        );
                        assert!(b[k] - a[k] >= hyper.epsilon);
                    }
                }
                assert!(run.trace.iter().all(|t| t.loss.is_none_or(f64::is_finite)));
                let (a, b) = (run.region.lower(), run.region.upper());
                if (0..domain.dim()).any(|k| a[k] == lo[k] || b[k] == hi[k]) {
                    reached_the_boundary += 1;
                }
            }
        }
    }
    // The domain did stop runs (the constants' at least): the check is not vacuous.
    assert!(reached_the_boundary >= 8, "{reached_the_boundary}");
}

/// A function from one of the oracle families, in `n` dimensions, from a seed vector, scaled
/// to vary inside the ±50 domain of the runs here (the driver tests' `any_oracle` spans
/// ±100 and includes the smooth box).
fn oracle_within_50(kind: usize, n: usize, p: &[f64]) -> Oracle {
    match kind {
        0 => Oracle::constant(n, p[0]),
        1 => Oracle::multilinear(
            1.0,
            &(0..n)
                .map(|i| (0.5, 0.02 * (p[i] - 0.5)))
                .collect::<Vec<_>>(),
        ),
        2 => Oracle::gaussian_bump(
            p[0],
            &(0..n).map(|i| 40.0 * (p[i] - 0.5)).collect::<Vec<_>>(),
            &vec![5.0 + 20.0 * p[1]; n],
        ),
        _ => Oracle::trap(
            1.0,
            &vec![-30.0; n],
            &vec![30.0; n],
            p[0],
            &vec![-5.0; n],
            &vec![5.0; n],
            0.5 + p[1],
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// OIR_W at β = 0 and naive at λ = 0, from the same start on the same function, are the same
    /// run: the same box at every step (bit for bit), the same number of steps, the same stop.
    #[test]
    fn oir_w_at_zero_beta_and_naive_without_regulariser_are_the_same_run(
        n in 1usize..=4, kind in 0usize..4, p in prop::collection::vec(0f64..1.0, 4),
        log_eta in -2f64..1.0, log_eps in -5f64..-0.5, iterations in 1usize..120,
        tolerance in prop_oneof![Just(0.0), Just(1e-9), 0f64..1e-3],
        start in prop::collection::vec(-50f64..50.0, 4), adversarial in any::<bool>(),
    ) {
        let hyper = HyperParams {
            eta: 10f64.powf(log_eta),
            lambda: 0.0,
            beta: 0.0,
            epsilon: 10f64.powf(log_eps),
            iterations,
            tolerance,
            ..HyperParams::default()
        };
        let domain = Region::new(vec![-50.0; n], vec![50.0; n]).unwrap();
        let f = OracleFn::new(oracle_within_50(kind, n, &p));
        let w = find_region(&f, Method::OirW, &domain, &start[..n], &hyper, Goal::from_adversarial(adversarial)).unwrap();
        let naive = find_region(&f, Method::Naive, &domain, &start[..n], &hyper, Goal::from_adversarial(adversarial)).unwrap();
        prop_assert_eq!(w.iterations, naive.iterations);
        prop_assert_eq!(w.stop, naive.stop);
        prop_assert_eq!(boxes(&w), boxes(&naive));
    }
}
