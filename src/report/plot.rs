//! PNG plots: semantic-map heatmaps with a colour bar and region overlays, line plots
//! (1-D maps, traces) and bar charts (SRVR). Every function returns the PNG's bytes, so the
//! caller writes them with [`super::write_atomic`].

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

/// A box drawn over a heatmap (a robust or adversarial region).
#[derive(Debug, Clone)]
pub struct Overlay {
    pub lower: [f64; 2],
    pub upper: [f64; 2],
    pub label: String,
    /// An RGB colour.
    pub colour: (u8, u8, u8),
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
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(drawing)?;
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

/// A heatmap of a 2-D map (axis 0 across, axis 1 up) with a colour bar for the score in
/// [0, 1] and optional region boxes; a 1-D map is drawn as a line plot.
pub fn map_png(grid: &Grid, title: &str, overlays: &[Overlay]) -> Result<Vec<u8>, PlotError> {
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
        2 => heatmap_png(grid, title, overlays),
        n => Err(PlotError::Unsupported(format!(
            "a map with {n} axes (plots show 1 or 2)"
        ))),
    }
}

fn heatmap_png(grid: &Grid, title: &str, overlays: &[Overlay]) -> Result<Vec<u8>, PlotError> {
    let (lower, upper) = grid.domain();
    let xs = &grid.axes()[0].values;
    let ys = &grid.axes()[1].values;
    draw_png((960, 480), |root| {
        let (main, bar) = root.split_horizontally(860);
        let mut chart = ChartBuilder::on(&main)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(lower[0]..upper[0], lower[1]..upper[1])
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(axis_label(grid, 0))
            .y_desc(axis_label(grid, 1))
            .draw()
            .map_err(drawing)?;
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
        for o in overlays {
            let (r, g, b) = o.colour;
            let colour = RGBColor(r, g, b);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(o.lower[0], o.lower[1]), (o.upper[0], o.upper[1])],
                    colour.stroke_width(2),
                )))
                .map_err(drawing)?
                .label(o.label.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.stroke_width(2))
                });
        }
        if !overlays.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(drawing)?;
        }
        colour_bar(&bar)
    })
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
