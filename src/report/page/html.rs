//! The HTML writer of the report page: inline CSS, images as `data:` URIs, a few lines of
//! plain JavaScript (table sorting, and a self-test the browser test reads) and a content
//! security policy that forbids loading anything from outside the file.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{DsmSection, FolderKind, Page, Part, Row, RowSrvr, ShapeSection};
use crate::analysis::regions::RunSummary;
use crate::report::plot::{
    annotated_heatmap_png, line_plot_png, map_png, BoxMark, Corner, PlotError, PointMark, Series,
};
use crate::report::runs::{bounds_png, method_legend, method_style};
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

/// Standard base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
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

/// The largest side of a render on the page, in pixels.
const THUMBNAIL: u32 = 192;

/// A render as the page embeds it: shrunk to fit [`THUMBNAIL`] and stored as JPEG, which
/// keeps a page of hundreds of jobs to a few kilobytes per render.
fn thumbnail(png: &[u8]) -> Result<Vec<u8>, String> {
    let image = image::load_from_memory(png).map_err(|e| format!("not an image: {e}"))?;
    let image = if image.width().max(image.height()) > THUMBNAIL {
        image.thumbnail(THUMBNAIL, THUMBNAIL)
    } else {
        image
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image::DynamicImage::ImageRgb8(image.to_rgb8()))
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar from the Unix day count).
fn utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Shift the epoch to 0000-03-01 so that leap days end each 4-, 100- and 400-year cycle.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

fn duration(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.1} s")
    } else if seconds < 5400.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.2} h", seconds / 3600.0)
    }
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

