//! Runs that start from a box, and refine mode on analytic oracles: a run grown on a coarse
//! map's interpolant, then continued on the function itself from the box it reached
//! (issue 19; SPEC §5).

use crate::support::OracleFn;
use proptest::prelude::*;
use semrob::analysis::region_runs::{
    default_starts, join_refined, refine_map_search, refine_search, run_all,
};
use semrob::region::lockstep::run_lockstep;
use semrob::region::Goal;
use semrob::region::Observer;
use semrob::region::{
    find_region, HyperParams, Method, Region, RegionError, RegionSearch, RunState, StopReason,
    TraceRecorder,
};
use semrob::semantic::{Axis, Grid, SemanticFunction};
use semrob_oracles::Oracle;

fn hyper(iterations: usize) -> HyperParams {
    HyperParams {
        iterations,
        ..HyperParams::default()
    }
}

/// A run from `start` driven to its end on `f` by hand, with its trace.
fn drive(mut run: RunState, f: &dyn SemanticFunction) -> semrob::region::RegionRun {
    let mut recorder = TraceRecorder::new(1);
    while let Some(q) = run.ask() {
        let e = f.evaluate(&q.points, q.gradient_rows).unwrap();
        let step = run.tell(e).unwrap();
        recorder.observe(0, &step);
    }
    run.finish(recorder.traces.pop().unwrap())
}

