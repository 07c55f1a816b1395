//! PNG plots: semantic-map heatmaps with a colour bar, labelled boxes and points, line plots
//! (1-D maps, traces) and bar charts (SRVR). Every function returns the PNG's bytes, so the
//! caller writes them with [`crate::files::write_atomic`].

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use crate::semantic::Grid;

/// Why a plot could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot plot: {0}")]
    Unsupported(String),
    #[error("drawing failed: {0}")]
    Drawing(String),
}

fn drawing<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Drawing(format!("{e:?}"))
}

/// One curve of a line plot.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const PALETTE: [(u8, u8, u8); 8] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
];

/// The colour of the `i`-th curve or box.
pub fn palette(i: usize) -> (u8, u8, u8) {
    PALETTE[i % PALETTE.len()]
}

fn encode_png(buffer: Vec<u8>, (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let image = image::RgbImage::from_raw(w, h, buffer)
        .ok_or_else(|| PlotError::Drawing("pixel buffer has the wrong size".into()))?;
    // Plots are small and embedded in report pages: compress hard (about half the size of
    // the encoder's fast default).
    let mut png = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    image.write_with_encoder(encoder).map_err(drawing)?;
    Ok(png)
}

/// Draws into an RGB buffer of the given size and returns it as a PNG.
fn draw_png(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<(), PlotError>,
) -> Result<Vec<u8>, PlotError> {
    let mut buffer = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        draw(&root)?;
        root.present().map_err(drawing)?;
    }
    encode_png(buffer, size)
}

fn axis_label(grid: &Grid, k: usize) -> String {
    let axis = &grid.axes()[k];
    if axis.unit.is_empty() {
        axis.name.clone()
    } else {
        format!("{} ({})", axis.name, axis.unit)
    }
}

/// The extent of the cell around sample `i`: halfway to each neighbour, the edge samples
/// reaching the domain's bound (or as far as the inner half-spacing on a periodic axis).
fn cell_extent(values: &[f64], i: usize, lo: f64, hi: f64) -> (f64, f64) {
    let left = if i > 0 {
        (values[i - 1] + values[i]) / 2.0
    } else {
        lo.min(values[0])
    };
    let right = if i + 1 < values.len() {
        (values[i] + values[i + 1]) / 2.0
    } else {
        hi.max(values[i])
    };
    (left.max(lo), right.min(hi))
}

/// A map's picture: a 2-D map as its [`heatmap_png`] with `marks` over it, a 1-D map as a
/// line plot of the score (without marks).
pub fn map_png(grid: &Grid, title: &str, marks: &Marks) -> Result<Vec<u8>, PlotError> {
    match grid.axes().len() {
        1 => {
            let axis = &grid.axes()[0];
            let points = axis
                .values
                .iter()
                .copied()
                .zip(grid.values().iter().copied())
                .collect();
            let series = [Series {
                name: "score".into(),
                points,
            }];
            line_plot_png(
                title,
                &axis_label(grid, 0),
                "score",
                &series,
                Some((0.0, 1.0)),
            )
        }
        2 => heatmap_png(grid, title, marks),
        n => Err(PlotError::Unsupported(format!(
            "a map with {n} axes (plots show 1 or 2)"
        ))),
    }
}

type Chart2d<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One filled cell per sample of a 2-D map, coloured by its score (viridis: low dark
/// purple, high yellow).
fn draw_cells(chart: &mut Chart2d, grid: &Grid) -> Result<(), PlotError> {
    let (lower, upper) = grid.domain();
    let xs = &grid.axes()[0].values;
    let ys = &grid.axes()[1].values;
    let (lower, upper) = (&lower, &upper);
    let cells = xs.iter().enumerate().flat_map(|(i, _)| {
        ys.iter().enumerate().map(move |(j, _)| {
            let (x0, x1) = cell_extent(xs, i, lower[0], upper[0]);
            let (y0, y1) = cell_extent(ys, j, lower[1], upper[1]);
            let v = grid.values()[i * ys.len() + j];
            Rectangle::new([(x0, y0), (x1, y1)], ViridisRGB::get_color(v).filled())
        })
    });
    chart.draw_series(cells).map_err(drawing)?;
    Ok(())
}

/// The axes of a 2-D map's heatmap on `area` (axis 0 across, axis 1 up), with the map's
/// cells drawn: what [`heatmap_png`] draws on.
fn heatmap_axes<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    grid: &Grid,
    title: &str,
) -> Result<Chart2d<'a, 'b>, PlotError> {
    let (lower, upper) = grid.domain();
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(lower[0]..upper[0], lower[1]..upper[1])
        .map_err(drawing)?;
    let (x_desc, y_desc) = (axis_label(grid, 0), axis_label(grid, 1));
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(drawing)?;
    draw_cells(&mut chart, grid)?;
    Ok(chart)
}

