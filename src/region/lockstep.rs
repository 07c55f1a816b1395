//! The lockstep executor: every live run of a search advances together, one function call per
//! round for all of them; and several searches (the jobs of one network) together, one call per
//! round for all of their runs.
//!
//! Each round gathers the batch of every live run ([`RunState::ask`]) of a search into ONE
//! points matrix, the rows that need `∇f` first (OIR_W's inner boxes, in run order), then every
//! run's other rows; hands the matrices of all live searches to the function in one call
//! ([`JointFunction`]); gives each run its rows ([`RunState::tell`]); finished runs drop out,
//! and a search whose runs have all finished drops out of the rounds.
//!
//! On a network ([`crate::analysis::network_function::ClassifierFunction`], wrapped in
//! [`crate::semantic::finite_difference::FiniteDifference`] for OIR_W) that call is one render
//! stream and one network stream, chunked to the function's maximum batch, with the
//! finite-difference neighbours of every OIR_W run in it;
//! [`crate::analysis::network_function::shared::SharedNetwork`] puts the rows of
//! several jobs (meshes, labels) of one network in the same stream. On a function whose value
//! at a point does not depend on the other points of its batch (oracles, tabulated maps) the
//! runs are bit-identical to [`crate::region::find_region`] one by one.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::region::{
    BadBatch, BatchShape, Method, Observer, Region, RegionError, RegionRun, RegionSearch, RunState,
    TraceRecorder,
};
use crate::semantic::{EvalError, Evaluation, SemanticFunction};

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The search itself is invalid (hyper-parameters, starts, domain): nothing was evaluated.
    #[error(transparent)]
    Invalid(RegionError),
    /// One run failed in the middle of a round: its batch was refused or its values were bad.
    #[error("region run {method} from {init:?}: {source}")]
    Run {
        method: Method,
        init: Vec<f64>,
        #[source]
        source: RegionError,
    },
    /// The function failed on a round's batch shared by several runs.
    #[error("a batch of {runs} region runs ({names}): {source}")]
    Batch {
        runs: usize,
        names: String,
        #[source]
        source: RegionError,
    },
}

/// Where the time of a search went, and how large its batches were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LockstepStats {
    /// Rounds (calls of the function).
    pub rounds: usize,
    /// Points asked by the runs, over all rounds (before finite-difference neighbours).
    pub points: usize,
    /// Seconds inside the function (render + network, or the oracle). When several searches
    /// share the calls, each is charged the share of its rows in each call.
    pub eval_seconds: f64,
    /// Seconds in the region math: asking, splitting, stepping, observers.
    pub region_seconds: f64,
}

/// A finished run and the loss of its last evaluated box.
pub type Finished = (RegionRun, Option<f64>);

/// What one search of a joint run ends with: its runs in the search's order, or its error.
pub type SearchOutcome = Result<(Vec<Finished>, LockstepStats), SearchError>;

/// One search's batch in a joint call: the points of all its live runs, the first
/// `gradient_rows` of which need `∇f` too.
#[derive(Debug, Clone, Copy)]
pub struct JointBatch<'a> {
    /// Which search (and function) the batch is for.
    pub search: usize,
    pub points: &'a DMatrix<f64>,
    pub gradient_rows: usize,
}

/// The functions of several searches, evaluated together: each round makes one call with
/// the batches of every live search.
pub trait JointFunction {
    /// The number of searches (functions).
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The function of search `search`, for its checks (dimension, gradients).
    fn function(&self, search: usize) -> &dyn SemanticFunction;

    /// One result per batch, in order. A failure of work shared by several batches is
    /// reported for each of them.
    fn evaluate_joint(&self, batches: &[JointBatch<'_>]) -> Vec<Result<Evaluation, EvalError>>;
}

/// Each search's function by itself: one call per search per round.
pub struct Separately<'a>(pub Vec<&'a dyn SemanticFunction>);

impl JointFunction for Separately<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn function(&self, search: usize) -> &dyn SemanticFunction {
        self.0[search]
    }

    fn evaluate_joint(&self, batches: &[JointBatch<'_>]) -> Vec<Result<Evaluation, EvalError>> {
        batches
            .iter()
            .map(|b| self.0[b.search].evaluate(b.points, b.gradient_rows))
            .collect()
    }
}

/// One search of a joint run: where, and what.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub domain: &'a Region,
    pub search: &'a RegionSearch,
}

