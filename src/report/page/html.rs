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
use super::{DsmSection, FolderKind, Page, Row, RowSrvr, ShapeSection};
use crate::report::plot::{map_png, Marks, PlotError};
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
    summary(&mut h, page);
    srvr_table(&mut h, page);
    traps_overview(&mut h, page);
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
        job::job_section(&mut h, page, s)?;
    }
    if page.sections.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">No job has finished yet.</p>");
    }
    h.push_str("</section>\n");
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
        FolderKind::Results => {
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
    h.push_str("</section>\n");
}

fn num_cell(value: Option<f64>, shown: String) -> String {
    // Missing numbers sort below every real one.
    let key = value.map_or_else(|| "-1e300".to_string(), |v| format!("{v}"));
    format!("<td class=\"num\" data-sort=\"{key}\">{shown}</td>")
}

/// The settling columns' headers (issue 33): where runs ended and what 80 % of the cap gave.
const SETTLING_HEADERS: &str = "<th class=\"num\" title=\"runs that came to rest by their own rule\">at rest</th><th class=\"num\" title=\"runs still moving when their budget ran out\">hit the cap</th><th class=\"num\" title=\"SRVR from each run's box at 80 % of its cap, aggregated like SRVR\">SRVR at 80 % of the cap (% of Ω)</th><th class=\"num\" title=\"SRVR at the cap minus SRVR at 80 % of it\">budget sensitivity (points of Ω)</th>";

/// The settling cells of one row (empty cells when it has none).
fn settling_cells(s: Option<&crate::analysis::srvr_report::Settling>) -> String {
    match s {
        None => "<td></td><td></td><td></td><td></td>".into(),
        Some(s) => {
            let moved = s
                .budget_sensitivity
                .map_or_else(|| "n/a".into(), |d| format!("{:+.3}", 100.0 * d));
            let class = if crate::report::export::settled(s) {
                "num"
            } else {
                "num unsettled"
            };
            format!(
                "<td class=\"num\">{} of {} ({:.0} %)</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{moved}</td>",
                s.at_rest,
                s.runs,
                100.0 * s.at_rest_share(),
                s.hit_cap,
                s.srvr_at_80.map_or_else(|| "n/a".into(), pct)
            )
        }
    }
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
    h.push_str(
        "<div class=\"scroll\"><table class=\"sortable\" id=\"srvr-table\">\n<thead><tr>\
         <th data-col=\"network\">network</th><th data-col=\"class\">class</th>\
         <th class=\"num\" data-col=\"label\">label</th><th class=\"num\" data-col=\"accepted\">shapes accepted</th><th class=\"num\" data-col=\"own\" title=\"shapes this network scores at least the threshold on itself\">own pass</th>\
         <th class=\"num\" data-col=\"score\">mean score</th><th class=\"num\" data-col=\"top1\">top-1</th>\
         <th class=\"num\" data-col=\"srvr\">SRVR (% of Ω)</th><th class=\"num\" data-col=\"evaluations\">evaluations</th>\
         <th class=\"num\" data-col=\"traps\">traps</th></tr></thead>\n<tbody>\n",
    );
    for r in &page.rows {
        row(h, r);
    }
    h.push_str("</tbody></table></div>\n");
    if let Some(report) = &page.report {
        if !report.networks.is_empty() {
            let certified = report.certificates.is_some();
            let clean = report.networks.iter().any(|n| n.clean_srvr.is_some());
            let settling = report.networks.iter().any(|n| n.settling.is_some());
            h.push_str("<h3>Per network</h3>\n");
            if settling {
                h.push_str("<p>Where runs ended: at rest by their own rule, or at the cap still moving; SRVR at 80 % of the cap is computed from each run's box then, and the budget sensitivity (the last 20 % of the budget's change to SRVR) is marked where it exceeds 0.3 points of Ω.</p>\n");
            }
            if let Some(terms) = &report.certificates {
                let _ = writeln!(h, "<p>{}</p>", esc(&terms.sentence()));
            }
            h.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>network</th><th class=\"num\">shapes accepted</th><th class=\"num\">mean score</th><th class=\"num\">top-1</th><th class=\"num\">SRVR (% of Ω)</th>");
            if certified {
                h.push_str("<th class=\"num\">certified SRVR (% of Ω)</th>");
            }
            if clean {
                h.push_str("<th class=\"num\">clean SRVR (% of Ω)</th>");
            }
            if settling {
                h.push_str(SETTLING_HEADERS);
            }
            h.push_str("<th class=\"num\">evaluations</th></tr></thead><tbody>\n");
            for n in &report.networks {
                let mut extra = String::new();
                if certified {
                    let _ = write!(
                        extra,
                        "<td class=\"num\">{}</td>",
                        n.certified_srvr.map_or_else(|| "n/a".into(), pct)
                    );
                }
                if clean {
                    let _ = write!(
                        extra,
                        "<td class=\"num\">{}</td>",
                        n.clean_srvr.map_or_else(|| "n/a".into(), pct)
                    );
                }
                if settling {
                    extra.push_str(&settling_cells(n.settling.as_ref()));
                }
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{extra}<td class=\"num\">{}</td></tr>",
                    esc(&n.network),
                    n.shapes_accepted,
                    n.shapes,
                    n.mean_score,
                    n.top1_rate.map_or_else(|| "n/a".into(), |t| format!("{t:.3}")),
                    n.srvr.map_or_else(|| "n/a".into(), pct),
                    n.evaluations.map_or_else(|| "n/a".into(), |e| e.to_string())
                );
            }
            h.push_str("</tbody></table></div>\n");
            if report.methods.iter().any(|m| m.certificates.is_some()) {
                h.push_str("<h3>Certificates per method</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>method</th><th class=\"num\">regions assessed</th><th class=\"num\">certified</th><th class=\"num\">not certified</th><th class=\"num\">refuted early</th><th class=\"num\">too small</th><th class=\"num\">clean certified</th><th class=\"num\">mean samples</th><th class=\"num\">fragile</th></tr></thead><tbody>\n");
                for m in &report.methods {
                    if let Some(c) = &m.certificates {
                        let _ = writeln!(
                            h,
                            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td></tr>",
                            m.method, c.runs, c.certified, c.not_certified, c.refuted, c.too_small, c.clean_certified, c.mean_samples, c.fragile
                        );
                    }
                }
                h.push_str("</tbody></table></div>\n");
            }
        }
        if !report.methods.is_empty() {
            h.push_str("<h3>Evaluations per method</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>method</th><th class=\"num\">runs</th><th class=\"num\">converged</th><th class=\"num\">mean steps</th><th class=\"num\">mean renders per run</th><th class=\"num\">paper (800 steps)</th><th class=\"num\">mean score inside</th><th class=\"num\">mean lowest score inside</th><th class=\"num\">share below λ (mean, largest)</th>");
            let settling = report.methods.iter().any(|m| m.settling.is_some());
            if settling {
                h.push_str(SETTLING_HEADERS);
            }
            h.push_str("</tr></thead><tbody>\n");
            for m in &report.methods {
                let contents = match &m.contents {
                    Some(c) => format!(
                        "<td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}, {}</td>",
                        c.mean_score,
                        c.mean_min_score,
                        pct(c.mean_below),
                        pct(c.max_below)
                    ),
                    None => "<td></td><td></td><td></td>".to_string(),
                };
                let settled = if settling {
                    settling_cells(m.settling.as_ref())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td>{contents}{settled}</tr>",
                    m.method, m.runs, m.converged, m.mean_iterations, m.mean_renders, m.paper_evaluations
                );
            }
            h.push_str("</tbody></table></div>\n");
        }
    }
    h.push_str("</section>\n");
}

