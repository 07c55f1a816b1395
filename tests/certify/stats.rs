//! The one-sided Clopper–Pearson bound equals every reference value of
//! `../shared/data/statistics` (12 significant digits, computed independently) to 1e-10
//! relative, and the closed form `1 − α^(1/n)` for no failure.

use semrob::certify::{clopper_pearson_upper, max_certifiable_failures, min_samples};
use serde_json::Value;

fn reference_rows() -> Vec<(usize, usize, f64, f64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/statistics");
    let mut rows = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no reference files in {}", dir.display());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        for r in json["rows"].as_array().expect("rows") {
            let int = |f: &str| r[f].as_u64().unwrap_or_else(|| panic!("{f} in {r}")) as usize;
            let real = |f: &str| r[f].as_f64().unwrap_or_else(|| panic!("{f} in {r}"));
            rows.push((int("k"), int("n"), real("alpha"), real("upper")));
        }
    }
    rows
}

#[test]
fn every_reference_bound_is_matched_to_1e_10() {
    let rows = reference_rows();
    assert!(rows.len() >= 100, "{} rows", rows.len());
    for (k, n, alpha, upper) in rows {
        let u = clopper_pearson_upper(k, n, alpha);
        // The references carry 12 significant digits.
        assert!(
            (u - upper).abs() <= 1e-10 * upper,
            "k {k} n {n} α {alpha}: {u} vs {upper}"
        );
    }
}

#[test]
fn no_failure_is_one_minus_alpha_to_the_one_over_n() {
    for n in [1usize, 3, 22, 59, 688, 5000] {
        for alpha in [0.1f64, 0.05, 0.001] {
            let closed = 1.0 - alpha.powf(1.0 / n as f64);
            let u = clopper_pearson_upper(0, n, alpha);
            assert!((u - closed).abs() <= 1e-12 * closed, "n {n} α {alpha}");
        }
    }
}

#[test]
fn the_known_textbook_value() {
    assert!((clopper_pearson_upper(1, 100, 0.05) - 0.0466).abs() < 5e-5);
}

#[test]
fn sample_plans_match_ln_alpha_over_ln_one_minus_p() {
    assert_eq!(min_samples(0.001, 0.01), 688);
    assert_eq!(min_samples(0.05, 0.05), 59);
    assert_eq!(min_samples(0.1, 0.1), 22);
    assert_eq!(max_certifiable_failures(21, 0.1, 0.1), None);
    assert_eq!(max_certifiable_failures(22, 0.1, 0.1), Some(0));
}
