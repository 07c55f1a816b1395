//! A job's section of the page: its map (a heatmap, a heatmap per pair of axes, or a score
//! curve) with the region boxes and traps, the table of its region runs, its traps, its
//! renders and the bounds trace of its runs.

use std::fmt::Write as _;

use super::super::encode::{duration, thumbnail};
use super::super::{Page, Part, ShapeSection};
use super::{anchor, area_unit, esc, img, img_typed, pct, point, stop_name};
use crate::analysis::certificates::RegionCertificate;
use crate::analysis::region_runs::RunSummary;
use crate::certify::Verdict;
use crate::region::StopReason;
use crate::report::plot::{heatmap_png, line_plot_png, PlotError, PointMark, Series};
use crate::report::runs::{bounds_png, region_marks, run_labels};
use crate::semantic::Grid;

/// A job's 2-D heatmap (`grid`, a map or a slice of one in axes `pair` of the job's map)
/// with every run's box and every trap's centre projected onto `pair`.
fn job_heatmap(
    grid: &Grid,
    title: &str,
    runs: &[RunSummary],
    s: &ShapeSection,
    (i, j): (usize, usize),
) -> Result<Vec<u8>, PlotError> {
    let mut marks = region_marks(runs, (i, j));
    marks.points = s
        .traps
        .iter()
        .enumerate()
        .map(|(k, t)| PointMark {
            at: [t.centre[i], t.centre[j]],
            label: format!("T{}", k + 1),
        })
        .collect();
    heatmap_png(grid, title, &marks)
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

/// A job's section: its status line, its map with the regions and traps, the table of its
/// region runs, its traps, renders, witnesses and bounds trace.
pub(super) fn job_section(h: &mut String, page: &Page, s: &ShapeSection) -> Result<(), PlotError> {
    let job = &s.job;
    let _ = writeln!(
        h,
        "<article class=\"job\" id=\"{}\">\n<h4>{} · {} · {}</h4>",
        anchor(&["job", &job.network, &job.class, &job.shape]),
        esc(&job.network),
        esc(&job.class),
        esc(&job.shape)
    );
    status(h, s);
    let runs: &[RunSummary] = s.result.as_ref().map_or(&[], |r| &r.runs);
    let labels = run_labels(runs);
    map_pictures(h, s, runs, &labels)?;
    if !runs.is_empty() {
        runs_table(h, runs, &labels);
    }
    traps_list(h, s);
    renders(h, s);
    witnesses(h, s, runs, &labels);
    traces(h, page, s)?;
    h.push_str("</article>\n");
    Ok(())
}

/// The job's status line: whether the shape counts, its scores, runs, renders and time (a
/// map alone: its mean score).
fn status(h: &mut String, s: &ShapeSection) {
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
            if r.own_pass { "" } else { " (below the threshold)" },
            r.top1_rate,
            r.runs.len(),
            r.map_points + r.region_renders,
            duration(r.seconds)
        );
    } else if let Some(g) = s.map.present() {
        let _ = writeln!(h, "<p class=\"status\">map mean score {:.3}</p>", g.mean());
    }
}

/// The job's map with its regions and traps: a heatmap in 2-D, a score curve in 1-D, a
/// heatmap per pair of axes beyond; or why there is none.
fn map_pictures(
    h: &mut String,
    s: &ShapeSection,
    runs: &[RunSummary],
    labels: &[String],
) -> Result<(), PlotError> {
    let job = &s.job;
    let title = format!("{} · {} · {}", job.network, job.class, job.shape);
    match &s.map {
        Part::Present(grid) if grid.axes().len() == 2 => {
            let png = job_heatmap(grid, &title, runs, s, (0, 1))?;
            h.push_str(&img(
                &png,
                &format!("semantic map of {}", job.key()),
                "plot",
            ));
            h.push('\n');
        }
        Part::Present(grid) if grid.axes().len() == 1 => {
            let png = score_curve_png(grid, &title, runs, labels)?;
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
        Part::Present(grid) => pair_heatmaps(h, grid, &title, runs, s)?,
        Part::Absent(why) => {
            let _ = writeln!(h, "<p class=\"note\">No heatmap: {}.</p>", esc(why));
        }
        Part::Unreadable(why) => {
            let _ = writeln!(h, "<p class=\"warn\">Map unreadable: {}</p>", esc(why));
        }
    }
    Ok(())
}

/// A map of more than two axes: a heatmap of its slice in each pair of axes.
fn pair_heatmaps(
    h: &mut String,
    grid: &Grid,
    title: &str,
    runs: &[RunSummary],
    s: &ShapeSection,
) -> Result<(), PlotError> {
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
            let png = job_heatmap(&slice, &format!("{title} · {names}"), runs, s, (i, j))?;
            h.push_str(&img(
                &png,
                &format!("semantic map of {} in {names}", s.job.key()),
                "plot",
            ));
            h.push('\n');
        }
    }
    h.push_str("</div>\n");
    Ok(())
}

