//! Region runs in pictures, the same in the report page and on the command line: each
//! method's colour and line, the boxes drawn over a map, and the bounds step by step.

use crate::analysis::regions::RunSummary;
use crate::region::Method;
use crate::report::plot::{
    bounds_trace_png, palette, BoundsTrace, LegendEntry, Overlay, PlotError, Stroke,
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

/// The boxes of 2-D runs as overlays of a map, one colour per run, labelled with the method
/// and the start.
pub fn region_overlays(runs: &[RunSummary]) -> Vec<Overlay> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| Overlay {
            lower: [r.lower[0], r.lower[1]],
            upper: [r.upper[0], r.upper[1]],
            label: format!("{} from ({:.0}, {:.0})", r.method, r.init[0], r.init[1]),
            colour: palette(i),
        })
        .collect()
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
