//! Which refine rule tracks the paper's procedure? A proxy without renders (issue 19).
//!
//! A job's 3° map stands for the network, and that map sampled every 12° stands for the coarse
//! map refine mode starts on. "Network mode" is then every method from the paper's four starts
//! for 800 steps on the 3° map's interpolant; a refine rule grows on the 12° map and continues
//! on the 3° one. Two rules, for k network steps:
//!
//! * `after`: 800 steps on the coarse map, then at most k (the rule `regions = "refine"`
//!   follows: a run continues from the box map mode reached);
//! * `within`: 800 − k steps on the coarse map, then at most k: the paper's budget of 800 in all;
//! * `head`: the first k steps on the fine map, then 800 − k on the coarse one (where the two
//!   maps' runs part: at their tiny start boxes, or late).
//!
//! For each rule and k it prints, per method, the IoU of the boxes with the "network-mode" ones
//! (mean, 10th percentile) and the mean |Δ| of |D|/|Ω|. Every map is an interpolant, so this
//! costs milliseconds; it isolates the effect of the rule from the network's own noise.
//!
//! `SEMROB_PROXY_TOLERANCE` and `SEMROB_PROXY_ITERATIONS` replace the default tolerance (1e-9)
//! and budget (800) in every search: a rest rule that runs can reach, with a budget long
//! enough to reach it, makes the final boxes properties of the function rather than of the
//! step count.
//!
//!     cargo run --release --no-default-features --example refine_proxy -- MAP.json [MAP.json ...]

use semrob::analysis::region_runs::{default_starts, refine_search, run_all, RunSummary};
use semrob::region::{HyperParams, Method, Region, RegionSearch};
use semrob::semantic::{Axis, Grid};

/// The map sampled every `factor`-th value per axis (a periodic axis keeps its period).
fn coarse(grid: &Grid, factor: usize) -> Grid {
    let axes: Vec<Axis> = grid
        .axes()
        .iter()
        .map(|a| Axis {
            values: a.values.iter().copied().step_by(factor).collect(),
            ..a.clone()
        })
        .collect();
    let sizes = grid.sizes();
    let keep: Vec<Vec<usize>> = sizes
        .iter()
        .map(|&n| (0..n).step_by(factor).collect())
        .collect();
    // Row-major, last axis fastest, as `Grid` stores its values.
    let mut values = Vec::new();
    let mut index = vec![0usize; sizes.len()];
    loop {
        let mut flat = 0;
        for (k, &i) in index.iter().enumerate() {
            flat = flat * sizes[k] + keep[k][i];
        }
        values.push(grid.values()[flat]);
        let mut k = sizes.len();
        loop {
            if k == 0 {
                return Grid::new(axes, values, serde_json::Value::Null).expect("a sub-grid");
            }
            k -= 1;
            index[k] += 1;
            if index[k] < keep[k].len() {
                break;
            }
            index[k] = 0;
        }
    }
}

/// One row of the table: rule, network steps, method, IoUs and |Δ| of |D|/|Ω|, one per run.
type Row = (&'static str, usize, Method, Vec<f64>, Vec<f64>);

fn iou(a: &RunSummary, b: &RunSummary) -> f64 {
    let vol = |lo: &[f64], hi: &[f64]| -> f64 {
        lo.iter().zip(hi).map(|(l, h)| (h - l).max(0.0)).product()
    };
    let lo: Vec<f64> = a
        .lower
        .iter()
        .zip(&b.lower)
        .map(|(x, y)| x.max(*y))
        .collect();
    let hi: Vec<f64> = a
        .upper
        .iter()
        .zip(&b.upper)
        .map(|(x, y)| x.min(*y))
        .collect();
    let inter = vol(&lo, &hi);
    inter / (vol(&a.lower, &a.upper) + vol(&b.lower, &b.upper) - inter)
}

/// The hyper-parameters of every search: the defaults, or the environment's overrides.
fn base_hyper() -> HyperParams {
    let mut h = HyperParams::default();
    if let Some(t) = std::env::var("SEMROB_PROXY_TOLERANCE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        h.tolerance = t;
    }
    if let Some(n) = std::env::var("SEMROB_PROXY_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        h.iterations = n;
    }
    h
}

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: refine_proxy MAP.json [MAP.json ...] (semrob.grid/1, 3° maps)");
        std::process::exit(2);
    }
    let budgets = [0usize, 25, 50, 100, 200];
    // (rule, k, method) → (IoUs, |Δ|s)
    let mut table: Vec<Row> = Vec::new();
    for path in &paths {
        let fine = Grid::read(std::path::Path::new(path)).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2)
        });
        let rough = coarse(&fine, 4);
        let (lo, hi) = fine.domain();
        let domain = Region::new(lo, hi).expect("the map's domain");
        let search = RegionSearch::new(Method::ALL.to_vec(), default_starts(&domain), base_hyper());
        let (network, _) = run_all(&fine, &domain, &search, &mut []).expect("runs");
        for rule in ["after", "within", "head"] {
            for &k in &budgets {
                let mut hyper = base_hyper();
                if rule != "after" {
                    hyper.iterations -= k;
                }
                let on_map = RegionSearch {
                    hyper,
                    ..search.clone()
                };
                let runs = if rule == "head" {
                    // k steps on the fine map first, then the rest on the coarse one.
                    let mut head = base_hyper();
                    head.iterations = k.max(1);
                    let first_search = RegionSearch {
                        hyper: head,
                        ..search.clone()
                    };
                    let (first, _) = run_all(&fine, &domain, &first_search, &mut []).expect("runs");
                    let rest = refine_search(&first_search, &first, base_hyper().iterations - k)
                        .expect("boxes");
                    run_all(&rough, &domain, &rest, &mut []).expect("runs").0
                } else {
                    let (first, _) = run_all(&rough, &domain, &on_map, &mut []).expect("runs");
                    if k == 0 {
                        first
                    } else {
                        let refined = refine_search(&on_map, &first, k).expect("boxes");
                        run_all(&fine, &domain, &refined, &mut []).expect("runs").0
                    }
                };
                for (r, n) in runs.iter().zip(&network) {
                    let row = match table
                        .iter_mut()
                        .position(|(ru, kk, m, _, _)| *ru == rule && *kk == k && *m == r.method)
                    {
                        Some(i) => i,
                        None => {
                            table.push((rule, k, r.method, Vec::new(), Vec::new()));
                            table.len() - 1
                        }
                    };
                    table[row].3.push(iou(r, n));
                    table[row].4.push((r.volume_ratio - n.volume_ratio).abs());
                }
            }
        }
    }
    println!("| rule | network steps | method | runs | IoU mean | IoU p10 | mean abs diff of volume ratio |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    for (rule, k, method, mut ious, diffs) in table {
        ious.sort_by(f64::total_cmp);
        let mean = ious.iter().sum::<f64>() / ious.len() as f64;
        let p10 = ious[(0.1 * (ious.len() - 1) as f64) as usize];
        let d = diffs.iter().sum::<f64>() / diffs.len() as f64;
        println!(
            "| {rule} | {k} | {method} | {} | {mean:.3} | {p10:.3} | {d:.4} |",
            ious.len()
        );
    }
}
