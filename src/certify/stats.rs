//! One-sided Clopper–Pearson bounds on a binomial proportion (SPEC §8).
//!
//! For `k` failures in `n` independent draws, the exact one-sided upper bound at confidence
//! `1 − α` is the proportion `p` at which seeing `k` or fewer failures has probability `α`:
//! `P(Bin(n, p) ≤ k) = α`. It is found here by bisection on the exact binomial sum, summed
//! in ratio form from its largest terms down (no cancellation, no log-gamma), so it is exact
//! to rounding: the root is located to a relative width of 1e-15.

/// The one-sided Clopper–Pearson upper bound on the failing share after `failures` failures
/// in `n` draws, at confidence `1 − alpha`: the `p` with `P(Bin(n, p) ≤ k) = α` (SPEC §8).
///
/// `k = 0` has the closed form `1 − α^(1/n)`; `k ≥ n` (and `n = 0`: nothing drawn) gives 1.
/// `alpha` must lie in `(0, 1)`; anything else (NaN included) gives NaN, which certifies
/// nothing (`NaN ≤ p` is false).
pub fn clopper_pearson_upper(failures: usize, n: usize, alpha: f64) -> f64 {
    let valid = alpha > 0.0 && alpha < 1.0;
    if !valid {
        return f64::NAN;
    }
    if n == 0 || failures >= n {
        return 1.0;
    }
    if failures == 0 {
        // 1 − α^(1/n), without the cancellation of 1 − (something near 1).
        return -(alpha.ln() / n as f64).exp_m1();
    }
    let log_choose = log_binomial(n, failures);
    let target = alpha.ln();
    // P(Bin(n, p) ≤ k) falls from 1 at p = 0 to 0 at p = 1: bisect on its logarithm.
    // The bound for k is at least the bound for k = 0.
    let mut lo = -(alpha.ln() / n as f64).exp_m1();
    let mut hi = 1.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi || hi - lo <= 1e-15 * hi {
            break;
        }
        if log_binomial_cdf(failures, n, mid, log_choose) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The smallest `n` at which no failure in `n` draws certifies a failing share of at most
/// `max_share` at confidence `1 − alpha`: the least `n ≥ ln α / ln(1 − p)`, settled at the
/// boundary by [`clopper_pearson_upper`] itself. `usize::MAX` when no `n` can (`max_share`
/// not in `(0, 1)` or `alpha` not in `(0, 1)`) or none below 10¹⁵ draws does.
pub fn min_samples(alpha: f64, max_share: f64) -> usize {
    let valid = alpha > 0.0 && alpha < 1.0 && max_share > 0.0 && max_share < 1.0;
    if !valid {
        return usize::MAX;
    }
    let estimate = (alpha.ln() / (-max_share).ln_1p()).ceil();
    if estimate.is_nan() || estimate >= 1e15 {
        return usize::MAX;
    }
    let mut n = (estimate as usize).max(1);
    // The estimate is off by at most one either way in floating point.
    while n > 1 && clopper_pearson_upper(0, n - 1, alpha) <= max_share {
        n -= 1;
    }
    while clopper_pearson_upper(0, n, alpha) > max_share {
        n += 1;
    }
    n
}

/// The largest number of failures in `n` draws that still certifies a failing share of at
/// most `max_share` at confidence `1 − alpha` (`clopper_pearson_upper(k, n, α) ≤ p`), or
/// `None` when even no failure does. A certificate stops drawing once its failures exceed
/// it (SPEC §8, early refutation).
pub fn max_certifiable_failures(n: usize, alpha: f64, max_share: f64) -> Option<usize> {
    let certifies = |k: usize| clopper_pearson_upper(k, n, alpha) <= max_share;
    if !certifies(0) {
        return None;
    }
    // The bound grows with k: bisect for the last k that certifies (k = n never does while
    // p < 1, and always does for p ≥ 1).
    if certifies(n) {
        return Some(n);
    }
    let (mut good, mut bad) = (0usize, n);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if certifies(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Some(good)
}

/// `ln C(n, k)` as a sum of logarithms of exact ratios (`k ≤ n`).
fn log_binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (1..=k).map(|j| ((n - k + j) as f64 / j as f64).ln()).sum()
}

/// `ln P(Bin(n, p) ≤ k)` for `0 < k < n`, `0 < p < 1`, given `ln C(n, k)`.
///
/// The terms `t_i = C(n, i) pⁱ (1 − p)ⁿ⁻ⁱ` are summed from `i = k` down in ratio form,
/// `t_{i−1} / t_i = i (1 − p) / ((n − i + 1) p)`, relative to `t_k`; the ratio shrinks as
/// `i` falls, so once it is below 1 the rest of the sum is at most `t_i r / (1 − r)` and the
/// loop stops when that is below 1e-17 of the sum. The running sum is rescaled before it
/// could overflow.
fn log_binomial_cdf(k: usize, n: usize, p: f64, log_choose: f64) -> f64 {
    let log_tk = log_choose + k as f64 * p.ln() + (n - k) as f64 * (-p).ln_1p();
    let odds = (1.0 - p) / p;
    let (mut sum, mut term, mut log_scale) = (1.0f64, 1.0f64, 0.0f64);
    let mut i = k;
    while i > 0 {
        let r = i as f64 / (n - i + 1) as f64 * odds;
        term *= r;
        sum += term;
        if sum > 1e250 {
            log_scale += sum.ln();
            term /= sum;
            sum = 1.0;
        }
        i -= 1;
        if r < 1.0 && term * r / (1.0 - r) < 1e-17 * sum {
            break;
        }
    }
    log_tk + log_scale + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_in_a_hundred_at_95_percent_is_0_0466() {
        let u = clopper_pearson_upper(1, 100, 0.05);
        assert_eq!(format!("{u:.4}"), "0.0466");
    }

    #[test]
    fn no_failure_is_the_closed_form() {
        for n in [1usize, 2, 7, 59, 100, 688, 10_000] {
            for alpha in [0.2, 0.05, 0.01, 0.001] {
                let u = clopper_pearson_upper(0, n, alpha);
                let closed = 1.0 - alpha.powf(1.0 / n as f64);
                assert!((u - closed).abs() <= 1e-12 * closed, "n {n} α {alpha}");
            }
        }
    }

    #[test]
    fn the_bound_solves_the_binomial_equation() {
        // At the bound, P(Bin(n, u) ≤ k) = α, by an independent direct sum of the terms.
        for (k, n, alpha) in [(1, 10, 0.05), (3, 40, 0.01), (17, 200, 0.1), (5, 6, 0.05)] {
            let u = clopper_pearson_upper(k, n, alpha);
            let cdf: f64 = (0..=k)
                .map(|i| {
                    let c: f64 = (0..i).map(|j| (n - j) as f64 / (j + 1) as f64).product();
                    c * u.powi(i as i32) * (1.0 - u).powi((n - i) as i32)
                })
                .sum();
            assert!((cdf - alpha).abs() <= 1e-10 * alpha, "k {k} n {n}: {cdf}");
        }
    }

    #[test]
    fn all_failures_or_no_draw_bound_nothing() {
        assert_eq!(clopper_pearson_upper(10, 10, 0.05), 1.0);
        assert_eq!(clopper_pearson_upper(0, 0, 0.05), 1.0);
        assert!(clopper_pearson_upper(1, 10, 1.0).is_nan());
        assert!(clopper_pearson_upper(1, 10, f64::NAN).is_nan());
    }

    #[test]
    fn large_samples_stay_finite_and_ordered() {
        // Terms that underflow (n = 10⁶) and sums that would overflow are handled.
        let u = clopper_pearson_upper(5_000, 1_000_000, 0.001);
        assert!(u > 0.005 && u < 0.0053, "{u}");
        let mut last = 0.0;
        for k in [0, 1, 2, 10, 100, 999] {
            let u = clopper_pearson_upper(k, 1_000, 0.05);
            assert!(u > last, "k {k}");
            last = u;
        }
    }

    #[test]
    fn min_samples_match_the_known_values_and_their_boundary() {
        for (alpha, p, n) in [(0.001, 0.01, 688), (0.05, 0.05, 59), (0.1, 0.1, 22)] {
            assert_eq!(min_samples(alpha, p), n, "α {alpha} p {p}");
            assert!(clopper_pearson_upper(0, n, alpha) <= p);
            assert!(clopper_pearson_upper(0, n - 1, alpha) > p);
        }
        assert_eq!(min_samples(0.05, 0.0), usize::MAX);
        assert_eq!(min_samples(0.05, 0.999_999), 1);
    }

    #[test]
    fn max_certifiable_failures_is_the_last_k_that_certifies() {
        assert_eq!(max_certifiable_failures(58, 0.05, 0.05), None);
        assert_eq!(max_certifiable_failures(59, 0.05, 0.05), Some(0));
        for (n, alpha, p) in [(100, 0.05, 0.05), (1000, 0.001, 0.01), (300, 0.1, 0.2)] {
            let k = max_certifiable_failures(n, alpha, p).unwrap();
            assert!(clopper_pearson_upper(k, n, alpha) <= p);
            assert!(clopper_pearson_upper(k + 1, n, alpha) > p);
        }
    }
}
