//! Exporters of the SRVR report: one model ([`SrvrReport`]), several ways to write it.
//!
//! [`Json`] is the machine's form (golden files compare it), [`Markdown`] the table that goes
//! into `report.md` and documents, [`Terminal`] the summary a person reads at a glance after a
//! run: the figures per network, then which network is the most robust and by how much.

use std::fmt::Write as _;

use console::Style;

use crate::analysis::benchmark::{JobResult, JobTelemetry};
use crate::analysis::srvr_report::{NetworkReport, Settling, SrvrReport};
use crate::report::table::{self, pct, points, FigureColumn, MethodColumn, Total};
pub use crate::report::table::{settled, SETTLED_POINTS};

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

/// Markdown: the mode and the acceptance rule in a sentence each, a row per network and
/// class with a bold total per network, then the evaluations per method against the paper's
/// budget, where runs ended and the certificates.
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
        use FigureColumn as F;
        let mut columns = vec![
            F::Network,
            F::ClassLabel,
            F::ShapesAccepted,
            F::OwnPass,
            F::MeanScore,
            F::Top1,
        ];
        columns.extend(table::srvr_columns(report));
        columns.push(F::Evaluations);
        let rows = table::report_figures(report, Total::Last);
        out.push_str(&table::markdown(&table::figures(&columns, &rows)));
        if !report.methods.is_empty() {
            out.push('\n');
            out.push_str(&table::markdown(&table::methods(
                report,
                &MethodColumn::ALL,
            )));
        }
        if let Some(t) = table::settling(report) {
            out.push_str(
                "\nWhere runs ended: runs at rest (their own rule) or at the cap, and SRVR with 80 % of \
                 the cap (each run's box then); the budget sensitivity is how far the last 20 % of \
                 the budget moved SRVR.\n\n",
            );
            out.push_str(&table::markdown(&t));
        }
        if let Some(t) = table::certificates(report) {
            out.push('\n');
            out.push_str(&table::markdown(&t));
        }
        Ok(out)
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

/// The terminal's styles.
struct Styles {
    bold: Style,
    dim: Style,
    name: Style,
    good: Style,
    warn: Style,
}

impl Terminal {
    /// Colours when standard output is a terminal and the environment allows them
    /// (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`).
    pub fn for_stdout() -> Terminal {
        Terminal {
            color: console::colors_enabled(),
        }
    }

    fn styles(&self) -> Styles {
        let style = |s: Style| s.force_styling(self.color);
        Styles {
            bold: style(Style::new().bold()),
            dim: style(Style::new().dim()),
            name: style(Style::new().cyan().bold()),
            good: style(Style::new().green().bold()),
            warn: style(Style::new().yellow().bold()),
        }
    }
}

impl Exporter for Terminal {
    fn export(&self, report: &SrvrReport) -> Result<String, ExportError> {
        let st = self.styles();
        let mut out = String::new();
        heading(&mut out, &st, report);
        figures_block(&mut out, &st, report);
        ranking(&mut out, &st, report);
        settling_block(&mut out, &st, report);
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
                st.warn.apply_to(format!(
                    "no SRVR for {}: the acceptance rule kept none of its shapes",
                    without.join(", ")
                ))
            );
        }
        Ok(out)
    }
}

/// What was measured: the name and jobs, then the mode, acceptance and certificates.
fn heading(out: &mut String, st: &Styles, report: &SrvrReport) {
    // A folder of maps has no configuration: its jobs are its maps.
    let jobs = if report.config_hash.is_some() {
        "jobs"
    } else {
        "maps"
    };
    let _ = writeln!(
        out,
        "{} {}: {} network(s), {} of {} {jobs}",
        st.bold.apply_to("SRVR of"),
        st.bold.apply_to(&report.name),
        report.networks.len(),
        report.jobs_done,
        report.jobs_total
    );
    if report.jobs_done < report.jobs_total {
        let _ = writeln!(
            out,
            "  {}",
            st.warn.apply_to(format!(
                "partial: {} jobs not finished; the figures below will change",
                report.jobs_total - report.jobs_done
            ))
        );
    }
    let _ = writeln!(out, "  {}", st.dim.apply_to(report.mode_sentence()));
    let _ = writeln!(out, "  {}", st.dim.apply_to(report.acceptance.sentence()));
    if let Some(terms) = &report.certificates {
        let _ = writeln!(out, "  {}", st.dim.apply_to(terms.sentence()));
    }
    out.push('\n');
}

