//! The rest rule (issue 33; SPEC §3, "Rest rule") on functions whose runs are known: a run
//! ends once, over its last W steps, every bound's range is at most `rest_tolerance` times its
//! axis's length in Ω and every side's range at most `rest_tolerance` times that side, or at
//! the cap. A run on a plateau rests long before the cap; a box still
//! growing geometrically never rests and reports the cap; rest is seen at most W steps after
//! the box stops moving; the box at 80 % of the cap is the run's result with that budget.
//! With the rule off runs are the fixed budget's bit for bit (`asktell.rs`, against the
//! frozen driver, and the goldens of `golden.rs`).

use crate::support::OracleFn;
use nalgebra::{DMatrix, DVector};
use semrob::analysis::region_runs::{join_refined, refine_search, run_all};
use semrob::region::{
    find_region, Goal, HyperParams, Method, Region, RegionRun, RegionSearch, StopReason,
};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;

fn with_rest(hyper: HyperParams, window: usize, tolerance: f64) -> HyperParams {
    HyperParams {
        rest_window: Some(window),
        rest_tolerance: Some(tolerance),
        ..hyper
    }
}

/// The box after each step of a run, `[k]` after step k: the start box (step 0), then each
/// box evaluated at the next step, then the final box.
fn boxes_after_steps(run: &RegionRun) -> Vec<Region> {
    run.trace
        .iter()
        .map(|t| Region::new(t.lower.clone(), t.upper.clone()).unwrap())
        .chain([run.region.clone()])
        .collect()
}

fn start_box(run: &RegionRun) -> Region {
    Region::new(run.trace[0].lower.clone(), run.trace[0].upper.clone()).unwrap()
}

fn range(v: impl Iterator<Item = f64> + Clone) -> f64 {
    v.clone().fold(f64::NEG_INFINITY, f64::max) - v.fold(f64::INFINITY, f64::min)
}

/// Whether, over `boxes`, every bound's range is at most `tolerance × axis` and every side's
/// range at most `tolerance` times its smallest value: the rest rule, written out here.
fn still(boxes: &[Region], axis: f64, tolerance: f64) -> bool {
    (0..boxes[0].dim()).all(|i| {
        let side = boxes.iter().map(move |b| b.sides()[i]);
        range(boxes.iter().map(|b| b.lower()[i])) <= tolerance * axis
            && range(boxes.iter().map(|b| b.upper()[i])) <= tolerance * axis
            && range(side.clone()) <= tolerance * side.fold(f64::INFINITY, f64::min)
    })
}

/// The 1-D plateau of the goldens (height 1 on [100, 200], logistic edges of slope 2).
fn plateau_1d() -> (OracleFn, Region) {
    let f = OracleFn::new(Oracle::smooth_box(1.0, &[100.0], &[200.0], 2.0));
    (f, Region::new(vec![0.0], vec![360.0]).unwrap())
}

#[test]
fn a_run_on_a_plateau_comes_to_rest_well_before_the_cap() {
    let (f, domain) = plateau_1d();
    let cap = 3000;
    let fixed = HyperParams {
        iterations: cap,
        ..HyperParams::default()
    };
    // A window of 20 steps, a tolerance of 1e-3: of the 360° axis (0.36°) for each bound, of
    // the side (about 0.01° to 0.1°) for each side. Measured: naive rests after 308 steps (the
    // per-step rule stops it at 799), OIR_B after 864 and OIR_W after 840, within 1.4° of
    // where 3 000 steps take them (still moving then).
    let resting = with_rest(fixed, 20, 1e-3);
    for method in Method::ALL {
        let budget = find_region(&f, method, &domain, &[130.0], &fixed, Goal::Robust).unwrap();
        let run = find_region(&f, method, &domain, &[130.0], &resting, Goal::Robust).unwrap();
        assert_eq!(run.stop, StopReason::Rested, "{method}");
        assert!(!run.hit_cap, "{method}");
        assert!(
            run.iterations < cap / 2 && run.iterations < budget.iterations,
            "{method}: rested after {} steps, the fixed budget ran {}",
            run.iterations,
            budget.iterations
        );
        // The same steps up to the stop, and a box near the one the fixed budget ends with.
        assert_eq!(run.trace[..], budget.trace[..run.iterations], "{method}");
        for (got, want) in [
            (run.region.lower()[0], budget.region.lower()[0]),
            (run.region.upper()[0], budget.region.upper()[0]),
        ] {
            assert!((got - want).abs() < 1.5, "{method}: {got} against {want}");
        }
        // Ended before step ⌊0.8 × 3000⌋: the box at 80 % of the cap is the final box.
        assert_eq!(run.box_at_80, run.region, "{method}");
    }
}

