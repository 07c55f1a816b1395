//! Golden results of a fixed set of oracle runs: the final regions, stop reasons and
//! counts, in `golden/region/*.json`, compared by the one golden rule
//! (`semrob::report::golden`: numbers within 1e-6 + 1e-4·|golden|, counts, strings and stop
//! reasons exact). After an intended change, regenerate and review the diff:
//!
//!     SEMROB_BLESS=1 cargo test --no-default-features --test region golden::
//!     git diff golden/region

use std::path::Path;

use crate::support::OracleFn;
use semrob::region::Goal;
use semrob::region::{find_region, HyperParams, Method, Region};
use semrob::report::golden::{bless_requested, check_golden};
use semrob_oracles::Oracle;
use serde_json::{json, Value};

/// One run, summarised for a snapshot.
fn golden_run(
    f: &OracleFn,
    method: Method,
    domain: &Region,
    init: &[f64],
    hyper: &HyperParams,
    adversarial: bool,
) -> Value {
    let r = find_region(
        f,
        method,
        domain,
        init,
        hyper,
        Goal::from_adversarial(adversarial),
    )
    .unwrap();
    json!({
        "method": method,
        "init": init,
        "face_points": hyper.face_points,
        "adversarial": adversarial,
        "lower": r.region.lower().as_slice(),
        "upper": r.region.upper().as_slice(),
        "volume": r.region.volume(),
        "stop": r.stop,
        "iterations": r.iterations,
        "evaluations": r.evaluations,
        "gradient_evaluations": r.gradient_evaluations,
        "last_loss": r.trace.last().and_then(|s| s.loss),
    })
}

/// Compares `runs` with `golden/region/NAME.json` (or rewrites it with `SEMROB_BLESS=1`).
fn golden(name: &str, runs: Vec<Value>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("golden/region/{name}.json"));
    let about = format!(
        "final regions of oracle runs ({name}), tests/region/golden.rs; regenerate: \
         SEMROB_BLESS=1 cargo test --no-default-features --test region golden::"
    );
    if let Err(e) = check_golden(&path, &about, &Value::Array(runs), bless_requested()) {
        panic!("{e}");
    }
}

#[test]
fn golden_1d_plateau() {
    let domain = Region::new(vec![0.0], vec![360.0]).unwrap();
    let f = OracleFn::new(Oracle::smooth_box(1.0, &[100.0], &[200.0], 2.0));
    let h = HyperParams::default();
    let runs: Vec<Value> = Method::ALL
        .iter()
        .map(|&m| golden_run(&f, m, &domain, &[130.0], &h, false))
        .collect();
    golden("plateau_1d", runs);
}

#[test]
fn golden_1d_trap() {
    let domain = Region::new(vec![0.0], vec![360.0]).unwrap();
    let f = OracleFn::new(Oracle::trap(
        1.0,
        &[100.0],
        &[200.0],
        1.0,
        &[140.0],
        &[160.0],
        2.0,
    ));
    let h = HyperParams::default();
    let runs: Vec<Value> = [120.0, 180.0]
        .iter()
        .flat_map(|&s| Method::ALL.map(|m| golden_run(&f, m, &domain, &[s], &h, false)))
        .collect();
    golden("trap_1d", runs);
}

#[test]
fn golden_2d_plateau() {
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let f = OracleFn::new(Oracle::smooth_box(1.0, &[100.0, 20.0], &[200.0, 70.0], 2.0));
    let h = HyperParams::default();
    let h3 = HyperParams {
        face_points: 3,
        ..h
    };
    let mut runs: Vec<Value> = Method::ALL
        .iter()
        .map(|&m| golden_run(&f, m, &domain, &[130.0, 30.0], &h, false))
        .collect();
    runs.push(golden_run(
        &f,
        Method::Naive,
        &domain,
        &[130.0, 30.0],
        &h3,
        false,
    ));
    runs.push(golden_run(
        &f,
        Method::OirB,
        &domain,
        &[130.0, 30.0],
        &h3,
        false,
    ));
    golden("plateau_2d", runs);
}

#[test]
fn golden_2d_trap_adversarial() {
    // Adversarial regions grow where the network fails: inside the hole.
    let domain = Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap();
    let f = OracleFn::new(Oracle::trap(
        0.95,
        &[100.0, 20.0],
        &[200.0, 70.0],
        0.9,
        &[140.0, 35.0],
        &[160.0, 55.0],
        1.0,
    ));
    let h = HyperParams::default();
    let runs: Vec<Value> = Method::ALL
        .iter()
        .map(|&m| golden_run(&f, m, &domain, &[150.0, 45.0], &h, true))
        .collect();
    golden("trap_2d_adversarial", runs);
}

#[test]
fn golden_3d_bump() {
    // In 3-D the faces of the ε start box have measure r² = 4e-10: naive's regulariser λr wins
    // and OIR barely moves in 800 steps. The snapshot records that.
    let domain = Region::new(vec![-10.0; 3], vec![10.0; 3]).unwrap();
    let f = OracleFn::new(Oracle::gaussian_bump(
        0.9,
        &[0.5, -0.5, 1.0],
        &[2.0, 3.0, 4.0],
    ));
    let h = HyperParams::default();
    let mut runs: Vec<Value> = Method::ALL
        .iter()
        .map(|&m| golden_run(&f, m, &domain, &[0.0, 0.0, 0.0], &h, false))
        .collect();
    // From a box that is not tiny (ε = 1), OIR_B grows.
    let wide = HyperParams { epsilon: 1.0, ..h };
    runs.push(golden_run(
        &f,
        Method::OirB,
        &domain,
        &[0.0, 0.0, 0.0],
        &wide,
        false,
    ));
    golden("bump_3d", runs);
}