/// A vertical colour bar for scores in [0, 1].
fn colour_bar(area: &DrawingArea<BitMapBackend, Shift>) -> Result<(), PlotError> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(50)
        .margin_right(10)
        .y_label_area_size(45)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc("score")
        .y_label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(drawing)?;
    let steps = 200;
    chart
        .draw_series((0..steps).map(|i| {
            let y0 = i as f64 / steps as f64;
            let y1 = (i + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, y0), (1.0, y1)],
                ViridisRGB::get_color((y0 + y1) / 2.0).filled(),
            )
        }))
        .map_err(drawing)?;
    Ok(())
}

/// A line plot of several curves with a legend; `y_range` fixes the y axis (else it fits).
pub fn line_plot_png(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    y_range: Option<(f64, f64)>,
) -> Result<Vec<u8>, PlotError> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    if all().next().is_none() {
        return Err(PlotError::Unsupported("a line plot with no points".into()));
    }
    let fit = |pick: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = all()
            .map(pick)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, hi + 0.5)
        }
    };
    let (x0, x1) = fit(|p| p.0);
    let (y0, y1) = y_range.unwrap_or_else(|| fit(|p| p.1));
    draw_png((900, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .draw()
            .map_err(drawing)?;
        for (i, s) in series.iter().enumerate() {
            let (r, g, b) = palette(i);
            let colour = RGBColor(r, g, b);
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(drawing)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
        Ok(())
    })
}

/// A bar chart of named values (SRVR per network, in percent of Ω).
pub fn bar_chart_png(
    title: &str,
    y_label: &str,
    bars: &[(String, f64)],
) -> Result<Vec<u8>, PlotError> {
    if bars.is_empty() {
        return Err(PlotError::Unsupported("a bar chart with no bars".into()));
    }
    let top = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1e-9) * 1.15;
    let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    draw_png((160 + 120 * bars.len() as u32, 480), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            // A segmented range 0..k has k + 1 slots: k = len − 1 gives one per bar.
            .build_cartesian_2d((0..bars.len().max(2) - 1).into_segmented(), 0.0..top)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let (r, g, b) = palette(i);
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    RGBColor(r, g, b).filled(),
                );
                bar.set_margin(0, 0, 15, 15);
                bar
            }))
            .map_err(drawing)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                let label_y = v + 0.05 * top;
                Text::new(
                    format!("{v:.2}"),
                    (SegmentValue::CenterOf(i), label_y),
                    ("sans-serif", 15),
                )
            }))
            .map_err(drawing)?;
        Ok(())
    })
}

/// A tick label: whole numbers without decimals (degrees, steps), others with one.
fn tick(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// How a line is drawn; the report gives each region method its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stroke {
    Solid,
    Dashed,
    Dotted,
}

impl Stroke {
    /// (dash, gap) in pixels; `None`: solid.
    fn pattern(self) -> Option<(i32, i32)> {
        match self {
            Stroke::Solid => None,
            Stroke::Dashed => Some((9, 5)),
            Stroke::Dotted => Some((2, 4)),
        }
    }
}

/// A line style with its name, for a legend.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub name: String,
    pub colour: (u8, u8, u8),
    pub stroke: Stroke,
}

/// A labelled box over a heatmap.
#[derive(Debug, Clone)]
pub struct BoxMark {
    pub lower: [f64; 2],
    pub upper: [f64; 2],
    pub label: String,
    pub colour: (u8, u8, u8),
    pub stroke: Stroke,
    /// Which inner corner holds the label (boxes of different methods often coincide).
    pub corner: Corner,
}

