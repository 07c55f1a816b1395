//! The benchmark report: SRVR per network and class (SPEC §5) with mean score, top-1 rate,
//! shapes accepted and evaluations spent (golden comparison: `crate::report::golden`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::{ConfigError, RegionMode, SrvrConfig};
use super::results::{JobResult, Stamp};
use crate::analysis::inputs::WeightsId;
use crate::analysis::srvr::{
    aggregate, Acceptance, AcceptanceSummary, RegionRecord, RejectedShape, ShapeScore,
};
use crate::region::Method;

/// The report's format tag.
pub const REPORT_FORMAT: &str = "semrob.srvr-report/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub class: String,
    pub label: usize,
    /// Mean region volume over |Ω| (accepted shapes × starts × methods); `None`: no shape
    /// of the class was accepted.
    pub srvr: Option<f64>,
    /// Mean acceptance-map score over the class's shapes (accepted or not).
    pub mean_score: f64,
    pub top1_rate: f64,
    /// Shapes the acceptance rule kept (the reference network's decision, SPEC §7).
    pub shapes_accepted: usize,
    pub shapes: usize,
    /// Shapes this network itself scores ≥ the threshold on (its own pass count).
    pub own_pass: usize,
    pub regions: usize,
    /// Renders classified (acceptance maps and region runs).
    pub evaluations: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkReport {
    pub network: String,
    pub weights: WeightsId,
    /// Mean of the class SRVRs that exist.
    pub srvr: Option<f64>,
    pub mean_score: f64,
    pub top1_rate: f64,
    pub shapes_accepted: usize,
    pub shapes: usize,
    pub own_pass: usize,
    pub evaluations: usize,
    pub classes: Vec<ClassReport>,
}

/// Evaluations of one method, against the paper's fixed budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodReport {
    pub method: Method,
    pub runs: usize,
    pub converged: usize,
    pub mean_iterations: f64,
    /// Mean renders per run (OIR_W: with its finite-difference neighbours).
    pub mean_renders: f64,
    /// The paper's code: 800 steps × the points of one step (2ⁿ corners, ×2 with the outer
    /// box), e.g. 6 400 for OIR in 2-D.
    pub paper_evaluations: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub format: String,
    pub name: String,
    pub config_hash: String,
    pub jobs_done: usize,
    pub jobs_total: usize,
    /// Where the regions grew: `map` (an approximation, SPEC §5) or `network`.
    pub mode: RegionMode,
    /// Which rule and network chose the shapes (SPEC §7).
    pub acceptance: AcceptanceSummary,
    pub networks: Vec<NetworkReport>,
    pub methods: Vec<MethodReport>,
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

fn evaluations(r: &JobResult) -> usize {
    r.map_points + r.region_renders
}