/// The figures table, padded: per network its total (name and SRVR coloured), then its
/// classes (the network's name left out).
fn figures_block(out: &mut String, st: &Styles, report: &SrvrReport) {
    use FigureColumn as F;
    let mut columns = vec![
        F::Network,
        F::ClassLabel,
        F::ShapesAccepted,
        F::MeanScore,
        F::Top1,
    ];
    columns.extend(table::srvr_columns(report));
    let mut t = table::figures(&columns, &table::report_figures(report, Total::First));
    for row in t.rows.iter_mut().filter(|r| !r.total) {
        row.cells[0].text.clear();
    }
    let widths = table::widths(&t);
    let srvr = t.column("srvr").unwrap_or(t.columns.len());
    let padded = |texts: Vec<&str>, from: usize, to: usize| {
        (from..to)
            .map(|k| table::pad(texts[k], widths[k], t.columns[k].numeric))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let headers: Vec<&str> = t.columns.iter().map(|c| c.header.as_str()).collect();
    let n = t.columns.len();
    let _ = writeln!(
        out,
        "  {}  {}",
        st.dim.apply_to(padded(headers.clone(), 0, srvr)),
        st.dim.apply_to(padded(headers, srvr, n))
    );
    for row in &t.rows {
        let texts: Vec<&str> = row.cells.iter().map(|c| c.text.as_str()).collect();
        if row.total {
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                st.name.apply_to(padded(texts.clone(), 0, 1)),
                padded(texts.clone(), 1, srvr),
                st.good.apply_to(padded(texts, srvr, n))
            );
        } else {
            let _ = writeln!(
                out,
                "  {}  {}",
                padded(texts.clone(), 0, srvr),
                padded(texts, srvr, n)
            );
        }
    }
}

/// The networks ranked by SRVR against the most robust one, then by certified SRVR.
fn ranking(out: &mut String, st: &Styles, report: &SrvrReport) {
    let by = |f: fn(&NetworkReport) -> Option<f64>| {
        let mut v: Vec<(&str, f64)> = report
            .networks
            .iter()
            .filter_map(|n| f(n).map(|s| (n.network.as_str(), s)))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    };
    let ranked = by(|n| n.srvr);
    if let Some(&(best, top)) = ranked.first() {
        let _ = writeln!(out, "\n{}", st.bold.apply_to("Summary"));
        let _ = writeln!(
            out,
            "  {} is the most robust: SRVR {} % of Ω",
            st.name.apply_to(best),
            st.good.apply_to(pct(Some(top)))
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
                st.good.apply_to(ratio),
                st.name.apply_to(other),
                pct(Some(s))
            );
        }
    }
    let by_certified = by(|n| n.certified_srvr);
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
                format!(" ({})", st.warn.apply_to("the ranking changes"))
            }
        );
    }
}

/// Where runs ended, a line per network and method, and a warning when SRVR still moved.
fn settling_block(out: &mut String, st: &Styles, report: &SrvrReport) {
    let rows: Vec<(String, Settling)> = report
        .networks
        .iter()
        .filter_map(|n| n.settling.map(|s| (n.network.clone(), s)))
        .chain(
            report
                .methods
                .iter()
                .filter_map(|m| m.settling.map(|s| (format!("method {}", m.method), s))),
        )
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        st.bold
            .apply_to("Where runs ended (SRVR at the cap against 80 % of it)")
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
                st.good.apply_to(moved)
            } else {
                st.warn.apply_to(moved)
            }
        );
    }
    if rows.iter().any(|(_, s)| !settled(s)) {
        let _ = writeln!(
            out,
            "  {}",
            st.warn.apply_to(format!(
                "SRVR still moves by more than {SETTLED_POINTS} points of Ω in the last 20 % of the budget: \
                 the figure depends on the cap (a rest rule: --rest-window, --rest-tolerance)"
            ))
        );
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
    use crate::analysis::region_runs::RegionMode;
    use crate::analysis::srvr::AcceptRule;
    use crate::analysis::srvr::AcceptanceSummary;
    use crate::analysis::srvr_report::ClassReport;
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
        assert!(md.contains("| **b** | **all classes** | **1/1** | **1** | **0.500** | **0.250** | **25.000** | **100** |"), "{md}");
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
            md.contains("| a | 8 | 6 of 8 (75 %) | 2 | 10.000 | 9.800 | +0.200 |"),
            "{md}"
        );
        assert!(
            md.contains("| b | 8 | 2 of 8 (25 %) | 6 | 25.000 | 20.000 | +5.000 |"),
            "{md}"
        );
        assert!(
            md.contains("| method oir-b | 8 | 4 of 8 (50 %) | 4 | 17.500 | 14.900 | +2.600 |"),
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
        assert!(md.contains("| **b** | **all classes** | **1/1** | **1** | **0.500** | **0.250** | **25.000** | **12.500** | **20.000** | **100** |"), "{md}");
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