#[test]
fn a_box_still_growing_geometrically_never_rests_and_reports_the_cap() {
    // Naive with λ = 0 on f ≡ 1 in 2-D: every bound moves out by η times the other side, so
    // each side grows by 1 + 2η = 1.2 a step, from 1 to 1.2⁴⁰ ≈ 1 470 in 40 steps, inside a
    // domain of 2 000 per axis. Its moves (0.1 at the first step) exceed 10⁻⁴ of the axis
    // (0.2) over every window of 10 steps.
    let f = OracleFn::new(Oracle::constant(2, 1.0));
    let domain = Region::new(vec![-1000.0; 2], vec![1000.0; 2]).unwrap();
    let fixed = HyperParams {
        lambda: 0.0,
        iterations: 40,
        start_half_width: Some(0.5),
        ..HyperParams::default()
    };
    let resting = with_rest(fixed, 10, 1e-4);
    let run = find_region(
        &f,
        Method::Naive,
        &domain,
        &[0.0, 0.0],
        &resting,
        Goal::Robust,
    )
    .unwrap();
    assert_eq!(run.stop, StopReason::MaxIterations);
    assert!(run.hit_cap);
    assert_eq!(run.iterations, 40);
    for side in run.region.sides().iter() {
        assert!((side / 1.2f64.powi(40) - 1.0).abs() < 1e-9, "side {side}");
    }
    // The rule never fired: the run is the fixed budget's, step for step.
    let budget = find_region(
        &f,
        Method::Naive,
        &domain,
        &[0.0, 0.0],
        &fixed,
        Goal::Robust,
    )
    .unwrap();
    assert_eq!(run, budget);
    // The box at 80 % of the cap is the box after step 32.
    assert_eq!(run.box_at_80, boxes_after_steps(&run)[32]);
    for side in run.box_at_80.sides().iter() {
        assert!((side / 1.2f64.powi(32) - 1.0).abs() < 1e-9, "side {side}");
    }
}

/// A 1-D function that is `1` where `plus(x)` holds and `−1` elsewhere: naive with λ = 0 moves
/// a bound out by η where `f = 1` and in by η where `f = −1`, so a run's steps are exact in
/// binary with η = 0.25.
struct Sign(fn(f64) -> bool);

impl SemanticFunction for Sign {
    fn dim(&self) -> usize {
        1
    }

    fn evaluate(&self, points: &DMatrix<f64>, _: usize) -> Result<Evaluation, EvalError> {
        let values = DVector::from_iterator(
            points.nrows(),
            points
                .column(0)
                .iter()
                .map(|&x| if (self.0)(x) { 1.0 } else { -1.0 }),
        );
        Ok(Evaluation {
            values,
            gradients: None,
        })
    }
}

/// `f = 1` on [4, 36] and −1 elsewhere, on the domain [4, 68]: from [4, 4.5] with η = 0.25
/// the lower bound stays on the domain's edge and the upper walks out to 36 in 126 steps,
/// then flips between 36.25 and 36 for ever: each step moves it by 0.25, so the per-step
/// rule never stops the run.
const FLIP: Sign = Sign(|x| (4.0..=36.0).contains(&x));

