//! Face quadrature (beyond the paper): accuracy gained against evaluations spent. Prints the
//! two tables BENCHMARKS.md records ("Region methods", "Face quadrature"): the error of the
//! naive and OIR_B directions against the exact loss gradient for m face points per
//! dimension, and regions grown with m face points on a 2-D plateau (IoU with the plateau,
//! evaluations, spread across starts).
//!
//!     cargo run --release --no-default-features --example face_quadrature

// The region tests' helpers: an oracle as a semantic function, IoU, the direction errors.
#[path = "../tests/region/support.rs"]
mod support;

use semrob::region::faces::boundary_grid;
use semrob::region::{find_region, Goal, HyperParams, Method, Region};
use semrob_oracles::Oracle;
use support::{direction_errors, iou, OracleFn};

fn main() {
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
