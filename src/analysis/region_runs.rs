//! Many region runs on one function: every (method, start) pair, in lockstep; and the region
//! modes ([`RegionMode`], SPEC §5) with the runs of each: on the network ([`run_all_joint`]),
//! on a map's interpolant ([`run_all`]) or on the map first, then the network
//! ([`refine_search`], [`join_refined`]).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::analysis::network_function::NetworkMapMeta;
use crate::certify::record::{CleanRegion, RegionCertificate};
use crate::region::lockstep::{
    run_joint, run_lockstep, Finished, JointFunction, LockstepStats, Problem, SearchError,
};
use crate::region::{
    Goal, Method, Observer, Region, RegionError, RegionSearch, StopReason, TraceStep,
};
use crate::semantic::{BoxContents, Grid, SemanticFunction};

/// The paper's initial points (azimuth°, elevation°), SPEC §3.
pub const PAPER_STARTS: [[f64; 2]; 4] = [[130.0, 30.0], [50.0, 20.0], [200.0, 15.0], [310.0, 50.0]];

/// Where the regions grow (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionMode {
    /// On the network's function itself, rendering and classifying every corner of every
    /// step: the paper's procedure.
    Network,
    /// On the multilinear interpolant of the job's map (its gradients for OIR_W): no network
    /// pass beyond the map. An approximation of the paper's procedure, not the procedure.
    Map,
    /// Grown on the map first, then continued on the network from the box the map run
    /// reached, for at most `refine_steps` steps (SPEC §5).
    Refine,
}

impl RegionMode {
    pub const ALL: [RegionMode; 3] = [RegionMode::Network, RegionMode::Map, RegionMode::Refine];

    pub fn as_str(self) -> &'static str {
        match self {
            RegionMode::Network => "network",
            RegionMode::Map => "map",
            RegionMode::Refine => "refine",
        }
    }

    /// How a report names the mode; refine mode with its budget of network steps.
    pub fn describe(self, refine_steps: Option<usize>) -> String {
        match self {
            RegionMode::Network => {
                "regions grown on the network itself (network mode: the paper's procedure)".into()
            }
            RegionMode::Map => "regions grown on the multilinear interpolant of each job's map \
                                (map mode: an approximation of the paper's procedure, SPEC §5)"
                .into(),
            RegionMode::Refine => format!(
                "regions grown on each job's map, then continued on the network itself for at \
                 most {} steps from the box each map run reached (refine mode, SPEC §5)",
                refine_steps.map_or_else(|| "refine_steps".to_string(), |k| k.to_string())
            ),
        }
    }

    /// Whether the region runs evaluate the network (network and refine mode).
    pub fn uses_network(self) -> bool {
        self != RegionMode::Map
    }

    /// Whether the region runs start on the job's map (map and refine mode).
    pub fn uses_map(self) -> bool {
        self != RegionMode::Network
    }
}

impl std::fmt::Display for RegionMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RegionMode {
    type Err = String;

    fn from_str(text: &str) -> Result<RegionMode, String> {
        RegionMode::ALL
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| format!("unknown region mode {text:?}: `map`, `network` or `refine`"))
    }
}

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
    /// The run ended because it used up its `iterations` (the cap): still moving then, by
    /// the per-step rule and by the rest rule when it is on (SPEC §3, "Rest rule"). `false` in
    /// records written before it was recorded.
    #[serde(default)]
    pub hit_cap: bool,
    /// The box the run had after `⌊0.8 × iterations⌋` steps of its cap (its final box if it
    /// ended sooner): its result with 80 % of the budget. Absent in records written before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_80: Option<BoxAt80>,
    /// Bounds and loss per step, when asked for. In refine mode the map run's steps come
    /// first, then the network's (`map_stage.iterations` of the first kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceStep>>,
    /// Refine mode: the run as it left the map, before its network steps. The fields above
    /// are the network steps' (their box, stop reason, counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_stage: Option<MapStage>,
    /// What the final box holds on the job's map (mean and lowest score, share of the volume
    /// below the acceptance threshold); absent where no map was at hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<BoxContents>,
    /// The final box's certificate on the network (SPEC §8); absent where none was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RegionCertificate>,
    /// With `clean` certificates, an uncertified box's largest clean box and its certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean: Option<CleanRegion>,
}

/// A run's box at 80 % of its cap ([`crate::region::RegionRun::box_at_80`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxAt80 {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// |D| / |Ω| of that box.
    pub volume_ratio: f64,
}