#[test]
fn rest_is_seen_at_most_a_window_after_the_box_stops_moving() {
    // The axis is 64 long and the tolerance 1/128: a bound may range over 0.5 and a side of 32
    // over 0.25, the flip's amplitude. Over a window of W ≥ 2 steps of the walk the upper bound
    // ranges over 0.25 W, within the bounds' allowance at W = 2, but the side grows by 0.25 W,
    // beyond its allowance (at most 0.25): only the side condition keeps the walk going there.
    let domain = Region::new(vec![4.0], vec![68.0]).unwrap();
    let (axis, tolerance) = (64.0, 1.0 / 128.0);
    let fixed = HyperParams {
        eta: 0.25,
        lambda: 0.0,
        iterations: 200,
        start_half_width: Some(0.25),
        ..HyperParams::default()
    };
    for window in [2, 3, 5, 8, 13] {
        let hyper = with_rest(fixed, window, tolerance);
        let run =
            find_region(&FLIP, Method::Naive, &domain, &[4.25], &hyper, Goal::Robust).unwrap();
        let boxes = boxes_after_steps(&run);
        assert_eq!(boxes[0], Region::new(vec![4.0], vec![4.5]).unwrap());
        // s: the first step from which the box stays within the tolerance.
        let s = (0..boxes.len())
            .find(|&k| still(&boxes[k..], axis, tolerance))
            .unwrap();
        assert_eq!(s, 126, "the walk reaches [4, 36] after 126 steps");
        assert_eq!(boxes[s], Region::new(vec![4.0], vec![36.0]).unwrap());
        assert_eq!(run.stop, StopReason::Rested, "W = {window}");
        assert!(!run.hit_cap);
        assert!(
            s <= run.iterations && run.iterations <= s + window,
            "W = {window}: stopped at step {}, the box was still from step {s}",
            run.iterations
        );
        // Here exactly at s + W: the box before step s lies outside the tolerance.
        assert_eq!(run.iterations, s + window, "W = {window}");
        // With the bounds' condition alone the walk would rest at W = 2 (its upper bound
        // ranges over 0.5 = 64/128 in two steps): the side condition is what refuses it.
        if window == 2 {
            let walk = &boxes[10..=12];
            assert!(range(walk.iter().map(|b| b.upper()[0])) <= tolerance * axis);
            assert!(!still(walk, axis, tolerance));
        }
    }
    // Without the rule the flip goes on to the cap.
    let run = find_region(&FLIP, Method::Naive, &domain, &[4.25], &fixed, Goal::Robust).unwrap();
    assert_eq!(
        (run.stop, run.hit_cap, run.iterations),
        (StopReason::MaxIterations, true, 200)
    );
    assert_eq!(run.box_at_80, boxes_after_steps(&run)[160]);
}

/// `f = −1` below 36 and `1` from 36 on: from [8, 40] the lower bound moves in and the upper
/// out by η = 0.25 a step, so the box slides right with its side fixed at 32.
const SLOPE: Sign = Sign(|x| x >= 36.0);

#[test]
fn a_box_sliding_with_a_constant_side_never_rests() {
    // Over a window of 8 steps the side does not change (the side condition holds), but each
    // bound moves by 2, beyond the bounds' allowance of 1/64 of the 64-long axis (1): only the
    // axis condition keeps the sliding box from resting.
    let domain = Region::new(vec![0.0], vec![64.0]).unwrap();
    let hyper = with_rest(
        HyperParams {
            eta: 0.25,
            lambda: 0.0,
            iterations: 40,
            start_half_width: Some(16.0),
            ..HyperParams::default()
        },
        8,
        1.0 / 64.0,
    );
    let run = find_region(
        &SLOPE,
        Method::Naive,
        &domain,
        &[24.0],
        &hyper,
        Goal::Robust,
    )
    .unwrap();
    let boxes = boxes_after_steps(&run);
    assert_eq!(boxes[0], Region::new(vec![8.0], vec![40.0]).unwrap());
    for b in &boxes {
        assert_eq!(b.sides()[0], 32.0, "the side stays 32");
    }
    assert_eq!(
        (run.stop, run.hit_cap, run.iterations),
        (StopReason::MaxIterations, true, 40)
    );
    assert_eq!(run.region, Region::new(vec![18.0], vec![50.0]).unwrap());
    assert!(!still(&boxes[32..], 64.0, 1.0 / 64.0));
}

