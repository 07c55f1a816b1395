//! The report's tables, declared once. Each column has one header and computes its cells in
//! one place; the exporters (the terminal summary and markdown in [`super::export`], the
//! page in [`super::page`]) only lay the cells out, each choosing which columns it shows
//! (the terminal leaves some out to fit a line), the way hyperfine's exporters all read one
//! `BenchmarkResult`.
//!
//! A table is a list of [`Column`]s and [`Row`]s of [`Cell`]s: the cell's text, the number
//! it sorts by, and a tone the page and the terminal may colour. Four tables come out of a
//! report ([`figures`], [`methods`], [`settling`], [`certificates`]); the page's table per
//! network and class is [`figures`] over the page's rows, which also cover a folder of maps.

use crate::analysis::region_runs::RegionMode;
use crate::analysis::srvr_report::{
    ClassReport, MethodReport, NetworkReport, Settling, SrvrReport,
};

/// A column: its one header, an explanation (the page shows it on hover) and whether its
/// cells are numbers (right-aligned, sortable by value).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub title: Option<&'static str>,
    pub numeric: bool,
    /// A short name for the column (the page's `data-col`).
    pub key: &'static str,
}

/// How a cell reads beside its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// Not a figure but a remark ("not computed").
    Note,
    /// A figure that needs attention (a budget sensitivity above [`SETTLED_POINTS`]).
    Warn,
}

/// One cell: its text, the value it sorts by, a hint on what it means, its tone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    /// The number behind the text (`None`: none; sorts below every number).
    pub sort: Option<f64>,
    /// Why the cell reads as it does (the page shows it on hover).
    pub hint: Option<&'static str>,
    pub tone: Tone,
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    fn number(value: Option<f64>, text: String) -> Cell {
        Cell {
            text,
            sort: value,
            ..Cell::default()
        }
    }

    fn count(value: Option<usize>) -> Cell {
        Cell::number(value.map(|v| v as f64), count(value))
    }

    /// No value: the row has nothing for this column.
    fn empty() -> Cell {
        Cell::default()
    }
}

/// One row: a cell per column; `total` marks a network's row over its classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub total: bool,
    /// What the row is about, as `network/class` (the page's `data-key`).
    pub key: String,
}

/// A table of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of the column named `key`.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }
}

/// A share of Ω in percent, three decimals.
pub(crate) fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.3}", 100.0 * v))
}

fn score3(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.3}"))
}

fn count(x: Option<usize>) -> String {
    x.map_or_else(|| "n/a".into(), |v| v.to_string())
}

/// A difference of two shares of Ω in points of Ω, signed.
pub(crate) fn points(x: Option<f64>) -> String {
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

/// A row's SRVR, or why it has none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowSrvr {
    /// A folder of maps only: no region ran, no acceptance rule.
    NotComputed,
    /// The acceptance rule kept no shape of the class.
    NoShapeAccepted,
    Value(f64),
}

impl From<Option<f64>> for RowSrvr {
    /// A report's SRVR (`None`: no shape accepted).
    fn from(srvr: Option<f64>) -> RowSrvr {
        srvr.map_or(RowSrvr::NoShapeAccepted, RowSrvr::Value)
    }
}

/// The figures of a network on a class, or of a network over its classes (`class: None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub network: String,
    /// `None`: the network's total over its classes.
    pub class: Option<String>,
    pub label: Option<usize>,
    pub shapes: usize,
    /// Shapes the acceptance rule kept (`None`: a folder of maps, where no rule ran).
    pub shapes_accepted: Option<usize>,
    /// Shapes the network scores at least the acceptance threshold on, itself.
    pub own_pass: Option<usize>,
    pub mean_score: f64,
    pub top1_rate: Option<f64>,
    pub srvr: RowSrvr,
    pub certified_srvr: Option<f64>,
    pub clean_srvr: Option<f64>,
    pub evaluations: Option<usize>,
    /// Semantic traps on the maps (`None`: not looked for).
    pub traps: Option<usize>,
    pub settling: Option<Settling>,
}

