//! The SRVR report (SPEC §5, §7): one model for every way semrob makes one. A results folder
//! (`semrob srvr`, `semrob merge`: [`SrvrReport::from_results`]) and a folder of maps
//! (`semrob srvr grids`: [`SrvrReport::from_grids`], in `analysis::map_folder`) both become a list of
//! [`ShapeOutcome`]s, and [`SrvrReport::build`] turns that list into the report: SRVR per
//! network and class with mean score, top-1 rate, shapes accepted and renders spent.
//! Exporters (`crate::report::export`) write it as JSON, markdown or a terminal summary, and
//! the report page (`crate::report::page`) shows it; golden comparison is
//! `crate::report::golden`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::benchmark::{ConfigError, JobId, JobResult, Stamp};
use super::network_function::inputs::WeightsId;
use super::region_runs::{RegionMode, RunSummary};
use super::srvr::{
    aggregate, Acceptance, AcceptanceSummary, NetworkSrvr, RegionRecord, RejectedShape, ShapeScore,
};
use crate::analysis::certificates::{describe, RegionCertificate};
use crate::certify::{Certificate, Criterion, Verdict};
use crate::region::Method;

/// The report's format tag.
pub const REPORT_FORMAT: &str = "semrob.srvr-report/2";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub class: String,
    /// The ImageNet label (`None`: a folder of maps, which does not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<usize>,
    /// Mean region volume over |Ω| (accepted shapes × starts × methods); `None`: no shape
    /// of the class was accepted.
    pub srvr: Option<f64>,
    /// SRVR counting only certified regions (SPEC §8); absent unless every region holds a
    /// certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_srvr: Option<f64>,
    /// SRVR of certified regions, or of their certified clean boxes (`clean` certificates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_srvr: Option<f64>,
    /// Mean acceptance-map score over the class's shapes (accepted or not).
    pub mean_score: f64,
    /// Fraction of the map's renders classified as the label (`None`: not recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top1_rate: Option<f64>,
    /// Shapes the acceptance rule kept (the reference network's decision, SPEC §7).
    pub shapes_accepted: usize,
    pub shapes: usize,
    /// Shapes this network itself scores ≥ the threshold on (its own pass count).
    pub own_pass: usize,
    pub regions: usize,
    /// Renders classified (acceptance maps and region runs; `None`: the maps were made
    /// elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    pub network: String,
    /// The weights file (`None`: a folder of maps, which does not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightsId>,
    /// Mean of the class SRVRs that exist.
    pub srvr: Option<f64>,
    /// Mean of the classes' certified SRVR (SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_srvr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_srvr: Option<f64>,
    pub mean_score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top1_rate: Option<f64>,
    pub shapes_accepted: usize,
    pub shapes: usize,
    pub own_pass: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<usize>,
    /// Whether its counted runs settled, and SRVR with 80 % of the cap (issue 33); absent
    /// unless every counted run recorded its box at 80 % of the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settling: Option<Settling>,
    pub classes: Vec<ClassReport>,
}

/// Whether runs settled before their cap, and how much SRVR still depended on the cap
/// (issue 33): the share of runs at rest, and SRVR computed from each run's box at 80 % of
/// its cap, aggregated exactly like SRVR (same acceptance, per class then per network).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settling {
    /// Runs counted (those of accepted shapes).
    pub runs: usize,
    /// Runs that came to rest with a box of full dimension (per-step rule or rest rule,
    /// [`crate::region::StopReason::is_at_rest`]).
    pub at_rest: usize,
    /// Runs that used up their cap still moving. The rest (`runs − at_rest − hit_cap`)
    /// collapsed or stopped on a non-finite step.
    pub hit_cap: usize,
    /// SRVR at the cap (the report's SRVR; for a method, the mean over networks of the SRVR
    /// of its runs alone).
    pub srvr: Option<f64>,
    /// The same SRVR from each run's box at 80 % of its cap (its final box if it ended
    /// sooner).
    pub srvr_at_80: Option<f64>,
    /// `srvr − srvr_at_80`, in fractions of |Ω|: how far the last 20 % of the budget moved
    /// SRVR.
    pub budget_sensitivity: Option<f64>,
}

