//! The lockstep executor: every live run of a search advances together, one function call per
//! round for all of them.
//!
//! Each round gathers the batch of every live run ([`RunState::ask`]) into ONE points matrix,
//! the rows that need `∇f` first (OIR_W's inner boxes, in run order), then every run's other
//! rows; calls `f` once; hands each run its rows ([`RunState::tell`]); finished runs drop out.
//! On a network ([`super::function::ClassifierFunction`], wrapped in
//! [`super::finite_difference::FiniteDifference`] for OIR_W) that call is one render stream and
//! one network stream, chunked to the function's maximum batch, with the finite-difference
//! neighbours of every OIR_W run in it. On a function whose value at a point does not depend
//! on the other points of its batch (oracles, tabulated maps) the runs are bit-identical to
//! [`crate::region::find_region`] one by one.

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::region::{
    Method, Observer, Region, RegionError, RegionRun, RegionSearch, RunState, TraceRecorder,
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
    /// Seconds inside the function (render + network, or the oracle).
    pub eval_seconds: f64,
    /// Seconds in the region math: asking, splitting, stepping, observers.
    pub region_seconds: f64,
}

/// A finished run and the loss of its last evaluated box.
pub type Finished = (RegionRun, Option<f64>);

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

/// Runs every (method, start) pair of `search` on `f` over `domain` in lockstep. Results in
/// the search's order (method-major), each with the loss of its last evaluated box; `trace`
/// filled when `search.keep_trace`. Every
/// observer sees every step of every run (`run` = the index in that order).
pub fn run_lockstep(
    f: &dyn SemanticFunction,
    domain: &Region,
    search: &RegionSearch,
    observers: &mut [&mut dyn Observer],
) -> Result<(Vec<Finished>, LockstepStats), SearchError> {
    let mut runs = search.runs(f, domain).map_err(SearchError::Invalid)?;
    let inits: Vec<Vec<f64>> = search.jobs().iter().map(|(_, s)| s.to_vec()).collect();
    let mut recorder = search.keep_trace.then(|| TraceRecorder::new(runs.len()));
    let mut stats = LockstepStats::default();
    let n = domain.dim();
    let names = |live: &[Slot], runs: &[RunState]| {
        live.iter()
            .map(|s| format!("{} from {:?}", runs[s.run].method(), inits[s.run]))
            .collect::<Vec<_>>()
            .join("; ")
    };
    loop {
        let math = Instant::now();
        // Every live run's batch: its gradient rows go first in the round's batch (all runs'
        // together, so that `f` computes gradients for exactly those), its other rows after.
        let mut live: Vec<Slot> = Vec::new();
        let (mut grad_total, mut total) = (0, 0);
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(q) = run.ask() {
                live.push(Slot {
                    run: i,
                    rows: q.points.nrows(),
                    grad: q.gradient_rows,
                    grad_at: 0,
                    rest_at: 0,
                });
                grad_total += q.gradient_rows;
                total += q.points.nrows();
            }
        }
        if live.is_empty() {
            stats.region_seconds += math.elapsed().as_secs_f64();
            break;
        }
        let mut all = DMatrix::zeros(total, n);
        let (mut g_next, mut r_next) = (0, grad_total);
        for slot in &mut live {
            let q = runs[slot.run].ask().expect("live");
            let (m, g) = (slot.rows, slot.grad);
            all.rows_mut(g_next, g).copy_from(&q.points.rows(0, g));
            all.rows_mut(r_next, m - g)
                .copy_from(&q.points.rows(g, m - g));
            slot.grad_at = g_next;
            slot.rest_at = r_next;
            g_next += g;
            r_next += m - g;
        }
        stats.rounds += 1;
        stats.points += total;
        stats.region_seconds += math.elapsed().as_secs_f64();

        let eval = Instant::now();
        let result = f.evaluate(&all, grad_total);
        stats.eval_seconds += eval.elapsed().as_secs_f64();
        let math = Instant::now();
        let e = match result {
            Ok(e) => e,
            Err(err) => {
                // The run that asked for the offending point, when the error names one.
                let owner = match &err {
                    EvalError::NonFinite { point, .. } => (0..total)
                        .find(|&r| all.row(r).iter().eq(point.iter()))
                        .and_then(|r| live.iter().position(|s| s.holds(r))),
                    _ => None,
                };
                return Err(match owner.or((live.len() == 1).then_some(0)) {
                    Some(k) => SearchError::Run {
                        method: runs[live[k].run].method(),
                        init: inits[live[k].run].clone(),
                        source: err.into(),
                    },
                    None => SearchError::Batch {
                        runs: live.len(),
                        names: names(&live, &runs),
                        source: err.into(),
                    },
                });
            }
        };
        let gradients_ok = grad_total == 0
            || e.gradients
                .as_ref()
                .is_some_and(|g| g.shape() == (grad_total, n));
        if e.values.len() != total || !gradients_ok {
            return Err(SearchError::Batch {
                runs: live.len(),
                names: names(&live, &runs),
                source: RegionError::BadBatch {
                    points: total,
                    expected: format!("{total} values and a {grad_total} × {n} gradient matrix"),
                    got: format!(
                        "{} values and {}",
                        e.values.len(),
                        match &e.gradients {
                            Some(g) => format!("a {} × {} gradient matrix", g.nrows(), g.ncols()),
                            None => "no gradients".into(),
                        }
                    ),
                },
            });
        }
        for slot in &live {
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
            let step = runs[i]
                .tell(Evaluation { values, gradients })
                .map_err(|source| SearchError::Run {
                    method: runs[i].method(),
                    init: inits[i].clone(),
                    source,
                })?;
            if let Some(r) = recorder.as_mut() {
                r.observe(i, &step);
            }
            for o in observers.iter_mut() {
                o.observe(i, &step);
            }
        }
        stats.region_seconds += math.elapsed().as_secs_f64();
    }
    let mut traces = recorder.map(|r| r.traces).unwrap_or_default().into_iter();
    let results = runs
        .into_iter()
        .map(|r| {
            let loss = r.last_loss();
            (r.finish(traces.next().unwrap_or_default()), loss)
        })
        .collect();
    Ok((results, stats))
}