impl Figures {
    pub fn of_class(network: &str, c: &ClassReport) -> Figures {
        Figures {
            network: network.to_string(),
            class: Some(c.class.clone()),
            label: c.label,
            shapes: c.shapes,
            shapes_accepted: Some(c.shapes_accepted),
            own_pass: Some(c.own_pass),
            mean_score: c.mean_score,
            top1_rate: c.top1_rate,
            srvr: c.srvr.into(),
            certified_srvr: c.certified_srvr,
            clean_srvr: c.clean_srvr,
            evaluations: c.evaluations,
            traps: None,
            settling: None,
        }
    }

    pub fn of_network(n: &NetworkReport) -> Figures {
        Figures {
            network: n.network.clone(),
            class: None,
            label: None,
            shapes: n.shapes,
            shapes_accepted: Some(n.shapes_accepted),
            own_pass: Some(n.own_pass),
            mean_score: n.mean_score,
            top1_rate: n.top1_rate,
            srvr: n.srvr.into(),
            certified_srvr: n.certified_srvr,
            clean_srvr: n.clean_srvr,
            evaluations: n.evaluations,
            traps: None,
            settling: n.settling,
        }
    }

    fn key(&self) -> String {
        format!(
            "{}/{}",
            self.network,
            self.class.as_deref().unwrap_or("all classes")
        )
    }
}

/// The columns of the figures table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureColumn {
    Network,
    /// The class with its label in brackets (a total: "all classes").
    ClassLabel,
    /// The class alone.
    Class,
    Label,
    ShapesAccepted,
    OwnPass,
    MeanScore,
    Top1,
    Srvr,
    CertifiedSrvr,
    CleanSrvr,
    Evaluations,
    Traps,
    Settling(SettlingColumn),
}

/// The settling columns (issue 33): where runs ended and what 80 % of the cap gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettlingColumn {
    Runs,
    AtRest,
    HitCap,
    SrvrAtCap,
    SrvrAt80,
    BudgetSensitivity,
}

impl SettlingColumn {
    /// The four columns that add settling to a table that already counts runs and SRVR.
    pub const BESIDE: [SettlingColumn; 4] = [
        SettlingColumn::AtRest,
        SettlingColumn::HitCap,
        SettlingColumn::SrvrAt80,
        SettlingColumn::BudgetSensitivity,
    ];

    fn column(self) -> Column {
        let (header, title, key) = match self {
            SettlingColumn::Runs => ("runs", None, "runs"),
            SettlingColumn::AtRest => (
                "at rest",
                Some("runs that came to rest by their own rule"),
                "at-rest",
            ),
            SettlingColumn::HitCap => (
                "hit the cap",
                Some("runs still moving when their budget ran out"),
                "hit-cap",
            ),
            SettlingColumn::SrvrAtCap => ("SRVR at the cap (% of Ω)", None, "srvr-cap"),
            SettlingColumn::SrvrAt80 => (
                "SRVR at 80 % of the cap (% of Ω)",
                Some("SRVR from each run's box at 80 % of its cap, aggregated like SRVR"),
                "srvr-80",
            ),
            SettlingColumn::BudgetSensitivity => (
                "budget sensitivity (points of Ω)",
                Some("SRVR at the cap minus SRVR at 80 % of it"),
                "sensitivity",
            ),
        };
        Column {
            header: header.into(),
            title,
            numeric: true,
            key,
        }
    }