impl Settling {
    /// The share of runs at rest (0 without runs).
    pub fn at_rest_share(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.at_rest as f64 / self.runs as f64
        }
    }
}

/// Evaluations of one method, against the paper's fixed budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodReport {
    pub method: Method,
    pub runs: usize,
    /// Runs that came to rest with a box of full dimension: `converged` by the per-step rule
    /// or `rested` by the rest rule ([`crate::region::StopReason::is_at_rest`]).
    pub converged: usize,
    pub mean_iterations: f64,
    /// Mean renders per run (OIR_W: with its finite-difference neighbours; 0 in map mode).
    pub mean_renders: f64,
    /// The paper's code: 800 steps × the points of one step (2ⁿ corners, ×2 with the outer
    /// box), e.g. 6 400 for OIR in 2-D.
    pub paper_evaluations: usize,
    /// Whether the method's counted runs settled, and its SRVR at the cap against 80 % of it
    /// (SRVR of its runs alone, per network, then the mean over networks); absent unless
    /// every counted run recorded its box at 80 % of the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settling: Option<Settling>,
    /// What the method's final boxes hold on their jobs' maps (runs that recorded it; absent
    /// where none did, e.g. a folder of maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents: Option<ContentsSummary>,
    /// The method's certificates (runs of counted shapes that hold one; absent where none
    /// does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<CertificateSummary>,
}

/// A method's certificates over its runs (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CertificateSummary {
    /// Runs assessed (holding a certificate, or too small to get one).
    pub runs: usize,
    /// Runs whose box is under the smallest certified share of Ω (not sampled).
    pub too_small: usize,
    pub certified: usize,
    /// Sampled to the end, but the bound stayed above the share.
    pub not_certified: usize,
    /// Stopped early: certification had become impossible.
    pub refuted: usize,
    /// Runs whose clean box is certified (`clean` certificates; 0 otherwise).
    pub clean_certified: usize,
    /// Mean samples per sampled certificate.
    pub mean_samples: f64,
    /// Certificates whose margin is below `FRAGILE_MARGIN` (may differ on another CPU).
    pub fragile: usize,
}

/// How clean a method's regions are, over its runs: the score inside each final box on the
/// job's map (issue 19, item 7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContentsSummary {
    /// Runs whose contents were recorded.
    pub runs: usize,
    /// Mean over runs of the mean score inside the box.
    pub mean_score: f64,
    /// Mean over runs of the lowest score inside the box.
    pub mean_min_score: f64,
    /// Mean over runs of the share of the box's volume scoring below the threshold.
    pub mean_below: f64,
    /// The largest such share of any run.
    pub max_below: f64,
    /// The threshold (the acceptance threshold τ).
    pub threshold: f64,
}

/// The SRVR report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SrvrReport {
    pub format: String,
    /// The configuration's name (a folder of maps: the folder's name).
    pub name: String,
    /// The configuration's fingerprint (`None`: a folder of maps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
    pub jobs_done: usize,
    pub jobs_total: usize,
    /// Where the regions grew: `map` (an approximation, SPEC §5), `network` or `refine`.
    pub mode: RegionMode,
    /// Refine mode: the budget of network steps per run after its map run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine_steps: Option<usize>,
    /// Which rule and network chose the shapes (SPEC §7).
    pub acceptance: AcceptanceSummary,
    pub networks: Vec<NetworkReport>,
    pub methods: Vec<MethodReport>,
    /// What the certificates in this report state (absent when no run holds one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<CertificateTerms>,
}

/// The terms of the report's certificates: what "certified" means in it (SPEC §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateTerms {
    pub confidence: f64,
    pub max_share: f64,
    pub criterion: Criterion,
    pub threshold: f64,
    /// Samples planned per region.
    pub samples: usize,
    /// Whether runs were certified with more than one set of terms (then these are the
    /// first run's).
    pub mixed: bool,
}

impl CertificateTerms {
    /// What a certified region means, in one sentence.
    pub fn sentence(&self) -> String {
        let mut s = describe(
            self.confidence,
            self.max_share,
            self.criterion,
            self.threshold,
            self.samples,
        );
        if self.mixed {
            s.push_str(" Some regions were certified under other terms: run `semrob certify` again to make them one.");
        }
        s
    }
}