const CSS: &str = r#"
:root { --ink: #1d2330; --muted: #5b6475; --line: #d7dce5; --soft: #f4f6f9; --accent: #2c5aa0; --warn: #9a3b00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 0 24px 48px; }
header { background: #1d2330; color: #fff; padding: 20px 24px; }
header .in { max-width: 1180px; margin: 0 auto; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header p { margin: 0; color: #c9d1de; font-size: 14px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 28px 0 8px; }
h4 { font-size: 16px; margin: 0 0 6px; }
nav { margin: 16px 0 0; font-size: 14px; }
nav a { margin-right: 16px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.banner { margin: 18px 0 0; padding: 10px 14px; border-left: 4px solid var(--warn); background: #fff4ec; }
.note { color: var(--muted); font-style: italic; margin: 6px 0; }
.warn { color: var(--warn); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \2195"; color: #9aa3b2; font-size: 12px; }
table.sortable th[aria-sort="ascending"]::after { content: " \25B2"; color: var(--accent); }
table.sortable th[aria-sort="descending"]::after { content: " \25BC"; color: var(--accent); }
.scroll { overflow-x: auto; }
article.job { border: 1px solid var(--line); border-radius: 6px; padding: 16px; margin: 16px 0; break-inside: avoid-page; }
article.job .status { margin: 0 0 10px; color: var(--muted); }
img.plot { display: block; width: 100%; max-width: 900px; height: auto; border: 1px solid var(--line); }
div.pairs { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0.5rem; }
.sheet { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; max-width: 900px; }
.sheet figure { margin: 0; }
.sheet img { display: block; width: 100%; height: auto; border: 1px solid var(--line); background: var(--soft); }
.sheet figcaption { font-size: 12px; color: var(--muted); line-height: 1.3; margin-top: 3px; }
.sheet-title { font-weight: 600; margin: 14px 0 6px; }
.sheet-title.inside { color: #1b6e2d; }
.sheet-title.outside { color: var(--warn); }
details pre { background: var(--soft); padding: 10px; overflow-x: auto; font-size: 12px; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; background: var(--soft); border: 1px solid var(--line); }
.tag.yes { background: #e6f4ea; border-color: #b7dfc2; }
.tag.no { background: #fdecea; border-color: #f3c2bd; }
footer { max-width: 1180px; margin: 0 auto; padding: 16px 24px 32px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
@media print {
  header { background: none; color: var(--ink); padding: 0; }
  header p { color: var(--muted); }
  nav, #selftest { display: none; }
  main { max-width: none; padding: 0; }
  article.job { break-inside: avoid; border: none; padding: 0; }
  table.sortable th::after { content: ""; }
  .scroll { overflow: visible; }
  table { font-size: 11px; }
  th, td { padding: 3px 6px; }
  img.plot { max-width: 100%; }
  a { color: inherit; }
}
"#;

/// Sorting: a click on a header sorts the body rows by that column (numbers by their
/// `data-sort` value, text otherwise), again reverses. `#selftest` in the address runs the
/// checks of the browser test and writes them into `<pre id="selftest">`.
const SCRIPT: &str = r#"
(function () {
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute('data-sort');
    return v === null ? cell.textContent.trim() : v;
  }
  function sortBy(table, col) {
    var heads = table.tHead.rows[0].cells;
    var th = heads[col];
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return dir * c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = 'sort by this column';
      th.addEventListener('click', function () { sortBy(table, col); });
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(table, col); }
      });
    });
  });
  if (location.hash === '#selftest') {
    window.addEventListener('load', function () {
      var table = document.getElementById('srvr-table');
      var order = function () {
        return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.getAttribute('data-key'); });
      };
      var heads = table.tHead.rows[0].cells, srvrCol = -1;
      for (var i = 0; i < heads.length; i++) if (heads[i].getAttribute('data-col') === 'srvr') srvrCol = i;
      var before = order();
      heads[srvrCol].click();
      var ascending = order();
      heads[srvrCol].click();
      var descending = order();
      var images = Array.prototype.map.call(document.images, function (im) {
        return { alt: im.alt, complete: im.complete, width: im.naturalWidth };
      });
      var out = document.createElement('pre');
      out.id = 'selftest';
      out.textContent = JSON.stringify({
        errors: window.semrobErrors, before: before, ascending: ascending,
        descending: descending, images: images
      });
      document.body.appendChild(out);
    });
  }
})();
"#;

/// Collects script errors from the start, for the self-test.
const ERROR_HOOK: &str = "window.semrobErrors = [];\
window.addEventListener('error', function (e) { window.semrobErrors.push(String(e.message || e.type)); }, true);\
(function () { var original = console.error; console.error = function () { window.semrobErrors.push(Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); }; })();";

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
         <title>{}</title>\n<style>{CSS}</style>\n<script>{ERROR_HOOK}</script>\n</head>\n<body>",
        esc(&title)
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
        job_section(&mut h, page, s)?;
    }
    if page.sections.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">No job has finished yet.</p>");
    }
    h.push_str("</section>\n");
    dsm(&mut h, &page.dsm)?;
    let _ = writeln!(
        h,
        "</main>\n<footer>Made by semrob {} from {}. Self-contained: no network access is needed to view it.</footer>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>",
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
            h.push_str("<h3>Per network</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>network</th><th class=\"num\">shapes accepted</th><th class=\"num\">mean score</th><th class=\"num\">top-1</th><th class=\"num\">SRVR (% of Ω)</th><th class=\"num\">evaluations</th></tr></thead><tbody>\n");
            for n in &report.networks {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
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
        }
        if !report.methods.is_empty() {
            h.push_str("<h3>Evaluations per method</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>method</th><th class=\"num\">runs</th><th class=\"num\">converged</th><th class=\"num\">mean steps</th><th class=\"num\">mean renders per run</th><th class=\"num\">paper (800 steps)</th><th class=\"num\">mean score inside</th><th class=\"num\">mean lowest score inside</th><th class=\"num\">share below λ (mean, largest)</th></tr></thead><tbody>\n");
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
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td>{contents}</tr>",
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

/// A job's 2-D heatmap (`grid`, a map or a slice of one in axes `pair` of the job's map)
/// with every run's box and every trap's centre projected onto `pair`.
fn job_heatmap(
    grid: &Grid,
    title: &str,
    runs: &[RunSummary],
    labels: &[String],
    s: &ShapeSection,
    (i, j): (usize, usize),
) -> Result<Vec<u8>, PlotError> {
    let boxes: Vec<BoxMark> = runs
        .iter()
        .zip(labels)
        .map(|(r, label)| {
            let (colour, stroke, _) = method_style(r.method);
            BoxMark {
                lower: [r.lower[i], r.lower[j]],
                upper: [r.upper[i], r.upper[j]],
                label: label.clone(),
                colour,
                stroke,
                corner: Corner::of(r.method),
            }
        })
        .collect();
    let points: Vec<PointMark> = s
        .traps
        .iter()
        .enumerate()
        .map(|(k, t)| PointMark {
            at: [t.centre[i], t.centre[j]],
            label: format!("T{}", k + 1),
        })
        .collect();
    let legend = method_legend(runs.iter().map(|r| r.method));
    annotated_heatmap_png(grid, title, &boxes, &points, &legend)
}

/// A 1-D map's score curve with each run's interval as a flat segment at the map's mean
/// score over it.
fn score_curve_png(
    grid: &Grid,
    title: &str,
    runs: &[RunSummary],
    labels: &[String],
) -> Result<Vec<u8>, PlotError> {
    let axis = &grid.axes()[0];
    let mut series = vec![Series {
        name: "score".into(),
        points: axis
            .values
            .iter()
            .copied()
            .zip(grid.values().iter().copied())
            .collect(),
    }];
    for (r, label) in runs.iter().zip(labels) {
        // The interpolant's mean over the interval (64 samples).
        let (lo, hi) = (r.lower[0], r.upper[0]);
        let y = (0..64)
            .map(|k| grid.interpolate(&[lo + (hi - lo) * (k as f64 + 0.5) / 64.0], None))
            .sum::<f64>()
            / 64.0;
        series.push(Series {
            name: format!("{label} ({})", r.method),
            points: vec![(r.lower[0], y), (r.upper[0], y)],
        });
    }
    let unit = if axis.unit.is_empty() {
        axis.name.clone()
    } else {
        format!("{} ({})", axis.name, axis.unit)
    };
    line_plot_png(title, &unit, "score", &series, Some((0.0, 1.0)))
}

/// The label of each run: its method's letter and its start's number (in the job's order
/// of starts).
fn run_labels(runs: &[RunSummary]) -> Vec<String> {
    let mut starts: Vec<&Vec<f64>> = Vec::new();
    runs.iter()
        .map(|r| {
            let k = match starts.iter().position(|s| **s == r.init) {
                Some(k) => k,
                None => {
                    starts.push(&r.init);
                    starts.len() - 1
                }
            };
            format!("{}{}", method_style(r.method).2, k + 1)
        })
        .collect()
}

fn job_section(h: &mut String, page: &Page, s: &ShapeSection) -> Result<(), PlotError> {
    let job = &s.job;
    let _ = writeln!(
        h,
        "<article class=\"job\" id=\"{}\">\n<h4>{} · {} · {}</h4>",
        anchor(&["job", &job.network, &job.class, &job.shape]),
        esc(&job.network),
        esc(&job.class),
        esc(&job.shape)
    );
    let runs: &[RunSummary] = s.result.as_ref().map_or(&[], |r| &r.runs);
    if let Some(r) = &s.result {
        let _ = writeln!(
            h,
            "<p class=\"status\">{} · mean score {:.3}{} · top-1 {:.3} · {} region run(s) · {} renders · {}</p>",
            match s.counted {
                Some(true) => "<span class=\"tag yes\">in the dataset</span>",
                Some(false) => "<span class=\"tag no\">left out by the acceptance rule</span>",
                None => "<span class=\"tag\">acceptance unknown (the deciding job is missing)</span>",
            },
            r.mean_score,
            if r.accepted { "" } else { " (below the threshold)" },
            r.top1_rate,
            r.runs.len(),
            r.map_points + r.region_renders,
            duration(r.seconds)
        );
    } else if let Some(g) = s.map.present() {
        let _ = writeln!(h, "<p class=\"status\">map mean score {:.3}</p>", g.mean());
    }
    let labels = run_labels(runs);
    let title = format!("{} · {} · {}", job.network, job.class, job.shape);
    match &s.map {
        Part::Present(grid) if grid.axes().len() == 2 => {
            let png = job_heatmap(grid, &title, runs, &labels, s, (0, 1))?;
            h.push_str(&img(
                &png,
                &format!("semantic map of {}", job.key()),
                "plot",
            ));
            h.push('\n');
        }
        Part::Present(grid) if grid.axes().len() == 1 => {
            let png = score_curve_png(grid, &title, runs, &labels)?;
            h.push_str(&img(
                &png,
                &format!("semantic map of {}", job.key()),
                "plot",
            ));
            h.push_str(
                "\n<p class=\"note\">A 1-D map: the score along the axis, and each region run's \
                 interval drawn at the map's mean score over it; the regions and traps are \
                 listed below.</p>\n",
            );
        }
        Part::Present(grid) => {
            let n = grid.axes().len();
            // Slices through the first run's start (the runs of a job share their starts), or
            // through the map's centre when no region grew.
            let (at, through) = match runs.first() {
                Some(r) => (r.init.clone(), format!("start {}", point(&r.init))),
                None => {
                    let (lo, hi) = grid.domain();
                    let centre: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| (a + b) / 2.0).collect();
                    let text = format!("the centre {}", point(&centre));
                    (centre, text)
                }
            };
            let _ = writeln!(
                h,
                "<p class=\"note\">A map with {n} axes, drawn in each of its {} pairs of axes: \
                 the map's slice through {} (its multilinear interpolant, the other \
                 coordinates fixed there), with every region projected onto the pair.</p>",
                n * (n - 1) / 2,
                esc(&through)
            );
            h.push_str("<div class=\"pairs\">\n");
            for i in 0..n {
                for j in i + 1..n {
                    let slice = grid
                        .slice(i, j, &at)
                        .map_err(|e| PlotError::Unsupported(e.to_string()))?;
                    let names = format!("{} × {}", grid.axes()[i].name, grid.axes()[j].name);
                    let png = job_heatmap(
                        &slice,
                        &format!("{title} · {names}"),
                        runs,
                        &labels,
                        s,
                        (i, j),
                    )?;
                    h.push_str(&img(
                        &png,
                        &format!("semantic map of {} in {names}", job.key()),
                        "plot",
                    ));
                    h.push('\n');
                }
            }
            h.push_str("</div>\n");
        }
        Part::Absent(why) => {
            let _ = writeln!(h, "<p class=\"note\">No heatmap: {}.</p>", esc(why));
        }
        Part::Unreadable(why) => {
            let _ = writeln!(h, "<p class=\"warn\">Map unreadable: {}</p>", esc(why));
        }
    }
    if !runs.is_empty() {
        let refined = runs.iter().any(|r| r.map_stage.is_some());
        let threshold = runs.iter().find_map(|r| r.contents.map(|c| c.threshold));
        h.push_str(
            "<div class=\"scroll\"><table>\n<thead><tr><th>box</th><th>method</th><th>start</th>",
        );
        if refined {
            h.push_str("<th>on the map: lower, upper</th><th class=\"num\">% of Ω</th><th>stop</th><th class=\"num\">steps</th>");
        }
        h.push_str("<th>lower</th><th>upper</th><th class=\"num\">% of Ω</th><th>stop</th><th class=\"num\">steps</th>");
        if let Some(t) = threshold {
            let _ = write!(
                h,
                "<th class=\"num\">mean score inside</th><th class=\"num\">lowest score inside</th><th class=\"num\">share below {t}</th>"
            );
        }
        h.push_str("</tr></thead><tbody>\n");
        for (r, label) in runs.iter().zip(&labels) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td>",
                esc(label),
                r.method,
                point(&r.init)
            );
            if refined {
                match &r.map_stage {
                    Some(m) => {
                        let _ = write!(
                            h,
                            "<td>{} – {}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>",
                            point(&m.lower),
                            point(&m.upper),
                            pct(m.volume_ratio),
                            esc(&stop_name(m.stop)),
                            m.iterations
                        );
                    }
                    None => h.push_str("<td></td><td></td><td></td><td></td>"),
                }
            }
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>",
                point(&r.lower),
                point(&r.upper),
                pct(r.volume_ratio),
                esc(&stop_name(r.stop)),
                r.iterations
            );
            if threshold.is_some() {
                match &r.contents {
                    Some(c) => {
                        let _ = write!(
                            h,
                            "<td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td>",
                            c.mean,
                            c.min,
                            pct(c.below)
                        );
                    }
                    None => h.push_str("<td></td><td></td><td></td>"),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table></div>\n");
        if refined {
            h.push_str("<p class=\"note\">Refine mode: each run grew on the map first (the box, stop and steps on the map), then went on on the network from that box (the final box, stop and network steps).</p>\n");
        }
    }
    if let Some(grid) = s.map.present() {
        if s.traps.is_empty() {
            h.push_str("<p>No semantic trap on this map.</p>\n");
        } else {
            let unit = area_unit(grid);
            let items: Vec<String> = s
                .traps
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    format!(
                        "<b>T{}</b>: area {:.0} {}, centre {}, lowest score {:.3} ({} samples)",
                        i + 1,
                        t.area,
                        esc(&unit),
                        point(&t.centre),
                        t.min_score,
                        t.samples
                    )
                })
                .collect();
            let _ = writeln!(
                h,
                "<p>Semantic traps:</p><ul><li>{}</li></ul>",
                items.join("</li><li>")
            );
        }
    }
    renders(h, s);
    traces(h, page, s)?;
    h.push_str("</article>\n");
    Ok(())
}

