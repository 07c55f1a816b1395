//! The benchmark report: SRVR per network and class (SPEC §5) with mean score, top-1 rate,
//! shapes accepted and evaluations spent; golden-file comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::results::{JobResult, Stamp};
use crate::analysis::inputs::WeightsId;
use crate::analysis::srvr::{aggregate, RegionRecord, RejectedShape};
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
    pub shapes_accepted: usize,
    pub shapes: usize,
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
    pub networks: Vec<NetworkReport>,
    pub methods: Vec<MethodReport>,
    /// How the regions were grown: `map` or `network`; absent: not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The acceptance rule's reference network and the shapes it kept; absent: not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<AcceptanceRecord>,
}

/// Which network decided the dataset (SPEC §7) and how many shapes it kept of how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptanceRecord {
    pub network: String,
    pub kept: usize,
    pub of: usize,
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

/// Builds the report from the finished jobs (in any order).
pub fn build_report(stamp: &Stamp, results: &[JobResult], dim: usize) -> BenchReport {
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for r in results {
        if r.accepted {
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
                shapes_accepted: of_net.iter().filter(|r| r.accepted).count(),
                shapes: of_net.len(),
                evaluations: of_net.iter().map(|r| evaluations(r)).sum(),
                classes,
            }
        })
        .collect();
    let mut by_method: BTreeMap<&str, Vec<(Method, usize, bool, usize)>> = BTreeMap::new();
    for r in results {
        for run in &r.runs {
            let renders = run.evaluations + 2 * dim * run.gradient_evaluations;
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
    BenchReport {
        format: REPORT_FORMAT.into(),
        name: stamp.config["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        config_hash: stamp.config_hash.clone(),
        jobs_done: results.len(),
        jobs_total: stamp.jobs.len(),
        networks,
        methods,
        mode: None,
        acceptance: None,
    }
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
        out.push_str(
            "| network | class (label) | shapes accepted | mean score | top-1 | SRVR (% of Ω) | evaluations |\n\
             |---|---|---:|---:|---:|---:|---:|\n",
        );
        for n in &self.networks {
            for c in &n.classes {
                out.push_str(&format!(
                    "| {} | {} ({}) | {}/{} | {:.3} | {:.3} | {} | {} |\n",
                    n.network,
                    c.class,
                    c.label,
                    c.shapes_accepted,
                    c.shapes,
                    c.mean_score,
                    c.top1_rate,
                    pct(c.srvr),
                    c.evaluations
                ));
            }
            out.push_str(&format!(
                "| **{}** | **all** | **{}/{}** | **{:.3}** | **{:.3}** | **{}** | **{}** |\n",
                n.network,
                n.shapes_accepted,
                n.shapes,
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
                out.push_str(&format!(
                    "| {} | {} | {} | {:.1} | {:.1} | {} |\n",
                    m.method,
                    m.runs,
                    m.converged,
                    m.mean_iterations,
                    m.mean_renders,
                    m.paper_evaluations
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

/// The golden comparison's tolerance: a number passes when `|got − want| ≤ abs + rel·|want|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub abs: f64,
    pub rel: f64,
}

/// The stated tolerance of `--golden`: 1e-6 absolute plus 1e-4 relative. Renders are
/// bit-identical across thread counts; the slack is for libtorch's CPU kernels, whose
/// summation order may differ between machines.
pub const GOLDEN_TOLERANCE: Tolerance = Tolerance {
    abs: 1e-6,
    rel: 1e-4,
};

/// Every difference between `want` (golden) and `got`, as `path: what`, numbers within
/// `tol` being equal.
pub fn compare_json(want: &Value, got: &Value, tol: Tolerance) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", want, got, tol, &mut out);
    out
}

fn walk(path: &str, want: &Value, got: &Value, tol: Tolerance, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            // NaN is never within tolerance.
            let within = (b - a).abs() <= tol.abs + tol.rel * a.abs();
            if !within {
                out.push(format!("{path}: golden {a}, got {b}"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                match b.get(k) {
                    Some(vb) => walk(&format!("{path}.{k}"), va, vb, tol, out),
                    None => out.push(format!("{path}.{k}: missing from this run")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: not in the golden file"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: golden has {} entries, got {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), va, vb, tol, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: golden {a}, got {b}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_within_tolerance_pass_and_drifts_are_named_by_path() {
        let want = json!({"a": 1.0, "b": [0.5, {"c": "x"}], "d": null});
        let ok = json!({"a": 1.00005, "b": [0.5000001, {"c": "x"}], "d": null});
        assert!(compare_json(&want, &ok, GOLDEN_TOLERANCE).is_empty());
        let bad = json!({"a": 1.01, "b": [0.5, {"c": "y"}, 3], "e": 1});
        let d = compare_json(&want, &bad, GOLDEN_TOLERANCE);
        let text = d.join("\n");
        for needle in [
            "$.a: golden 1, got 1.01",
            "$.b[1].c",
            "$.b: golden has 2 entries, got 3",
            "$.d: missing",
            "$.e: not in the golden file",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
    }
}