/// Runs every (method, start) pair of `search` on `f` over `domain` in lockstep. Results in
/// the search's order (method-major), each with the loss of its last evaluated box; `trace`
/// filled when `search.keep_trace`. Every observer sees every step of every run (`run` = the
/// index in that order).
pub fn run_lockstep(
    f: &dyn SemanticFunction,
    domain: &Region,
    search: &RegionSearch,
    observers: &mut [&mut dyn Observer],
) -> SearchOutcome {
    run_joint(
        &Separately(vec![f]),
        &[Problem { domain, search }],
        observers,
    )
    .pop()
    .expect("one search")
}

/// Runs several searches in lockstep, search `p` on `f.function(p)`: every round, the batches
/// of all live runs of all live searches go to `f` in one call. One outcome per search, in
/// order. A search that fails (its run's values, its share of a failed call) drops out with
/// its error; the others go on. Observers see run `k` of search `p` as run
/// `p`'s offset + `k`, the offset being the number of runs of the searches before it.
pub fn run_joint(
    f: &dyn JointFunction,
    problems: &[Problem<'_>],
    observers: &mut [&mut dyn Observer],
) -> Vec<SearchOutcome> {
    assert_eq!(f.len(), problems.len(), "one function per search");
    let mut outcomes: Vec<Option<SearchOutcome>> = (0..problems.len()).map(|_| None).collect();
    let mut live: Vec<Searching> = Vec::new();
    let mut offset = 0;
    for (p, problem) in problems.iter().enumerate() {
        let runs = problem.search.runs(f.function(p), problem.domain);
        let count = problem.search.jobs().len();
        match runs {
            Ok(runs) => live.push(Searching::new(p, offset, runs, problem.search)),
            Err(e) => outcomes[p] = Some(Err(SearchError::Invalid(e))),
        }
        offset += count;
    }
    while !live.is_empty() {
        let math = Instant::now();
        let mut rounds: Vec<(Searching, Round)> = Vec::new();
        for mut s in std::mem::take(&mut live) {
            match s.gather() {
                Some(round) => rounds.push((s, round)),
                None => {
                    s.stats.region_seconds += math.elapsed().as_secs_f64();
                    let p = s.problem;
                    outcomes[p] = Some(Ok(s.finish()));
                }
            }
        }
        if rounds.is_empty() {
            break;
        }
        let share = math.elapsed().as_secs_f64() / rounds.len() as f64;
        for (s, _) in &mut rounds {
            s.stats.region_seconds += share;
        }

        let batches: Vec<JointBatch> = rounds
            .iter()
            .map(|(s, r)| JointBatch {
                search: s.problem,
                points: &r.all,
                gradient_rows: r.grad_total,
            })
            .collect();
        let eval = Instant::now();
        let mut results = f.evaluate_joint(&batches);
        let seconds = eval.elapsed().as_secs_f64();
        assert_eq!(results.len(), rounds.len(), "one result per batch");
        let rows: usize = rounds.iter().map(|(_, r)| r.total).sum();

        for ((mut s, round), result) in rounds.into_iter().zip(results.drain(..)) {
            s.stats.eval_seconds += seconds * round.total as f64 / rows.max(1) as f64;
            let math = Instant::now();
            let told = s.tell(&round, result, observers);
            s.stats.region_seconds += math.elapsed().as_secs_f64();
            match told {
                Ok(()) => live.push(s),
                Err(e) => outcomes[s.problem] = Some(Err(e)),
            }
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every search ends"))
        .collect()
}

/// One search in progress.
struct Searching {
    problem: usize,
    /// The index its first run has for the observers.
    offset: usize,
    runs: Vec<RunState>,
    inits: Vec<Vec<f64>>,
    recorder: Option<TraceRecorder>,
    stats: LockstepStats,
}

/// Where one live run's rows sit in a round's batch.
struct Slot {
    run: usize,
    rows: usize,
    grad: usize,
    grad_at: usize,
    rest_at: usize,
}

impl Slot {
    fn holds(&self, row: usize) -> bool {
        (self.grad_at..self.grad_at + self.grad).contains(&row)
            || (self.rest_at..self.rest_at + self.rows - self.grad).contains(&row)
    }
}

/// One search's batch in a round: every live run's points, gradient rows first.
struct Round {
    slots: Vec<Slot>,
    all: DMatrix<f64>,
    grad_total: usize,
    total: usize,
}

impl Searching {
    fn new(problem: usize, offset: usize, runs: Vec<RunState>, search: &RegionSearch) -> Self {
        Searching {
            problem,
            offset,
            inits: search.jobs().iter().map(|(_, s)| s.to_vec()).collect(),
            recorder: search.keep_trace.then(|| TraceRecorder::new(runs.len())),
            runs,
            stats: LockstepStats::default(),
        }
    }

    fn names(&self, slots: &[Slot]) -> String {
        slots
            .iter()
            .map(|s| format!("{} from {:?}", self.runs[s.run].method(), self.inits[s.run]))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn run_error(&self, run: usize, source: RegionError) -> SearchError {
        SearchError::Run {
            method: self.runs[run].method(),
            init: self.inits[run].clone(),
            source,
        }
    }

    /// The round's batch of every live run: its gradient rows go first (all runs' together,
    /// so that `f` computes gradients for exactly those), its other rows after. `None` when
    /// every run has finished.
    fn gather(&mut self) -> Option<Round> {
        let mut slots: Vec<Slot> = Vec::new();
        let (mut grad_total, mut total) = (0, 0);
        let mut n = 0;
        for (i, run) in self.runs.iter_mut().enumerate() {
            if let Some(q) = run.ask() {
                slots.push(Slot {
                    run: i,
                    rows: q.points.nrows(),
                    grad: q.gradient_rows,
                    grad_at: 0,
                    rest_at: 0,
                });
                grad_total += q.gradient_rows;
                total += q.points.nrows();
                n = q.points.ncols();
            }
        }
        if slots.is_empty() {
            return None;
        }
        let mut all = DMatrix::zeros(total, n);
        let (mut g_next, mut r_next) = (0, grad_total);
        for slot in &mut slots {
            let q = self.runs[slot.run].ask().expect("live");
            let (m, g) = (slot.rows, slot.grad);
            all.rows_mut(g_next, g).copy_from(&q.points.rows(0, g));
            all.rows_mut(r_next, m - g)
                .copy_from(&q.points.rows(g, m - g));
            slot.grad_at = g_next;
            slot.rest_at = r_next;
            g_next += g;
            r_next += m - g;
        }
        self.stats.rounds += 1;
        self.stats.points += total;
        Some(Round {
            slots,
            all,
            grad_total,
            total,
        })
    }

    /// Gives each live run its rows of the round's evaluation and steps it.
    fn tell(
        &mut self,
        round: &Round,
        result: Result<Evaluation, EvalError>,
        observers: &mut [&mut dyn Observer],
    ) -> Result<(), SearchError> {
        let Round {
            slots,
            all,
            grad_total,
            total,
        } = round;
        let (grad_total, total, n) = (*grad_total, *total, all.ncols());
        let e = match result {
            Ok(e) => e,
            Err(err) => {
                // The run that asked for the offending point, when the error names one.
                let owner = match &err {
                    EvalError::NonFinite { point, .. } => (0..total)
                        .find(|&r| all.row(r).iter().eq(point.iter()))
                        .and_then(|r| slots.iter().position(|s| s.holds(r))),
                    _ => None,
                };
                return Err(match owner.or((slots.len() == 1).then_some(0)) {
                    Some(k) => self.run_error(slots[k].run, err.into()),
                    None => SearchError::Batch {
                        runs: slots.len(),
                        names: self.names(slots),
                        source: err.into(),
                    },
                });
            }
        };
        let expected = BatchShape::expected(total, grad_total, n);
        if let Err(source) = BadBatch::check(expected, BatchShape::of(&e, &expected)) {
            return Err(SearchError::Batch {
                runs: slots.len(),
                names: self.names(slots),
                source,
            });
        }
        for slot in slots {
            let (m, g) = (slot.rows, slot.grad);
            let values = DVector::from_iterator(
                m,
                e.values
                    .rows(slot.grad_at, g)
                    .iter()
                    .chain(e.values.rows(slot.rest_at, m - g).iter())
                    .copied(),
            );
            let gradients = (g > 0).then(|| {
                e.gradients
                    .as_ref()
                    .expect("checked")
                    .rows(slot.grad_at, g)
                    .into_owned()
            });
            let i = slot.run;
            let step = self.runs[i]
                .tell(Evaluation { values, gradients })
                .map_err(|source| self.run_error(i, source))?;
            if let Some(r) = self.recorder.as_mut() {
                r.observe(i, &step);
            }
            for o in observers.iter_mut() {
                o.observe(self.offset + i, &step);
            }
        }
        Ok(())
    }

    fn finish(self) -> (Vec<Finished>, LockstepStats) {
        let mut traces = self
            .recorder
            .map(|r| r.traces)
            .unwrap_or_default()
            .into_iter();
        let results = self
            .runs
            .into_iter()
            .map(|r| {
                let loss = r.last_loss();
                (r.finish(traces.next().unwrap_or_default()), loss)
            })
            .collect();
        (results, self.stats)
    }
}
