//! Hand-made results folders for the report page's tests: two networks, two classes, six
//! jobs with maps, traces and renders, written through the library as `semrob srvr` does,
//! with no network run.
#![allow(dead_code)] // each test binary uses a different part

use std::path::Path;

use semrob::analysis::benchmark::{
    JobId, JobResult, RenderShot, Renders, ResultsDir, SrvrConfig, Stamp, RESULTS_FORMAT,
};
use semrob::analysis::network_function::inputs::WeightsId;
use semrob::analysis::region_runs::RunSummary;
use semrob::region::{Method, StopReason, TraceStep};
use semrob::semantic::{Axis, Grid};
use serde_json::json;

pub const NETWORKS: [&str; 2] = ["efficientnet-lite0", "efficientnet-lite1"];
/// (class, label, shapes)
pub const CLASSES: [(&str, usize, &[&str]); 2] =
    [("vase", 883, &["v0", "v1"]), ("mug", 504, &["m0"])];

/// Every job, network-major as a configuration plans them.
pub fn jobs() -> Vec<JobId> {
    let mut out = Vec::new();
    for net in NETWORKS {
        for (class, _, shapes) in CLASSES {
            for shape in shapes {
                out.push(JobId {
                    network: net.into(),
                    class: class.into(),
                    shape: (*shape).into(),
                });
            }
        }
    }
    out
}

/// Azimuth 0, 6, …, 354 (periodic) × elevation −10, −5, …, 90: a confident plateau over
/// azimuth 60–200 and a trap (a hole ringed by confident views) at (280, 40) in the maps of
/// shape v0.
pub fn map(job: &JobId) -> Grid {
    let axes = vec![
        Axis {
            name: "azimuth".into(),
            unit: "deg".into(),
            values: (0..60).map(|i| 6.0 * i as f64).collect(),
            period: Some(360.0),
            domain: None,
        },
        Axis {
            name: "elevation".into(),
            unit: "deg".into(),
            values: (0..21).map(|i| -10.0 + 5.0 * i as f64).collect(),
            period: None,
            domain: None,
        },
    ];
    let shift = if job.network == NETWORKS[1] {
        20.0
    } else {
        0.0
    };
    let trap = job.shape == "v0";
    // The job left out by the acceptance rule scores low everywhere.
    let gain = if accepted(job) { 1.0 } else { 0.2 };
    Grid::tabulate(axes, json!({"network": job.network}), |u| {
        let (az, el) = (u[0], u[1]);
        let plateau = (60.0 + shift..=200.0).contains(&az) && (0.0..=70.0).contains(&el);
        let hole = ((az - 280.0).powi(2) + (el - 40.0).powi(2)).sqrt();
        gain * if plateau {
            0.95
        } else if trap && hole <= 12.0 {
            0.02
        } else if trap && hole <= 30.0 {
            0.9
        } else {
            0.05 + 0.1 * (el + 10.0) / 100.0
        }
    })
    .unwrap()
}

/// Whether the job passes acceptance (rule `each`; one does not: Lite1 on m0).
pub fn accepted(job: &JobId) -> bool {
    !(job.network == NETWORKS[1] && job.shape == "m0")
}

/// Two methods from two starts; the volumes differ per job so that sorting by SRVR is not
/// the table's default order.
pub fn runs(job: &JobId) -> Vec<RunSummary> {
    let scale = match (job.network == NETWORKS[0], job.class.as_str()) {
        (true, "vase") => 0.4,
        (true, "mug") => 1.0,
        (false, "vase") => 0.7,
        _ => 0.2,
    };
    let mut out = Vec::new();
    for (m, method) in [Method::OirB, Method::OirW].into_iter().enumerate() {
        for (s, init) in [[130.0, 30.0], [160.0, 20.0]].into_iter().enumerate() {
            let half = [40.0 * scale + 5.0 * m as f64, 20.0 * scale + 3.0 * s as f64];
            let lower = vec![init[0] - half[0], (init[1] - half[1]).max(-10.0)];
            let upper = vec![init[0] + half[0], init[1] + half[1]];
            let volume = (upper[0] - lower[0]) * (upper[1] - lower[1]);
            let steps = 5 + 3 * m;
            let trace = (0..steps)
                .map(|i| {
                    let t = i as f64 / (steps - 1) as f64;
                    TraceStep {
                        lower: vec![init[0] - t * half[0], init[1] - t * (init[1] - lower[1])],
                        upper: vec![init[0] + t * half[0], init[1] + t * half[1]],
                        loss: (i > 0).then(|| -t),
                    }
                })
                .collect();
            out.push(RunSummary {
                method,
                init: init.to_vec(),
                lower,
                upper,
                volume,
                volume_ratio: volume / 36000.0,
                stop: StopReason::Converged,
                iterations: steps,
                evaluations: 8 * steps,
                gradient_evaluations: if method == Method::OirW { 4 * steps } else { 0 },
                final_loss: Some(-1.0),
                hit_cap: false,
                at_80: None,
                trace: Some(trace),
                map_stage: None,
                contents: None,
                certificate: None,
                clean: None,
            });
        }
    }
    out
}

