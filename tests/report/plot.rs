//! The PNG plots decode, have the promised size, and show the data where it is.

use semrob::analysis::region_runs::RunSummary;
use semrob::region::{Method, StopReason};
use semrob::report::plot::{
    bar_chart_png, heatmap_png, line_plot_png, map_png, BoxMark, Corner, Marks, PlotError, Series,
    Stroke,
};
use semrob::report::runs::{method_style, region_marks};
use semrob::semantic::paper_axes;
use semrob::semantic::{Axis, Grid};

fn plateau_map() -> Grid {
    let axes = paper_axes().iter().map(|a| a.grid_axis()).collect();
    Grid::tabulate(axes, serde_json::Value::Null, |u| {
        let inside = (100.0..=200.0).contains(&u[0]) && (10.0..=60.0).contains(&u[1]);
        if inside {
            1.0
        } else {
            0.0
        }
    })
    .unwrap()
}

fn decode(png: &[u8]) -> image::RgbImage {
    image::load_from_memory(png).expect("a valid PNG").to_rgb8()
}

/// Keep a copy for a person to look at (target/plots/NAME).
fn keep(name: &str, png: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

#[test]
fn heatmap_shows_the_plateau_bright_and_the_rest_dark() {
    let marks = Marks {
        boxes: vec![BoxMark {
            lower: [110.0, 20.0],
            upper: [190.0, 50.0],
            label: "B1".into(),
            colour: (255, 0, 0),
            stroke: Stroke::Solid,
            corner: Corner::TopLeft,
        }],
        ..Marks::default()
    };
    let png = map_png(&plateau_map(), "plateau", &marks).unwrap();
    keep("heatmap.png", &png);
    let img = decode(&png);
    assert_eq!(img.dimensions(), (900, 470));
    // Viridis runs from dark purple (0) to yellow (1): count yellow and purple pixels.
    let yellow = img
        .pixels()
        .filter(|p| p[0] > 200 && p[1] > 200 && p[2] < 80)
        .count();
    let purple = img
        .pixels()
        .filter(|p| p[0] > 50 && p[0] < 90 && p[1] < 20 && p[2] > 60)
        .count();
    // The plateau covers 100 × 50 of the 360 × 100 domain: about 14 % of the plot area,
    // plus the top of the colour bar; the rest of the plot is dark.
    assert!(yellow > 20_000 && yellow < 80_000, "yellow pixels {yellow}");
    assert!(purple > 4 * yellow, "purple {purple} vs yellow {yellow}");
    let red = img
        .pixels()
        .filter(|p| p[0] > 240 && p[1] < 30 && p[2] < 30)
        .count();
    assert!(red > 300, "the box is drawn: {red} red pixels");
}

/// A run of `method` from `init` whose box is `[lower, upper]`.
fn run(method: Method, init: [f64; 2], lower: [f64; 2], upper: [f64; 2]) -> RunSummary {
    RunSummary {
        method,
        init: init.to_vec(),
        lower: lower.to_vec(),
        upper: upper.to_vec(),
        volume: (upper[0] - lower[0]) * (upper[1] - lower[1]),
        volume_ratio: 0.0,
        stop: StopReason::Converged,
        iterations: 1,
        evaluations: 4,
        gradient_evaluations: 0,
        final_loss: None,
        hit_cap: false,
        at_80: None,
        trace: None,
        map_stage: None,
        contents: None,
        certificate: None,
        clean: None,
    }
}

/// The one heatmap colours each box by its method, not by its run: on a dark map, one box of
/// each method in its own third of the azimuth axis, and a second OIR_W run from another
/// start; the pixels that the boxes change are, per method, in that method's colour and in
/// its third, and the legend strip under the plot holds each method's colour.
#[test]
fn region_boxes_are_coloured_by_method() {
    let axes = paper_axes().iter().map(|a| a.grid_axis()).collect();
    let dark = Grid::tabulate(axes, serde_json::Value::Null, |_| 0.0).unwrap();
    let runs = vec![
        run(Method::Naive, [60.0, 40.0], [20.0, 10.0], [100.0, 70.0]),
        run(Method::OirB, [180.0, 40.0], [140.0, 10.0], [220.0, 70.0]),
        run(Method::OirW, [300.0, 40.0], [260.0, 10.0], [340.0, 70.0]),
        run(Method::OirW, [300.0, 80.0], [280.0, 75.0], [320.0, 85.0]),
    ];
    let marks = region_marks(&runs, (0, 1));
    let labels: Vec<&str> = marks.boxes.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(
        labels,
        ["N1", "B2", "W3", "W4"],
        "method letter, start number"
    );
    for (b, r) in marks.boxes.iter().zip(&runs) {
        let (colour, stroke, _) = method_style(r.method);
        assert_eq!((b.colour, b.stroke), (colour, stroke), "{}", b.label);
        assert_eq!(b.corner, Corner::of(r.method));
    }
    let legend: Vec<&str> = marks.legend.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        legend,
        ["naive (N)", "oir-b (B)", "oir-w (W)"],
        "one entry per method"
    );

    let png = map_png(&dark, "regions", &marks).unwrap();
    assert_eq!(png, heatmap_png(&dark, "regions", &marks).unwrap());
    keep("regions-by-method.png", &png);
    let with = decode(&png);
    let without = decode(&map_png(&dark, "regions", &Marks::default()).unwrap());
    assert_eq!(with.dimensions(), (900, 470));
    let strip = 440; // the legend strip's first row
    let width = with.width() as f64;
    for (method, third) in [
        (Method::Naive, 0.0),
        (Method::OirB, 1.0),
        (Method::OirW, 2.0),
    ] {
        let (colour, _, _) = method_style(method);
        let want = [colour.0, colour.1, colour.2];
        let drawn: Vec<u32> = with
            .enumerate_pixels()
            .filter(|&(x, y, p)| y < strip && p.0 == want && without.get_pixel(x, y).0 != want)
            .map(|(x, _, _)| x)
            .collect();
        assert!(
            drawn.len() > 200,
            "{method}: {} pixels in its colour {want:?}",
            drawn.len()
        );
        // The plot area spans about 65..800 px of the 900: each third's boxes lie well
        // inside its third of the picture.
        let (lo, hi) = (drawn.iter().min().unwrap(), drawn.iter().max().unwrap());
        let (left, right) = (
            width * (0.05 + 0.3 * third),
            width * (0.05 + 0.3 * (third + 1.0)),
        );
        assert!(
            f64::from(*lo) > left && f64::from(*hi) < right,
            "{method}: its colour spans x {lo}..{hi}, not inside {left}..{right}"
        );
        assert!(
            with.enumerate_pixels()
                .any(|(_, y, p)| y >= strip && p.0 == want),
            "{method}: no legend entry in {want:?}"
        );
    }
}