/// A refine-mode run as its map run left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapStage {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// |D| / |Ω| of the map run's box.
    pub volume_ratio: f64,
    pub stop: StopReason,
    pub iterations: usize,
}

/// `side²` points inside the box `[lower, upper]` at cell centres, one per row: what the
/// network saw there, for a contact sheet. `side²` along the axis in 1-D; a `side × side`
/// lattice on the first two axes otherwise, further axes following the row with a cyclic
/// shift so that every axis takes its `side` cell centres. The one choice of points inside a
/// region (`semrob regions mesh --contact-sheet` takes 16, a benchmark job's renders 4).
pub fn inside_lattice(lower: &[f64], upper: &[f64], side: usize) -> DMatrix<f64> {
    let n = lower.len();
    let count = side * side;
    DMatrix::from_fn(count, n, |j, i| {
        let t = match n {
            1 => (j as f64 + 0.5) / count as f64,
            _ => {
                let (col, row) = (j % side, j / side);
                let k = if i == 0 { col } else { (row + i - 1) % side };
                (k as f64 + 0.5) / side as f64
            }
        };
        lower[i] + t * (upper[i] - lower[i])
    })
}

/// The region of largest volume among `runs` (a contact sheet's "inside"); `None` for none.
pub fn largest_region(runs: &[RunSummary]) -> Option<&RunSummary> {
    runs.iter().max_by(|a, b| a.volume.total_cmp(&b.volume))
}

impl RunSummary {
    /// The renders this run costs on a network (network mode): every point it evaluated,
    /// and for each point where it took a gradient the 2n neighbours of the central
    /// differences (`semantic::finite_difference`). The one place this count is made.
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
    Ok((summarise(domain, search, runs), stats))
}

/// Ω as every regions output writes it: `{"lower": [...], "upper": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainJson {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

impl From<&Region> for DomainJson {
    fn from(d: &Region) -> Self {
        DomainJson {
            lower: d.lower().iter().copied().collect(),
            upper: d.upper().iter().copied().collect(),
        }
    }
}

/// The regions of one function (`semrob regions grid|oracle|mesh` print it as JSON): on a
/// network, the function and its axes; Ω, whether they are adversarial, and every run.
#[derive(Debug, Clone, Serialize)]
pub struct RegionsReport {
    /// The network's function (`regions mesh`), as its maps' metadata names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<NetworkMapMeta>,
    /// The names of the function's parameters (`regions mesh`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub axes: Option<Vec<&'static str>>,
    pub domain: DomainJson,
    pub adversarial: bool,
    pub runs: Vec<RunSummary>,
}

impl RegionsReport {
    /// Every method from every start of `search` on `f` in `domain` ([`run_all`]).
    pub fn grow(
        f: &dyn SemanticFunction,
        domain: &Region,
        search: &RegionSearch,
    ) -> Result<RegionsReport, SearchError> {
        let (runs, _) = run_all(f, domain, search, &mut [])?;
        Ok(RegionsReport {
            function: None,
            axes: None,
            domain: DomainJson::from(domain),
            adversarial: search.goal == Goal::Adversarial,
            runs,
        })
    }
}

