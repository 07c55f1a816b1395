//! The one-sided Clopper–Pearson bound equals every reference value of
//! `../shared/data/statistics` (12 significant digits, computed independently) to 1e-10
//! relative, the closed form `1 − α^(1/n)` for no failure, the root of the closed-form
//! binomial sum for one failure to 1e-12, and the normal bound at a million draws; it is NaN
//! for α outside (0, 1). A sample plan is the least n whose failure-free bound is at most p,
//! at the boundary shares too.

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

/// `P(Bin(n, p) ≤ 1) = (1 − p)ⁿ⁻¹ (1 + (n − 1) p)`, in logarithms (accurate to a few ulps).
fn ln_cdf_of_one_failure(n: usize, p: f64) -> f64 {
    let m = (n - 1) as f64;
    m * (-p).ln_1p() + (m * p).ln_1p()
}

#[test]
fn the_bound_is_the_root_to_1e_12_relative() {
    // SPEC §8 promises the root to a relative width of 1e-15. With one failure the binomial
    // sum has a closed form: it must be above α a relative 1e-12 below the bound and below α
    // a relative 1e-12 above it (ln P moves by about 4e-12 there, far above its rounding).
    for n in [1_000usize, 10_000, 100_000] {
        for alpha in [0.05f64, 0.001] {
            let u = clopper_pearson_upper(1, n, alpha);
            let below = ln_cdf_of_one_failure(n, u * (1.0 - 1e-12));
            let above = ln_cdf_of_one_failure(n, u * (1.0 + 1e-12));
            assert!(
                below > alpha.ln() && above < alpha.ln(),
                "n {n} α {alpha}: u {u}, ln P {below} / {above} against ln α {}",
                alpha.ln()
            );
        }
    }
}

#[test]
fn a_failing_share_of_nine_tenths_is_the_normal_bound_at_a_million_draws() {
    // k = 900 000 of n = 10⁶: the bisection's first midpoints are far below the root, where
    // the binomial terms relative to the k-th overflow f64 (the sum is rescaled). For large
    // n the bound is p̂ + z √(p̂ (1 − p̂) / n) up to terms of order 1/n (about 2e-6 here).
    let (k, n, alpha) = (900_000usize, 1_000_000usize, 0.05);
    let z = 1.644_853_626_951_472_2; // the standard normal's 95 % quantile
    let p = k as f64 / n as f64;
    let normal = p + z * (p * (1.0 - p) / n as f64).sqrt();
    let u = clopper_pearson_upper(k, n, alpha);
    assert!((u - normal).abs() < 1e-5, "{u} against {normal}");
}

#[test]
fn a_confidence_outside_zero_one_bounds_nothing() {
    // SPEC §8: α must lie in (0, 1); anything else is NaN, whatever was drawn.
    for alpha in [0.0, -0.0, -0.5, 1.0, 1.5, f64::INFINITY, f64::NAN] {
        for (k, n) in [(0, 0), (0, 10), (1, 10), (10, 10)] {
            let u = clopper_pearson_upper(k, n, alpha);
            assert!(u.is_nan(), "k {k} n {n} α {alpha}: {u}");
        }
    }
}

#[test]
fn a_plan_outside_zero_one_is_refused() {
    for bad in [0.0, -0.5, 1.0, 1.5, f64::INFINITY, f64::NAN] {
        assert_eq!(min_samples(bad, 0.05), usize::MAX, "α {bad}");
        assert_eq!(min_samples(0.05, bad), usize::MAX, "p {bad}");
    }
    // A share so small that the plan would pass 10¹⁵ draws cannot be reached either.
    assert_eq!(min_samples(0.05, 1e-17), usize::MAX);
}

/// The next float above (`up`) or below a positive finite `x`.
fn ulp_step(x: f64, up: bool) -> f64 {
    assert!(x > 0.0 && x.is_finite());
    f64::from_bits(if up { x.to_bits() + 1 } else { x.to_bits() - 1 })
}

#[test]
fn the_plan_is_the_least_n_whose_failure_free_bound_is_at_most_p_even_at_the_boundary() {
    // `min_samples(α, p)` is, by definition, the least n with `upper(0, n, α) ≤ p`. At
    // p = upper(0, m, α) itself that is m; one float below it, m + 1; one float above, m.
    // Near these shares ln α / ln(1 − p) rounds to either side of m, so both of the
    // estimate's corrections (down and up) are exercised.
    let least = |alpha: f64, p: f64| {
        let n = min_samples(alpha, p);
        assert!(
            n >= 1 && clopper_pearson_upper(0, n, alpha) <= p,
            "α {alpha} p {p}: {n}"
        );
        assert!(
            clopper_pearson_upper(0, n - 1, alpha) > p,
            "α {alpha} p {p}: {n}"
        );
        n
    };
    for alpha in [0.2, 0.05, 0.01, 0.001] {
        for m in 1..=300usize {
            let u = clopper_pearson_upper(0, m, alpha);
            assert_eq!(least(alpha, u), m, "α {alpha} m {m}");
            assert_eq!(
                least(alpha, ulp_step(u, false)),
                m + 1,
                "α {alpha} m {m}, below"
            );
            assert_eq!(least(alpha, ulp_step(u, true)), m, "α {alpha} m {m}, above");
        }
        // A tiny share: about 3·10⁹ draws, found from the estimate, not by counting.
        let n = least(alpha, 1e-9);
        let estimate = alpha.ln() / (-1e-9f64).ln_1p();
        assert!(
            (n as f64 - estimate).abs() <= 1.0,
            "α {alpha}: {n} against {estimate}"
        );
    }
}