/// A small render: a disc whose colour tells inside (green) from outside (red).
pub fn render_png(inside: bool, k: usize) -> Vec<u8> {
    let img = image::RgbImage::from_fn(96, 96, |x, y| {
        let d = ((x as f64 - 48.0).powi(2) + (y as f64 - 48.0).powi(2)).sqrt();
        if d < 20.0 + 5.0 * k as f64 {
            if inside {
                image::Rgb([60, 170, 90])
            } else {
                image::Rgb([200, 70, 60])
            }
        } else {
            image::Rgb([235, 235, 235])
        }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// The configuration the jobs were "run" with: map mode, acceptance rule `each`.
pub const CONFIG: &str = r#"
name = "hand-made"
networks = [{ model = "efficientnet-lite0" }, { model = "efficientnet-lite1" }]
axes = ["azimuth:0:360", "elevation:-10:90"]
methods = ["oir-b", "oir-w"]
regions = "map"

[dataset]
fixtures = [
    { fixture = "vase", class = "vase", label = 883 },
    { fixture = "mug", class = "mug", label = 504 },
]

[acceptance]
min_mean_score = 0.1
network = "each"
map_axes = ["azimuth:0:360:6", "elevation:-10:90:5"]
"#;

pub fn stamp() -> Stamp {
    let checked = SrvrConfig::from_toml(CONFIG, "report_support").unwrap();
    Stamp {
        format: RESULTS_FORMAT.into(),
        config_hash: "0123456789abcdef".into(),
        config: checked.config,
        jobs: jobs(),
    }
}

/// What kind of folder to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every job with its map, traces and renders.
    Full,
    /// Job results only, as folders were written before jobs kept artifacts.
    Old,
}

/// Writes the results folder; `skip` lists job indices left unfinished.
pub fn write_results(root: &Path, layout: Layout, skip: &[usize]) -> ResultsDir {
    let dir = ResultsDir::open_or_create(root, stamp()).unwrap();
    for (i, job) in jobs().iter().enumerate() {
        if skip.contains(&i) {
            continue;
        }
        let ok = accepted(job);
        let runs = if ok { runs(job) } else { Vec::new() };
        if layout == Layout::Full {
            let shots = |inside: bool| {
                (0..4)
                    .map(|k| RenderShot {
                        point: vec![100.0 + 10.0 * k as f64, 20.0],
                        score: Some(if inside { 0.9 } else { 0.05 }),
                        png: render_png(inside, k),
                    })
                    .collect()
            };
            let renders = if ok {
                Renders {
                    inside: shots(true),
                    outside: shots(false),
                    witnesses: Vec::new(),
                }
            } else {
                Renders::default()
            };
            dir.save_artifacts(job, &map(job), &runs, &renders).unwrap();
        }
        let result = JobResult {
            job: job.clone(),
            weights: WeightsId {
                file: format!("{}.safetensors", job.network),
                sha256: format!("{:064x}", 0xabcdef + i),
            },
            label: CLASSES.iter().find(|c| c.0 == job.class).unwrap().1,
            map_points: 1260,
            mean_score: map(job).mean(),
            top1_rate: 0.3 + 0.05 * i as f64,
            own_pass: ok,
            runs: runs
                .into_iter()
                .map(|r| RunSummary { trace: None, ..r })
                .collect(),
            region_renders: if ok { 400 } else { 0 },
            seconds: 12.5,
            telemetry: None,
            certification: None,
        };
        dir.save(&result).unwrap();
    }
    dir
}

/// Writes the maps as a `srvr grids` folder.
pub fn write_grids(root: &Path) {
    for job in jobs() {
        let path = root.join(format!("{}.json", job.key()));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        map(&job).write(&path).unwrap();
    }
}

#[path = "../support/binary.rs"]
mod binary;
pub use binary::semrob;

/// Runs `semrob report DIR --out OUT` and returns the page.
pub fn page(dir: &Path, out: &Path) -> String {
    let o = semrob(&[
        "report",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "semrob report failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out).unwrap()
}

/// A results folder of one job (Lite0 on the vase) over the first `n` of azimuth, elevation
/// and distance: an n-D map with a confident plateau around (130°, 30°, 2.7), and two region
/// runs from (130, 30, 2.732) (the first `n` coordinates) boxed inside it.
pub fn write_results_nd(root: &Path, n: usize) -> ResultsDir {
    let all = [
        (
            "azimuth:0:360",
            "azimuth:0:360:30",
            "deg",
            (0..12).map(|i| 30.0 * i as f64).collect::<Vec<_>>(),
            Some(360.0),
            130.0,
            40.0,
        ),
        (
            "elevation:-10:90",
            "elevation:-10:90:20",
            "deg",
            (0..6).map(|i| -10.0 + 20.0 * i as f64).collect(),
            None,
            30.0,
            25.0,
        ),
        (
            "distance:2:4",
            "distance:2:4:0.5",
            "",
            (0..5).map(|i| 2.0 + 0.5 * i as f64).collect(),
            None,
            2.732,
            0.6,
        ),
    ];
    let dims = &all[..n];
    let quote = |v: Vec<&str>| {
        v.iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let start: Vec<f64> = dims.iter().map(|d| d.5).collect();
    let config = format!(
        r#"
name = "hand-made, {n}-D"
networks = [{{ model = "efficientnet-lite0" }}]
axes = [{}]
starts = [[{}]]
methods = ["oir-b", "oir-w"]
regions = "map"

[dataset]
fixtures = [{{ fixture = "vase", class = "vase", label = 883 }}]

[acceptance]
min_mean_score = 0.1
map_axes = [{}]
"#,
        quote(dims.iter().map(|d| d.0).collect()),
        start
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        quote(dims.iter().map(|d| d.1).collect()),
    );
    let checked = SrvrConfig::from_toml(&config, "report_support").unwrap();
    let job = JobId {
        network: NETWORKS[0].into(),
        class: "vase".into(),
        shape: "v0".into(),
    };
    let stamp = Stamp {
        format: RESULTS_FORMAT.into(),
        config_hash: format!("{n:016x}"),
        config: checked.config,
        jobs: vec![job.clone()],
    };
    let dir = ResultsDir::open_or_create(root, stamp).unwrap();
    let axes: Vec<Axis> = dims
        .iter()
        .map(|d| Axis {
            name: d.0.split(':').next().unwrap().into(),
            unit: d.2.into(),
            values: d.3.clone(),
            period: d.4,
            domain: None,
        })
        .collect();
    let centre: Vec<f64> = dims.iter().map(|d| d.5).collect();
    let half: Vec<f64> = dims.iter().map(|d| d.6).collect();
    let map = Grid::tabulate(axes, json!({"network": job.network}), |u| {
        let inside = u
            .iter()
            .zip(&centre)
            .zip(&half)
            .all(|((x, c), h)| (x - c).abs() <= *h);
        if inside {
            0.9
        } else {
            0.1
        }
    })
    .unwrap();
    let domain: f64 = dims.iter().map(|d| d.3.last().unwrap() - d.3[0]).product();
    let runs: Vec<RunSummary> = [(Method::OirB, 0.5), (Method::OirW, 0.8)]
        .into_iter()
        .map(|(method, share)| {
            let lower: Vec<f64> = centre
                .iter()
                .zip(&half)
                .map(|(c, h)| c - share * h)
                .collect();
            let upper: Vec<f64> = centre
                .iter()
                .zip(&half)
                .map(|(c, h)| c + share * h)
                .collect();
            let volume: f64 = lower.iter().zip(&upper).map(|(l, u)| u - l).product();
            RunSummary {
                method,
                init: centre.clone(),
                lower,
                upper,
                volume,
                volume_ratio: volume / domain,
                stop: StopReason::Converged,
                iterations: 10,
                evaluations: 10 << n,
                gradient_evaluations: if method == Method::OirW { 10 << n } else { 0 },
                final_loss: Some(-1.0),
                hit_cap: false,
                at_80: None,
                trace: None,
                map_stage: None,
                contents: None,
                certificate: None,
                clean: None,
            }
        })
        .collect();
    dir.save_artifacts(&job, &map, &runs, &Renders::default())
        .unwrap();
    dir.save(&JobResult {
        job: job.clone(),
        weights: WeightsId {
            file: "efficientnet-lite0.safetensors".into(),
            sha256: format!("{:064x}", 0xabc),
        },
        label: 883,
        map_points: map.values().len(),
        mean_score: map.mean(),
        top1_rate: 0.5,
        own_pass: true,
        runs,
        region_renders: 0,
        seconds: 1.0,
        telemetry: None,
        certification: None,
    })
    .unwrap();
    dir
}