fn bump_2d() -> (OracleFn, Region) {
    let f = OracleFn::new(Oracle::gaussian_bump(0.9, &[130.0, 30.0], &[40.0, 25.0]));
    (f, Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A box start at a point start's first box gives that point start's run exactly: the
    /// same boxes step by step, the same stop reason and counts.
    #[test]
    fn a_box_start_at_the_first_box_is_the_point_start(
        az in 0.0f64..360.0,
        el in -10.0f64..90.0,
        method in prop::sample::select(Method::ALL.to_vec()),
        adversarial in any::<bool>(),
    ) {
        let (f, domain) = bump_2d();
        let h = hyper(60);
        let point = find_region(&f, method, &domain, &[az, el], &h, Goal::from_adversarial(adversarial)).unwrap();
        let first = Region::new(point.trace[0].lower.clone(), point.trace[0].upper.clone())
            .unwrap();
        let from_box =
            drive(RunState::from_box(&f, method, &domain, &first, &h, Goal::from_adversarial(adversarial)).unwrap(), &f);
        prop_assert_eq!(&from_box, &point);
    }
}

#[test]
fn a_box_start_continues_a_run_where_it_stopped() {
    // 30 steps, then 50 more from the box the first 30 reached, are the 80-step run: the
    // trace of the second part is the tail of the long run's.
    let (f, domain) = bump_2d();
    for method in Method::ALL {
        let long = find_region(
            &f,
            method,
            &domain,
            &[100.0, 20.0],
            &hyper(80),
            Goal::Robust,
        )
        .unwrap();
        let head = find_region(
            &f,
            method,
            &domain,
            &[100.0, 20.0],
            &hyper(30),
            Goal::Robust,
        )
        .unwrap();
        assert_eq!(head.stop, StopReason::MaxIterations, "{method}");
        let tail = drive(
            RunState::from_box(&f, method, &domain, &head.region, &hyper(50), Goal::Robust)
                .unwrap(),
            &f,
        );
        assert_eq!(tail.trace[..], long.trace[30..], "{method}");
        assert_eq!(tail.region, long.region, "{method}");
        assert_eq!(tail.stop, long.stop, "{method}");
        assert_eq!(tail.iterations, 50);
        assert_eq!(head.evaluations + tail.evaluations, long.evaluations);
    }
}

#[test]
fn bad_start_boxes_are_refused_naming_the_bound() {
    let (f, domain) = bump_2d();
    let h = hyper(10);
    let outside = Region::new(vec![-5.0, 0.0], vec![10.0, 10.0]).unwrap();
    let e = RunState::from_box(&f, Method::Naive, &domain, &outside, &h, Goal::Robust).unwrap_err();
    assert!(
        matches!(
            e,
            RegionError::StartBoxOutsideDomain {
                which: "lower",
                index: 0,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("lower[0] = -5"), "{e}");
    let above = Region::new(vec![10.0, 0.0], vec![20.0, 95.0]).unwrap();
    let e = RunState::from_box(&f, Method::OirB, &domain, &above, &h, Goal::Robust).unwrap_err();
    assert!(
        matches!(
            e,
            RegionError::StartBoxOutsideDomain {
                which: "upper",
                index: 1,
                ..
            }
        ),
        "{e}"
    );
    let thin = Region::new(vec![10.0, 0.0], vec![20.0, 0.000001]).unwrap();
    let e = RunState::from_box(&f, Method::OirW, &domain, &thin, &h, Goal::Robust).unwrap_err();
    assert!(
        matches!(e, RegionError::StartBoxTooSmall { index: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("side 1"), "{e}");
    let flat = Region::new(vec![10.0], vec![20.0]).unwrap();
    let e = RunState::from_box(&f, Method::Naive, &domain, &flat, &h, Goal::Robust).unwrap_err();
    assert!(matches!(e, RegionError::DimensionMismatch { .. }), "{e}");
    // A search with the wrong number of boxes is refused before anything is evaluated.
    let search =
        RegionSearch::new(vec![Method::Naive], vec![vec![100.0, 20.0]], h).with_start_boxes(vec![]);
    let e = search.runs(&f, &domain).unwrap_err();
    assert!(
        matches!(
            e,
            RegionError::StartBoxCount {
                expected: 1,
                got: 0
            }
        ),
        "{e}"
    );
    assert_eq!(f.counts().1, 0, "nothing evaluated");
    // The box at the domain's edge and ε wide is a valid start.
    let edge = Region::new(vec![0.0, -10.0], vec![1e-5, 90.0]).unwrap();
    assert!(RunState::from_box(&f, Method::Naive, &domain, &edge, &h, Goal::Robust).is_ok());
}

/// A coarse map of `f` over the paper's domain: `step` degrees on both axes, azimuth
/// periodic.
fn coarse_map(f: &Oracle, step: f64) -> Grid {
    let axis = |name: &str, values: Vec<f64>, period| Axis {
        name: name.into(),
        unit: "deg".into(),
        values,
        period,
        domain: None,
    };
    let az = (0..(360.0 / step) as usize)
        .map(|i| i as f64 * step)
        .collect();
    let el = (0..=(100.0 / step) as usize)
        .map(|i| -10.0 + i as f64 * step)
        .collect();
    Grid::tabulate(
        vec![
            axis("azimuth", az, Some(360.0)),
            axis("elevation", el, None),
        ],
        serde_json::Value::Null,
        |u| f.value(u),
    )
    .unwrap()
}

#[test]
fn refine_continues_every_map_run_on_the_function_from_its_box() {
    // A smooth box the coarse 20° map blurs: refine moves each run's box toward the runs
    // that the function itself grows, and spends only the refine steps' evaluations.
    let oracle = Oracle::smooth_box(0.95, &[80.0, 5.0], &[190.0, 60.0], 0.5);
    let map = coarse_map(&oracle, 20.0);
    let f = OracleFn::new(oracle.clone());
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let starts = vec![vec![130.0, 30.0], vec![100.0, 20.0]];
    let search = RegionSearch::new(Method::ALL.to_vec(), starts, hyper(400)).with_trace(true);
    let (on_map, _) = run_all(&map, &domain, &search, &mut []).unwrap();
    let refined_search = refine_search(&search, &on_map, 150).unwrap();
    assert_eq!(refined_search.hyper.iterations, 150);
    let before = f.counts().1;
    let (refined, _) = run_all(&f, &domain, &refined_search, &mut []).unwrap();
    let points: usize = refined.iter().map(|r| r.evaluations).sum();
    assert_eq!(
        f.counts().1 - before,
        points,
        "only the refine steps evaluate f"
    );
    let joined = join_refined(on_map.clone(), refined.clone());
    let (network, _) = run_all(&f, &domain, &search, &mut []).unwrap();
    for ((j, m), n) in joined.iter().zip(&on_map).zip(&network) {
        let stage = j.map_stage.as_ref().unwrap();
        assert_eq!((&stage.lower, &stage.upper), (&m.lower, &m.upper));
        assert_eq!(stage.iterations, m.iterations);
        assert!(j.iterations <= 150);
        // The trace: the map's steps, then the network's, the second starting at the box
        // the first ended with.
        let trace = j.trace.as_ref().unwrap();
        assert_eq!(trace.len(), m.iterations + j.iterations);
        assert_eq!(trace[m.iterations].lower, m.lower);
        assert_eq!(trace[m.iterations].upper, m.upper);
        // Refined boxes are at least as close to the function's own as the map's.
        let iou = |a: &[f64], b: &[f64], c: &[f64], d: &[f64]| {
            let inter: f64 = (0..2)
                .map(|i| (b[i].min(d[i]) - a[i].max(c[i])).max(0.0))
                .product();
            let vol = |l: &[f64], u: &[f64]| (u[0] - l[0]) * (u[1] - l[1]);
            inter / (vol(a, b) + vol(c, d) - inter)
        };
        let map_iou = iou(&m.lower, &m.upper, &n.lower, &n.upper);
        let refined_iou = iou(&j.lower, &j.upper, &n.lower, &n.upper);
        assert!(
            refined_iou >= map_iou - 0.02,
            "{} from {:?}: IoU with the function's run {map_iou:.3} on the map, {refined_iou:.3} refined",
            j.method,
            j.init
        );
    }
}

#[test]
fn a_collapsed_map_run_grows_on_the_function_where_the_map_saw_nothing() {
    // The map samples every 30°: a narrow ridge at azimuth 45° falls between its samples,
    // so naive collapses on the map; on the function the collapsed box sits on the ridge's
    // flank and refine grows it (the network has the last word).
    let oracle = Oracle::gaussian_bump(0.95, &[45.0, 40.0], &[6.0, 40.0]);
    let map = coarse_map(&oracle, 30.0);
    let f = OracleFn::new(oracle);
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let search = RegionSearch::new(vec![Method::Naive], vec![vec![45.0, 40.0]], hyper(300));
    let (on_map, _) = run_all(&map, &domain, &search, &mut []).unwrap();
    assert!(
        matches!(
            on_map[0].stop,
            StopReason::Collapsed | StopReason::CollapsedDrifting | StopReason::PartlyCollapsed
        ),
        "{:?}",
        on_map[0]
    );
    let (refined, _) = run_all(
        &f,
        &domain,
        &refine_search(&search, &on_map, 300).unwrap(),
        &mut [],
    )
    .unwrap();
    assert!(
        refined[0].volume > 100.0 * on_map[0].volume,
        "map {:?} → refined {:?}",
        on_map[0],
        refined[0]
    );
}

#[test]
fn a_map_box_at_the_domain_edge_stays_clamped_on_the_function() {
    // A plateau reaching past elevation 90: the map run ends at the domain's top, and the
    // refined box keeps its upper bound there.
    let oracle = Oracle::smooth_box(0.95, &[150.0, 40.0], &[250.0, 140.0], 0.5);
    let map = coarse_map(&oracle, 10.0);
    let f = OracleFn::new(oracle);
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let search = RegionSearch::new(vec![Method::OirB], vec![vec![200.0, 70.0]], hyper(800));
    let (on_map, _) = run_all(&map, &domain, &search, &mut []).unwrap();
    assert_eq!(on_map[0].upper[1], 90.0, "{:?}", on_map[0]);
    let (refined, _) = run_all(
        &f,
        &domain,
        &refine_search(&search, &on_map, 50).unwrap(),
        &mut [],
    )
    .unwrap();
    assert_eq!(refined[0].upper[1], 90.0, "{:?}", refined[0]);
    assert!(refined[0]
        .lower
        .iter()
        .zip(domain.lower().iter())
        .all(|(a, lo)| a >= lo));
}

#[test]
fn refine_runs_in_lockstep_like_any_search() {
    // The refined search in lockstep gives each run what it gives alone.
    let (f, domain) = bump_2d();
    let search = RegionSearch::new(
        Method::ALL.to_vec(),
        vec![vec![130.0, 30.0], vec![200.0, 15.0]],
        hyper(40),
    );
    let (first, _) = run_all(&f, &domain, &search, &mut []).unwrap();
    let refined = refine_search(&search, &first, 25).unwrap();
    let (together, _) = run_lockstep(&f, &domain, &refined, &mut []).unwrap();
    for ((run, _), ((m, _), s)) in together.iter().zip(refined.jobs().iter().zip(&first)) {
        let start = Region::new(s.lower.clone(), s.upper.clone()).unwrap();
        let alone = drive(
            RunState::from_box(&f, *m, &domain, &start, &refined.hyper, Goal::Robust).unwrap(),
            &f,
        );
        assert_eq!(run.region, alone.region);
        assert_eq!(run.stop, alone.stop);
    }
}

#[test]
fn every_map_run_continues_from_its_final_box_whatever_stopped_it() {
    // Converged or rested, out of steps, collapsed (at rest or drifting), partly collapsed, or a
    // non-finite step refused (its box is the last finite one): each continues from its box.
    let (f, domain) = bump_2d();
    let search = RegionSearch::new(vec![Method::Naive], vec![vec![130.0, 30.0]], hyper(10));
    let (template, _) = run_all(&f, &domain, &search, &mut []).unwrap();
    for (k, stop) in [
        StopReason::Converged,
        StopReason::Rested,
        StopReason::MaxIterations,
        StopReason::Collapsed,
        StopReason::CollapsedDrifting,
        StopReason::PartlyCollapsed,
        StopReason::NonFiniteStep,
    ]
    .into_iter()
    .enumerate()
    {
        let lower = vec![100.0 + k as f64, 20.0];
        let upper = vec![100.0 + k as f64 + 1e-5, 20.5];
        let run = semrob::analysis::region_runs::RunSummary {
            lower: lower.clone(),
            upper: upper.clone(),
            stop,
            ..template[0].clone()
        };
        let refined = refine_search(&search, &[run], 7).unwrap();
        let boxes = refined.start_boxes.as_ref().unwrap();
        assert_eq!(boxes[0], Region::new(lower, upper).unwrap(), "{stop:?}");
        assert_eq!(refined.hyper.iterations, 7);
        let (out, _) = run_all(&f, &domain, &refined, &mut []).unwrap();
        assert!(
            out[0].iterations >= 1,
            "{stop:?}: the network takes at least one step"
        );
    }
}

#[test]
fn under_a_fixed_budget_refine_shares_it_between_map_and_network() {
    // The paper's fixed budget: the map stage takes what the network stage leaves, so that a
    // refined run takes as many steps in all as a network-mode run (SPEC §5).
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let search = RegionSearch::new(Method::ALL.to_vec(), default_starts(&domain), hyper(800));
    for (k, map_steps) in [
        (1, 799),
        (25, 775),
        (100, 700),
        (799, 1),
        (800, 1),
        (5000, 1),
    ] {
        let on_map = refine_map_search(&search, k);
        assert_eq!(on_map.hyper.iterations, map_steps, "refine_steps {k}");
        assert_eq!(on_map.starts, search.starts);
        assert_eq!(on_map.methods, search.methods);
    }
    // With the rest rule each stage ends at rest or at its own cap: the map keeps its cap.
    let mut rest = hyper(800);
    rest.rest_window = Some(50);
    rest.rest_tolerance = Some(1e-3);
    let resting = RegionSearch::new(Method::ALL.to_vec(), default_starts(&domain), rest);
    assert_eq!(refine_map_search(&resting, 100).hyper.iterations, 800);
    // And the whole run obeys it: the two stages' steps add up to at most the budget.
    let oracle = Oracle::smooth_box(0.95, &[80.0, 5.0], &[190.0, 60.0], 0.5);
    let map = coarse_map(&oracle, 20.0);
    let f = OracleFn::new(oracle);
    let fixed = RegionSearch::new(Method::ALL.to_vec(), default_starts(&domain), hyper(120));
    let (on_map, _) = run_all(&map, &domain, &refine_map_search(&fixed, 30), &mut []).unwrap();
    let refined = refine_search(&fixed, &on_map, 30).unwrap();
    let (net, _) = run_all(&f, &domain, &refined, &mut []).unwrap();
    for (m, n) in on_map.iter().zip(&net) {
        assert!(m.iterations <= 90 && n.iterations <= 30, "{m:?} then {n:?}");
    }
}
