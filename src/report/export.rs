//! Exporters of the SRVR report: one model ([`SrvrReport`]), several ways to write it.
//!
//! [`Json`] is the machine's form (golden files compare it), [`Markdown`] the table that goes
//! into `report.md` and documents, [`Terminal`] the summary a person reads at a glance after a
//! run: the figures per network, then which network is the most robust and by how much.

use std::fmt::Write as _;

use console::Style;

use crate::analysis::benchmark::{JobResult, JobTelemetry, RegionMode};
use crate::analysis::srvr_report::{ClassReport, NetworkReport, Settling, SrvrReport};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes a report as text.
pub trait Exporter {
    fn export(&self, report: &SrvrReport) -> Result<String, ExportError>;
}

/// The exporters a command line offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// [`Terminal`], with colours when standard output is a terminal that takes them.
    #[default]
    Terminal,
    Markdown,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Format, String> {
        match text {
            "terminal" => Ok(Format::Terminal),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "{other:?} is not a report format (terminal, markdown, json)"
            )),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Terminal => "terminal",
            Format::Markdown => "markdown",
            Format::Json => "json",
        })
    }
}

impl Format {
    /// The exporter for standard output.
    pub fn exporter(self) -> Box<dyn Exporter> {
        match self {
            Format::Terminal => Box::new(Terminal::for_stdout()),
            Format::Markdown => Box::new(Markdown),
            Format::Json => Box::new(Json),
        }
    }
}

/// Pretty-printed JSON with a final newline (`semrob.srvr-report/2`).
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl Exporter for Json {
    fn export(&self, report: &SrvrReport) -> Result<String, ExportError> {
        Ok(serde_json::to_string_pretty(report)? + "\n")
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.3}", 100.0 * v))
}

fn score3(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

fn count(x: Option<usize>) -> String {
    x.map_or_else(|| "n/a".into(), |v| v.to_string())
}

/// A difference of two shares of Ω in points of Ω, signed.
fn points(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:+.3}", 100.0 * v))
}

/// The issue-33 goal: SRVR moves by at most this many points of Ω between 80 % of the cap
/// and the cap.
pub const SETTLED_POINTS: f64 = 0.3;

/// Whether a budget sensitivity is within [`SETTLED_POINTS`].
pub fn settled(s: &Settling) -> bool {
    s.budget_sensitivity
        .is_some_and(|d| 100.0 * d.abs() <= SETTLED_POINTS)
}

/// The settling table's rows: one per network, then one per method (reports whose runs kept
/// their boxes at 80 % of the cap).
fn settling_rows(report: &SrvrReport) -> Vec<(String, Settling)> {
    let nets = report
        .networks
        .iter()
        .filter_map(|n| n.settling.map(|s| (n.network.clone(), s)));
    let methods = report
        .methods
        .iter()
        .filter_map(|m| m.settling.map(|s| (format!("method {}", m.method), s)));
    nets.chain(methods).collect()
}

fn class_name(c: &ClassReport) -> String {
    match c.label {
        Some(label) => format!("{} ({label})", c.class),
        None => c.class.clone(),
    }
}

/// Markdown: the mode and the acceptance rule in a sentence each, a row per network and
/// class with a bold total per network, then the evaluations per method against the paper's
/// budget.
#[derive(Debug, Clone, Copy)]
pub struct Markdown;