/// One (network, shape) as the report sees it: its map's numbers and its region runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeOutcome {
    pub job: JobId,
    pub label: Option<usize>,
    pub weights: Option<WeightsId>,
    /// Mean score of its acceptance map (SPEC §7).
    pub mean_score: f64,
    pub top1_rate: Option<f64>,
    /// Renders classified for it (`None`: not known).
    pub evaluations: Option<usize>,
    /// Its region runs (none when the acceptance rule left the shape out).
    pub runs: Vec<RunSummary>,
}

impl ShapeOutcome {
    fn score(&self) -> ShapeScore {
        ShapeScore {
            job: self.job.clone(),
            mean_score: self.mean_score,
        }
    }
}

impl From<&JobResult> for ShapeOutcome {
    fn from(r: &JobResult) -> ShapeOutcome {
        ShapeOutcome {
            job: r.job.clone(),
            label: Some(r.label),
            weights: Some(r.weights.clone()),
            mean_score: r.mean_score,
            top1_rate: Some(r.top1_rate),
            evaluations: Some(r.map_points + r.region_renders),
            runs: r.runs.clone(),
        }
    }
}

/// What a report says about where its shapes came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportHeader {
    pub name: String,
    pub config_hash: Option<String>,
    /// Jobs (network, shape) planned; fewer outcomes than this make a partial report.
    pub jobs_total: usize,
    pub mode: RegionMode,
    pub refine_steps: Option<usize>,
}

/// The mean of `xs`, 0 when there are none.
pub(crate) fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// The mean of values that are all known, else `None`.
fn mean_known(xs: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let xs: Option<Vec<f64>> = xs.collect();
    xs.map(|v| mean(v.into_iter()))
}

/// The sum of values that are all known, else `None`.
fn sum_known(xs: impl Iterator<Item = Option<usize>>) -> Option<usize> {
    xs.sum()
}

/// A network's row of the report (and its classes'), from its SRVR row and its shapes'
/// outcomes; `min` is the acceptance threshold its own-pass counts use.
fn network_report(
    net: &NetworkSrvr,
    shapes: &[ShapeOutcome],
    settled: Option<&SettlingTables>,
    min: f64,
) -> NetworkReport {
    let of_net: Vec<&ShapeOutcome> = shapes
        .iter()
        .filter(|s| s.job.network == net.network)
        .collect();
    let classes = net
        .classes
        .iter()
        .map(|c| {
            let of_class: Vec<&&ShapeOutcome> =
                of_net.iter().filter(|s| s.job.class == c.class).collect();
            ClassReport {
                class: c.class.clone(),
                label: of_class.first().and_then(|s| s.label),
                srvr: c.srvr,
                certified_srvr: c.certified_srvr,
                clean_srvr: c.clean_srvr,
                mean_score: mean(of_class.iter().map(|s| s.mean_score)),
                top1_rate: mean_known(of_class.iter().map(|s| s.top1_rate)),
                shapes_accepted: c.shapes,
                shapes: c.shapes + c.rejected,
                own_pass: of_class.iter().filter(|s| s.mean_score >= min).count(),
                regions: c.regions,
                evaluations: sum_known(of_class.iter().map(|s| s.evaluations)),
            }
        })
        .collect::<Vec<_>>();
    NetworkReport {
        network: net.network.clone(),
        weights: of_net.first().and_then(|s| s.weights.clone()),
        srvr: net.srvr,
        certified_srvr: net.certified_srvr,
        clean_srvr: net.clean_srvr,
        mean_score: mean(of_net.iter().map(|s| s.mean_score)),
        top1_rate: mean_known(of_net.iter().map(|s| s.top1_rate)),
        shapes_accepted: classes.iter().map(|c| c.shapes_accepted).sum(),
        shapes: of_net.len(),
        own_pass: of_net.iter().filter(|s| s.mean_score >= min).count(),
        evaluations: sum_known(of_net.iter().map(|s| s.evaluations)),
        settling: settled.map(|t| t.of_network(&net.network)),
        classes,
    }
}