fn row(h: &mut String, r: &Row) {
    let dash = || "<span class=\"note\">–</span>".to_string();
    let _ = writeln!(
        h,
        "<tr data-key=\"{}\"><td><a href=\"#{}\">{}</a></td><td>{}</td>{}{}{}{}{}{}{}{}</tr>",
        esc(&format!("{}/{}", r.network, r.class)),
        anchor(&["net", &r.network]),
        esc(&r.network),
        esc(&r.class),
        num_cell(
            r.label.map(|l| l as f64),
            r.label.map_or_else(dash, |l| l.to_string())
        ),
        num_cell(
            r.shapes_accepted.map(|a| a as f64),
            r.shapes_accepted.map_or_else(
                || format!("{} maps", r.shapes),
                |a| format!("{a}/{}", r.shapes)
            )
        ),
        num_cell(
            r.own_pass.map(|a| a as f64),
            r.own_pass.map_or_else(dash, |a| a.to_string())
        ),
        num_cell(Some(r.mean_score), format!("{:.3}", r.mean_score)),
        num_cell(
            r.top1_rate,
            r.top1_rate.map_or_else(dash, |t| format!("{t:.3}"))
        ),
        match r.srvr {
            RowSrvr::NotComputed => {
                num_cell(None, "<span class=\"note\">not computed</span>".into())
            }
            RowSrvr::NoShapeAccepted => num_cell(
                None,
                "<span title=\"no shape of the class was accepted\">n/a</span>".into()
            ),
            RowSrvr::Value(v) => num_cell(Some(v), pct(v)),
        },
        num_cell(
            r.evaluations.map(|e| e as f64),
            r.evaluations.map_or_else(dash, |e| e.to_string())
        ),
        num_cell(Some(r.traps as f64), r.traps.to_string()),
    );
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
    fn settling_cells_mark_a_budget_sensitivity_above_the_goal() {
        use crate::analysis::srvr_report::Settling;
        let s = |d: f64| Settling {
            runs: 12,
            at_rest: 9,
            hit_cap: 3,
            srvr: Some(0.1),
            srvr_at_80: Some(0.1 - d),
            budget_sensitivity: Some(d),
        };
        let calm = settling_cells(Some(&s(0.002)));
        assert_eq!(
            calm,
            "<td class=\"num\">9 of 12 (75 %)</td><td class=\"num\">3</td><td class=\"num\">9.800</td><td class=\"num\">+0.200</td>"
        );
        assert!(settling_cells(Some(&s(0.01))).contains("<td class=\"num unsettled\">+1.000</td>"));
        assert_eq!(settling_cells(None), "<td></td><td></td><td></td><td></td>");
    }
}