impl Exporter for Markdown {
    fn export(&self, report: &SrvrReport) -> Result<String, ExportError> {
        let mut out = String::new();
        if report.jobs_done < report.jobs_total {
            let _ = write!(
                out,
                "**partial: {} of {} jobs finished**\n\n",
                report.jobs_done, report.jobs_total
            );
        }
        let _ = write!(
            out,
            "SRVR with {}.\n\n{}\n\n",
            report.mode_sentence(),
            report.acceptance.sentence()
        );
        if let Some(terms) = &report.certificates {
            let _ = write!(out, "{}\n\n", terms.sentence());
        }
        let extra = CertifiedColumns::of(report);
        let _ = write!(
            out,
            "| network | class (label) | shapes accepted | own pass | mean score | top-1 | SRVR (% of Ω) |{} evaluations |\n\
             |---|---|---:|---:|---:|---:|---:|{}---:|\n",
            extra.header(" ", " |"),
            "---:|".repeat(extra.count())
        );
        for n in &report.networks {
            for c in &n.classes {
                let _ = writeln!(
                    out,
                    "| {} | {} | {}/{} | {} | {:.3} | {} | {} |{} {} |",
                    n.network,
                    class_name(c),
                    c.shapes_accepted,
                    c.shapes,
                    c.own_pass,
                    c.mean_score,
                    score3(c.top1_rate),
                    pct(c.srvr),
                    extra.cells(c.certified_srvr, c.clean_srvr, " ", " |"),
                    count(c.evaluations)
                );
            }
            let _ = writeln!(
                out,
                "| **{}** | **all** | **{}/{}** | **{}** | **{:.3}** | **{}** | **{}** |{} **{}** |",
                n.network,
                n.shapes_accepted,
                n.shapes,
                n.own_pass,
                n.mean_score,
                score3(n.top1_rate),
                pct(n.srvr),
                extra.cells(n.certified_srvr, n.clean_srvr, " **", "** |"),
                count(n.evaluations)
            );
        }
        if !report.methods.is_empty() {
            let steps = match (report.mode, report.refine_steps) {
                (RegionMode::Refine, Some(k)) => format!("mean network steps (of {k})"),
                _ => "mean steps".to_string(),
            };
            let _ = write!(
                out,
                "\n| method | runs | converged | {steps} | mean renders per run | paper (800 steps) \
                 | mean score inside | mean lowest score inside | share below λ (mean, largest) |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            );
            for m in &report.methods {
                let renders = match report.mode {
                    RegionMode::Map => "none (map mode)".to_string(),
                    RegionMode::Network | RegionMode::Refine => format!("{:.1}", m.mean_renders),
                };
                let contents = match &m.contents {
                    Some(c) => format!(
                        "{:.3} | {:.3} | {:.1} %, {:.1} %",
                        c.mean_score,
                        c.mean_min_score,
                        100.0 * c.mean_below,
                        100.0 * c.max_below
                    ),
                    None => "– | – | –".to_string(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.1} | {renders} | {} | {contents} |",
                    m.method, m.runs, m.converged, m.mean_iterations, m.paper_evaluations
                );
            }
        }
        let rows = settling_rows(report);
        if !rows.is_empty() {
            out.push_str(
                "\nWhere runs ended: runs at rest (their own rule) or at the cap, and SRVR with 80 % of \
                 the cap (each run's box then); the budget sensitivity is how far the last 20 % of \
                 the budget moved SRVR.\n\n\
                 | networks, methods | runs | at rest | hit the cap | SRVR at the cap (% of Ω) | SRVR at 80 % of the cap | budget sensitivity (points of Ω) |\n\
                 |---|---:|---:|---:|---:|---:|---:|\n",
            );
            for (name, s) in &rows {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} ({:.0} %) | {} | {} | {} | {} |",
                    s.runs,
                    s.at_rest,
                    100.0 * s.at_rest_share(),
                    s.hit_cap,
                    pct(s.srvr),
                    pct(s.srvr_at_80),
                    points(s.budget_sensitivity)
                );
            }
        }
        if report.methods.iter().any(|m| m.certificates.is_some()) {
            out.push_str(
                "\n| method | regions assessed | certified | not certified | refuted early | too small | clean certified | mean samples | fragile |\n\
                 |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            );
            for m in &report.methods {
                if let Some(c) = &m.certificates {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
                        m.method,
                        c.runs,
                        c.certified,
                        c.not_certified,
                        c.refuted,
                        c.too_small,
                        c.clean_certified,
                        c.mean_samples,
                        c.fragile
                    );
                }
            }
        }
        Ok(out)
    }
}