    /// The cell of `s`; an empty cell without settling.
    fn cell(self, s: Option<&Settling>) -> Cell {
        let Some(s) = s else {
            return Cell::empty();
        };
        match self {
            SettlingColumn::Runs => Cell::count(Some(s.runs)),
            SettlingColumn::AtRest => Cell::number(
                Some(s.at_rest as f64),
                format!(
                    "{} of {} ({:.0} %)",
                    s.at_rest,
                    s.runs,
                    100.0 * s.at_rest_share()
                ),
            ),
            SettlingColumn::HitCap => Cell::count(Some(s.hit_cap)),
            SettlingColumn::SrvrAtCap => Cell::number(s.srvr, pct(s.srvr)),
            SettlingColumn::SrvrAt80 => Cell::number(s.srvr_at_80, pct(s.srvr_at_80)),
            SettlingColumn::BudgetSensitivity => Cell {
                tone: if settled(s) { Tone::Plain } else { Tone::Warn },
                ..Cell::number(s.budget_sensitivity, points(s.budget_sensitivity))
            },
        }
    }
}

impl FigureColumn {
    fn column(self) -> Column {
        let (header, title, numeric, key) = match self {
            FigureColumn::Network => ("network", None, false, "network"),
            FigureColumn::ClassLabel => ("class (label)", None, false, "class"),
            FigureColumn::Class => ("class", None, false, "class"),
            FigureColumn::Label => ("label", None, true, "label"),
            FigureColumn::ShapesAccepted => ("shapes accepted", None, true, "accepted"),
            FigureColumn::OwnPass => (
                "own pass",
                Some("shapes this network scores at least the acceptance threshold τ on itself"),
                true,
                "own",
            ),
            FigureColumn::MeanScore => ("mean score", None, true, "score"),
            FigureColumn::Top1 => ("top-1", None, true, "top1"),
            FigureColumn::Srvr => ("SRVR (% of Ω)", None, true, "srvr"),
            FigureColumn::CertifiedSrvr => ("certified SRVR (% of Ω)", None, true, "certified"),
            FigureColumn::CleanSrvr => ("clean SRVR (% of Ω)", None, true, "clean"),
            FigureColumn::Evaluations => ("evaluations", None, true, "evaluations"),
            FigureColumn::Traps => ("traps", None, true, "traps"),
            FigureColumn::Settling(s) => return s.column(),
        };
        Column {
            header: header.into(),
            title,
            numeric,
            key,
        }
    }

    fn cell(self, f: &Figures) -> Cell {
        match self {
            FigureColumn::Network => Cell::text(&f.network),
            FigureColumn::ClassLabel => Cell::text(match (&f.class, f.label) {
                (None, _) => "all classes".to_string(),
                (Some(c), Some(label)) => format!("{c} ({label})"),
                (Some(c), None) => c.clone(),
            }),
            FigureColumn::Class => Cell::text(f.class.as_deref().unwrap_or("all classes")),
            FigureColumn::Label => Cell::count(f.label),
            FigureColumn::ShapesAccepted => Cell::number(
                f.shapes_accepted.map(|a| a as f64),
                f.shapes_accepted.map_or_else(
                    || format!("{} maps", f.shapes),
                    |a| format!("{a}/{}", f.shapes),
                ),
            ),
            FigureColumn::OwnPass => Cell::count(f.own_pass),
            FigureColumn::MeanScore => {
                Cell::number(Some(f.mean_score), format!("{:.3}", f.mean_score))
            }
            FigureColumn::Top1 => Cell::number(f.top1_rate, score3(f.top1_rate)),
            FigureColumn::Srvr => match f.srvr {
                RowSrvr::NotComputed => Cell {
                    tone: Tone::Note,
                    ..Cell::text("not computed")
                },
                RowSrvr::NoShapeAccepted => Cell {
                    hint: Some("no shape of the class was accepted"),
                    ..Cell::text("n/a")
                },
                RowSrvr::Value(v) => Cell::number(Some(v), pct(Some(v))),
            },
            FigureColumn::CertifiedSrvr => Cell::number(f.certified_srvr, pct(f.certified_srvr)),
            FigureColumn::CleanSrvr => Cell::number(f.clean_srvr, pct(f.clean_srvr)),
            FigureColumn::Evaluations => Cell::count(f.evaluations),
            FigureColumn::Traps => Cell::count(f.traps),
            FigureColumn::Settling(s) => s.cell(f.settling.as_ref()),
        }
    }
}