#[test]
fn one_axis_maps_and_line_plots_draw_every_series() {
    let az: Vec<f64> = (0..120).map(|i| 3.0 * i as f64).collect();
    let values: Vec<f64> = az
        .iter()
        .map(|a| 0.5 + 0.4 * (a.to_radians()).sin())
        .collect();
    let axes = vec![Axis {
        name: "azimuth".into(),
        unit: "deg".into(),
        values: az,
        period: Some(360.0),
        domain: None,
    }];
    let grid = Grid::new(axes, values, serde_json::Value::Null).unwrap();
    let png = map_png(&grid, "1-D map", &Marks::default()).unwrap();
    keep("map1d.png", &png);
    assert_eq!(decode(&png).dimensions(), (900, 480));

    let series: Vec<Series> = (0..3)
        .map(|k| Series {
            name: format!("net{k}"),
            points: (0..50).map(|i| (i as f64, (i * (k + 1)) as f64)).collect(),
        })
        .collect();
    let png = line_plot_png("traces", "step", "bound", &series, None).unwrap();
    keep("lines.png", &png);
    let img = decode(&png);
    // Each series has its own palette colour somewhere in the picture.
    for (r, g, b) in [(31u8, 119u8, 180u8), (255, 127, 14), (44, 160, 44)] {
        assert!(
            img.pixels().any(|p| p.0 == [r, g, b]),
            "colour {r},{g},{b} missing"
        );
    }
    let empty = line_plot_png("empty", "x", "y", &[], None).unwrap_err();
    assert!(
        matches!(&empty, PlotError::Unsupported(m) if m.contains("no points")),
        "{empty}"
    );
}

#[test]
fn bar_chart_has_one_bar_per_value() {
    let bars = vec![
        ("lite0".to_string(), 3.5),
        ("lite1".to_string(), 5.0),
        ("lite2".to_string(), 1.0),
    ];
    let png = bar_chart_png("SRVR", "SRVR (% of Ω)", &bars).unwrap();
    keep("bars.png", &png);
    let img = decode(&png);
    assert_eq!(img.dimensions(), (160 + 3 * 120, 480));
    let blue = img.pixels().filter(|p| p.0 == [31, 119, 180]).count();
    let orange = img.pixels().filter(|p| p.0 == [255, 127, 14]).count();
    let green = img.pixels().filter(|p| p.0 == [44, 160, 44]).count();
    // Bar areas follow the values 3.5 : 5 : 1.
    let ratio = orange as f64 / blue as f64;
    assert!((ratio - 5.0 / 3.5).abs() < 0.1, "orange/blue = {ratio}");
    assert!(
        (blue as f64 / green as f64 - 3.5).abs() < 0.4,
        "blue/green = {}",
        blue as f64 / green as f64
    );
    let none = bar_chart_png("none", "y", &[]).unwrap_err();
    assert!(
        matches!(&none, PlotError::Unsupported(m) if m.contains("no bars")),
        "{none}"
    );
}