/// The certified (and clean) SRVR columns a report has: none unless its runs hold
/// certificates, the clean one only with `clean` certificates.
struct CertifiedColumns {
    certified: bool,
    clean: bool,
}

impl CertifiedColumns {
    fn of(report: &SrvrReport) -> CertifiedColumns {
        let nets = &report.networks;
        CertifiedColumns {
            certified: report.certificates.is_some()
                && nets.iter().any(|n| n.certified_srvr.is_some()),
            clean: nets.iter().any(|n| n.clean_srvr.is_some()),
        }
    }

    /// How many columns.
    fn count(&self) -> usize {
        usize::from(self.certified) + usize::from(self.clean)
    }

    /// The headers, each between `before` and `after`.
    fn header(&self, before: &str, after: &str) -> String {
        let mut out = String::new();
        if self.certified {
            let _ = write!(out, "{before}certified SRVR (% of Ω){after}");
        }
        if self.clean {
            let _ = write!(out, "{before}clean SRVR (% of Ω){after}");
        }
        out
    }

    /// The headers, one per column.
    fn header_list(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.certified {
            out.push("certified SRVR (% of Ω)".to_string());
        }
        if self.clean {
            out.push("clean SRVR (% of Ω)".to_string());
        }
        out
    }

    /// The cells, one per column.
    fn cell_list(&self, certified: Option<f64>, clean: Option<f64>) -> Vec<String> {
        let mut out = Vec::new();
        if self.certified {
            out.push(pct(certified));
        }
        if self.clean {
            out.push(pct(clean));
        }
        out
    }

    /// The cells, each between `before` and `after`.
    fn cells(
        &self,
        certified: Option<f64>,
        clean: Option<f64>,
        before: &str,
        after: &str,
    ) -> String {
        let mut out = String::new();
        if self.certified {
            let _ = write!(out, "{before}{}{after}", pct(certified));
        }
        if self.clean {
            let _ = write!(out, "{before}{}{after}", pct(clean));
        }
        out
    }
}

/// The summary a person reads after a run: a line on what was measured, one block per
/// network (its total first, then its classes), and a ranking of the networks by SRVR
/// against the most robust one, the way hyperfine ranks commands against the fastest.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// ANSI colours and bold.
    pub color: bool,
}

impl Terminal {
    /// Colours when standard output is a terminal and the environment allows them
    /// (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`).
    pub fn for_stdout() -> Terminal {
        Terminal {
            color: console::colors_enabled(),
        }
    }

    fn style(&self, style: Style) -> Style {
        style.force_styling(self.color)
    }
}

/// One line of the per-network table, before padding.
struct Line {
    network: String,
    class: String,
    shapes: String,
    score: String,
    top1: String,
    srvr: String,
    /// The certified (and clean) SRVR cells, when the report has them.
    certified: Vec<String>,
    total: bool,
}

impl Line {
    fn of_network(n: &NetworkReport, extra: &CertifiedColumns) -> Line {
        Line {
            network: n.network.clone(),
            class: "all classes".into(),
            shapes: format!("{}/{}", n.shapes_accepted, n.shapes),
            score: format!("{:.3}", n.mean_score),
            top1: score3(n.top1_rate),
            srvr: pct(n.srvr),
            certified: extra.cell_list(n.certified_srvr, n.clean_srvr),
            total: true,
        }
    }

    fn of_class(c: &ClassReport, extra: &CertifiedColumns) -> Line {
        Line {
            network: String::new(),
            class: class_name(c),
            shapes: format!("{}/{}", c.shapes_accepted, c.shapes),
            score: format!("{:.3}", c.mean_score),
            top1: score3(c.top1_rate),
            srvr: pct(c.srvr),
            certified: extra.cell_list(c.certified_srvr, c.clean_srvr),
            total: false,
        }
    }
}