#[test]
fn the_box_at_80_percent_of_the_cap_is_the_result_of_that_budget() {
    let f = OracleFn::new(Oracle::gaussian_bump(0.9, &[130.0, 30.0], &[40.0, 25.0]));
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    for method in Method::ALL {
        for cap in [1, 2, 7, 50] {
            let h = HyperParams {
                iterations: cap,
                ..HyperParams::default()
            };
            let short = HyperParams {
                iterations: (cap * 4 / 5).max(1),
                ..h
            };
            let run = find_region(&f, method, &domain, &[100.0, 20.0], &h, Goal::Robust).unwrap();
            let at_80 = if cap * 4 / 5 == 0 {
                start_box(&run)
            } else {
                find_region(&f, method, &domain, &[100.0, 20.0], &short, Goal::Robust)
                    .unwrap()
                    .region
            };
            assert_eq!(run.box_at_80, at_80, "{method}, cap {cap}");
            assert_eq!(
                run.hit_cap,
                run.stop == StopReason::MaxIterations,
                "{method}"
            );
        }
    }
}

#[test]
fn summaries_carry_the_cap_and_the_box_at_80_percent_and_refine_keeps_the_network_stages() {
    let (f, domain) = plateau_1d();
    let hyper = with_rest(
        HyperParams {
            iterations: 600,
            ..HyperParams::default()
        },
        20,
        1e-4,
    );
    let search = RegionSearch::new(Method::ALL.to_vec(), vec![vec![130.0], vec![160.0]], hyper);
    let (runs, _) = run_all(&f, &domain, &search, &mut []).unwrap();
    for (summary, (method, init)) in runs.iter().zip(search.jobs()) {
        let run = find_region(&f, method, &domain, init, &hyper, Goal::Robust).unwrap();
        assert_eq!(summary.stop, run.stop);
        assert_eq!(summary.hit_cap, run.hit_cap);
        let at_80 = summary.at_80.as_ref().unwrap();
        assert_eq!(at_80.lower, run.box_at_80.lower().as_slice());
        assert_eq!(at_80.upper, run.box_at_80.upper().as_slice());
        assert_eq!(at_80.volume_ratio, run.box_at_80.volume() / 360.0);
    }
    // Refine: the network stage (at most 20 steps) gives the run's record; the map
    // stage keeps its own stop reason.
    let refined = refine_search(&search, &runs, 20).unwrap();
    let (net, _) = run_all(&f, &domain, &refined, &mut []).unwrap();
    let joined = join_refined(runs.clone(), net.clone());
    for ((j, m), n) in joined.iter().zip(&runs).zip(&net) {
        assert_eq!((j.stop, j.hit_cap), (n.stop, n.hit_cap));
        assert_eq!(j.at_80, n.at_80);
        assert_eq!(j.map_stage.as_ref().unwrap().stop, m.stop);
    }
    // A summary written before these records reads back with no cap hit and no box at 80 %.
    let mut old = serde_json::to_value(&runs[0]).unwrap();
    let record = old.as_object_mut().unwrap();
    assert!(record.remove("hit_cap").is_some() && record.remove("at_80").is_some());
    let back: semrob::analysis::region_runs::RunSummary = serde_json::from_value(old).unwrap();
    assert_eq!((back.hit_cap, back.at_80), (false, None));
}
