//! The HTML writer of the report page: inline CSS, images as `data:` URIs, a few lines of
//! plain JavaScript (table sorting, and a self-test the browser test reads) and a content
//! security policy that forbids loading anything from outside the file.
//!
//! This file writes the document and its page-wide sections (summary, SRVR tables, traps,
//! DSM); [`job`] writes each job's section; the style sheet and scripts are the files in
//! `assets/`, and what is encoded without HTML (base64, thumbnails, dates) is in `encode`.

use std::fmt::Write as _;

mod job;

use super::encode::{base64, duration, utc};
use super::{DsmSection, FolderKind, Page, ShapeSection};
use crate::analysis::srvr_report::SrvrReport;
use crate::report::plot::{map_png, Marks, PlotError};
use crate::report::table::{
    self, Cell, FigureColumn, Figures, MethodColumn, Row, SettlingColumn, Table, Tone,
};
use crate::semantic::Grid;

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn img(png: &[u8], alt: &str, class: &str) -> String {
    img_typed("image/png", png, alt, class)
}

fn img_typed(mime: &str, bytes: &[u8], alt: &str, class: &str) -> String {
    format!(
        "<img class=\"{class}\" alt=\"{}\" src=\"data:{mime};base64,{}\">",
        esc(alt),
        base64(bytes)
    )
}

/// A stop reason as words (`partly_collapsed` → "partly collapsed").
fn stop_name(stop: crate::region::StopReason) -> String {
    serde_json::to_value(stop)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn pct(x: f64) -> String {
    format!("{:.3}", 100.0 * x)
}

fn point(p: &[f64]) -> String {
    let parts: Vec<String> = p.iter().map(|x| format!("{x:.1}")).collect();
    format!("({})", parts.join(", "))
}

/// The unit of an area on the map: `deg²` on azimuth × elevation.
fn area_unit(grid: &Grid) -> String {
    let units: Vec<&str> = grid.axes().iter().map(|a| a.unit.as_str()).collect();
    match units.as_slice() {
        [u] => u.to_string(),
        [a, b] if a == b && !a.is_empty() => format!("{a}²"),
        _ if units.iter().all(|u| !u.is_empty()) => units.join("·"),
        _ => "(grid units)".into(),
    }
}

fn anchor(parts: &[&str]) -> String {
    let joined = parts.join("-");
    joined
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The page's style sheet.
const CSS: &str = include_str!("assets/page.css");

/// Sorting: a click on a header sorts the body rows by that column (numbers by their
/// `data-sort` value, text otherwise), again reverses. `#selftest` in the address runs the
/// checks of the browser test and writes them into `<pre id="selftest">`.
const SCRIPT: &str = include_str!("assets/page.js");

/// Collects script errors from the start, for the self-test (one line, the head's script).
const ERROR_HOOK: &str = include_str!("assets/errors.js");

pub(super) fn render(page: &Page) -> Result<String, PlotError> {
    let mut h = String::with_capacity(1 << 20);
    let title = match page.kind {
        FolderKind::Results => format!("SRVR report: {}", page.summary.name),
        FolderKind::Grids => format!("Semantic maps: {}", page.summary.name),
    };
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n<script>{}</script>\n</head>\n<body>",
        esc(&title),
        ERROR_HOOK.trim_end()
    );
    let _ = writeln!(
        h,
        "<header><div class=\"in\"><h1>{}</h1><p>{} · page made {}</p></div></header>\n<main>",
        esc(&title),
        esc(&page.root.display().to_string()),
        utc(page.generated)
    );
    let _ = writeln!(
        h,
        "<nav><a href=\"#summary\">Summary</a><a href=\"#srvr\">SRVR table</a>\
         <a href=\"#traps\">Semantic traps</a><a href=\"#jobs\">Maps and regions</a><a href=\"#dsm\">DSM</a></nav>"
    );
    banners(&mut h, page);
    summary(&mut h, page);
    srvr_table(&mut h, page);
    traps_overview(&mut h, page);
    jobs(&mut h, page)?;
    dsm(&mut h, &page.dsm)?;
    let _ = writeln!(
        h,
        "</main>\n<footer>Made by semrob {} from {}. Self-contained: no network access is needed to view it.</footer>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        esc(&page.root.display().to_string())
    );
    Ok(h)
}

/// The banners above the summary: a partial folder, unreadable files.
fn banners(h: &mut String, page: &Page) {
    if page.is_partial() {
        let _ = writeln!(
            h,
            "<div class=\"banner\"><strong>Partial results: {} of {} jobs finished.</strong> \
             Every figure below covers the finished jobs only. Missing: {}.</div>",
            page.jobs_total - page.missing.len(),
            page.jobs_total,
            page.missing
                .iter()
                .map(|j| format!("<code>{}</code>", esc(&j.key())))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !page.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"banner\"><strong>{} saved file(s) could not be read</strong>; their sections say which.</div>",
            page.warnings.len()
        );
    }
}

/// The section of every job's map and regions, grouped by network.
fn jobs(h: &mut String, page: &Page) -> Result<(), PlotError> {
    let _ = writeln!(h, "<section id=\"jobs\">\n<h2>Maps and regions</h2>");
    let _ = writeln!(
        h,
        "<p>Each map shows the network's score for the class over two of its axes (yellow \
         high, dark purple low): a 2-D map as it is, a map of more axes in every pair of them \
         (a slice through a start), a 1-D map as a curve. Boxes are the regions grown from \
         each start, labelled by method letter and start number; circles <b>T1</b>, \
         <b>T2</b>, … mark semantic traps.</p>"
    );
    let mut network = "";
    for s in &page.sections {
        if s.job.network != network {
            network = &s.job.network;
            let _ = writeln!(
                h,
                "<h3 id=\"{}\">{}</h3>",
                anchor(&["net", network]),
                esc(network)
            );
        }
        job::job_section(h, page, s)?;
    }
    if page.sections.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">No job has finished yet.</p>");
    }
    h.push_str("</section>\n");
    Ok(())
}