/// An inner corner of a box on a plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    BottomLeft,
    TopRight,
    BottomRight,
}

impl Corner {
    /// One corner per region method, so that coinciding boxes keep readable labels.
    pub fn of(method: crate::region::Method) -> Corner {
        match method {
            crate::region::Method::Naive => Corner::TopLeft,
            crate::region::Method::OirB => Corner::BottomLeft,
            crate::region::Method::OirW => Corner::TopRight,
        }
    }
}

/// A labelled point over a heatmap (a semantic trap's centre).
#[derive(Debug, Clone)]
pub struct PointMark {
    pub at: [f64; 2],
    pub label: String,
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

/// A polyline in chart coordinates, solid or broken into dashes.
fn draw_path(
    chart: &mut Chart2d,
    points: Vec<(f64, f64)>,
    colour: (u8, u8, u8),
    stroke: Stroke,
    width: u32,
) -> Result<(), PlotError> {
    let style = rgb(colour).stroke_width(width);
    match stroke.pattern() {
        None => chart
            .draw_series(std::iter::once(PathElement::new(points, style)))
            .map(|_| ()),
        Some((dash, gap)) => chart
            .draw_series(DashedLineSeries::new(points, dash, gap, style))
            .map(|_| ()),
    }
    .map_err(drawing)
}

/// A legend strip: one sample line and name per entry, left to right.
fn draw_legend(
    area: &DrawingArea<BitMapBackend, Shift>,
    entries: &[LegendEntry],
) -> Result<(), PlotError> {
    let mut x = 70;
    let y = 12;
    for e in entries {
        let style = rgb(e.colour).stroke_width(3);
        let segments: [(i32, i32); 3] = match e.stroke {
            Stroke::Solid => [(0, 10), (10, 20), (20, 28)],
            Stroke::Dashed => [(0, 8), (12, 20), (24, 28)],
            Stroke::Dotted => [(0, 2), (8, 10), (16, 18)],
        };
        for (a, b) in segments {
            area.draw(&PathElement::new(vec![(x + a, y), (x + b, y)], style))
                .map_err(drawing)?;
        }
        area.draw(&Text::new(
            e.name.clone(),
            (x + 34, y - 8),
            ("sans-serif", 15).into_font(),
        ))
        .map_err(drawing)?;
        x += 44 + 8 * e.name.chars().count() as i32 + 24;
    }
    Ok(())
}

/// Text with a light backing box, offset by `(dx, dy)` pixels from a chart point.
fn tag(
    chart: &mut Chart2d,
    at: (f64, f64),
    (dx, dy): (i32, i32),
    text: &str,
    colour: (u8, u8, u8),
) -> Result<(), PlotError> {
    let w = 8 * text.chars().count() as i32 + 4;
    let element = EmptyElement::at(at)
        + Rectangle::new([(dx, dy), (dx + w, dy + 16)], WHITE.mix(0.85).filled())
        + Text::new(
            text.to_string(),
            (dx + 2, dy + 1),
            ("sans-serif", 13).into_font().color(&rgb(colour)),
        );
    chart.plotting_area().draw(&element).map_err(drawing)
}

/// What is drawn over a 2-D map's heatmap: labelled boxes, labelled points and the legend
/// strip under the plot (each may be empty).
#[derive(Debug, Clone, Default)]
pub struct Marks {
    pub boxes: Vec<BoxMark>,
    pub points: Vec<PointMark>,
    pub legend: Vec<LegendEntry>,
}

/// A 2-D map's heatmap (axis 0 across, axis 1 up; viridis, with a colour bar) with the
/// labelled boxes and points of `marks` and its legend strip under it: the one heatmap, on
/// the report page and on the command line.
pub fn heatmap_png(grid: &Grid, title: &str, marks: &Marks) -> Result<Vec<u8>, PlotError> {
    if grid.axes().len() != 2 {
        return Err(PlotError::Unsupported(format!(
            "a heatmap of a map with {} axes (it needs 2)",
            grid.axes().len()
        )));
    }
    draw_png((900, 470), |root| {
        let (top, strip) = root.split_vertically(440);
        let (main, bar) = top.split_horizontally(810);
        let mut chart = heatmap_axes(&main, grid, title)?;
        for b in &marks.boxes {
            let (x0, y0, x1, y1) = (b.lower[0], b.lower[1], b.upper[0], b.upper[1]);
            let outline = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
            draw_path(&mut chart, outline, b.colour, b.stroke, 2)?;
        }
        for b in &marks.boxes {
            let w = 8 * b.label.chars().count() as i32 + 4;
            let (at, offset) = match b.corner {
                Corner::TopLeft => ((b.lower[0], b.upper[1]), (3, 3)),
                Corner::BottomLeft => ((b.lower[0], b.lower[1]), (3, -19)),
                Corner::TopRight => ((b.upper[0], b.upper[1]), (-3 - w, 3)),
                Corner::BottomRight => ((b.upper[0], b.lower[1]), (-3 - w, -19)),
            };
            tag(&mut chart, at, offset, &b.label, b.colour)?;
        }
        for p in &marks.points {
            let at = (p.at[0], p.at[1]);
            chart
                .plotting_area()
                .draw(&(EmptyElement::at(at) + Circle::new((0, 0), 7, WHITE.stroke_width(2))))
                .map_err(drawing)?;
            chart
                .plotting_area()
                .draw(&(EmptyElement::at(at) + Circle::new((0, 0), 9, BLACK.stroke_width(1))))
                .map_err(drawing)?;
            tag(&mut chart, at, (10, -8), &p.label, (0, 0, 0))?;
        }
        colour_bar(&bar)?;
        draw_legend(&strip, &marks.legend)
    })
}

/// One region run's bounds per step, for [`bounds_trace_png`].
#[derive(Debug, Clone)]
pub struct BoundsTrace {
    pub colour: (u8, u8, u8),
    pub stroke: Stroke,
    /// (lower, upper) per step.
    pub steps: Vec<(Vec<f64>, Vec<f64>)>,
}

/// The bounds of region runs over their steps: one panel per axis, the lower and upper
/// bound of every run as two lines in the run's style, a legend strip under the panels.
pub fn bounds_trace_png(
    axis_names: &[String],
    runs: &[BoundsTrace],
    legend: &[LegendEntry],
) -> Result<Vec<u8>, PlotError> {
    let steps = runs.iter().map(|r| r.steps.len()).max().unwrap_or(0);
    if steps == 0 || axis_names.is_empty() {
        return Err(PlotError::Unsupported("a trace with no steps".into()));
    }
    let panel = 200u32;
    let height = panel * axis_names.len() as u32 + 30;
    draw_png((900, height), |root| {
        let (panels, strip) = root.split_vertically(height - 30);
        for (a, area) in panels
            .split_evenly((axis_names.len(), 1))
            .iter()
            .enumerate()
        {
            let values = || {
                runs.iter()
                    .flat_map(|r| r.steps.iter().flat_map(move |(l, u)| [l[a], u[a]]))
            };
            let lo = values().fold(f64::INFINITY, f64::min);
            let hi = values().fold(f64::NEG_INFINITY, f64::max);
            let pad = ((hi - lo) * 0.05).max(1e-9);
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .x_label_area_size(if a + 1 == axis_names.len() { 35 } else { 20 })
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..(steps - 1).max(1) as f64, (lo - pad)..(hi + pad))
                .map_err(drawing)?;
            let mut mesh = chart.configure_mesh();
            mesh.y_desc(axis_names[a].clone())
                .light_line_style(WHITE.mix(0.0))
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .label_style(("sans-serif", 13))
                .axis_desc_style(("sans-serif", 14));
            if a + 1 == axis_names.len() {
                mesh.x_desc("step");
            }
            mesh.draw().map_err(drawing)?;
            for r in runs {
                for bound in [0, 1] {
                    let points: Vec<(f64, f64)> = r
                        .steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (i as f64, if bound == 0 { s.0[a] } else { s.1[a] }))
                        .collect();
                    if points.len() == 1 {
                        let p = points[0];
                        chart
                            .plotting_area()
                            .draw(&Circle::new(p, 3, rgb(r.colour).filled()))
                            .map_err(drawing)?;
                    } else {
                        draw_path(&mut chart, points, r.colour, r.stroke, 2)?;
                    }
                }
            }
        }
        draw_legend(&strip, legend)
    })
}
