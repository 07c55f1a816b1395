//! The ask/tell driver and the lockstep executor against a frozen copy of the driver loop as it
//! was before them (issue 12): bit-identical runs for n = 1…4, every method, robust and
//! adversarial, one run at a time and many in lockstep.

use crate::support::OracleFn;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use semrob::region::faces::{boundary_grid, corner_indices, face_means, face_points};
use semrob::region::lockstep::{
    run_joint, run_lockstep, JointBatch, JointFunction, Problem, SearchError, Separately,
};
use semrob::region::methods::{
    naive_from_means, naive_loss, oir_b_from_means, oir_b_loss, oir_w_direction, oir_w_loss,
};
use semrob::region::{
    find_region, Coordinates, Goal, HyperParams, Method, Observer, Region, RegionRun, RegionSearch,
    Step, StepRule, StopReason, TraceStep,
};
use semrob::semantic::{EvalError, Evaluation, SemanticFunction};
use semrob_oracles::Oracle;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The driver loop as it was before ask/tell (commit a21fcb8, with the stop reasons of
/// 5830b88 that name the final box), kept in substance: one call of `f` per step, the same
/// step, projection and stopping rules. Valid inputs only (the
/// validation is unchanged and tested in region_driver.rs). It predates the rest rule (issue
/// 33): it is the fixed budget, whose per-run records `hit_cap` and `box_at_80` it derives
/// from its own loop and trace.
mod frozen {
    use super::*;

    fn next_up(x: f64) -> f64 {
        if x == 0.0 {
            f64::from_bits(1)
        } else if x > 0.0 {
            f64::from_bits(x.to_bits() + 1)
        } else {
            f64::from_bits(x.to_bits() - 1)
        }
    }

    fn next_down(x: f64) -> f64 {
        -next_up(-x)
    }

    fn project_side(a: f64, b: f64, lo: f64, hi: f64, eps: f64) -> (f64, f64) {
        let (mut a, mut b) = (a.clamp(lo, hi), b.clamp(lo, hi));
        if b - a >= eps {
            return (a, b);
        }
        let c = 0.5 * a + 0.5 * b;
        a = (c - 0.5 * eps).max(lo);
        b = (a + eps).min(hi);
        if b - a < eps {
            a = (b - eps).max(lo);
        }
        while b - a < eps && b < hi {
            b = next_up(b).min(hi);
        }
        while b - a < eps && a > lo {
            a = next_down(a).max(lo);
        }
        (a, b)
    }

    fn project(lower: &DVector<f64>, upper: &DVector<f64>, domain: &Region, eps: f64) -> Region {
        let n = domain.dim();
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            (a[i], b[i]) = project_side(
                lower[i],
                upper[i],
                domain.lower()[i],
                domain.upper()[i],
                eps,
            );
        }
        Region::new(a, b).unwrap()
    }

    fn moved_at_most(before: &Region, after: &Region, tolerance: f64) -> bool {
        let sides = after.sides();
        (0..before.dim()).all(|i| {
            let moved = (after.lower()[i] - before.lower()[i])
                .abs()
                .max((after.upper()[i] - before.upper()[i]).abs());
            moved <= tolerance * sides[i]
        })
    }

    pub fn find_region(
        f: &dyn SemanticFunction,
        method: Method,
        domain: &Region,
        init: &[f64],
        hyper: &HyperParams,
        adversarial: bool,
    ) -> RegionRun {
        let (n, m, eps) = (domain.dim(), hyper.face_points, hyper.epsilon);
        let grid = boundary_grid(n, m);
        let corners = corner_indices(&grid, m);
        let per_box = grid.len();
        let boxes = if method.needs_outer() { 2 } else { 1 };
        let gradient_rows = if method.needs_gradients() { per_box } else { 0 };
        let u0 = DVector::from_column_slice(init);
        let mut region = project(&u0.add_scalar(-eps), &u0.add_scalar(eps), domain, eps);
        let mut trace = Vec::new();
        let (mut evaluations, mut gradient_evaluations) = (0, 0);
        let (mut at_rest, mut non_finite) = (false, false);
        for _ in 0..hyper.iterations {
            let mut points = DMatrix::zeros(boxes * per_box, n);
            points
                .rows_mut(0, per_box)
                .copy_from(&face_points(&region, &grid, m));
            if boxes == 2 {
                points.rows_mut(per_box, per_box).copy_from(&face_points(
                    &region.outer(hyper.alpha),
                    &grid,
                    m,
                ));
            }
            let mut e = f.evaluate(&points, gradient_rows).unwrap();
            if adversarial {
                e = Evaluation {
                    values: e.values.map(|v| 1.0 - v),
                    gradients: e.gradients.map(|g| -g),
                };
            }
            evaluations += points.nrows();
            gradient_evaluations += gradient_rows;
            let values = |k: usize| {
                let g = e.values.rows(k * per_box, per_box).into_owned();
                let c = DVector::from_iterator(corners.len(), corners.iter().map(|&p| g[p]));
                (g, c)
            };
            let (inner, f_d) = values(0);
            let (direction, loss) = match method {
                Method::Naive => (
                    naive_from_means(&region, &face_means(&grid, m, &inner), hyper.lambda),
                    Some(naive_loss(&region, &f_d, hyper.lambda)),
                ),
                Method::OirB => {
                    let (outer, f_c) = values(1);
                    (
                        oir_b_from_means(
                            &region,
                            &face_means(&grid, m, &inner),
                            &face_means(&grid, m, &outer),
                            hyper.alpha,
                        ),
                        Some(oir_b_loss(&region, &f_d, &f_c, hyper.alpha)),
                    )
                }
                Method::OirW => {
                    let (_, f_c) = values(1);
                    let g = e.gradients.as_ref().unwrap();
                    let g_d = DMatrix::from_fn(f_d.len(), n, |j, i| g[(corners[j], i)]);
                    (
                        oir_w_direction(&region, &f_d, &g_d, hyper.beta),
                        oir_w_loss(n, &f_d, &f_c, hyper.alpha),
                    )
                }
            };
            trace.push(TraceStep {
                lower: region.lower().iter().copied().collect(),
                upper: region.upper().iter().copied().collect(),
                loss: loss.filter(|l| l.is_finite()),
            });
            if !direction.is_finite() {
                non_finite = true;
                break;
            }
            let next = project(
                &(region.lower() - &direction.lower * hyper.eta),
                &(region.upper() - &direction.upper * hyper.eta),
                domain,
                eps,
            );
            at_rest = moved_at_most(&region, &next, hyper.tolerance);
            region = next;
            if at_rest {
                break;
            }
        }
        let sides = region.sides();
        let minimal = sides.iter().filter(|&&r| r < 1.5 * eps).count();
        let stop = match (non_finite, minimal, at_rest) {
            (true, _, _) => StopReason::NonFiniteStep,
            (false, 0, true) => StopReason::Converged,
            (false, 0, false) => StopReason::MaxIterations,
            (false, m, true) if m == n => StopReason::Collapsed,
            (false, m, false) if m == n => StopReason::CollapsedDrifting,
            _ => StopReason::PartlyCollapsed,
        };
        // The box after step k is the box evaluated at step k + 1, `trace[k]`.
        let k80 = (0.8 * hyper.iterations as f64).floor() as usize;
        let box_at_80 = match trace.get(k80) {
            Some(t) => Region::new(t.lower.clone(), t.upper.clone()).unwrap(),
            None => region.clone(),
        };
        RegionRun {
            hit_cap: !non_finite && !at_rest,
            box_at_80,
            region,
            stop,
            iterations: trace.len(),
            evaluations,
            gradient_evaluations,
            trace,
        }
    }
}