fn summary(h: &mut String, page: &Page) {
    let s = &page.summary;
    let _ = writeln!(
        h,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"summary\">"
    );
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    };
    let not_recorded = || "<span class=\"note\">not recorded</span>".to_string();
    match page.kind {
        FolderKind::Results => results_items(page, &mut item),
        FolderKind::Grids => {
            item(
                "folder",
                format!(
                    "{} maps (<code>&lt;network&gt;/&lt;class&gt;/&lt;shape&gt;.json</code>), \
                     as <code>semrob srvr grids</code> reads them",
                    page.sections.len()
                ),
            );
            item(
                "regions",
                "<span class=\"note\">none in a folder of maps: run <code>semrob srvr grids</code> for SRVR</span>".into(),
            );
        }
    }
    item("results written", s.written.map_or_else(not_recorded, utc));
    item(
        "semantic traps",
        format!(
            "samples scoring below {} in a basin of scores below {} that does not touch the domain's edge (azimuth wraps)",
            page.thresholds.low, page.thresholds.high
        ),
    );
    h.push_str("</dl>\n");
    weights_and_config(h, s);
    h.push_str("</section>\n");
}

/// The summary of a results folder: benchmark, jobs, mode, acceptance, fingerprint, time.
fn results_items(page: &Page, item: &mut dyn FnMut(&str, String)) {
    let s = &page.summary;
    let not_recorded = || "<span class=\"note\">not recorded</span>".to_string();
    item("benchmark", esc(&s.name));
    item(
        "jobs",
        if page.is_partial() {
            format!(
                "{} of {} finished <span class=\"tag no\">partial</span>",
                page.jobs_total - page.missing.len(),
                page.jobs_total
            )
        } else {
            format!(
                "{} of {} finished <span class=\"tag yes\">complete</span>",
                page.jobs_total, page.jobs_total
            )
        },
    );
    item(
        "regions",
        s.mode.map_or_else(not_recorded, |mode| {
            format!(
                "mode <code>{}</code>: {}",
                mode.as_str(),
                esc(&mode.describe(s.refine_steps))
            )
        }),
    );
    item(
        "acceptance",
        s.acceptance.as_ref().map_or_else(not_recorded, |a| {
            // The sentence starts "Acceptance…: ", which the label already says.
            let sentence = a.sentence();
            let text = sentence
                .split_once(": ")
                .map_or(sentence.as_str(), |(_, t)| t);
            esc(text)
        }),
    );
    item(
        "configuration",
        s.config_hash.as_deref().map_or_else(not_recorded, |c| {
            format!("fingerprint <code>{}</code>", esc(c))
        }),
    );
    item(
        "time spent",
        s.seconds.map_or_else(not_recorded, |t| {
            format!("{} over {} jobs", duration(t), page.sections.len())
        }),
    );
}

