//! The `regions` and `srvr` commands end to end, through the real binary.

use crate::support::semrob;
use std::path::Path;
use std::process::Output;

use semrob::semantic::paper_axes;
use semrob::semantic::Grid;
use serde_json::{json, Value};

/// A 120 × 34 map on the paper's grid: a plateau of `height` on `[a0, a1] × [e0, e1]`.
fn plateau_grid(height: f64, az: (f64, f64), el: (f64, f64)) -> Grid {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    let window = |x: f64, (lo, hi): (f64, f64)| logistic(2.0 * (x - lo)) * logistic(2.0 * (hi - x));
    let axes = paper_axes().iter().map(|a| a.grid_axis()).collect();
    Grid::tabulate(axes, json!({"note": "test plateau"}), |u| {
        height * window(u[0], az) * window(u[1], el)
    })
    .unwrap()
}

fn write_grid(path: &Path, grid: &Grid) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    grid.write(path).unwrap();
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn regions_on_a_grid_reports_every_method_and_start_inside_the_domain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.json");
    write_grid(&path, &plateau_grid(0.9, (100.0, 200.0), (10.0, 60.0)));
    let out_file = dir.path().join("regions.json");
    let out = semrob(&[
        "regions",
        "grid",
        path.to_str().unwrap(),
        "--iterations",
        "200",
        "--init",
        "150,30",
        "--init",
        "120,40",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let doc = stdout_json(&out);
    assert_eq!(
        doc["domain"],
        json!({"lower": [0.0, -10.0], "upper": [360.0, 90.0]})
    );
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6, "3 methods × 2 starts");
    for (run, method) in runs
        .iter()
        .zip(["naive", "naive", "oir-b", "oir-b", "oir-w", "oir-w"])
    {
        assert_eq!(run["method"], method);
        let lower: Vec<f64> = serde_json::from_value(run["lower"].clone()).unwrap();
        let upper: Vec<f64> = serde_json::from_value(run["upper"].clone()).unwrap();
        assert!(lower[0] >= 0.0 && upper[0] <= 360.0 && lower[1] >= -10.0 && upper[1] <= 90.0);
        let volume = (upper[0] - lower[0]) * (upper[1] - lower[1]);
        assert!((run["volume"].as_f64().unwrap() - volume).abs() <= 1e-9 * volume);
        assert!((run["volume_ratio"].as_f64().unwrap() - volume / 36000.0).abs() <= 1e-12);
        let iterations = run["iterations"].as_u64().unwrap();
        assert!((1..=200).contains(&iterations));
        // Corners per step: 4 inner, plus 4 outer for OIR.
        let per_step = if method == "naive" { 4 } else { 8 };
        assert_eq!(run["evaluations"].as_u64().unwrap(), per_step * iterations);
        // OIR_W needs ∇f at the 4 inner corners only.
        let grads = if method == "oir-w" { 4 * iterations } else { 0 };
        assert_eq!(run["gradient_evaluations"].as_u64().unwrap(), grads);
        assert!(["converged", "max_iterations"].contains(&run["stop"].as_str().unwrap()));
    }
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(written, doc);
}

/// `semrob regions grid --plot` draws the one heatmap the report page draws: the picture is
/// the library's `map_png` with `region_marks` of the runs it printed (boxes coloured by
/// method, a legend per method), byte for byte.
#[test]
fn the_regions_plot_is_the_pages_heatmap_coloured_by_method() {
    use semrob::analysis::region_runs::RunSummary;
    use semrob::report::plot::map_png;
    use semrob::report::runs::{method_style, region_marks};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.json");
    let grid = plateau_grid(0.9, (100.0, 200.0), (10.0, 60.0));
    write_grid(&path, &grid);
    let png_path = dir.path().join("regions.png");
    let out = semrob(&[
        "regions",
        "grid",
        path.to_str().unwrap(),
        "--iterations",
        "100",
        "--init",
        "150,30",
        "--plot",
        png_path.to_str().unwrap(),
    ]);
    let doc = stdout_json(&out);
    let runs: Vec<RunSummary> = serde_json::from_value(doc["runs"].clone()).unwrap();
    assert_eq!(runs.len(), 3, "one run per method");
    let png = std::fs::read(&png_path).unwrap();
    let grid = Grid::read(&path).unwrap();
    let expected = map_png(&grid, "robust regions", &region_marks(&runs, (0, 1))).unwrap();
    assert!(png == expected, "the CLI's picture is not the library's");
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (900, 470));
    for r in &runs {
        let (c, _, _) = method_style(r.method);
        assert!(
            img.pixels().any(|p| p.0 == [c.0, c.1, c.2]),
            "{}: no pixel in its colour",
            r.method
        );
    }
}