/// A sum of two bumps on [0, 100]ⁿ: robust regions grow, adversarial ones too (1 − f).
fn oracle(n: usize, c1: &[f64], s1: &[f64], h: f64) -> Oracle {
    let c2: Vec<f64> = c1.iter().map(|c| 100.0 - c).collect();
    Oracle::sum(
        "two bumps",
        &[
            Oracle::gaussian_bump(h, &c1[..n], &s1[..n]),
            Oracle::gaussian_bump(0.5 * h, &c2[..n], &s1[..n]),
        ],
    )
}

fn hyper_strategy() -> impl Strategy<Value = HyperParams> {
    (
        0.05f64..4.0,
        0.0f64..0.3,
        0.01f64..0.2,
        0.0f64..0.2,
        1usize..40,
        prop_oneof![Just(1e-5), Just(0.1)],
        prop_oneof![Just(1e-9), Just(1e-3), Just(0.0)],
        prop_oneof![Just(2usize), Just(3)],
        prop_oneof![Just(Coordinates::Native), Just(Coordinates::Unit)],
        prop_oneof![Just(None), Just(Some(0.05))],
        prop_oneof![Just(StepRule::Paper), Just(StepRule::DimensionFree)],
        prop_oneof![
            Just(None),
            (1usize..12, prop_oneof![Just(1e-4), Just(1e-2), Just(0.2)]).prop_map(Some)
        ],
    )
        .prop_map(
            |(
                eta,
                lambda,
                alpha,
                beta,
                iterations,
                epsilon,
                tolerance,
                face_points,
                coordinates,
                start_half_width,
                steps,
                rest,
            )| HyperParams {
                eta,
                lambda,
                alpha,
                beta,
                iterations,
                epsilon,
                tolerance,
                face_points,
                coordinates,
                start_half_width,
                steps,
                rest_window: rest.map(|(w, _)| w.min(iterations)),
                rest_tolerance: rest.map(|(_, t)| t),
            },
        )
}