impl SrvrReport {
    /// The report of `shapes` (in any order) under `acceptance`. Only the runs of shapes the
    /// rule keeps count; a network's figures are the mean over its classes that kept a shape.
    pub fn build(
        header: ReportHeader,
        acceptance: &Acceptance,
        shapes: &[ShapeOutcome],
    ) -> SrvrReport {
        let min = acceptance.summary().threshold;
        let mut records = Vec::new();
        let mut rejected = Vec::new();
        let mut counted: Vec<&ShapeOutcome> = Vec::new();
        for s in shapes {
            if acceptance.keeps(&s.score()) {
                counted.push(s);
                records.extend(s.runs.iter().map(|run| RegionRecord {
                    job: s.job.clone(),
                    method: run.method,
                    init: run.init.clone(),
                    volume_ratio: run.volume_ratio,
                    certified_ratio: run.certified_ratio(),
                    clean_ratio: run.clean_ratio(),
                }));
            } else {
                rejected.push(RejectedShape {
                    job: s.job.clone(),
                    mean_score: s.mean_score,
                });
            }
        }
        let table = aggregate(&records, &rejected);
        let settled = SettlingTables::of(&counted, &rejected);
        let networks = table
            .networks
            .iter()
            .map(|net| network_report(net, shapes, settled.as_ref(), min))
            .collect();
        SrvrReport {
            format: REPORT_FORMAT.into(),
            name: header.name,
            config_hash: header.config_hash,
            jobs_done: shapes.len(),
            jobs_total: header.jobs_total,
            mode: header.mode,
            refine_steps: header.refine_steps,
            acceptance: acceptance.summary(),
            networks,
            methods: method_reports(header.mode, shapes, settled.as_ref()),
            certificates: certificate_terms(&counted),
        }
    }

    /// The report of a results folder's finished jobs (in any order), with the
    /// configuration's acceptance rule (SPEC §7) read from the stamp.
    pub fn from_results(stamp: &Stamp, results: &[JobResult]) -> Result<SrvrReport, ConfigError> {
        let checked = stamp.config.clone().check("results stamp")?;
        let shapes: Vec<ShapeOutcome> = results.iter().map(ShapeOutcome::from).collect();
        let scores: Vec<ShapeScore> = shapes.iter().map(ShapeOutcome::score).collect();
        let min = checked.config.acceptance.min_mean_score;
        let acceptance = Acceptance::new(checked.accept_by.clone(), min, &scores).map_err(|e| {
            ConfigError::Field {
                origin: "results stamp".into(),
                field: "acceptance.min_mean_score".into(),
                message: e.to_string(),
            }
        })?;
        let header = ReportHeader {
            name: checked.config.name.clone(),
            config_hash: Some(stamp.config_hash.clone()),
            jobs_total: stamp.jobs.len(),
            mode: checked.config.regions,
            refine_steps: checked.config.refine_steps,
        };
        Ok(SrvrReport::build(header, &acceptance, &shapes))
    }

    /// Where the regions grew, in words; refine mode with its budget of network steps.
    pub fn mode_sentence(&self) -> String {
        self.mode.describe(self.refine_steps)
    }

    /// SRVR per network in percent of |Ω| (networks without one are left out).
    pub fn bars(&self) -> Vec<(String, f64)> {
        self.networks
            .iter()
            .filter_map(|n| n.srvr.map(|s| (n.network.clone(), 100.0 * s)))
            .collect()
    }
}

/// Steps and renders per method. Map mode grows regions on the map: its steps render
/// nothing; network mode renders each step's points and OIR_W's 2n neighbours per gradient;
/// refine mode renders its network steps alike (the runs' counts are those steps').
fn method_reports(
    mode: RegionMode,
    shapes: &[ShapeOutcome],
    settled: Option<&SettlingTables>,
) -> Vec<MethodReport> {
    let mut by_method: BTreeMap<&str, Vec<&RunSummary>> = BTreeMap::new();
    for run in shapes.iter().flat_map(|s| &s.runs) {
        by_method.entry(run.method.as_str()).or_default().push(run);
    }
    let renders = |run: &RunSummary| match mode {
        RegionMode::Map => 0,
        RegionMode::Network | RegionMode::Refine => run.network_renders(),
    };
    Method::ALL
        .iter()
        .filter_map(|m| {
            let runs = by_method.get(m.as_str())?;
            let dim = runs[0].init.len();
            let per_step = (1usize << dim) * if m.needs_outer() { 2 } else { 1 };
            Some(MethodReport {
                method: *m,
                runs: runs.len(),
                converged: runs.iter().filter(|r| r.stop.is_at_rest()).count(),
                mean_iterations: mean(runs.iter().map(|r| r.iterations as f64)),
                mean_renders: mean(runs.iter().map(|r| renders(r) as f64)),
                paper_evaluations: 800 * per_step,
                settling: settled.map(|t| t.of_method(*m)),
                contents: contents_summary(runs),
                certificates: certificate_summary(runs),
            })
        })
        .collect()
}