/// Builds the report from the finished jobs (in any order), with the configuration's
/// acceptance rule (SPEC §7) read from the stamp.
pub fn build_report(stamp: &Stamp, results: &[JobResult]) -> Result<BenchReport, ConfigError> {
    let config: SrvrConfig =
        serde_json::from_value(stamp.config.clone()).map_err(|e| ConfigError::Field {
            origin: "results stamp".into(),
            field: "config".into(),
            message: e.to_string(),
        })?;
    let checked = config.check("results stamp")?;
    let dim = checked.axes.len();
    let min = checked.config.acceptance.min_mean_score;
    let scores: Vec<ShapeScore> = results
        .iter()
        .map(|r| ShapeScore {
            network: r.job.network.clone(),
            class: r.job.class.clone(),
            shape: r.job.shape.clone(),
            mean_score: r.mean_score,
        })
        .collect();
    let acceptance = Acceptance::new(checked.accept_by.clone(), min, &scores).map_err(|e| {
        ConfigError::Field {
            origin: "results stamp".into(),
            field: "acceptance.min_mean_score".into(),
            message: e.to_string(),
        }
    })?;
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for (r, score) in results.iter().zip(&scores) {
        if acceptance.keeps(score) {
            records.extend(r.runs.iter().map(|run| RegionRecord {
                network: r.job.network.clone(),
                class: r.job.class.clone(),
                shape: r.job.shape.clone(),
                method: run.method.to_string(),
                init: run.init.clone(),
                volume_ratio: run.volume_ratio,
            }));
        } else {
            rejected.push(RejectedShape {
                network: r.job.network.clone(),
                class: r.job.class.clone(),
                shape: r.job.shape.clone(),
                mean_score: r.mean_score,
            });
        }
    }
    let srvr = aggregate(&records, &rejected);
    let networks = srvr
        .networks
        .iter()
        .map(|net| {
            let of_net: Vec<&JobResult> = results
                .iter()
                .filter(|r| r.job.network == net.network)
                .collect();
            let classes = net
                .classes
                .iter()
                .map(|c| {
                    let of_class: Vec<&&JobResult> =
                        of_net.iter().filter(|r| r.job.class == c.class).collect();
                    ClassReport {
                        class: c.class.clone(),
                        label: of_class.first().map_or(0, |r| r.label),
                        srvr: c.srvr,
                        mean_score: mean(of_class.iter().map(|r| r.mean_score)),
                        top1_rate: mean(of_class.iter().map(|r| r.top1_rate)),
                        shapes_accepted: c.shapes,
                        shapes: c.shapes + c.rejected,
                        own_pass: of_class.iter().filter(|r| r.mean_score >= min).count(),
                        regions: c.regions,
                        evaluations: of_class.iter().map(|r| evaluations(r)).sum(),
                    }
                })
                .collect::<Vec<_>>();
            NetworkReport {
                network: net.network.clone(),
                weights: of_net[0].weights.clone(),
                srvr: net.srvr,
                mean_score: mean(of_net.iter().map(|r| r.mean_score)),
                top1_rate: mean(of_net.iter().map(|r| r.top1_rate)),
                shapes_accepted: classes.iter().map(|c| c.shapes_accepted).sum(),
                shapes: of_net.len(),
                own_pass: of_net.iter().filter(|r| r.mean_score >= min).count(),
                evaluations: of_net.iter().map(|r| evaluations(r)).sum(),
                classes,
            }
        })
        .collect();
    let mut by_method: BTreeMap<&str, Vec<(Method, usize, bool, usize)>> = BTreeMap::new();
    for r in results {
        for run in &r.runs {
            // Map mode grows regions on the map: its steps render nothing.
            let renders = match checked.config.regions {
                RegionMode::Map => 0,
                RegionMode::Network => run.evaluations + 2 * dim * run.gradient_evaluations,
            };
            by_method.entry(run.method.as_str()).or_default().push((
                run.method,
                run.iterations,
                run.stop == crate::region::StopReason::Converged,
                renders,
            ));
        }
    }
    let methods = Method::ALL
        .iter()
        .filter_map(|m| {
            let runs = by_method.get(m.as_str())?;
            let per_step = (1usize << dim) * if m.needs_outer() { 2 } else { 1 };
            Some(MethodReport {
                method: *m,
                runs: runs.len(),
                converged: runs.iter().filter(|r| r.2).count(),
                mean_iterations: mean(runs.iter().map(|r| r.1 as f64)),
                mean_renders: mean(runs.iter().map(|r| r.3 as f64)),
                paper_evaluations: 800 * per_step,
            })
        })
        .collect();
    Ok(BenchReport {
        format: REPORT_FORMAT.into(),
        name: stamp.config["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        config_hash: stamp.config_hash.clone(),
        jobs_done: results.len(),
        jobs_total: stamp.jobs.len(),
        mode: checked.config.regions,
        acceptance: acceptance.summary(),
        networks,
        methods,
    })
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.3}", 100.0 * v))
}

impl BenchReport {
    /// Markdown tables: one row per network and class, a bold total per network; then the
    /// evaluations per method against the paper's budget.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if self.jobs_done < self.jobs_total {
            out.push_str(&format!(
                "**partial: {} of {} jobs finished**\n\n",
                self.jobs_done, self.jobs_total
            ));
        }
        out.push_str(&format!(
            "SRVR with {}.\n\n{}\n\n",
            self.mode.describe(),
            self.acceptance.sentence()
        ));
        out.push_str(
            "| network | class (label) | shapes accepted | own pass | mean score | top-1 | SRVR (% of Ω) | evaluations |\n\
             |---|---|---:|---:|---:|---:|---:|---:|\n",
        );
        for n in &self.networks {
            for c in &n.classes {
                out.push_str(&format!(
                    "| {} | {} ({}) | {}/{} | {} | {:.3} | {:.3} | {} | {} |\n",
                    n.network,
                    c.class,
                    c.label,
                    c.shapes_accepted,
                    c.shapes,
                    c.own_pass,
                    c.mean_score,
                    c.top1_rate,
                    pct(c.srvr),
                    c.evaluations
                ));
            }
            out.push_str(&format!(
                "| **{}** | **all** | **{}/{}** | **{}** | **{:.3}** | **{:.3}** | **{}** | **{}** |\n",
                n.network,
                n.shapes_accepted,
                n.shapes,
                n.own_pass,
                n.mean_score,
                n.top1_rate,
                pct(n.srvr),
                n.evaluations
            ));
        }
        if !self.methods.is_empty() {
            out.push_str(
                "\n| method | runs | converged | mean steps | mean renders per run | paper (800 steps) |\n\
                 |---|---:|---:|---:|---:|---:|\n",
            );
            for m in &self.methods {
                // Map mode grows regions on the map: its steps render nothing.
                let renders = match self.mode {
                    RegionMode::Map => "none (map mode)".to_string(),
                    RegionMode::Network => format!("{:.1}", m.mean_renders),
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {:.1} | {renders} | {} |\n",
                    m.method, m.runs, m.converged, m.mean_iterations, m.paper_evaluations
                ));
            }
        }
        out
    }

    /// SRVR per network in percent of |Ω| (networks without one are left out).
    pub fn bars(&self) -> Vec<(String, f64)> {
        self.networks
            .iter()
            .filter_map(|n| n.srvr.map(|s| (n.network.clone(), 100.0 * s)))
            .collect()
    }
}
