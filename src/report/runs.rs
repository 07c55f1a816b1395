//! Region runs in pictures, the same in the report page and on the command line: each
//! method's colour and line, the boxes drawn over a map, and the bounds step by step.

use crate::analysis::region_runs::RunSummary;
use crate::region::Method;
use crate::report::plot::{
    bounds_trace_png, BoundsTrace, BoxMark, Corner, LegendEntry, Marks, PlotError, Stroke,
};

/// Each method's colour, line and one-letter tag.
pub fn method_style(m: Method) -> ((u8, u8, u8), Stroke, char) {
    match m {
        Method::Naive => ((31, 119, 180), Stroke::Dotted, 'N'),
        Method::OirB => ((0, 0, 0), Stroke::Solid, 'B'),
        Method::OirW => ((214, 39, 40), Stroke::Dashed, 'W'),
    }
}

/// One legend entry per method that occurs, in the order of [`Method::ALL`].
pub fn method_legend(methods: impl Iterator<Item = Method>) -> Vec<LegendEntry> {
    let mut seen: Vec<Method> = methods.collect();
    seen.sort_by_key(|m| Method::ALL.iter().position(|a| a == m));
    seen.dedup();
    seen.into_iter()
        .map(|m| {
            let (colour, stroke, letter) = method_style(m);
            LegendEntry {
                name: format!("{m} ({letter})"),
                colour,
                stroke,
            }
        })
        .collect()
}

/// The label of each run: its method's letter and its start's number (in the order the
/// starts first occur among `runs`).
pub fn run_labels(runs: &[RunSummary]) -> Vec<String> {
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

/// The boxes of runs to draw over their map with [`crate::report::plot::map_png`] or
/// [`crate::report::plot::heatmap_png`], projected onto the axes `(i, j)` of the runs'
/// space: each in its method's colour and line, labelled by [`run_labels`] in its method's
/// corner ([`Corner::of`]), with a legend entry per method. No points: the caller adds them.
pub fn region_marks(runs: &[RunSummary], (i, j): (usize, usize)) -> Marks {
    let boxes = runs
        .iter()
        .zip(run_labels(runs))
        .map(|(r, label)| {
            let (colour, stroke, _) = method_style(r.method);
            BoxMark {
                lower: [r.lower[i], r.lower[j]],
                upper: [r.upper[i], r.upper[j]],
                label,
                colour,
                stroke,
                corner: Corner::of(r.method),
            }
        })
        .collect();
    Marks {
        boxes,
        points: Vec::new(),
        legend: method_legend(runs.iter().map(|r| r.method)),
    }
}

/// The bounds of every run with a trace, step by step (one panel per axis, named by
/// `axis_names`), in its method's style; `None` when no run kept a step.
pub fn bounds_png(
    runs: &[RunSummary],
    axis_names: &[String],
) -> Result<Option<Vec<u8>>, PlotError> {
    let traced: Vec<BoundsTrace> = runs
        .iter()
        .filter_map(|r| {
            let steps = r.trace.as_ref()?;
            let (colour, stroke, _) = method_style(r.method);
            Some(BoundsTrace {
                colour,
                stroke,
                steps: steps
                    .iter()
                    .map(|t| (t.lower.clone(), t.upper.clone()))
                    .collect(),
            })
        })
        .filter(|t| !t.steps.is_empty())
        .collect();
    if traced.is_empty() {
        return Ok(None);
    }
    let legend = method_legend(runs.iter().map(|r| r.method));
    bounds_trace_png(axis_names, &traced, &legend).map(Some)
}
