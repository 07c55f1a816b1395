//! The PNG plots decode, have the promised size, and show the data where it is.

use semrob::report::plot::{bar_chart_png, line_plot_png, map_png, Overlay, PlotError, Series};
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
    let overlay = Overlay {
        lower: [110.0, 20.0],
        upper: [190.0, 50.0],
        label: "oir-b".into(),
        colour: (255, 0, 0),
    };
    let png = map_png(&plateau_map(), "plateau", &[overlay]).unwrap();
    keep("heatmap.png", &png);
    let img = decode(&png);
    assert_eq!(img.dimensions(), (960, 480));
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
    assert!(red > 300, "the overlay box is drawn: {red} red pixels");
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
    let png = map_png(&grid, "1-D map", &[]).unwrap();
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