fn renders(h: &mut String, s: &ShapeSection) {
    match &s.renders {
        Part::Present(r) => {
            for (kind, title, shots) in [
                ("inside", "Inside the largest robust region", &r.inside),
                ("outside", "Outside it (lowest scores first)", &r.outside),
            ] {
                let _ = writeln!(h, "<div class=\"sheet-title {kind}\">{title}</div>");
                if shots.is_empty() {
                    h.push_str("<p class=\"note\">none saved</p>\n");
                    continue;
                }
                h.push_str("<div class=\"sheet\">\n");
                for (k, shot) in shots.iter().enumerate() {
                    let mut caption = format!("{kind} {}", k + 1);
                    if !shot.point.is_empty() {
                        caption.push_str(&format!(" · {}", point(&shot.point)));
                    }
                    if let Some(score) = shot.score {
                        caption.push_str(&format!(" · score {score:.3}"));
                    }
                    let alt = format!("{} render {} of {}", kind, k + 1, s.job.key());
                    let picture = match thumbnail(&shot.png) {
                        Ok(jpeg) => img_typed("image/jpeg", &jpeg, &alt, "render"),
                        Err(e) => format!("<p class=\"warn\">unreadable: {}</p>", esc(&e)),
                    };
                    let _ = writeln!(
                        h,
                        "<figure>{picture}<figcaption>{}</figcaption></figure>",
                        esc(&caption)
                    );
                }
                h.push_str("</div>\n");
            }
        }
        Part::Absent(why) => {
            let _ = writeln!(h, "<p class=\"note\">No renders: {}.</p>", esc(why));
        }
        Part::Unreadable(why) => {
            let _ = writeln!(h, "<p class=\"warn\">Renders unreadable: {}</p>", esc(why));
        }
    }
}