/// The networks' weights files with their fingerprints, and the stamped configuration.
fn weights_and_config(h: &mut String, s: &super::Summary) {
    if !s.weights.is_empty() {
        h.push_str("<h3>Networks and weights</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>network</th><th>weights file</th><th>SHA-256</th></tr></thead><tbody>\n");
        for (net, w) in &s.weights {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(net),
                esc(&w.file),
                esc(&w.sha256)
            );
        }
        h.push_str("</tbody></table></div>\n");
    }
    if let Some(config) = &s.config {
        let text = serde_json::to_string_pretty(config).unwrap_or_default();
        let _ = writeln!(
            h,
            "<details><summary>The configuration (as stamped in the folder)</summary><pre>{}</pre></details>",
            esc(&text)
        );
    }
}

/// A table of the report as HTML. With `sortable` (`Some(id)`) a click on a header sorts it
/// (`data-col` on headers, `data-sort` on numbers) and `link` gives a cell's anchor.
fn html_table(
    h: &mut String,
    t: &Table,
    sortable: Option<&str>,
    link: &dyn Fn(&Row, usize) -> Option<String>,
) {
    match sortable {
        Some(id) => {
            let _ = write!(
                h,
                "<div class=\"scroll\"><table class=\"sortable\" id=\"{id}\">\n<thead><tr>"
            );
        }
        None => h.push_str("<div class=\"scroll\"><table>\n<thead><tr>"),
    }
    for c in &t.columns {
        let _ = write!(
            h,
            "<th{}{}{}>{}</th>",
            if c.numeric { " class=\"num\"" } else { "" },
            if sortable.is_some() {
                format!(" data-col=\"{}\"", c.key)
            } else {
                String::new()
            },
            c.title
                .map_or_else(String::new, |t| format!(" title=\"{}\"", esc(t))),
            esc(&c.header)
        );
    }
    h.push_str(if sortable.is_some() {
        "</tr></thead>\n<tbody>\n"
    } else {
        "</tr></thead><tbody>\n"
    });
    for row in &t.rows {
        if sortable.is_some() {
            let _ = write!(h, "<tr data-key=\"{}\">", esc(&row.key));
        } else {
            h.push_str("<tr>");
        }
        for (k, (cell, column)) in row.cells.iter().zip(&t.columns).enumerate() {
            h.push_str(&html_cell(
                cell,
                column.numeric,
                sortable.is_some(),
                link(row, k),
            ));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
}

/// One cell: a note or a hint in a `span`, a number right-aligned (sorting by its value in
/// a sortable table, missing numbers below every real one), a warning marked.
fn html_cell(cell: &Cell, numeric: bool, sortable: bool, link: Option<String>) -> String {
    if cell.text.is_empty() {
        return "<td></td>".into();
    }
    let mut shown = esc(&cell.text);
    if let Some(anchor) = link {
        shown = format!("<a href=\"#{anchor}\">{shown}</a>");
    }
    if cell.tone == Tone::Note {
        shown = format!("<span class=\"note\">{shown}</span>");
    }
    if let Some(hint) = cell.hint {
        shown = format!("<span title=\"{}\">{shown}</span>", esc(hint));
    }
    if !numeric {
        return format!("<td>{shown}</td>");
    }
    let class = if cell.tone == Tone::Warn {
        "num unsettled"
    } else {
        "num"
    };
    if sortable {
        let key = cell
            .sort
            .map_or_else(|| "-1e300".to_string(), |v| format!("{v}"));
        format!("<td class=\"{class}\" data-sort=\"{key}\">{shown}</td>")
    } else {
        format!("<td class=\"{class}\">{shown}</td>")
    }
}

/// No links in a table.
fn no_link(_: &Row, _: usize) -> Option<String> {
    None
}

fn srvr_table(h: &mut String, page: &Page) {
    let _ = writeln!(
        h,
        "<section id=\"srvr\">\n<h2>SRVR per network and class</h2>"
    );
    if page.rows.is_empty() {
        h.push_str("<p class=\"note\">No job has finished yet: no row to show.</p></section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p>SRVR is the mean volume of the robust regions over the class's accepted shapes, \
         starts and methods, in percent of the domain Ω (n/a: no shape of the class was accepted). \
         Click a column's header to sort by it.</p>"
    );
    use FigureColumn as F;
    let columns = [
        F::Network,
        F::Class,
        F::Label,
        F::ShapesAccepted,
        F::OwnPass,
        F::MeanScore,
        F::Top1,
        F::Srvr,
        F::Evaluations,
        F::Traps,
    ];
    let rows = table::figures(&columns, &page.rows);
    let network_link = |row: &Row, k: usize| (k == 0).then(|| anchor(&["net", &row.cells[0].text]));
    html_table(h, &rows, Some("srvr-table"), &network_link);
    if let Some(report) = &page.report {
        per_network(h, report);
        if let Some(t) = table::certificates(report) {
            h.push_str("<h3>Certificates per method</h3>\n");
            html_table(h, &t, None, &no_link);
        }
        if !report.methods.is_empty() {
            h.push_str("<h3>Evaluations per method</h3>\n");
            let mut columns = MethodColumn::ALL.to_vec();
            if report.methods.iter().any(|m| m.settling.is_some()) {
                columns.extend(SettlingColumn::BESIDE.map(MethodColumn::Settling));
            }
            html_table(h, &table::methods(report, &columns), None, &no_link);
        }
    }
    h.push_str("</section>\n");
}

/// The table per network: its figures over its classes, certified SRVR and where its runs
/// ended.
fn per_network(h: &mut String, report: &SrvrReport) {
    if report.networks.is_empty() {
        return;
    }
    let settling = report.networks.iter().any(|n| n.settling.is_some());
    h.push_str("<h3>Per network</h3>\n");
    if settling {
        h.push_str("<p>Where runs ended: at rest by their own rule, or at the cap still moving; SRVR at 80 % of the cap is computed from each run's box then, and the budget sensitivity (the last 20 % of the budget's change to SRVR) is marked where it exceeds 0.3 points of Ω.</p>\n");
    }
    if let Some(terms) = &report.certificates {
        let _ = writeln!(h, "<p>{}</p>", esc(&terms.sentence()));
    }
    use FigureColumn as F;
    let mut columns = vec![F::Network, F::ShapesAccepted, F::MeanScore, F::Top1];
    columns.extend(table::srvr_columns(report));
    if settling {
        columns.extend(SettlingColumn::BESIDE.map(F::Settling));
    }
    columns.push(F::Evaluations);
    let rows: Vec<Figures> = report.networks.iter().map(Figures::of_network).collect();
    html_table(h, &table::figures(&columns, &rows), None, &no_link);
}

fn traps_overview(h: &mut String, page: &Page) {
    let _ = writeln!(h, "<section id=\"traps\">\n<h2>Semantic traps</h2>");
    let with_maps = page
        .sections
        .iter()
        .filter(|s| s.map.present().is_some())
        .count();
    if with_maps == 0 {
        h.push_str(
            "<p class=\"note\">No map in this folder, so no trap can be found: \
                    the folder was written before jobs kept their maps.</p></section>\n",
        );
        return;
    }
    let all: Vec<(&ShapeSection, usize)> = page
        .sections
        .iter()
        .flat_map(|s| (0..s.traps.len()).map(move |i| (s, i)))
        .collect();
    let _ = writeln!(
        h,
        "<p>A semantic trap is a connected area scoring below {} that is enclosed by views scoring at least {} \
         and does not touch the domain's edge: the network fails there although every way out leads through \
         confident views. {} trap(s) on {} map(s).</p>",
        page.thresholds.low,
        page.thresholds.high,
        all.len(),
        with_maps
    );
    if !all.is_empty() {
        h.push_str("<div class=\"scroll\"><table class=\"sortable\" id=\"traps-table\">\n<thead><tr><th>network</th><th>class</th><th>shape</th><th>trap</th><th class=\"num\">area</th><th>centre</th><th class=\"num\">lowest score</th></tr></thead><tbody>\n");
        for (s, i) in all {
            let t = &s.traps[i];
            let unit = s.map.present().map(area_unit).unwrap_or_default();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td><a href=\"#{}\">{}</a></td><td>T{}</td><td class=\"num\" data-sort=\"{}\">{:.0} {}</td><td>{}</td><td class=\"num\">{:.3}</td></tr>",
                esc(&s.job.network),
                esc(&s.job.class),
                anchor(&["job", &s.job.network, &s.job.class, &s.job.shape]),
                esc(&s.job.shape),
                i + 1,
                t.area,
                t.area,
                esc(&unit),
                point(&t.centre),
                t.min_score
            );
        }
        h.push_str("</tbody></table></div>\n");
    }
    h.push_str("</section>\n");
}

fn dsm(h: &mut String, sections: &[DsmSection]) -> Result<(), PlotError> {
    let _ = writeln!(h, "<section id=\"dsm\">\n<h2>Data semantic maps</h2>");
    if sections.is_empty() {
        h.push_str("<p class=\"note\">No map in this folder, so no mean map: the folder was written before jobs kept their maps.</p></section>\n");
        return Ok(());
    }
    h.push_str(
        "<p>The mean map of each class over every network and shape with a map (SPEC §4).</p>\n",
    );
    for d in sections {
        let _ = writeln!(
            h,
            "<h3>{}</h3>\n<p class=\"status\">mean of {} map(s) from {}</p>",
            esc(&d.class),
            d.maps,
            esc(&d.networks.join(", "))
        );
        match &d.mean {
            Ok(g) if g.axes().len() <= 2 => {
                let title = format!("{}: mean of {} maps", d.class, d.maps);
                let png = map_png(g, &title, &Marks::default())?;
                h.push_str(&img(
                    &png,
                    &format!("data semantic map of {}", d.class),
                    "plot",
                ));
                h.push('\n');
            }
            Ok(g) => {
                let _ = writeln!(
                    h,
                    "<p class=\"note\">A mean map of {} axes (mean score {:.3}): not drawn. A data \
                     semantic map is a picture of one class over two parameters (SPEC §4); the \
                     maps above show each job's map in every pair of its axes.</p>",
                    g.axes().len(),
                    g.mean()
                );
            }
            Err(e) => {
                let _ = writeln!(h, "<p class=\"note\">No mean map: {}</p>", esc(e));
            }
        }
    }
    h.push_str("</section>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn cells_mark_warnings_notes_and_hints_and_sort_by_their_value() {
        let warn = Cell {
            text: "+1.000".into(),
            sort: Some(0.01),
            tone: Tone::Warn,
            ..Cell::default()
        };
        assert_eq!(
            html_cell(&warn, true, false, None),
            "<td class=\"num unsettled\">+1.000</td>"
        );
        assert_eq!(
            html_cell(&warn, true, true, None),
            "<td class=\"num unsettled\" data-sort=\"0.01\">+1.000</td>"
        );
        let note = Cell {
            text: "not computed".into(),
            tone: Tone::Note,
            ..Cell::default()
        };
        assert_eq!(
            html_cell(&note, true, true, None),
            "<td class=\"num\" data-sort=\"-1e300\"><span class=\"note\">not computed</span></td>"
        );
        assert_eq!(html_cell(&Cell::default(), true, true, None), "<td></td>");
        let net = Cell {
            text: "a<b".into(),
            ..Cell::default()
        };
        assert_eq!(
            html_cell(&net, false, true, Some("net-a-b".into())),
            "<td><a href=\"#net-a-b\">a&lt;b</a></td>"
        );
    }
}