/// Several searches in lockstep together ([`run_joint`]: one call of `f` per round for the
/// live runs of all of them), each summarised like [`run_all`]; one outcome per search.
pub fn run_all_joint(
    f: &dyn JointFunction,
    problems: &[Problem<'_>],
    observers: &mut [&mut dyn Observer],
) -> Vec<Result<(Vec<RunSummary>, LockstepStats), SearchError>> {
    run_joint(f, problems, observers)
        .into_iter()
        .zip(problems)
        .map(|(outcome, p)| {
            outcome.map(|(runs, stats)| (summarise(p.domain, p.search, runs), stats))
        })
        .collect()
}

/// Refine mode's map search (SPEC §5, "Refine mode"): under the paper's fixed budget (no rest
/// rule) the map stage takes `iterations − refine_steps` steps, so that a run's two stages
/// together take the configured budget, as a network-mode run does; with the rest rule the map
/// stage is `search` itself (it ends at rest or at its cap, the network stage at rest or at
/// `refine_steps`). `refine_steps` must be below the budget under a fixed budget (the
/// configuration checks it; here it saturates at one map step).
pub fn refine_map_search(search: &RegionSearch, refine_steps: usize) -> RegionSearch {
    let mut hyper = search.hyper;
    if hyper.rest().is_none() {
        hyper.iterations = hyper.iterations.saturating_sub(refine_steps).max(1);
    }
    RegionSearch {
        hyper,
        ..search.clone()
    }
}

/// Refine mode's network search (SPEC §5): every run of `search` continued from the box its
/// map run reached (`map_runs`, in the search's order), for at most `refine_steps` steps, by
/// its own stop rule. Every map run continues, whatever stopped it: a collapsed box goes on
/// as the ε-wide box it is (the network may grow it where the map did not), a box at the
/// domain's edge stays clamped to it, and a run that refused a non-finite step continues from
/// its last finite box. The network has the last word in every case.
pub fn refine_search(
    search: &RegionSearch,
    map_runs: &[RunSummary],
    refine_steps: usize,
) -> Result<RegionSearch, RegionError> {
    let boxes = map_runs
        .iter()
        .map(|r| Region::new(r.lower.clone(), r.upper.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut hyper = search.hyper;
    hyper.iterations = refine_steps;
    Ok(RegionSearch {
        hyper,
        ..search.clone()
    }
    .with_start_boxes(boxes))
}

/// Each map run joined with its network continuation: the continuation's box, stop reason,
/// counts, `hit_cap` and box at 80 % of its cap (`refine_steps`), the map run kept in
/// `map_stage` (with its own stop reason), the traces one after the other.
pub fn join_refined(map_runs: Vec<RunSummary>, refined: Vec<RunSummary>) -> Vec<RunSummary> {
    assert_eq!(
        map_runs.len(),
        refined.len(),
        "one continuation per map run"
    );
    map_runs
        .into_iter()
        .zip(refined)
        .map(|(m, r)| {
            let trace = match (m.trace, r.trace) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                _ => None,
            };
            RunSummary {
                trace,
                map_stage: Some(MapStage {
                    lower: m.lower,
                    upper: m.upper,
                    volume_ratio: m.volume_ratio,
                    stop: m.stop,
                    iterations: m.iterations,
                }),
                ..r
            }
        })
        .collect()
}

/// Records in every run what its final box holds on `map` (robust regions: of `f`).
pub fn record_contents(runs: &mut [RunSummary], map: &Grid, threshold: f64) {
    for r in runs {
        r.contents = map.box_contents(&r.lower, &r.upper, threshold, false);
    }
}

fn summarise(domain: &Region, search: &RegionSearch, runs: Vec<Finished>) -> Vec<RunSummary> {
    let domain_volume = domain.volume();
    search
        .jobs()
        .into_iter()
        .zip(runs)
        .map(|((method, init), (run, final_loss))| {
            let volume = run.region.volume();
            let at_80 = BoxAt80 {
                lower: run.box_at_80.lower().iter().copied().collect(),
                upper: run.box_at_80.upper().iter().copied().collect(),
                volume_ratio: run.box_at_80.volume() / domain_volume,
            };
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
                hit_cap: run.hit_cap,
                at_80: Some(at_80),
                trace: search.keep_trace.then_some(run.trace),
                map_stage: None,
                contents: None,
                certificate: None,
                clean: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_lattice_is_inside_and_gives_every_axis_its_four_cell_centres() {
        let (lo, hi) = ([0.0, 10.0, -4.0], [8.0, 18.0, 4.0]);
        let p = inside_lattice(&lo, &hi, 4);
        assert_eq!(p.shape(), (16, 3));
        for i in 0..3 {
            let mut column: Vec<f64> = p.column(i).iter().copied().collect();
            column.sort_by(f64::total_cmp);
            column.dedup();
            let centres: Vec<f64> = (0..4)
                .map(|k| lo[i] + (k as f64 + 0.5) / 4.0 * (hi[i] - lo[i]))
                .collect();
            assert_eq!(column, centres, "axis {i}");
        }
        // Rows are distinct points.
        let rows: Vec<Vec<u64>> = (0..16)
            .map(|j| p.row(j).iter().map(|x| x.to_bits()).collect())
            .collect();
        let mut unique = rows.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 16);
        let line = inside_lattice(&[0.0], &[16.0], 4);
        assert_eq!(
            line.column(0).iter().copied().collect::<Vec<_>>(),
            (0..16).map(|j| j as f64 + 0.5).collect::<Vec<_>>()
        );
    }

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
            hit_cap: false,
            at_80: None,
            trace: None,
            map_stage: None,
            contents: None,
            certificate: None,
            clean: None,
        };
        assert_eq!(run.network_renders(), 40 + 2 * 2 * 20);
    }
}
