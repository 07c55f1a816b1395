//! Region methods: one update step for n = 1…8 and full runs on an oracle (criterion).
//!
//!     cargo bench --no-default-features --bench region -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nalgebra::{DMatrix, DVector};
use semrob::region::Goal;
use semrob::region::{
    find_region, naive_direction, oir_b_direction, oir_w_direction, HyperParams, Method, Region,
};
use semrob::semantic::oracle::OracleFunction;
use semrob_oracles::Oracle;

/// The pure update directions (SPEC §3) from given corner values, n = 1…8.
fn directions(c: &mut Criterion) {
    let mut group = c.benchmark_group("direction");
    for n in 1..=8usize {
        let region =
            Region::new(vec![0.0; n], (1..=n).map(|i| i as f64).collect::<Vec<_>>()).unwrap();
        let k = 1 << n;
        let f_d = DVector::from_fn(k, |j, _| 0.5 + 0.4 * ((j * 7919) % 101) as f64 / 101.0);
        let f_c = f_d.map(|v| v * 0.9);
        let g_d = DMatrix::from_fn(k, n, |j, i| ((j + 3 * i) % 17) as f64 / 17.0 - 0.5);
        group.bench_with_input(BenchmarkId::new("naive", n), &n, |b, _| {
            b.iter(|| naive_direction(black_box(&region), black_box(&f_d), 0.1))
        });
        group.bench_with_input(BenchmarkId::new("oir-b", n), &n, |b, _| {
            b.iter(|| oir_b_direction(black_box(&region), black_box(&f_d), black_box(&f_c), 0.05))
        });
        group.bench_with_input(BenchmarkId::new("oir-w", n), &n, |b, _| {
            b.iter(|| oir_w_direction(black_box(&region), black_box(&f_d), black_box(&g_d), 0.0009))
        });
    }
    group.finish();
}

/// One full driver step (validation, corner batch, oracle evaluation, direction, projection):
/// `find_region` with a budget of one iteration on a Gaussian bump, n = 1…8.
fn driver_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("driver_step");
    let hyper = HyperParams {
        iterations: 1,
        ..HyperParams::default()
    };
    for n in 1..=8usize {
        let f = OracleFunction(Oracle::gaussian_bump(0.9, &vec![0.0; n], &vec![20.0; n]));
        let domain = Region::new(vec![-50.0; n], vec![50.0; n]).unwrap();
        let init = vec![1.0; n];
        for method in Method::ALL {
            group.bench_with_input(BenchmarkId::new(method.as_str(), n), &n, |b, _| {
                b.iter(|| {
                    find_region(&f, method, &domain, black_box(&init), &hyper, Goal::Robust)
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

/// A full run with the paper's defaults (800 steps) on the 2-D smooth-box oracle.
fn full_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("full_run_2d_plateau");
    group.sample_size(10);
    let f = OracleFunction(Oracle::smooth_box(1.0, &[100.0, 20.0], &[200.0, 70.0], 2.0));
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let hyper = HyperParams {
        tolerance: 0.0,
        ..HyperParams::default()
    }; // always 800 steps
    for method in Method::ALL {
        group.bench_function(method.as_str(), |b| {
            b.iter(|| {
                find_region(
                    &f,
                    method,
                    &domain,
                    black_box(&[130.0, 30.0]),
                    &hyper,
                    Goal::Robust,
                )
                .unwrap()
            })
        });
    }
    let faces = HyperParams {
        face_points: 3,
        ..hyper
    };
    group.bench_function("oir-b, face_points = 3", |b| {
        b.iter(|| {
            find_region(
                &f,
                Method::OirB,
                &domain,
                black_box(&[130.0, 30.0]),
                &faces,
                Goal::Robust,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, directions, driver_step, full_run);
criterion_main!(benches);