/// Counts steps per run, to check that observers see every step once and in order.
struct Steps(Vec<Vec<usize>>);

impl Observer for Steps {
    fn observe(&mut self, run: usize, step: &Step) {
        if self.0.len() <= run {
            self.0.resize(run + 1, Vec::new());
        }
        self.0[run].push(step.iteration);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `find_region` (a loop over ask/tell) and the lockstep executor (all runs of a search
    /// in one batch per round) give exactly the frozen driver's runs (in native coordinates
    /// from the ε box, the frozen driver's only setting), and each other's in any setting.
    #[test]
    fn ask_tell_and_lockstep_are_bit_identical_to_the_frozen_driver(
        n in 1usize..=4,
        c1 in proptest::collection::vec(10f64..90.0, 4),
        s1 in proptest::collection::vec(5f64..40.0, 4),
        h in 0.3f64..1.0,
        starts in proptest::collection::vec(proptest::collection::vec(0f64..100.0, 4), 1..4),
        hyper in hyper_strategy(),
        adversarial in any::<bool>(),
    ) {
        let f = OracleFn::new(oracle(n, &c1, &s1, h));
        let domain = Region::new(vec![0.0; n], vec![100.0; n]).unwrap();
        // OIR_W's bound β < 2/(2n−1) and corner rule.
        let beta = hyper.beta.min(0.9 * HyperParams::beta_bound(n));
        let starts: Vec<Vec<f64>> = starts.iter().map(|s| s[..n].to_vec()).collect();
        let methods: Vec<Method> = if hyper.face_points == 2 {
            Method::ALL.to_vec()
        } else {
            vec![Method::Naive, Method::OirB]
        };
        let hyper = HyperParams { beta, ..hyper };
        let mut want = Vec::new();
        for &method in &methods {
            for s in &starts {
                let new = find_region(&f, method, &domain, s, &hyper, Goal::from_adversarial(adversarial)).unwrap();
                // The frozen driver predates the run's coordinates, start half-width, step rule
                // and rest rule: with the rest rule off, runs are the fixed budget's bit for bit.
                if hyper.coordinates.is_native()
                    && hyper.start_half_width.is_none()
                    && hyper.steps.is_paper()
                    && hyper.rest().is_none()
                {
                    let old = frozen::find_region(&f, method, &domain, s, &hyper, adversarial);
                    prop_assert_eq!(&new, &old, "{} from {:?}", method, s);
                }
                want.push(new);
            }
        }
        let search = RegionSearch::new(methods, starts, hyper)
            .with_goal(Goal::from_adversarial(adversarial))
            .with_trace(true);
        let mut steps = Steps(Vec::new());
        let (got, stats) = run_lockstep(&f, &domain, &search, &mut [&mut steps]).unwrap();
        prop_assert_eq!(got.len(), want.len());
        for (k, ((run, last_loss), old)) in got.iter().zip(&want).enumerate() {
            prop_assert_eq!(run, old, "lockstep run {}", k);
            prop_assert_eq!(*last_loss, old.trace.last().and_then(|t| t.loss));
            let seen: Vec<usize> = (1..=old.iterations).collect();
            prop_assert_eq!(&steps.0[k], &seen);
        }
        // One round per step of the longest run.
        prop_assert_eq!(stats.rounds, want.iter().map(|r| r.iterations).max().unwrap());
        prop_assert_eq!(stats.points, want.iter().map(|r| r.evaluations).sum::<usize>());
    }
}

#[test]
fn each_lockstep_round_is_one_call_with_every_live_run() {
    let f = OracleFn::new(oracle(2, &[40.0, 50.0], &[20.0, 15.0], 0.9));
    let domain = Region::new(vec![0.0; 2], vec![100.0; 2]).unwrap();
    let hyper = HyperParams {
        iterations: 25,
        eta: 1.0,
        ..HyperParams::default()
    };
    let search = RegionSearch::new(
        Method::ALL.to_vec(),
        vec![vec![40.0, 50.0], vec![20.0, 80.0]],
        hyper,
    );
    let (runs, stats) = run_lockstep(&f, &domain, &search, &mut []).unwrap();
    let (calls, points, gradient_points) = f.counts();
    assert_eq!(calls, stats.rounds);
    assert_eq!(stats.rounds, 25);
    assert_eq!(
        points,
        runs.iter().map(|(r, _)| r.evaluations).sum::<usize>()
    );
    // OIR_W's inner corners: 4 per step, 2 runs.
    assert_eq!(gradient_points, 2 * 4 * 25);
    assert!(
        runs.iter().all(|(r, _)| r.trace.is_empty()),
        "no trace asked"
    );
}

/// A function that fails at points with a coordinate above a threshold: the run that asked
/// for such a point is named, the search fails as a whole.
struct FailsAbove(OracleFn, f64);

impl SemanticFunction for FailsAbove {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn provides_gradients(&self) -> bool {
        true
    }
    fn evaluate(&self, p: &DMatrix<f64>, g: usize) -> Result<Evaluation, EvalError> {
        let mut e = self.0.evaluate(p, g)?;
        for j in 0..p.nrows() {
            if p.row(j).iter().any(|&x| x > self.1) {
                e.values[j] = f64::NAN;
            }
        }
        Ok(e)
    }
}

/// A bump on [0, 100]² (with its function failing above 80), and an OIR_B search from two
/// starts of which only the one at 79.99999 reaches beyond 80 (its first box already does).
fn bump_and_a_search_beyond_80() -> (OracleFn, Region, RegionSearch) {
    let f = OracleFn::new(Oracle::gaussian_bump(0.9, &[50.0, 50.0], &[30.0, 30.0]));
    let domain = Region::new(vec![0.0; 2], vec![100.0; 2]).unwrap();
    let hyper = HyperParams {
        iterations: 30,
        ..HyperParams::default()
    };
    let search = RegionSearch::new(
        vec![Method::OirB],
        vec![vec![20.0, 20.0], vec![79.99999, 30.0]],
        hyper,
    );
    (f, domain, search)
}

#[test]
fn a_run_failing_mid_round_fails_the_search_naming_it() {
    let (bump, domain, search) = bump_and_a_search_beyond_80();
    let f = FailsAbove(bump, 80.0);
    let err = run_lockstep(&f, &domain, &search, &mut []).unwrap_err();
    match &err {
        SearchError::Run { method, init, .. } => {
            assert_eq!(
                (*method, init.clone()),
                (Method::OirB, vec![79.99999, 30.0])
            );
        }
        other => panic!("{other}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with("region run oir-b from [79.99999, 30.0]: ") && text.contains("non-finite"),
        "{text}"
    );
}

#[test]
fn an_invalid_search_evaluates_nothing() {
    let f = OracleFn::new(Oracle::constant(2, 0.5));
    let domain = Region::new(vec![0.0; 2], vec![100.0; 2]).unwrap();
    let search = RegionSearch::new(
        vec![Method::Naive],
        vec![vec![50.0, 50.0], vec![500.0, 50.0]],
        HyperParams::default(),
    );
    let err = run_lockstep(&f, &domain, &search, &mut []).unwrap_err();
    assert!(matches!(err, SearchError::Invalid(_)), "{err}");
    assert_eq!(f.counts().0, 0);
}

/// Several functions evaluated together, counting the joint calls and the batches in them.
struct CountingJoint<'a> {
    inner: Separately<'a>,
    calls: AtomicUsize,
    batches: AtomicUsize,
}

impl JointFunction for CountingJoint<'_> {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn function(&self, search: usize) -> &dyn SemanticFunction {
        self.inner.function(search)
    }
    fn evaluate_joint(&self, batches: &[JointBatch<'_>]) -> Vec<Result<Evaluation, EvalError>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.batches.fetch_add(batches.len(), Ordering::Relaxed);
        self.inner.evaluate_joint(batches)
    }
}

/// Three searches (n = 1, 2 and 3, different functions, methods and budgets) run together:
/// every run is bit-identical to its search run alone; one joint call per round of the
/// longest search, each with the batches of the searches still running; observers see the
/// runs numbered across the searches.
#[test]
fn searches_in_lockstep_together_are_their_runs_alone_with_one_call_per_round() {
    let fs: Vec<OracleFn> = (1..=3)
        .map(|n| OracleFn::new(oracle(n, &[40.0, 50.0, 60.0], &[20.0, 15.0, 25.0], 0.9)))
        .collect();
    let domains: Vec<Region> = (1..=3)
        .map(|n| Region::new(vec![0.0; n], vec![100.0; n]).unwrap())
        .collect();
    let searches: Vec<RegionSearch> = (1..=3usize)
        .map(|n| {
            let hyper = HyperParams {
                iterations: 10 * n,
                eta: 1.0,
                ..HyperParams::default()
            };
            let methods = if n == 3 {
                vec![Method::Naive, Method::OirB]
            } else {
                Method::ALL.to_vec()
            };
            RegionSearch::new(methods, vec![vec![40.0; n], vec![70.0; n]], hyper)
                .with_trace(n == 2)
                .with_goal(Goal::from_adversarial(n == 3))
        })
        .collect();
    let alone: Vec<_> = (0..3)
        .map(|p| run_lockstep(&fs[p], &domains[p], &searches[p], &mut []).unwrap())
        .collect();

    let joint = CountingJoint {
        inner: Separately(fs.iter().map(|f| f as &dyn SemanticFunction).collect()),
        calls: AtomicUsize::new(0),
        batches: AtomicUsize::new(0),
    };
    let problems: Vec<Problem> = (0..3)
        .map(|p| Problem {
            domain: &domains[p],
            search: &searches[p],
        })
        .collect();
    let mut steps = Steps(Vec::new());
    let together = run_joint(&joint, &problems, &mut [&mut steps]);
    let mut offset = 0;
    for (p, (outcome, (want, want_stats))) in together.into_iter().zip(&alone).enumerate() {
        let (got, stats) = outcome.unwrap();
        assert_eq!(&got, want, "search {p}");
        assert_eq!(
            (stats.rounds, stats.points),
            (want_stats.rounds, want_stats.points)
        );
        for (k, (run, _)) in got.iter().enumerate() {
            let seen: Vec<usize> = (1..=run.iterations).collect();
            assert_eq!(steps.0[offset + k], seen, "search {p} run {k}");
        }
        offset += got.len();
    }
    assert_eq!(steps.0.len(), offset);
    let rounds: Vec<usize> = alone.iter().map(|(_, s)| s.rounds).collect();
    assert_eq!(rounds, [10, 20, 30], "every run used its budget");
    assert_eq!(joint.calls.load(Ordering::Relaxed), 30);
    assert_eq!(
        joint.batches.load(Ordering::Relaxed),
        rounds.iter().sum::<usize>()
    );
}

/// A search whose run fails mid-round drops out with its error, naming the run; the search
/// beside it finishes as it would alone, and an invalid search evaluates nothing.
#[test]
fn a_failing_search_drops_out_and_the_searches_beside_it_finish() {
    let (bump, domain, search) = bump_and_a_search_beyond_80();
    let failing = FailsAbove(bump, 80.0);
    let (fine, _, _) = bump_and_a_search_beyond_80();
    let invalid = RegionSearch::new(vec![Method::Naive], vec![vec![500.0, 50.0]], search.hyper);
    let unused = OracleFn::new(Oracle::constant(2, 0.5));
    let alone = run_lockstep(&fine, &domain, &search, &mut []).unwrap();
    let joint = Separately(vec![&failing, &fine, &unused]);
    let problems = [
        Problem {
            domain: &domain,
            search: &search,
        },
        Problem {
            domain: &domain,
            search: &search,
        },
        Problem {
            domain: &domain,
            search: &invalid,
        },
    ];
    let mut outcomes = run_joint(&joint, &problems, &mut []).into_iter();
    match outcomes.next().unwrap() {
        Err(SearchError::Run { method, init, .. }) => {
            assert_eq!((method, init), (Method::OirB, vec![79.99999, 30.0]));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(outcomes.next().unwrap().unwrap().0, alone.0);
    assert!(matches!(
        outcomes.next().unwrap(),
        Err(SearchError::Invalid(_))
    ));
    assert_eq!(unused.counts().0, 0);
}