/// The table of the job's region runs: box, method, start, the map stage (refine mode),
/// the final box, what it holds, its certificate and clean box; then notes on the columns.
fn runs_table(h: &mut String, runs: &[RunSummary], labels: &[String]) {
    let refined = runs.iter().any(|r| r.map_stage.is_some());
    let threshold = runs.iter().find_map(|r| r.contents.map(|c| c.threshold));
    let certified = runs.iter().any(|r| r.certificate.is_some());
    let clean = runs.iter().any(|r| r.clean.is_some());
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
    if certified {
        h.push_str("<th>certificate</th><th class=\"num\">failures / samples</th><th class=\"num\">bound</th><th class=\"num\">witness score</th><th class=\"num\">margin</th>");
    }
    if clean {
        h.push_str("<th>clean box</th><th class=\"num\">% of Ω</th><th>its certificate</th>");
    }
    h.push_str("</tr></thead><tbody>\n");
    for (r, label) in runs.iter().zip(labels) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            esc(label),
            r.method,
            point(&r.init)
        );
        if refined {
            h.push_str(&map_stage_cells(r));
        }
        h.push_str(&box_cells(
            &[point(&r.lower), point(&r.upper)],
            r.volume_ratio,
            r.stop,
            r.iterations,
            r.hit_cap,
        ));
        if threshold.is_some() {
            h.push_str(&contents_cells(r));
        }
        if certified {
            h.push_str(&certificate_cells(r.certificate.as_ref()));
        }
        if clean {
            h.push_str(&clean_cells(r));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    if certified {
        h.push_str("<p class=\"note\">Certificate: fresh uniform samples of the final box rendered and scored on the network (SPEC §8); <i>certified</i> when the one-sided Clopper–Pearson bound on the failing share is within the report's share, <i>refuted</i> when sampling stopped early because it could no longer be; the witness is the worst sample (its render below), the margin the sampled score closest to the threshold.</p>\n");
    }
    if refined {
        h.push_str("<p class=\"note\">Refine mode: each run grew on the map first (the box, stop and steps on the map), then went on on the network from that box (the final box, stop and network steps).</p>\n");
    }
}

/// A run's map stage (refine mode) as cells; empty cells without one.
fn map_stage_cells(r: &RunSummary) -> String {
    match &r.map_stage {
        Some(m) => box_cells(
            &[format!("{} – {}", point(&m.lower), point(&m.upper))],
            m.volume_ratio,
            m.stop,
            m.iterations,
            false,
        ),
        None => "<td></td><td></td><td></td><td></td>".into(),
    }
}

/// What a run's box holds on the map: mean and lowest score, share below the threshold.
fn contents_cells(r: &RunSummary) -> String {
    match &r.contents {
        Some(c) => format!(
            "<td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td>",
            c.mean,
            c.min,
            pct(c.below)
        ),
        None => "<td></td><td></td><td></td>".into(),
    }
}

/// A run's clean box and its certificate as cells.
fn clean_cells(r: &RunSummary) -> String {
    match &r.clean {
        Some(c) => format!(
            "<td>{} – {}</td><td class=\"num\">{}</td><td>{}</td>",
            point(&c.lower),
            point(&c.upper),
            pct(c.volume_ratio),
            verdict_tag(Some(&c.certificate))
        ),
        None => "<td></td><td></td><td></td>".into(),
    }
}