impl Exporter for Terminal {
    fn export(&self, report: &SrvrReport) -> Result<String, ExportError> {
        let bold = self.style(Style::new().bold());
        let dim = self.style(Style::new().dim());
        let name = self.style(Style::new().cyan().bold());
        let good = self.style(Style::new().green().bold());
        let warn = self.style(Style::new().yellow().bold());
        let mut out = String::new();
        // A folder of maps has no configuration: its jobs are its maps.
        let jobs = if report.config_hash.is_some() {
            "jobs"
        } else {
            "maps"
        };
        let _ = writeln!(
            out,
            "{} {}: {} network(s), {} of {} {jobs}",
            bold.apply_to("SRVR of"),
            bold.apply_to(&report.name),
            report.networks.len(),
            report.jobs_done,
            report.jobs_total
        );
        if report.jobs_done < report.jobs_total {
            let _ = writeln!(
                out,
                "  {}",
                warn.apply_to(format!(
                    "partial: {} jobs not finished; the figures below will change",
                    report.jobs_total - report.jobs_done
                ))
            );
        }
        let _ = writeln!(out, "  {}", dim.apply_to(report.mode_sentence()));
        let _ = writeln!(out, "  {}", dim.apply_to(report.acceptance.sentence()));
        if let Some(terms) = &report.certificates {
            let _ = writeln!(out, "  {}", dim.apply_to(terms.sentence()));
        }
        out.push('\n');

        let extra = CertifiedColumns::of(report);
        let mut lines = Vec::new();
        for n in &report.networks {
            lines.push(Line::of_network(n, &extra));
            lines.extend(n.classes.iter().map(|c| Line::of_class(c, &extra)));
        }
        let header = Line {
            network: "network".into(),
            class: "class".into(),
            shapes: "shapes".into(),
            score: "mean score".into(),
            top1: "top-1".into(),
            srvr: "SRVR (% of Ω)".into(),
            certified: extra.header_list(),
            total: false,
        };
        let width = |f: fn(&Line) -> &str| {
            lines
                .iter()
                .chain([&header])
                .map(|l| f(l).chars().count())
                .max()
                .unwrap_or(0)
        };
        let w = [
            width(|l| &l.network),
            width(|l| &l.class),
            width(|l| &l.shapes),
            width(|l| &l.score),
            width(|l| &l.top1),
            width(|l| &l.srvr),
        ];
        let row = |l: &Line| {
            format!(
                "{:<a$}  {:<b$}  {:>c$}  {:>d$}  {:>e$}  ",
                l.network,
                l.class,
                l.shapes,
                l.score,
                l.top1,
                a = w[0],
                b = w[1],
                c = w[2],
                d = w[3],
                e = w[4]
            )
        };
        // One width per certified column, each cell right-aligned in it.
        let wc: Vec<usize> = (0..header.certified.len())
            .map(|k| {
                lines
                    .iter()
                    .chain([&header])
                    .map(|l| l.certified[k].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let certified = |l: &Line| {
            l.certified
                .iter()
                .zip(&wc)
                .map(|(c, w)| format!("  {c:>w$}"))
                .collect::<String>()
        };
        let _ = writeln!(
            out,
            "  {}{}",
            dim.apply_to(row(&header)),
            dim.apply_to(format!(
                "{:>f$}{}",
                header.srvr,
                certified(&header),
                f = w[5]
            ))
        );
        for l in &lines {
            let srvr = format!("{:>f$}{}", l.srvr, certified(l), f = w[5]);
            if l.total {
                let text = row(l);
                let (net, rest) = text.split_at(w[0]);
                let _ = writeln!(
                    out,
                    "  {}{}{}",
                    name.apply_to(net),
                    rest,
                    good.apply_to(srvr)
                );
            } else {
                let _ = writeln!(out, "  {}{srvr}", row(l));
            }
        }

        let mut ranked: Vec<(&str, f64)> = report
            .networks
            .iter()
            .filter_map(|n| n.srvr.map(|s| (n.network.as_str(), s)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        if let Some(&(best, top)) = ranked.first() {
            let _ = writeln!(out, "\n{}", bold.apply_to("Summary"));
            let _ = writeln!(
                out,
                "  {} is the most robust: SRVR {} % of Ω",
                name.apply_to(best),
                good.apply_to(pct(Some(top)))
            );
            for &(other, s) in &ranked[1..] {
                let ratio = if s > 0.0 {
                    format!("{:.2} ×", top / s)
                } else {
                    "∞ ×".into()
                };
                let _ = writeln!(
                    out,
                    "    {} the robust volume of {} ({} %)",
                    good.apply_to(ratio),
                    name.apply_to(other),
                    pct(Some(s))
                );
            }
        }
        let by_certified: Vec<(&str, f64)> = {
            let mut v: Vec<(&str, f64)> = report
                .networks
                .iter()
                .filter_map(|n| n.certified_srvr.map(|s| (n.network.as_str(), s)))
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1));
            v
        };
        if by_certified.len() == ranked.len() && !by_certified.is_empty() {
            let order = |v: &[(&str, f64)]| v.iter().map(|x| x.0).collect::<Vec<_>>().join(" > ");
            let same = order(&by_certified) == order(&ranked);
            let _ = writeln!(
                out,
                "  by certified SRVR: {}{}",
                by_certified
                    .iter()
                    .map(|(n, s)| format!("{n} {} %", pct(Some(*s))))
                    .collect::<Vec<_>>()
                    .join(", "),
                if same {
                    " (the same ranking)".to_string()
                } else {
                    format!(" ({})", warn.apply_to("the ranking changes"))
                }
            );
        }
        let rows = settling_rows(report);
        if !rows.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                bold.apply_to("Where runs ended (SRVR at the cap against 80 % of it)")
            );
            let wn = rows
                .iter()
                .map(|(n, _)| n.chars().count())
                .max()
                .unwrap_or(0);
            for (name, s) in &rows {
                let moved = format!("{} points of Ω", points(s.budget_sensitivity));
                let _ = writeln!(
                    out,
                    "  {:<wn$}  {:>3.0} % at rest, {:>3.0} % hit the cap; SRVR {} % at the cap, {} % at 80 %: {}",
                    name,
                    100.0 * s.at_rest_share(),
                    if s.runs == 0 { 0.0 } else { 100.0 * s.hit_cap as f64 / s.runs as f64 },
                    pct(s.srvr),
                    pct(s.srvr_at_80),
                    if settled(s) {
                        good.apply_to(moved)
                    } else {
                        warn.apply_to(moved)
                    }
                );
            }
            if rows.iter().any(|(_, s)| !settled(s)) {
                let _ = writeln!(
                    out,
                    "  {}",
                    warn.apply_to(format!(
                        "SRVR still moves by more than {SETTLED_POINTS} points of Ω in the last 20 % of the budget: \
                         the figure depends on the cap (a rest rule: --rest-window, --rest-tolerance)"
                    ))
                );
            }
        }
        let without: Vec<&str> = report
            .networks
            .iter()
            .filter(|n| n.srvr.is_none())
            .map(|n| n.network.as_str())
            .collect();
        if !without.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                warn.apply_to(format!(
                    "no SRVR for {}: the acceptance rule kept none of its shapes",
                    without.join(", ")
                ))
            );
        }
        Ok(out)
    }
}

