//! Region runs on a tabulated 120 × 34 map (the paper's grid), each method, paper defaults.
//!
//! The paper's code takes 164 ms per run on such a map (PEERS.md): 800 steps × 8 corners.

use criterion::{criterion_group, criterion_main, Criterion};
use semrob::region::Goal;
use semrob::region::{find_region, HyperParams, Method, Region};
use semrob::semantic::paper_axes;
use semrob::semantic::Grid;

/// A 120 × 34 map with a confident plateau on azimuth [100, 200] × elevation [10, 60].
fn paper_grid() -> Grid {
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
    let window = |x: f64, lo: f64, hi: f64| logistic(0.5 * (x - lo)) * logistic(0.5 * (hi - x));
    let axes = paper_axes().iter().map(|a| a.grid_axis()).collect();
    Grid::tabulate(axes, serde_json::Value::Null, |u| {
        0.95 * window(u[0], 100.0, 200.0) * window(u[1], 10.0, 60.0)
    })
    .expect("valid grid")
}

fn bench(c: &mut Criterion) {
    let grid = paper_grid();
    let (lower, upper) = grid.domain();
    let domain = Region::new(lower, upper).unwrap();
    let mut group = c.benchmark_group("grid_120x34_run");
    for (label, hyper) in [
        (
            "800_steps",
            HyperParams {
                tolerance: 0.0,
                ..HyperParams::default()
            },
        ),
        ("default_stop", HyperParams::default()),
    ] {
        for method in Method::ALL {
            group.bench_function(format!("{method}/{label}"), |b| {
                b.iter(|| {
                    find_region(&grid, method, &domain, &[130.0, 30.0], &hyper, Goal::Robust)
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