fn traces(h: &mut String, _page: &Page, s: &ShapeSection) -> Result<(), PlotError> {
    match &s.traces {
        Part::Present(runs) => {
            let names: Vec<String> = match s.map.present() {
                Some(g) => g
                    .axes()
                    .iter()
                    .map(|a| {
                        if a.unit.is_empty() {
                            a.name.clone()
                        } else {
                            format!("{} ({})", a.name, a.unit)
                        }
                    })
                    .collect(),
                None => (0..runs.first().map_or(0, |r| r.lower.len()))
                    .map(|k| format!("u{k}"))
                    .collect(),
            };
            let Some(png) = bounds_png(runs, &names)? else {
                h.push_str("<p class=\"note\">No bounds trace: the runs were saved without their steps.</p>\n");
                return Ok(());
            };
            h.push_str("<div class=\"sheet-title\">Bounds of every run, step by step</div>\n");
            h.push_str(&img(
                &png,
                &format!("bounds trace of {}", s.job.key()),
                "plot",
            ));
            h.push('\n');
        }
        Part::Absent(why) => {
            let _ = writeln!(h, "<p class=\"note\">No bounds trace: {}.</p>", esc(why));
        }
        Part::Unreadable(why) => {
            let _ = writeln!(h, "<p class=\"warn\">Traces unreadable: {}</p>", esc(why));
        }
    }
    Ok(())
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
                let png = if g.axes().len() == 2 {
                    annotated_heatmap_png(g, &title, &[], &[], &[])?
                } else {
                    map_png(g, &title, &[])?
                };
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
    fn base64_matches_the_rfc_examples() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        let at = |s: u64| utc(UNIX_EPOCH + std::time::Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(at(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(at(4_107_542_400), "2100-03-01 00:00 UTC");
    }

    #[test]
    fn renders_are_shrunk_to_jpeg_thumbnails() {
        let big = image::RgbImage::from_fn(400, 300, |x, _| image::Rgb([(x % 256) as u8, 90, 30]));
        let mut png = Vec::new();
        big.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let jpeg = thumbnail(&png).unwrap();
        let back = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (THUMBNAIL, 144));
        assert!(thumbnail(b"not a png")
            .unwrap_err()
            .contains("not an image"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