#[test]
fn adversarial_regions_grow_where_the_score_is_low() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("map.json");
    write_grid(&path, &plateau_grid(0.95, (100.0, 200.0), (-10.0, 90.0)));
    let run = |adversarial: bool| {
        let mut args = vec![
            "regions",
            "grid",
            path.to_str().unwrap(),
            "--method",
            "oir-b",
            "--init",
            "300,40",
            "--iterations",
            "300",
        ];
        if adversarial {
            args.push("--adversarial");
        }
        stdout_json(&semrob(&args))["runs"][0]["volume"]
            .as_f64()
            .unwrap()
    };
    // At azimuth 300 the network scores ≈ 0: no robust region, a large adversarial one.
    let robust = run(false);
    let adversarial = run(true);
    assert!(robust < 1.0, "robust volume {robust}");
    assert!(adversarial > 1000.0, "adversarial volume {adversarial}");
}

#[test]
fn a_malformed_grid_exits_2_naming_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        json!({"format": "semrob.grid/1", "axes": [{"name": "a", "values": [0, 1]}], "values": [0.5, 1.7]})
            .to_string(),
    )
    .unwrap();
    let out_file = dir.path().join("out.json");
    let out = semrob(&[
        "regions",
        "grid",
        path.to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("values[1]") && stderr.contains("1.7"),
        "{stderr}"
    );
    assert!(!out_file.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// `srvr grids --golden`: blessed once, a rerun matches; a golden number moved beyond the
/// tolerance is a drift (exit 1) that names the field.
#[test]
fn srvr_grids_checks_itself_against_a_golden_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("maps");
    for (net, shape, h) in [("resnet50", "s1", 0.9), ("alexnet", "s1", 0.6)] {
        let grid = plateau_grid(h, (100.0, 200.0), (10.0, 60.0));
        write_grid(
            &root.join(net).join("cup").join(format!("{shape}.json")),
            &grid,
        );
    }
    let golden = dir.path().join("golden.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "srvr",
            "grids",
            root.to_str().unwrap(),
            "--iterations",
            "40",
        ];
        args.extend(["--golden", golden.to_str().unwrap()]);
        args.extend(extra);
        semrob(&args)
    };
    assert!(run(&["--bless"]).status.success());
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("matches golden"));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&golden).unwrap()).unwrap();
    let srvr = doc["value"]["networks"][0]["srvr"].as_f64().unwrap();
    doc["value"]["networks"][0]["srvr"] = (srvr + 0.01).into();
    std::fs::write(&golden, doc.to_string()).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$.networks[0].srvr"), "{err}");
}