/// The columns of SRVR a report has: SRVR, then certified SRVR unless no run holds a
/// certificate, then clean SRVR with `clean` certificates.
pub fn srvr_columns(report: &SrvrReport) -> Vec<FigureColumn> {
    let nets = &report.networks;
    let mut out = vec![FigureColumn::Srvr];
    if report.certificates.is_some() && nets.iter().any(|n| n.certified_srvr.is_some()) {
        out.push(FigureColumn::CertifiedSrvr);
    }
    if nets.iter().any(|n| n.clean_srvr.is_some()) {
        out.push(FigureColumn::CleanSrvr);
    }
    out
}

/// The figures table: `columns` of `rows`.
pub fn figures(columns: &[FigureColumn], rows: &[Figures]) -> Table {
    Table {
        columns: columns.iter().map(|c| c.column()).collect(),
        rows: rows
            .iter()
            .map(|f| Row {
                cells: columns.iter().map(|c| c.cell(f)).collect(),
                total: f.class.is_none(),
                key: f.key(),
            })
            .collect(),
    }
}

/// Where a network's total goes among its classes' rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    First,
    Last,
}

/// A report's rows of figures: per network its classes and its total.
pub fn report_figures(report: &SrvrReport, total: Total) -> Vec<Figures> {
    let mut rows = Vec::new();
    for n in &report.networks {
        if total == Total::First {
            rows.push(Figures::of_network(n));
        }
        rows.extend(n.classes.iter().map(|c| Figures::of_class(&n.network, c)));
        if total == Total::Last {
            rows.push(Figures::of_network(n));
        }
    }
    rows
}

/// The columns of the table per method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodColumn {
    Method,
    Runs,
    Converged,
    Steps,
    Renders,
    Paper,
    MeanScoreInside,
    LowestScoreInside,
    ShareBelow,
    Settling(SettlingColumn),
}

impl MethodColumn {
    /// The columns every exporter shows.
    pub const ALL: [MethodColumn; 9] = [
        MethodColumn::Method,
        MethodColumn::Runs,
        MethodColumn::Converged,
        MethodColumn::Steps,
        MethodColumn::Renders,
        MethodColumn::Paper,
        MethodColumn::MeanScoreInside,
        MethodColumn::LowestScoreInside,
        MethodColumn::ShareBelow,
    ];

    fn column(self, report: &SrvrReport) -> Column {
        let (header, numeric, key) = match self {
            MethodColumn::Method => ("method".to_string(), false, "method"),
            MethodColumn::Runs => ("runs".into(), true, "runs"),
            MethodColumn::Converged => ("converged".into(), true, "converged"),
            MethodColumn::Steps => (
                match (report.mode, report.refine_steps) {
                    (RegionMode::Refine, Some(k)) => format!("mean network steps (of {k})"),
                    _ => "mean steps".to_string(),
                },
                true,
                "steps",
            ),
            MethodColumn::Renders => ("mean renders per run".into(), true, "renders"),
            MethodColumn::Paper => ("paper (800 steps)".into(), true, "paper"),
            MethodColumn::MeanScoreInside => ("mean score inside".into(), true, "inside"),
            MethodColumn::LowestScoreInside => ("mean lowest score inside".into(), true, "lowest"),
            MethodColumn::ShareBelow => ("share below τ (mean, largest)".into(), true, "below"),
            MethodColumn::Settling(s) => return s.column(),
        };
        Column {
            header,
            title: None,
            numeric,
            key,
        }
    }

