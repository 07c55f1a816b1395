//! Many region runs on one function: every (method, start) pair, in lockstep.

use serde::{Deserialize, Serialize};

use super::lockstep::{run_lockstep, LockstepStats, SearchError};
use crate::region::{Method, Observer, Region, RegionSearch, StopReason, TraceStep};
use crate::semantic::SemanticFunction;

/// The paper's initial points (azimuth°, elevation°), SPEC §3.
pub const PAPER_STARTS: [[f64; 2]; 4] = [[130.0, 30.0], [50.0, 20.0], [200.0, 15.0], [310.0, 50.0]];

/// Default starts for a domain: the paper's four (their azimuth alone in 1-D) when the domain
/// has one or two dimensions and holds them all, else the domain's centre.
pub fn default_starts(domain: &Region) -> Vec<Vec<f64>> {
    let n = domain.dim();
    if n <= 2 {
        let starts: Vec<Vec<f64>> = PAPER_STARTS.iter().map(|s| s[..n].to_vec()).collect();
        if starts.iter().all(|s| domain.contains(s)) {
            return starts;
        }
    }
    vec![((domain.lower() + domain.upper()) / 2.0)
        .iter()
        .copied()
        .collect()]
}

/// One finished region run, as the JSON reports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub method: Method,
    pub init: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub volume: f64,
    /// |D| / |Ω|.
    pub volume_ratio: f64,
    pub stop: StopReason,
    pub iterations: usize,
    pub evaluations: usize,
    pub gradient_evaluations: usize,
    /// The loss at the last evaluated box (`None`: undefined, or not computed).
    pub final_loss: Option<f64>,
    /// Bounds and loss per step, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
}

impl RunSummary {
    /// The renders this run costs on a network (network mode): every point it evaluated,
    /// and for each point where it took a gradient the 2n neighbours of the central
    /// differences (`analysis::finite_difference`). The one place this count is made.
    pub fn network_renders(&self) -> usize {
        self.evaluations + 2 * self.init.len() * self.gradient_evaluations
    }
}

/// Runs every method from every start of `search` on `f` in lockstep (one function call per
/// round for all live runs, [`run_lockstep`]); results in the order methods × starts,
/// method-major, with where the time went.
pub fn run_all(
    f: &dyn SemanticFunction,
    domain: &Region,
    search: &RegionSearch,
    observers: &mut [&mut dyn Observer],
) -> Result<(Vec<RunSummary>, LockstepStats), SearchError> {
    let (runs, stats) = run_lockstep(f, domain, search, observers)?;
    let domain_volume = domain.volume();
    let summaries = search
        .jobs()
        .into_iter()
        .zip(runs)
        .map(|((method, init), (run, final_loss))| {
            let volume = run.region.volume();
            RunSummary {
                method,
                init: init.to_vec(),
                lower: run.region.lower().iter().copied().collect(),
                upper: run.region.upper().iter().copied().collect(),
                volume,
                volume_ratio: volume / domain_volume,
                stop: run.stop,
                iterations: run.iterations,
                evaluations: run.evaluations,
                gradient_evaluations: run.gradient_evaluations,
                final_loss,
                trace: search.keep_trace.then_some(run.trace),
            }
        })
        .collect();
    Ok((summaries, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_costs_its_points_and_2n_neighbours_per_gradient_point() {
        let run = RunSummary {
            method: Method::OirW,
            init: vec![130.0, 30.0],
            lower: vec![120.0, 20.0],
            upper: vec![140.0, 40.0],
            volume: 400.0,
            volume_ratio: 400.0 / 36000.0,
            stop: StopReason::Converged,
            iterations: 5,
            evaluations: 40,
            gradient_evaluations: 20,
            final_loss: None,
            trace: None,
        };
        assert_eq!(run.network_renders(), 40 + 2 * 2 * 20);
    }
}