/// The counted runs with their boxes at the cap and at 80 % of it, aggregated alike.
struct SettlingTables {
    /// Per counted run: its job, method, whether at rest, whether it hit the cap.
    runs: Vec<(JobId, Method, bool, bool)>,
    /// SRVR records at the cap and at 80 % of it, in the same order.
    at_cap: Vec<RegionRecord>,
    at_80: Vec<RegionRecord>,
    rejected: Vec<RejectedShape>,
}

impl SettlingTables {
    /// `None` when no shape was counted or a counted run has no box at 80 % of its cap (a
    /// record written before it was kept).
    fn of(counted: &[&ShapeOutcome], rejected: &[RejectedShape]) -> Option<SettlingTables> {
        let mut t = SettlingTables {
            runs: Vec::new(),
            at_cap: Vec::new(),
            at_80: Vec::new(),
            rejected: rejected.to_vec(),
        };
        for s in counted {
            for run in &s.runs {
                let at_80 = run.at_80.as_ref()?;
                let record = |volume_ratio: f64| RegionRecord {
                    job: s.job.clone(),
                    method: run.method,
                    init: run.init.clone(),
                    volume_ratio,
                    certified_ratio: None,
                    clean_ratio: None,
                };
                t.runs.push((
                    s.job.clone(),
                    run.method,
                    run.stop.is_at_rest(),
                    run.hit_cap,
                ));
                t.at_cap.push(record(run.volume_ratio));
                t.at_80.push(record(at_80.volume_ratio));
            }
        }
        (!t.runs.is_empty()).then_some(t)
    }

    /// The figures of the runs `keep` selects: SRVR per network of those runs (the same
    /// [`aggregate`] as the report's, at the cap and at 80 %), then the mean over networks
    /// that have one (one network: its SRVR).
    fn figures(&self, keep: impl Fn(&JobId, Method) -> bool) -> Settling {
        let pick = |records: &[RegionRecord]| -> Vec<RegionRecord> {
            records
                .iter()
                .filter(|r| keep(&r.job, r.method))
                .cloned()
                .collect()
        };
        let srvr = |records: &[RegionRecord]| -> Option<f64> {
            let nets: Vec<f64> = aggregate(&pick(records), &self.rejected)
                .networks
                .iter()
                .filter_map(|n| n.srvr)
                .collect();
            (!nets.is_empty()).then(|| mean(nets.iter().copied()))
        };
        let runs: Vec<_> = self.runs.iter().filter(|(j, m, ..)| keep(j, *m)).collect();
        let (at_cap, at_80) = (srvr(&self.at_cap), srvr(&self.at_80));
        Settling {
            runs: runs.len(),
            at_rest: runs.iter().filter(|r| r.2).count(),
            hit_cap: runs.iter().filter(|r| r.3).count(),
            srvr: at_cap,
            srvr_at_80: at_80,
            budget_sensitivity: at_cap.zip(at_80).map(|(a, b)| a - b),
        }
    }

    /// A network's runs, every method.
    fn of_network(&self, network: &str) -> Settling {
        self.figures(|j, _| j.network == network)
    }

    /// A method's runs on every network.
    fn of_method(&self, method: Method) -> Settling {
        self.figures(|_, m| m == method)
    }
}

/// The contents of the runs that recorded them; `None` when none did.
fn contents_summary(runs: &[&RunSummary]) -> Option<ContentsSummary> {
    let known: Vec<_> = runs.iter().filter_map(|r| r.contents).collect();
    let first = known.first()?;
    Some(ContentsSummary {
        runs: known.len(),
        mean_score: mean(known.iter().map(|c| c.mean)),
        mean_min_score: mean(known.iter().map(|c| c.min)),
        mean_below: mean(known.iter().map(|c| c.below)),
        max_below: known.iter().map(|c| c.below).fold(0.0, f64::max),
        threshold: first.threshold,
    })
}