    fn cell(self, report: &SrvrReport, m: &MethodReport) -> Cell {
        let inside = |f: fn(&crate::analysis::srvr_report::ContentsSummary) -> (f64, String)| {
            m.contents.as_ref().map_or_else(
                || Cell::text("–"),
                |c| {
                    let (v, text) = f(c);
                    Cell::number(Some(v), text)
                },
            )
        };
        match self {
            MethodColumn::Method => Cell::text(m.method.to_string()),
            MethodColumn::Runs => Cell::count(Some(m.runs)),
            MethodColumn::Converged => Cell::count(Some(m.converged)),
            MethodColumn::Steps => {
                Cell::number(Some(m.mean_iterations), format!("{:.1}", m.mean_iterations))
            }
            MethodColumn::Renders => match report.mode {
                RegionMode::Map => Cell::text("none (map mode)"),
                RegionMode::Network | RegionMode::Refine => {
                    Cell::number(Some(m.mean_renders), format!("{:.1}", m.mean_renders))
                }
            },
            MethodColumn::Paper => Cell::count(Some(m.paper_evaluations)),
            MethodColumn::MeanScoreInside => {
                inside(|c| (c.mean_score, format!("{:.3}", c.mean_score)))
            }
            MethodColumn::LowestScoreInside => {
                inside(|c| (c.mean_min_score, format!("{:.3}", c.mean_min_score)))
            }
            MethodColumn::ShareBelow => inside(|c| {
                (
                    c.mean_below,
                    format!(
                        "{} %, {} %",
                        pct(Some(c.mean_below)),
                        pct(Some(c.max_below))
                    ),
                )
            }),
            MethodColumn::Settling(s) => s.cell(m.settling.as_ref()),
        }
    }
}

/// The table per method: `columns` of every method of the report.
pub fn methods(report: &SrvrReport, columns: &[MethodColumn]) -> Table {
    Table {
        columns: columns.iter().map(|c| c.column(report)).collect(),
        rows: report
            .methods
            .iter()
            .map(|m| Row {
                cells: columns.iter().map(|c| c.cell(report, m)).collect(),
                total: false,
                key: m.method.to_string(),
            })
            .collect(),
    }
}

/// Where runs ended, one row per network and then per method (for reports whose runs kept
/// their boxes at 80 % of the cap; `None` otherwise).
pub fn settling(report: &SrvrReport) -> Option<Table> {
    let nets = report
        .networks
        .iter()
        .filter_map(|n| n.settling.map(|s| (n.network.clone(), s)));
    let methods = report
        .methods
        .iter()
        .filter_map(|m| m.settling.map(|s| (format!("method {}", m.method), s)));
    let named: Vec<(String, Settling)> = nets.chain(methods).collect();
    if named.is_empty() {
        return None;
    }
    let columns = [
        SettlingColumn::Runs,
        SettlingColumn::AtRest,
        SettlingColumn::HitCap,
        SettlingColumn::SrvrAtCap,
        SettlingColumn::SrvrAt80,
        SettlingColumn::BudgetSensitivity,
    ];
    let mut header = vec![Column {
        header: "networks, methods".into(),
        title: None,
        numeric: false,
        key: "name",
    }];
    header.extend(columns.iter().map(|c| c.column()));
    Some(Table {
        columns: header,
        rows: named
            .iter()
            .map(|(name, s)| Row {
                cells: std::iter::once(Cell::text(name))
                    .chain(columns.iter().map(|c| c.cell(Some(s))))
                    .collect(),
                total: false,
                key: name.clone(),
            })
            .collect(),
    })
}

/// The certificates per method (`None` when no method holds one).
pub fn certificates(report: &SrvrReport) -> Option<Table> {
    let headers = [
        ("method", "method"),
        ("regions assessed", "assessed"),
        ("certified", "certified"),
        ("not certified", "not-certified"),
        ("refuted early", "refuted"),
        ("too small", "too-small"),
        ("clean certified", "clean"),
        ("mean samples", "samples"),
        ("fragile", "fragile"),
    ];
    let rows: Vec<Row> = report
        .methods
        .iter()
        .filter_map(|m| {
            let c = m.certificates.as_ref()?;
            let n = |v: usize| Cell::count(Some(v));
            Some(Row {
                cells: vec![
                    Cell::text(m.method.to_string()),
                    n(c.runs),
                    n(c.certified),
                    n(c.not_certified),
                    n(c.refuted),
                    n(c.too_small),
                    n(c.clean_certified),
                    Cell::number(Some(c.mean_samples), format!("{:.1}", c.mean_samples)),
                    n(c.fragile),
                ],
                total: false,
                key: m.method.to_string(),
            })
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        columns: headers
            .iter()
            .enumerate()
            .map(|(i, (header, key))| Column {
                header: header.to_string(),
                title: None,
                numeric: i > 0,
                key,
            })
            .collect(),
        rows,
    })
}