/// The forms from before the `regions` and `srvr` subcommands exit 2 with clap's error and
/// one line naming the new form, with the user's own file or name in it.
#[test]
fn the_old_syntax_is_refused_with_the_new_form() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["regions", "--grid", "m.json", "--iterations", "5"],
            "hint: `regions --grid FILE` is now `semrob regions grid m.json`",
        ),
        (
            &["regions", "--oracle=plateau-1d"],
            "is now `semrob regions oracle plateau-1d`",
        ),
        (
            &["regions", "fixture:vase", "--model", "efficientnet-lite0"],
            "is now `semrob regions mesh fixture:vase --model ...`",
        ),
        (
            &["srvr", "--grids", "maps"],
            "is now `semrob srvr grids maps`",
        ),
    ];
    for (args, hint) in cases {
        let out = semrob(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(hint), "{args:?}: {stderr}");
    }
    // An error names its cause once, not once per layer that wraps it.
    let out = semrob(&["regions", "grid", "/no/such/map.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/no/such/map.json"), "{stderr}");
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    // A plain usage error gets no hint.
    let out = semrob(&["regions", "grid"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hint:"));
}

#[test]
fn bad_hyper_parameters_and_names_exit_2_with_the_reason() {
    let rest = |extra: &'static [&'static str]| -> Vec<&'static str> {
        let mut args = vec!["regions", "oracle", "plateau-1d", "--iterations", "50"];
        args.extend_from_slice(extra);
        args
    };
    let rest_cases = [
        (
            rest(&["--rest-window", "0", "--rest-tolerance", "1e-3"]),
            "rest_window = 0 must satisfy rest_window ≥ 1",
        ),
        (
            rest(&["--rest-window", "51", "--rest-tolerance", "1e-3"]),
            "iterations = 50 must satisfy iterations ≥ rest_window = 51",
        ),
        (
            rest(&["--rest-window", "5", "--rest-tolerance", "0"]),
            "rest_tolerance = 0 must satisfy 0 < rest_tolerance",
        ),
        (
            rest(&["--rest-window", "5"]),
            "rest_window is set and rest_tolerance is not",
        ),
    ];
    for (args, needle) in &rest_cases {
        let out = semrob(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let cases: [(&[&str], &str); 8] = [
        (
            &["regions", "oracle", "plateau-2d", "--start-half-width", "0"],
            "start_half_width = 0 must satisfy 0 < start half-width",
        ),
        (
            &["regions", "oracle", "plateau-2d", "--coordinates", "cube"],
            "unknown coordinates \"cube\": expected \"native\" or \"unit\"",
        ),
        (
            &["regions", "oracle", "plateau-2d", "--beta", "0.7"],
            "beta",
        ),
        (&["regions", "oracle", "plateau-1d", "--eta", "0"], "eta"),
        (&["regions", "oracle", "nope"], "oracle \"nope\" is unknown"),
        (&["regions", "oracle", "plateau-1d", "--init", "400"], "400"),
        (
            &["regions", "oracle", "plateau-2d", "--init", "1,x"],
            "\"x\" in \"1,x\" is not a number",
        ),
        (
            &["regions", "oracle", "plateau-2d", "--domain", "0:1,5"],
            "\"5\" in \"0:1,5\" is not LO:HI",
        ),
    ];
    for (args, needle) in cases {
        let out = semrob(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// `--rest-window` and `--rest-tolerance` end runs at rest before the cap (`rested`), and each
/// run says whether the cap ended it and where it was at 80 % of the cap; without them the
/// output has the fixed budget's runs.
#[test]
fn the_rest_rule_from_the_command_line_ends_runs_at_rest() {
    let base = [
        "regions",
        "oracle",
        "plateau-1d",
        "--method",
        "naive",
        "--iterations",
        "2000",
        "--init",
        "130",
        "--init",
        "160",
    ];
    let fixed = stdout_json(&semrob(&base));
    let mut args = base.to_vec();
    args.extend(["--rest-window", "20", "--rest-tolerance", "1e-4"]);
    let rested = stdout_json(&semrob(&args));
    for (run, budget) in rested["runs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fixed["runs"].as_array().unwrap())
    {
        assert_eq!(run["stop"], "rested", "{run}");
        assert_eq!(run["hit_cap"], false);
        assert!(run["iterations"].as_u64() < budget["iterations"].as_u64());
        assert!(run["at_80"]["volume_ratio"].as_f64().unwrap() > 0.0);
        assert!(budget["hit_cap"].is_boolean());
    }
}

/// `srvr` is the mean over classes of the mean over shapes, starts and methods of the
/// volume ratios that `regions` reports, and shapes below the acceptance threshold are out.
#[test]
fn srvr_agrees_with_the_regions_it_is_made_of() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("grids");
    let maps = [
        (
            "netA",
            "cup",
            "s1",
            plateau_grid(0.9, (100.0, 200.0), (10.0, 60.0)),
        ),
        (
            "netA",
            "cup",
            "s2",
            plateau_grid(0.8, (100.0, 220.0), (-10.0, 70.0)),
        ),
        (
            "netA",
            "vase",
            "s1",
            plateau_grid(0.9, (20.0, 300.0), (0.0, 80.0)),
        ),
        (
            "netA",
            "vase",
            "weak",
            plateau_grid(0.05, (100.0, 200.0), (10.0, 60.0)),
        ),
        (
            "netB",
            "cup",
            "s1",
            plateau_grid(0.7, (100.0, 260.0), (0.0, 60.0)),
        ),
    ];
    for (net, class, shape, grid) in &maps {
        write_grid(
            &root.join(net).join(class).join(format!("{shape}.json")),
            grid,
        );
    }
    let common = [
        "--iterations",
        "150",
        "--init",
        "150,30",
        "--init",
        "130,20",
    ];
    let mut args = vec!["srvr", "grids", root.to_str().unwrap(), "--json"];
    args.extend(common);
    let report = stdout_json(&semrob(&args));

    let mean_ratio = |net: &str, class: &str, shape: &str| -> f64 {
        let path = root.join(net).join(class).join(format!("{shape}.json"));
        let mut args = vec!["regions", "grid", path.to_str().unwrap()];
        args.extend(common);
        let doc = stdout_json(&semrob(&args));
        let runs = doc["runs"].as_array().unwrap();
        runs.iter()
            .map(|r| r["volume_ratio"].as_f64().unwrap())
            .sum::<f64>()
            / runs.len() as f64
    };
    let cup_a = (mean_ratio("netA", "cup", "s1") + mean_ratio("netA", "cup", "s2")) / 2.0;
    let vase_a = mean_ratio("netA", "vase", "s1");
    let cup_b = mean_ratio("netB", "cup", "s1");

    let nets = report["networks"].as_array().unwrap();
    assert_eq!(nets.len(), 2);
    assert_eq!(nets[0]["network"], "netA");
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() <= 1e-12;
    assert!(close(&nets[0]["srvr"], (cup_a + vase_a) / 2.0), "{report}");
    assert_eq!(nets[0]["classes"][0]["class"], "cup");
    assert!(close(&nets[0]["classes"][0]["srvr"], cup_a));
    assert_eq!(nets[0]["classes"][0]["shapes_accepted"], 2);
    assert_eq!(nets[0]["classes"][1]["class"], "vase");
    assert_eq!(nets[0]["classes"][1]["shapes_accepted"], 1);
    assert_eq!(nets[0]["classes"][1]["shapes"], 2);
    // One report model: the same document as a results folder's report.json, with what a
    // folder of maps does not record left out rather than invented.
    assert_eq!(report["format"], "semrob.srvr-report/2");
    assert_eq!(report["mode"], "map");
    assert_eq!(report["name"], "grids");
    assert_eq!(
        (report["jobs_done"].as_u64(), report["jobs_total"].as_u64()),
        (Some(5), Some(5))
    );
    assert!(
        report["config_hash"].is_null() && nets[0]["weights"].is_null(),
        "{report}"
    );
    assert!(nets[0]["classes"][0]["label"].is_null(), "{report}");
    let methods = report["methods"].as_array().unwrap();
    assert_eq!(methods.len(), 3, "{report}");
    // 4 accepted shapes × 2 starts per method.
    assert!(methods.iter().all(|m| m["runs"] == 8), "{report}");
    assert!(close(&nets[1]["srvr"], cup_b));

    // The markdown table carries the same numbers, in percent.
    let mut args = vec![
        "srvr",
        "grids",
        root.to_str().unwrap(),
        "--format",
        "markdown",
    ];
    args.extend(common);
    let out = semrob(&args);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!(
            "| **netA** | **all classes** | **3/4** | **{}** | **{:.3}** | **n/a** | **{:.3}** | **n/a** |",
            nets[0]["own_pass"],
            nets[0]["mean_score"].as_f64().unwrap(),
            100.0 * (cup_a + vase_a) / 2.0
        )),
        "{table}"
    );
}

/// SPEC §7: one reference network chooses the shapes and every network is scored on those.
/// Here alexnet fails on the shapes resnet50 recognises and succeeds only on one resnet50
/// rejects: filtering each network by its own scores ranks alexnet first, the reference rule
/// (the default, with resnet50 listed) ranks resnet50 first.
#[test]
fn the_reference_network_decides_acceptance_and_each_network_filtering_misranks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("grids");
    let maps = [
        (
            "resnet50",
            "s1",
            plateau_grid(0.9, (100.0, 200.0), (10.0, 60.0)),
        ),
        (
            "resnet50",
            "s2",
            plateau_grid(0.9, (60.0, 240.0), (0.0, 70.0)),
        ),
        (
            "resnet50",
            "s3",
            plateau_grid(0.05, (100.0, 200.0), (10.0, 60.0)),
        ),
        (
            "alexnet",
            "s1",
            plateau_grid(0.05, (140.0, 160.0), (20.0, 40.0)),
        ),
        (
            "alexnet",
            "s2",
            plateau_grid(0.05, (140.0, 160.0), (20.0, 40.0)),
        ),
        (
            "alexnet",
            "s3",
            plateau_grid(0.95, (20.0, 340.0), (-10.0, 85.0)),
        ),
    ];
    for (net, shape, grid) in &maps {
        write_grid(
            &root.join(net).join("cup").join(format!("{shape}.json")),
            grid,
        );
    }
    let ranking = |extra: &[&str]| -> (Vec<String>, Value) {
        let mut args = vec![
            "srvr",
            "grids",
            root.to_str().unwrap(),
            "--json",
            "--iterations",
            "150",
            "--init",
            "150,30",
        ];
        args.extend(extra);
        let report = stdout_json(&semrob(&args));
        let mut nets: Vec<(String, f64)> = report["networks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["network"].as_str().unwrap().to_string(),
                    n["srvr"].as_f64().unwrap(),
                )
            })
            .collect();
        nets.sort_by(|a, b| b.1.total_cmp(&a.1));
        (nets.into_iter().map(|n| n.0).collect(), report)
    };
    let (default, report) = ranking(&[]);
    assert_eq!(default, ["resnet50", "alexnet"], "{report}");
    assert_eq!(report["acceptance"]["rule"], "reference");
    assert_eq!(report["acceptance"]["network"], "resnet50");
    assert_eq!(
        (
            report["acceptance"]["kept"].as_u64(),
            report["acceptance"]["shapes"].as_u64()
        ),
        (Some(2), Some(3))
    );
    // alexnet is scored on resnet50's two shapes; it passes only s3 itself.
    let alexnet = &report["networks"][0];
    assert_eq!(alexnet["network"], "alexnet");
    assert_eq!(alexnet["classes"][0]["shapes_accepted"], 2);
    assert_eq!(alexnet["classes"][0]["own_pass"], 1);
    let (named, named_report) = ranking(&["--accept-by", "resnet50"]);
    assert_eq!(named, default);
    assert_eq!(named_report, report);
    let (each, report) = ranking(&["--accept-by", "each"]);
    assert_eq!(each, ["alexnet", "resnet50"], "{report}");
    assert_eq!(report["acceptance"]["rule"], "each");
    let (_, report) = ranking(&["--accept-by", "none"]);
    assert_eq!(report["networks"][1]["classes"][0]["shapes_accepted"], 3);

    // The table and the terminal summary name the deciding network; the summary ranks.
    for format in ["markdown", "terminal"] {
        let out = semrob(&[
            "srvr",
            "grids",
            root.to_str().unwrap(),
            "--iterations",
            "5",
            "--format",
            format,
        ]);
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains("resnet50 decided; it kept 2 of 3 shapes"),
            "{format}: {table}"
        );
    }
    let out = semrob(&[
        "srvr",
        "grids",
        root.to_str().unwrap(),
        "--iterations",
        "150",
    ]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("resnet50 is the most robust")
            && summary.contains("the robust volume of alexnet"),
        "{summary}"
    );
    assert!(!summary.contains('\u{1b}'), "colours on a pipe: {summary}");

    // A reference network that is not in the folder: exit 2, naming the networks.
    let out = semrob(&[
        "srvr",
        "grids",
        root.to_str().unwrap(),
        "--accept-by",
        "vgg",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--accept-by")
            && err.contains("\"vgg\" is not among the networks (alexnet, resnet50)"),
        "{err}"
    );
}

#[test]
fn srvr_on_an_empty_or_bad_folder_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = semrob(&["srvr", "grids", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no maps found"));
    let bad = dir.path().join("net/cup/s.json");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, "{}").unwrap();
    let out = semrob(&["srvr", "grids", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s.json"));
}
