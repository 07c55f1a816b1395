//! What the methods find on plateaus and traps, in 1-D and 2-D, with the paper's defaults
//! (SPEC §3): in 1-D OIR_B and OIR_W find the plateau from every start and stop at a hole's edge;
//! in 2-D the corner rule stalls and cannot see a hole between its corners, and 3 face points
//! per dimension remove the stall. The figures in the comments were measured with this code.

use crate::support::{example, iou, OracleFn};
use semrob::region::Goal;
use semrob::region::{find_region, HyperParams, Method, Region, RegionRun, StopReason};

fn run(
    f: &OracleFn,
    method: Method,
    domain: &Region,
    init: &[f64],
    hyper: &HyperParams,
) -> RegionRun {
    find_region(f, method, domain, init, hyper, Goal::Robust).unwrap()
}

fn spread(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    v.iter().copied().fold(f64::MIN, f64::max) - v.iter().copied().fold(f64::MAX, f64::min)
}

/// The smooth box of property 9: plateau [100, 200], logistic edges of rate 2 per unit, in the
/// domain [0, 360].
fn plateau_1d() -> (OracleFn, Region) {
    example("plateau-1d")
}

/// In 1-D, OIR_B and OIR_W converge to the same bounds from every start inside
/// the plateau (spread ≤ 1 % of the domain) and match the plateau with IoU ≥ 0.9.
/// Measured: OIR_B ≈ [96.6, 203.4], OIR_W ≈ [96.8, 203.1], IoU 0.935–0.941 after 3 000 steps.
#[test]
fn oir_methods_find_the_1d_plateau_from_every_start() {
    let (f, domain) = plateau_1d();
    let hyper = HyperParams {
        iterations: 3000,
        ..HyperParams::default()
    };
    let starts = [105.0, 120.0, 130.0, 150.0, 170.0, 180.0, 195.0];
    let mut finals = Vec::new();
    for method in [Method::OirB, Method::OirW] {
        for &s in &starts {
            let r = run(&f, method, &domain, &[s], &hyper);
            let (lo, hi) = (r.region.lower()[0], r.region.upper()[0]);
            let score = iou(&[lo], &[hi], &[100.0], &[200.0]);
            assert!(score >= 0.9, "{method} from {s}: [{lo}, {hi}] IoU {score}");
            // Converged: the last 100 steps moved each bound by less than 0.1 % of the domain.
            let before = &r.trace[r.trace.len() - 100];
            assert!(
                (before.lower[0] - lo).abs() < 0.36 && (before.upper[0] - hi).abs() < 0.36,
                "{method} from {s}: still moving"
            );
            finals.push((lo, hi));
        }
    }
    let (lower_spread, upper_spread) = (
        spread(finals.iter().map(|b| b.0)),
        spread(finals.iter().map(|b| b.1)),
    );
    assert!(
        lower_spread <= 3.6 && upper_spread <= 3.6,
        "spread {lower_spread}, {upper_spread} > 1 % of 360"
    );
}

/// Naive on the 1-D plateau: with λ = 0.1 on f ≈ 1 the width converges to c/λ = 10, wherever the start
/// leaves room for it inside the plateau.
#[test]
fn naive_finds_width_c_over_lambda_on_the_1d_plateau() {
    let (f, domain) = plateau_1d();
    for s in [120.0, 150.0, 180.0] {
        let r = run(&f, Method::Naive, &domain, &[s], &HyperParams::default());
        assert_eq!(r.stop, StopReason::Converged, "from {s}");
        let w = r.region.sides()[0];
        assert!((w - 10.0).abs() < 1e-3, "from {s}: width {w}");
        assert!(r.region.contains(&[s]));
    }
}

/// The 1-D trap: on the 1-D trap (plateau [100, 200], hole [140, 160]) a start beside the
/// hole grows a region on its own side that stops at the hole's edge and never reaches the
/// hole's core [145, 155]. Measured: OIR_B ≈ [96.5, 143.5] / [156.5, 203.5] after 3 000 steps
/// (the usual ~3.5 overshoot past a sharp edge, where f ≈ 1e-3).
#[test]
fn a_start_beside_the_hole_gives_a_region_that_excludes_it() {
    let (f, domain) = example("trap-1d");
    let hyper = HyperParams {
        iterations: 3000,
        ..HyperParams::default()
    };
    for method in [Method::OirB, Method::OirW] {
        for s in [110.0, 120.0, 135.0, 165.0, 180.0, 190.0] {
            let r = run(&f, method, &domain, &[s], &hyper);
            let (lo, hi) = (r.region.lower()[0], r.region.upper()[0]);
            assert!(lo <= s && s <= hi);
            if s < 150.0 {
                assert!(hi < 145.0 && lo < 100.0, "{method} from {s}: [{lo}, {hi}]");
            } else {
                assert!(lo > 155.0 && hi > 200.0, "{method} from {s}: [{lo}, {hi}]");
            }
        }
    }
}

/// The 2-D plateau of property 10: 100 × 50 (azimuth [100, 200], elevation [20, 70]) in the
/// domain [0, 360] × [−10, 90].
fn plateau_2d() -> (OracleFn, Region) {
    example("plateau-2d")
}

const STARTS_2D: [[f64; 2]; 4] = [[130.0, 30.0], [150.0, 45.0], [190.0, 60.0], [110.0, 25.0]];