/// One line per finished job, for the progress of a run: its mean score, top-1 rate,
/// regions and time.
pub fn job_line(r: &JobResult) -> String {
    format!(
        "{}: mean score {:.3}, top-1 {:.2}, {} ({:.1} s)",
        r.job.key(),
        r.mean_score,
        r.top1_rate,
        match (r.runs.len(), r.own_pass) {
            (0, _) => "no regions (the acceptance rule left the shape out)".into(),
            (k, true) => format!("{k} regions"),
            (k, false) => format!("{k} regions (its own mean score is below the threshold)"),
        },
        r.seconds
    )
}

/// Where the jobs' time went (the jobs with telemetry): network, rendering and region math,
/// batches and the renderer, in one line; `None` when no job kept telemetry.
pub fn time_split(results: &[JobResult]) -> Option<String> {
    let with: Vec<&JobTelemetry> = results
        .iter()
        .filter_map(|r| r.telemetry.as_ref())
        .collect();
    if with.is_empty() {
        return None;
    }
    let t = JobTelemetry::total(with.iter().copied());
    let seconds: f64 = results
        .iter()
        .filter(|r| r.telemetry.is_some())
        .map(|r| r.seconds)
        .sum();
    let share = |s: f64| 100.0 * s / seconds.max(f64::MIN_POSITIVE);
    Some(format!(
        "time of {} jobs: {seconds:.1} s; network {:.1} s ({:.0} %), render {:.1} s ({:.1} s not \
         hidden behind the network, {:.0} %), region math {:.2} s ({:.1} %); {} network \
         batches, mean batch {:.1} images{}",
        with.len(),
        t.network_seconds,
        share(t.network_seconds),
        t.render_seconds,
        t.render_wait_seconds,
        share(t.render_wait_seconds),
        t.region_seconds,
        share(t.region_seconds),
        t.batches,
        t.mean_batch,
        t.renderer
            .map_or_else(String::new, |r| format!("; renderer {r}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::srvr::AcceptRule;
    use crate::analysis::srvr::AcceptanceSummary;
    use crate::analysis::srvr_report::{MethodReport, REPORT_FORMAT};
    use crate::region::Method;

    fn class(name: &str, label: Option<usize>, srvr: Option<f64>) -> ClassReport {
        ClassReport {
            class: name.into(),
            label,
            srvr,
            certified_srvr: None,
            clean_srvr: None,
            mean_score: 0.5,
            top1_rate: label.map(|_| 0.25),
            shapes_accepted: usize::from(srvr.is_some()),
            shapes: 1,
            own_pass: 1,
            regions: 4,
            evaluations: label.map(|_| 100),
        }
    }

    fn network(name: &str, srvr: Option<f64>, classes: Vec<ClassReport>) -> NetworkReport {
        NetworkReport {
            network: name.into(),
            weights: None,
            srvr,
            certified_srvr: None,
            clean_srvr: None,
            mean_score: 0.5,
            top1_rate: classes[0].top1_rate,
            shapes_accepted: classes.iter().map(|c| c.shapes_accepted).sum(),
            shapes: classes.len(),
            own_pass: 1,
            evaluations: classes[0].evaluations,
            settling: None,
            classes,
        }
    }

    fn report(networks: Vec<NetworkReport>, done: usize) -> SrvrReport {
        SrvrReport {
            format: REPORT_FORMAT.into(),
            name: "demo".into(),
            config_hash: None,
            jobs_done: done,
            jobs_total: 3,
            mode: RegionMode::Map,
            refine_steps: None,
            acceptance: AcceptanceSummary {
                rule: AcceptRule::Reference,
                network: Some("b".into()),
                threshold: 0.1,
                kept: 1,
                shapes: 1,
            },
            networks,
            methods: vec![MethodReport {
                method: Method::OirB,
                runs: 4,
                converged: 3,
                mean_iterations: 12.5,
                mean_renders: 0.0,
                paper_evaluations: 6400,
                settling: None,
                contents: None,
                certificates: None,
            }],
            certificates: None,
        }
    }

    fn demo(done: usize) -> SrvrReport {
        report(
            vec![
                network("a", Some(0.1), vec![class("cup", Some(504), Some(0.1))]),
                network("b", Some(0.25), vec![class("cup", Some(504), Some(0.25))]),
                network("c", None, vec![class("cup", None, None)]),
            ],
            done,
        )
    }

    #[test]
    fn markdown_has_a_row_per_class_a_total_per_network_and_the_method_table() {
        let md = Markdown.export(&demo(3)).unwrap();
        assert!(
            md.contains("| a | cup (504) | 1/1 | 1 | 0.500 | 0.250 | 10.000 | 100 |"),
            "{md}"
        );
        assert!(md.contains("| **b** | **all** | **1/1** | **1** | **0.500** | **0.250** | **25.000** | **100** |"), "{md}");
        // Numbers a folder of maps does not record are "n/a", never a made-up zero.
        assert!(
            md.contains("| c | cup | 0/1 | 1 | 0.500 | n/a | n/a | n/a |"),
            "{md}"
        );
        assert!(
            md.contains("| oir-b | 4 | 3 | 12.5 | none (map mode) | 6400 | – | – | – |"),
            "{md}"
        );
        assert!(!md.contains("partial"), "{md}");
        assert!(Markdown
            .export(&demo(2))
            .unwrap()
            .starts_with("**partial: 2 of 3 jobs finished**"));
    }

    #[test]
    fn the_terminal_summary_ranks_networks_against_the_most_robust() {
        let text = Terminal { color: false }.export(&demo(3)).unwrap();
        assert!(!text.contains('\u{1b}'), "no colour was asked for: {text}");
        assert!(
            text.starts_with("SRVR of demo: 3 network(s), 3 of 3 maps\n"),
            "{text}"
        );
        assert!(
            text.contains("  b is the most robust: SRVR 25.000 % of Ω\n"),
            "{text}"
        );
        assert!(
            text.contains("    2.50 × the robust volume of a (10.000 %)\n"),
            "{text}"
        );
        assert!(text.contains("no SRVR for c"), "{text}");
        // Every row of the table has the same width up to its SRVR column.
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("cup") || l.contains("all classes"))
            .collect();
        assert_eq!(rows.len(), 6, "{text}");
        let ends: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{text}");
        let mut with_config = demo(3);
        with_config.config_hash = Some("0123".into());
        let text = Terminal { color: false }.export(&with_config).unwrap();
        assert!(text.contains(", 3 of 3 jobs\n"), "{text}");
        assert!(Terminal { color: false }
            .export(&demo(1))
            .unwrap()
            .contains("partial: 2 jobs not finished"));
        let coloured = Terminal { color: true }.export(&demo(3)).unwrap();
        assert!(coloured.contains('\u{1b}'), "{coloured}");
    }

    fn settling(srvr: f64, at_80: f64, at_rest: usize, hit_cap: usize) -> Option<Settling> {
        Some(Settling {
            runs: 8,
            at_rest,
            hit_cap,
            srvr: Some(srvr),
            srvr_at_80: Some(at_80),
            budget_sensitivity: Some(srvr - at_80),
        })
    }

    #[test]
    fn markdown_and_terminal_say_where_runs_ended_only_when_the_runs_kept_it() {
        let plain = demo(3);
        assert!(!Markdown.export(&plain).unwrap().contains("at rest"));
        assert!(!Terminal { color: false }
            .export(&plain)
            .unwrap()
            .contains("at rest"));
        let mut r = demo(3);
        r.networks[0].settling = settling(0.1, 0.098, 6, 2);
        r.networks[1].settling = settling(0.25, 0.2, 2, 6);
        r.methods[0].settling = settling(0.175, 0.149, 4, 4);
        let md = Markdown.export(&r).unwrap();
        assert!(
            md.contains("| a | 8 | 6 (75 %) | 2 | 10.000 | 9.800 | +0.200 |"),
            "{md}"
        );
        assert!(
            md.contains("| b | 8 | 2 (25 %) | 6 | 25.000 | 20.000 | +5.000 |"),
            "{md}"
        );
        assert!(
            md.contains("| method oir-b | 8 | 4 (50 %) | 4 | 17.500 | 14.900 | +2.600 |"),
            "{md}"
        );
        let text = Terminal { color: false }.export(&r).unwrap();
        assert!(
            text.contains(
                "  a              75 % at rest,  25 % hit the cap; SRVR 10.000 % at the cap, 9.800 % at 80 %: +0.200 points of Ω\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  b              25 % at rest,  75 % hit the cap; SRVR 25.000 % at the cap, 20.000 % at 80 %: +5.000 points of Ω"),
            "{text}"
        );
        assert!(text.contains("the figure depends on the cap"), "{text}");
        // All within 0.3 points: no warning.
        r.networks[1].settling = settling(0.25, 0.249, 8, 0);
        r.methods[0].settling = None;
        let text = Terminal { color: false }.export(&r).unwrap();
        assert!(!text.contains("the figure depends on the cap"), "{text}");
    }

    #[test]
    fn json_reads_back_as_the_same_report_and_formats_parse() {
        let r = demo(3);
        let back: SrvrReport = serde_json::from_str(&Json.export(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        for f in [Format::Terminal, Format::Markdown, Format::Json] {
            assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
        }
        let e = "html".parse::<Format>().unwrap_err();
        assert!(e.contains("\"html\" is not a report format"), "{e}");
    }

    /// `demo` with certificates: certified SRVR for every row, clean SRVR for network b.
    fn certified_demo() -> SrvrReport {
        let mut r = demo(3);
        r.certificates = Some(crate::analysis::srvr_report::CertificateTerms {
            confidence: 0.9,
            max_share: 0.1,
            criterion: crate::certify::Criterion::Score,
            threshold: 0.1,
            samples: 22,
            mixed: false,
        });
        for (n, (cert, clean)) in
            r.networks
                .iter_mut()
                .zip([(Some(0.05), None), (Some(0.125), Some(0.2)), (None, None)])
        {
            n.certified_srvr = cert;
            n.clean_srvr = clean;
            for c in &mut n.classes {
                c.certified_srvr = cert;
                c.clean_srvr = clean;
            }
        }
        r
    }

    #[test]
    fn certified_and_clean_srvr_are_columns_of_their_own_with_the_terms_and_ranking() {
        let r = certified_demo();
        let md = Markdown.export(&r).unwrap();
        assert!(
            md.contains(
                "| SRVR (% of Ω) | certified SRVR (% of Ω) | clean SRVR (% of Ω) | evaluations |"
            ),
            "{md}"
        );
        assert!(
            md.contains("\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"),
            "{md}"
        );
        assert!(
            md.contains("| a | cup (504) | 1/1 | 1 | 0.500 | 0.250 | 10.000 | 5.000 | n/a | 100 |"),
            "{md}"
        );
        assert!(md.contains("| **b** | **all** | **1/1** | **1** | **0.500** | **0.250** | **25.000** | **12.500** | **20.000** | **100** |"), "{md}");
        assert!(
            md.contains("with 90 % confidence, at most 10 % of its volume"),
            "{md}"
        );
        let text = Terminal { color: false }.export(&r).unwrap();
        // Every row of the table ends at the same column, the certified cells included.
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.contains("cup") || l.contains("all classes") || l.starts_with("  network")
            })
            .collect();
        assert_eq!(rows.len(), 7, "{text}");
        let ends: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{text}");
        assert!(
            text.contains("by certified SRVR: b 12.500 %, a 5.000 % (the same ranking)"),
            "{text}"
        );
        // Without certificates, no column and no line about them.
        let plain = Terminal { color: false }.export(&demo(3)).unwrap();
        assert!(!plain.contains("certified"), "{plain}");
        assert!(!Markdown.export(&demo(3)).unwrap().contains("certified"));
    }
}