/// The table as markdown: a header row, the alignment row, a row per row (a total's cells in
/// bold).
pub fn markdown(table: &Table) -> String {
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = line(table.columns.iter().map(|c| c.header.clone()).collect());
    out.push('|');
    for c in &table.columns {
        out.push_str(if c.numeric { "---:|" } else { "---|" });
    }
    out.push('\n');
    for row in &table.rows {
        out.push_str(&line(
            row.cells
                .iter()
                .map(|c| {
                    if row.total {
                        format!("**{}**", c.text)
                    } else {
                        c.text.clone()
                    }
                })
                .collect(),
        ));
    }
    out
}

/// The width of each column in characters, headers included.
pub fn widths(table: &Table) -> Vec<usize> {
    (0..table.columns.len())
        .map(|k| {
            table
                .rows
                .iter()
                .map(|r| r.cells[k].text.chars().count())
                .chain([table.columns[k].header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// `text` padded to `width` characters, on the right for numbers.
pub fn pad(text: &str, width: usize, numeric: bool) -> String {
    if numeric {
        format!("{text:>width$}")
    } else {
        format!("{text:<width$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures_row(class: Option<&str>) -> Figures {
        Figures {
            network: "a".into(),
            class: class.map(str::to_string),
            label: Some(504),
            shapes: 2,
            shapes_accepted: Some(1),
            own_pass: None,
            mean_score: 0.5,
            top1_rate: None,
            srvr: RowSrvr::NoShapeAccepted,
            certified_srvr: None,
            clean_srvr: None,
            evaluations: Some(10),
            traps: None,
            settling: None,
        }
    }

    #[test]
    fn every_column_names_itself_once_and_missing_figures_read_n_a() {
        use FigureColumn as F;
        let cols = [
            F::Network,
            F::ClassLabel,
            F::ShapesAccepted,
            F::OwnPass,
            F::Top1,
            F::Srvr,
            F::Evaluations,
        ];
        let t = figures(&cols, &[figures_row(Some("cup")), figures_row(None)]);
        assert_eq!(
            markdown(&t),
            "| network | class (label) | shapes accepted | own pass | top-1 | SRVR (% of Ω) | evaluations |\n\
             |---|---|---:|---:|---:|---:|---:|\n\
             | a | cup (504) | 1/2 | n/a | n/a | n/a | 10 |\n\
             | **a** | **all classes** | **1/2** | **n/a** | **n/a** | **n/a** | **10** |\n"
        );
        assert_eq!(
            t.rows[0].cells[5].hint,
            Some("no shape of the class was accepted")
        );
        assert_eq!(widths(&t)[1], "class (label)".len());
        assert_eq!(pad("7", 3, true), "  7");
        assert_eq!(pad("a", 3, false), "a  ");
    }

    #[test]
    fn a_budget_sensitivity_above_the_goal_is_a_warning() {
        let s = |d: f64| Settling {
            runs: 12,
            at_rest: 9,
            hit_cap: 3,
            srvr: Some(0.1),
            srvr_at_80: Some(0.1 - d),
            budget_sensitivity: Some(d),
        };
        let c = SettlingColumn::BudgetSensitivity;
        assert_eq!(c.cell(Some(&s(0.002))).tone, Tone::Plain);
        assert_eq!(c.cell(Some(&s(0.01))).tone, Tone::Warn);
        assert_eq!(c.cell(Some(&s(0.01))).text, "+1.000");
        assert_eq!(
            SettlingColumn::AtRest.cell(Some(&s(0.0))).text,
            "9 of 12 (75 %)"
        );
        assert_eq!(c.cell(None), Cell::empty());
    }
}
