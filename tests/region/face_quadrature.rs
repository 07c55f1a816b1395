//! Face quadrature (beyond the paper): accuracy gained against evaluations spent.
//!
//! `face_quadrature_table` prints the figures recorded in BENCHMARKS.md ("Region methods"):
//!
//!     cargo test --release --no-default-features --test region_face_quadrature -- --ignored --nocapture

use crate::support::{iou, values_at, OracleFn};
use nalgebra::DVector;
use semrob::region::faces::{boundary_grid, face_means, face_points};
use semrob::region::methods::{naive_from_means, oir_b_from_means};
use semrob::region::Goal;
use semrob::region::{find_region, Direction, HyperParams, Method, Region};
use semrob_oracles::Oracle;

/// The relative error of the naive (λ = 0) and OIR_B directions with `m` face points against
/// the exact loss gradients, on a Gaussian bump and a box of about one σ per side.
fn direction_errors(n: usize, m: usize) -> (f64, f64) {
    let f = Oracle::gaussian_bump(0.9, &vec![0.0; n], &vec![1.0; n]);
    let lower: Vec<f64> = (0..n).map(|i| -0.3 - 0.1 * i as f64).collect();
    let upper: Vec<f64> = (0..n).map(|i| 0.8 + 0.05 * i as f64).collect();
    let region = Region::new(lower, upper).unwrap();
    let outer = region.outer(0.05);
    let grid = boundary_grid(n, m);
    let inner = face_means(&grid, m, &values_at(&f, &face_points(&region, &grid, m)));
    let outer_means = face_means(&grid, m, &values_at(&f, &face_points(&outer, &grid, m)));
    let naive = naive_from_means(&region, &inner, 0.0);
    let oir_b = oir_b_from_means(&region, &inner, &outer_means, 0.05);
    let (dl, du) = f.integral_gradient(region.lower().as_slice(), region.upper().as_slice());
    let (ol, ou) = f.integral_gradient(outer.lower().as_slice(), outer.upper().as_slice());
    let exact_naive = Direction {
        lower: -DVector::from_vec(dl.clone()),
        upper: -DVector::from_vec(du.clone()),
    };
    let exact_oir_b = Direction {
        lower: DVector::from_fn(n, |i, _| 1.025 * ol[i] - 0.025 * ou[i] - 2.0 * dl[i]),
        upper: DVector::from_fn(n, |i, _| -0.025 * ol[i] + 1.025 * ou[i] - 2.0 * du[i]),
    };
    let rel = |x: &Direction, y: &Direction| {
        let diff = (&x.lower - &y.lower).norm_squared() + (&x.upper - &y.upper).norm_squared();
        (diff / (y.lower.norm_squared() + y.upper.norm_squared())).sqrt()
    };
    (rel(&naive, &exact_naive), rel(&oir_b, &exact_oir_b))
}

/// The composite trapezoid rule on the faces converges at second order in the spacing
/// `r/(m−1)`: doubling the intervals (m = 3 → 5) divides the direction error by about 4.
#[test]
fn more_face_points_shrink_the_direction_error_at_second_order() {
    for n in [2, 3] {
        let e: Vec<(f64, f64)> = (2..=5).map(|m| direction_errors(n, m)).collect();
        for k in 1..e.len() {
            assert!(e[k].0 < e[k - 1].0 && e[k].1 < e[k - 1].1, "n = {n}: {e:?}");
        }
        for (coarse, fine) in [
            (e[0].0, e[2].0),
            (e[0].1, e[2].1),
            (e[1].0, e[3].0),
            (e[1].1, e[3].1),
        ] {
            // m = 2 → 4 is 1 → 3 intervals (÷ 9), m = 3 → 5 is 2 → 4 intervals (÷ 4).
            let order = (coarse / fine).ln();
            assert!(order > 4f64.ln() * 0.9, "n = {n}: {e:?}");
        }
    }
}

/// Prints the accuracy/evaluation table of BENCHMARKS.md.
#[test]
#[ignore = "measurement: prints the table recorded in BENCHMARKS.md"]
fn face_quadrature_table() {
    println!("Direction error vs exact loss gradient (Gaussian bump, σ = 1, box ≈ 1.1σ per side)");
    println!("| n | m | points per box | naive rel. error | OIR_B rel. error |");
    println!("|---|---|---|---|---|");
    for n in [2, 3] {
        for m in 2..=6 {
            let (a, b) = direction_errors(n, m);
            let pts = boundary_grid(n, m).len();
            println!("| {n} | {m} | {pts} | {a:.2e} | {b:.2e} |");
        }
    }
    println!();
    println!("2-D plateau 100 × 50 (azimuth [100, 200], elevation [20, 70], edges k = 2), domain [0, 360] × [-10, 90], 800 steps, starts (130,30) (150,45) (190,60) (110,25)");
    println!("| method | m | evaluations per step | evaluations per run (mean) | IoU min | IoU mean | IoU max | spread of bounds across starts |");
    println!("|---|---|---|---|---|---|---|---|");
    let f = OracleFn::new(Oracle::smooth_box(1.0, &[100.0, 20.0], &[200.0, 70.0], 2.0));
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let starts = [[130.0, 30.0], [150.0, 45.0], [190.0, 60.0], [110.0, 25.0]];
    for method in [Method::Naive, Method::OirB] {
        for m in 2..=5 {
            let hyper = HyperParams {
                face_points: m,
                ..HyperParams::default()
            };
            let runs: Vec<_> = starts
                .iter()
                .map(|s| find_region(&f, method, &domain, s, &hyper, Goal::Robust).unwrap())
                .collect();
            let ious: Vec<f64> = runs
                .iter()
                .map(|r| {
                    iou(
                        r.region.lower().as_slice(),
                        r.region.upper().as_slice(),
                        &[100.0, 20.0],
                        &[200.0, 70.0],
                    )
                })
                .collect();
            let evals =
                runs.iter().map(|r| r.evaluations).sum::<usize>() as f64 / runs.len() as f64;
            let per_step = runs[0].evaluations / runs[0].iterations;
            let mut spread = 0.0f64;
            for i in 0..2 {
                for bound in [0, 1] {
                    let v: Vec<f64> = runs
                        .iter()
                        .map(|r| {
                            if bound == 0 {
                                r.region.lower()[i]
                            } else {
                                r.region.upper()[i]
                            }
                        })
                        .collect();
                    let s = v.iter().copied().fold(f64::MIN, f64::max)
                        - v.iter().copied().fold(f64::MAX, f64::min);
                    spread = spread.max(s);
                }
            }
            let (min, max) = (
                ious.iter().copied().fold(1.0, f64::min),
                ious.iter().copied().fold(0.0, f64::max),
            );
            let mean = ious.iter().sum::<f64>() / ious.len() as f64;
            println!("| {method} | {m} | {per_step} | {evals:.0} | {min:.3} | {mean:.3} | {max:.3} | {spread:.2} |");
        }
    }
}