/// The 2-D stall (documents a limitation, it does not hide it): in 2-D the paper's corner rule
/// stalls. The elevation side reaches the plateau's edges first; from then on every corner
/// lies outside the plateau, scores ≈ 0, and growth stops in *both* dimensions, so the
/// azimuth side stays near 60 of the plateau's 100 and where it sits depends on the start.
/// Measured (800 steps): boxes of about 60 × 59, IoU 0.50–0.54 for every method.
#[test]
fn the_corner_rule_stalls_in_2d() {
    let (f, domain) = plateau_2d();
    let hyper = HyperParams::default();
    for method in Method::ALL {
        let mut azimuth_lowers = Vec::new();
        for s in STARTS_2D {
            let r = run(&f, method, &domain, &s, &hyper);
            let (lo, hi) = (r.region.lower(), r.region.upper());
            let score = iou(lo.as_slice(), hi.as_slice(), &[100.0, 20.0], &[200.0, 70.0]);
            let sides = r.region.sides();
            assert!(
                (0.4..0.6).contains(&score),
                "{method} from {s:?}: IoU {score}"
            );
            assert!(
                sides[0] < 65.0,
                "{method} from {s:?}: azimuth side {}",
                sides[0]
            );
            assert!(
                lo[1] <= 20.0 && hi[1] >= 70.0,
                "{method} from {s:?}: elevation reached the edges"
            );
            // Every corner scores ≈ 0 for OIR (naive stops a little earlier, where the corners'
            // score balances its regulariser: f · face = λ r, f ≈ 0.1 here) ...
            let corner_max = if method == Method::Naive { 0.15 } else { 1e-3 };
            let corners = r.region.corners();
            for j in 0..4 {
                let c = [corners[(j, 0)], corners[(j, 1)]];
                let v = f.oracle().value(&c);
                assert!(
                    v < corner_max,
                    "{method} from {s:?}: f = {v} at corner {c:?}"
                );
            }
            // ... and the azimuth side stops growing: the run converged, or the side grew by
            // less than 1 over the last 300 of 800 steps (measured: +0.52 for OIR_B, +0.49 for
            // OIR_W; naive converges or creeps sideways at constant size).
            if r.stop != StopReason::Converged {
                let before = &r.trace[r.trace.len() - 300];
                let growth = sides[0] - (before.upper[0] - before.lower[0]);
                assert!(
                    growth < 1.0,
                    "{method} from {s:?}: still growing by {growth}"
                );
            }
            azimuth_lowers.push(lo[0]);
        }
        // The result depends on the start.
        assert!(spread(azimuth_lowers.into_iter()) > 20.0, "{method}");
    }
}

/// The 2-D stall is not a matter of budget: 25 times the paper's 800 steps leave the
/// OIR_B azimuth side near 60 (measured: 59.6 after 800 steps, 62.7 after 20 000).
#[test]
fn the_2d_stall_survives_a_long_budget() {
    let (f, domain) = plateau_2d();
    let hyper = HyperParams {
        iterations: 20_000,
        ..HyperParams::default()
    };
    let r = run(&f, Method::OirB, &domain, &[130.0, 30.0], &hyper);
    assert_eq!(r.stop, StopReason::MaxIterations);
    let side = r.region.sides()[0];
    assert!((60.0..65.0).contains(&side), "azimuth side {side}");
}

/// The corner rule's blind spot: a hole between the corners is invisible. On the
/// 2-D trap (hole [140, 160] × [35, 55]) the stalled region contains the hole entirely.
#[test]
fn the_corner_rule_cannot_see_a_hole_between_its_corners() {
    let (f, domain) = example("trap-2d");
    for method in [Method::OirB, Method::OirW] {
        let r = run(&f, method, &domain, &[120.0, 30.0], &HyperParams::default());
        assert!(
            r.region.contains(&[140.0, 35.0]) && r.region.contains(&[150.0, 55.0]),
            "{method}: {:?}",
            r.region
        );
    }
}

/// Beyond the paper: with 3 face points per dimension the faces see the plateau between the
/// corners, so 2-D OIR_B recovers the full azimuth extent from every start and the starts agree.
/// What remains is an overshoot of about 5 units in elevation, where the faces score ≈ 0 and
/// nothing pulls the bound back. Measured: ≈ [95.4, 204.6] × [14.4–15.2, 74.8–75.6], IoU 0.75–0.77.
#[test]
fn three_face_points_remove_the_stall_in_the_other_dimension() {
    let (f, domain) = plateau_2d();
    let hyper = HyperParams {
        face_points: 3,
        ..HyperParams::default()
    };
    let mut finals = Vec::new();
    for s in STARTS_2D {
        let r = run(&f, Method::OirB, &domain, &s, &hyper);
        let (lo, hi) = (r.region.lower(), r.region.upper());
        let score = iou(lo.as_slice(), hi.as_slice(), &[100.0, 20.0], &[200.0, 70.0]);
        assert!(score >= 0.7, "from {s:?}: IoU {score}");
        assert!(
            lo[0] <= 100.0 && hi[0] >= 200.0,
            "from {s:?}: the full azimuth extent"
        );
        assert!(
            lo[1] < 17.0 && hi[1] > 73.0,
            "from {s:?}: the documented elevation overshoot"
        );
        finals.push((lo.clone(), hi.clone()));
    }
    for i in 0..2 {
        assert!(
            spread(finals.iter().map(|b| b.0[i])) <= 3.6,
            "starts agree (lower {i})"
        );
        assert!(
            spread(finals.iter().map(|b| b.1[i])) <= 3.6,
            "starts agree (upper {i})"
        );
    }
}