/// The certificates of the runs that hold one; `None` when none does.
fn certificate_summary(runs: &[&RunSummary]) -> Option<CertificateSummary> {
    let assessed: Vec<(&RunSummary, &RegionCertificate)> = runs
        .iter()
        .filter_map(|r| r.certificate.as_ref().map(|c| (*r, c)))
        .collect();
    if assessed.is_empty() {
        return None;
    }
    let sampled: Vec<&Certificate> = assessed.iter().filter_map(|(_, c)| c.sampled()).collect();
    let verdicts = |v: Verdict| sampled.iter().filter(|c| c.verdict == v).count();
    Some(CertificateSummary {
        runs: assessed.len(),
        too_small: assessed.len() - sampled.len(),
        certified: verdicts(Verdict::Certified),
        not_certified: verdicts(Verdict::NotCertified),
        refuted: verdicts(Verdict::Refuted),
        clean_certified: assessed
            .iter()
            .filter(|(r, _)| {
                r.clean
                    .as_ref()
                    .is_some_and(|c| c.certificate.is_certified())
            })
            .count(),
        mean_samples: mean(sampled.iter().map(|c| c.samples as f64)),
        fragile: assessed.iter().filter(|(_, c)| c.is_fragile()).count(),
    })
}

/// The terms of the counted runs' certificates; `None` when no run holds a sampled one.
fn certificate_terms(shapes: &[&ShapeOutcome]) -> Option<CertificateTerms> {
    let mut terms: Option<CertificateTerms> = None;
    let sampled = shapes
        .iter()
        .flat_map(|s| &s.runs)
        .flat_map(|r| {
            r.certificate
                .iter()
                .chain(r.clean.as_ref().map(|c| &c.certificate))
        })
        .filter_map(RegionCertificate::sampled);
    for c in sampled {
        let these = CertificateTerms {
            confidence: c.confidence,
            max_share: c.max_share,
            criterion: c.criterion,
            threshold: c.threshold,
            samples: c.planned,
            mixed: false,
        };
        match &mut terms {
            None => terms = Some(these),
            Some(t) => {
                if (CertificateTerms {
                    mixed: t.mixed,
                    ..these
                }) != *t
                {
                    t.mixed = true;
                }
            }
        }
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::region_runs::BoxAt80;
    use crate::analysis::srvr::AcceptBy;
    use crate::region::StopReason;

    /// A 1-D run on Ω = [0, 1] with its box at the cap and at 80 % of it.
    fn run(method: Method, ratio: f64, at_80: Option<f64>, stop: StopReason) -> RunSummary {
        RunSummary {
            method,
            init: vec![0.5],
            lower: vec![0.0],
            upper: vec![ratio],
            volume: ratio,
            volume_ratio: ratio,
            stop,
            iterations: 100,
            evaluations: 200,
            gradient_evaluations: 0,
            final_loss: None,
            hit_cap: stop == StopReason::MaxIterations,
            at_80: at_80.map(|r| BoxAt80 {
                lower: vec![0.0],
                upper: vec![r],
                volume_ratio: r,
            }),
            trace: None,
            map_stage: None,
            contents: None,
            certificate: None,
            clean: None,
        }
    }

    fn shape(job: &str, score: f64, runs: Vec<RunSummary>) -> ShapeOutcome {
        let parts: Vec<&str> = job.split('/').collect();
        ShapeOutcome {
            job: JobId::new(parts[0], parts[1], parts[2]),
            label: None,
            weights: None,
            mean_score: score,
            top1_rate: None,
            evaluations: None,
            runs,
        }
    }

    fn report(shapes: &[ShapeOutcome]) -> SrvrReport {
        let scores: Vec<ShapeScore> = shapes.iter().map(ShapeOutcome::score).collect();
        let acceptance = Acceptance::new(AcceptBy::Each, 0.5, &scores).unwrap();
        let header = ReportHeader {
            name: "hand-made".into(),
            config_hash: None,
            jobs_total: shapes.len(),
            mode: RegionMode::Map,
            refine_steps: None,
        };
        SrvrReport::build(header, &acceptance, shapes)
    }

    use Method::{OirB, OirW};
    use StopReason::{Collapsed, Converged, MaxIterations, Rested};

    /// Two networks; network `a` has two classes (two shapes of mug, one of vase) and a
    /// rejected shape whose runs kept no box at 80 % (they must not count).
    fn hand_made() -> Vec<ShapeOutcome> {
        vec![
            shape(
                "a/mug/s1",
                0.9,
                vec![
                    run(OirB, 0.2, Some(0.1), MaxIterations),
                    run(OirW, 0.4, Some(0.4), Converged),
                ],
            ),
            shape(
                "a/mug/s2",
                0.9,
                vec![
                    run(OirB, 0.6, Some(0.3), MaxIterations),
                    run(OirW, 0.2, Some(0.2), Rested),
                ],
            ),
            shape(
                "a/vase/s3",
                0.9,
                vec![
                    run(OirB, 0.1, Some(0.1), Collapsed),
                    run(OirW, 0.3, Some(0.2), MaxIterations),
                ],
            ),
            shape("a/cup/s4", 0.1, vec![run(OirB, 0.9, None, MaxIterations)]),
            shape(
                "b/mug/s1",
                0.9,
                vec![
                    run(OirB, 0.5, Some(0.5), Converged),
                    run(OirW, 0.1, Some(0.05), MaxIterations),
                ],
            ),
        ]
    }

    fn close(got: Option<f64>, want: f64) {
        let got = got.expect("a figure");
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    #[test]
    fn settling_per_network_is_srvr_at_the_cap_against_80_percent_aggregated_alike() {
        let r = report(&hand_made());
        let a = r.networks[0]
            .settling
            .expect("every counted run kept its box");
        // mug: mean(0.2, 0.4, 0.6, 0.2) = 0.35, at 80 %: mean(0.1, 0.4, 0.3, 0.2) = 0.25;
        // vase: 0.2 and 0.15; network: the mean of its classes.
        close(a.srvr, 0.275);
        close(a.srvr_at_80, 0.2);
        close(a.budget_sensitivity, 0.075);
        assert_eq!(a.srvr, r.networks[0].srvr, "the same aggregation as SRVR");
        assert_eq!((a.runs, a.at_rest, a.hit_cap), (6, 2, 3));
        assert!((a.at_rest_share() - 1.0 / 3.0).abs() < 1e-12);
        let b = r.networks[1].settling.unwrap();
        close(b.srvr, 0.3);
        close(b.srvr_at_80, 0.275);
        close(b.budget_sensitivity, 0.025);
        assert_eq!((b.runs, b.at_rest, b.hit_cap), (2, 1, 1));
    }

    #[test]
    fn settling_per_method_is_the_mean_over_networks_of_its_runs_alone() {
        let r = report(&hand_made());
        let b = r.methods.iter().find(|m| m.method == OirB).unwrap();
        let s = b.settling.unwrap();
        // a: mug mean(0.2, 0.6), vase 0.1 → 0.25 (at 80 %: 0.2, 0.1 → 0.15); b: 0.5 (0.5).
        close(s.srvr, 0.375);
        close(s.srvr_at_80, 0.325);
        close(s.budget_sensitivity, 0.05);
        assert_eq!((s.runs, s.at_rest, s.hit_cap), (4, 1, 2));
        let w = r.methods.iter().find(|m| m.method == OirW).unwrap();
        let s = w.settling.unwrap();
        // a: mug mean(0.4, 0.2), vase 0.3 → 0.3 (at 80 %: 0.3, 0.2 → 0.25); b: 0.1 (0.05).
        close(s.srvr, 0.2);
        close(s.srvr_at_80, 0.15);
        assert_eq!((s.runs, s.at_rest, s.hit_cap), (4, 2, 2));
    }

    #[test]
    fn without_boxes_at_80_percent_the_report_has_no_settling_keys() {
        let mut shapes = hand_made();
        shapes[0].runs[1].at_80 = None;
        let r = report(&shapes);
        assert!(r.networks.iter().all(|n| n.settling.is_none()));
        assert!(r.methods.iter().all(|m| m.settling.is_none()));
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("settling"), "{json}");
        // With them, the keys are there and read back.
        let r = report(&hand_made());
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"budget_sensitivity\""));
        let back: SrvrReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }
}