/// The traps of the job's map, listed (nothing without a map).
fn traps_list(h: &mut String, s: &ShapeSection) {
    let Some(grid) = s.map.present() else {
        return;
    };
    if s.traps.is_empty() {
        h.push_str("<p>No semantic trap on this map.</p>\n");
        return;
    }
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

/// A run's certificate as table cells: verdict, failures of samples, bound, witness score
/// and margin.
fn certificate_cells(c: Option<&RegionCertificate>) -> String {
    match c.and_then(RegionCertificate::sampled) {
        Some(x) => format!(
            "<td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.3}</td><td class=\"num\">{:.2e}</td>",
            verdict_tag(c),
            x.failures,
            x.samples,
            x.upper_bound,
            x.witness.score,
            x.margin
        ),
        None => format!("<td>{}</td><td></td><td></td><td></td><td></td>", verdict_tag(c)),
    }
}

/// A certificate's verdict as a coloured tag.
fn verdict_tag(c: Option<&RegionCertificate>) -> String {
    let (class, text) = match c {
        None => ("", "none"),
        Some(RegionCertificate::TooSmall) => ("", "too small"),
        Some(RegionCertificate::Sampled(x)) => match x.verdict {
            Verdict::Certified => ("yes", "certified"),
            Verdict::NotCertified => ("no", "not certified"),
            Verdict::Refuted => ("no", "refuted"),
        },
    };
    let fragile = if c.is_some_and(RegionCertificate::is_fragile) {
        " (fragile)"
    } else {
        ""
    };
    format!("<span class=\"tag {class}\">{text}{fragile}</span>")
}

/// The renders of the job's certificates' witnesses, each captioned with the regions it
/// witnesses for, its point, score and top-1 class.
fn witnesses(h: &mut String, s: &ShapeSection, runs: &[RunSummary], labels: &[String]) {
    let Part::Present(r) = &s.renders else {
        return;
    };
    if r.witnesses.is_empty() {
        return;
    }
    h.push_str("<div class=\"sheet-title witness\">Witnesses: the worst sample of each certificate</div>\n<div class=\"sheet\">\n");
    for (file, png) in &r.witnesses {
        let mut of: Vec<&str> = Vec::new();
        let mut sample = None;
        for (run, label) in runs.iter().zip(labels) {
            let mine = run
                .certificate
                .iter()
                .chain(run.clean.as_ref().map(|c| &c.certificate))
                .find(|c| c.witness_file().as_deref() == Some(file.as_str()));
            if let Some(c) = mine.and_then(RegionCertificate::sampled) {
                of.push(label);
                sample = Some(c.witness.clone());
            }
        }
        let mut caption = format!(
            "witness of {}",
            if of.is_empty() {
                "?".to_string()
            } else {
                of.join(", ")
            }
        );
        if let Some(w) = sample {
            caption.push_str(&format!(" · {} · score {:.3}", point(&w.point), w.score));
            if let Some(top) = w.top_class {
                caption.push_str(&format!(" · top-1 class {top}"));
            }
        }
        let picture = match thumbnail(png) {
            Ok(jpeg) => img_typed("image/jpeg", &jpeg, &caption, "render"),
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

/// A run's box as table cells: its bounds (one cell each), then |D|/|Ω|, stop reason and
/// steps, as the map stage's and the final box's columns both show them; a run that hit its
/// cap still moving is marked so (issue 33).
fn box_cells(
    bounds: &[String],
    volume_ratio: f64,
    stop: StopReason,
    iterations: usize,
    hit_cap: bool,
) -> String {
    let mut cells: String = bounds.iter().map(|b| format!("<td>{b}</td>")).collect();
    let stop = if hit_cap {
        format!(
            "<td class=\"warn hit-cap\" title=\"still moving when its budget ran out: its box depends on the cap\">{} · hit the cap</td>",
            esc(&stop_name(stop))
        )
    } else {
        format!("<td>{}</td>", esc(&stop_name(stop)))
    };
    let _ = write!(
        cells,
        "<td class=\"num\">{}</td>{stop}<td class=\"num\">{}</td>",
        pct(volume_ratio),
        iterations
    );
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_hit_its_cap_is_marked_in_the_runs_table() {
        let hit = box_cells(&["1".into()], 0.5, StopReason::MaxIterations, 800, true);
        assert!(
            hit.contains("<td class=\"warn hit-cap\"")
                && hit.contains("max iterations · hit the cap</td>"),
            "{hit}"
        );
        let rested = box_cells(&["1".into()], 0.5, StopReason::Rested, 120, false);
        assert_eq!(
            rested,
            "<td>1</td><td class=\"num\">50.000</td><td>rested</td><td class=\"num\">120</td>"
        );
    }
}
