//! Coverage: on step functions whose failing share q of the box is known exactly, over
//! 2 000 seeds, boxes with q > p are certified at a rate of at most α (plus three binomial
//! standard errors of the simulation), the rate is the exact binomial probability of seeing
//! at most the affordable failures, and boxes with q = 0 are always certified. For either
//! goal, and in 1, 2 and 3 dimensions.

use crate::support::{binomial_cdf, StepHole};
use semrob::certify::{
    certificate_seed, certify_function, max_certifiable_failures, CertifySettings, Verdict,
};
use semrob::region::Goal;

const SEEDS: usize = 2_000;

/// The share of `SEEDS` certificates of the unit box with a hole of share `q` that certify.
fn certified_rate(n: usize, q: f64, goal: Goal, s: &CertifySettings) -> f64 {
    // Robust: the hole scores 0 (fails below 0.5). Adversarial: the hole scores 1 (fails
    // above 0.5) and the rest 0.
    let f = match goal {
        Goal::Robust => StepHole::unit(n, q, 0.0, 1.0),
        Goal::Adversarial => StepHole::unit(n, q, 1.0, 0.0),
    };
    let (lo, hi) = (vec![0.0; n], vec![1.0; n]);
    let certified = (0..SEEDS)
        .filter(|&i| {
            let seed = certificate_seed("coverage", &format!("{n}/{q}/{goal}"), i);
            let c = certify_function(&f, &lo, &hi, goal, s, 0.5, seed).unwrap();
            assert!(c.verdict != Verdict::NotCertified || c.samples == c.planned);
            c.is_certified()
        })
        .count();
    certified as f64 / SEEDS as f64
}

#[test]
fn boxes_failing_on_more_than_p_are_certified_at_most_at_rate_alpha() {
    // (samples, confidence, p): no failure affordable, then one and several.
    // Each plan on its own dimension and goal.
    let plans = [
        (40, 0.9, 0.06, 1, Goal::Robust),
        (60, 0.95, 0.05, 2, Goal::Adversarial),
        (60, 0.8, 0.1, 3, Goal::Robust),
    ];
    for (samples, confidence, max_share, n, goal) in plans {
        let s = CertifySettings {
            samples,
            confidence,
            max_share,
            ..CertifySettings::default()
        };
        let alpha = s.alpha();
        let kmax = max_certifiable_failures(samples, alpha, max_share).unwrap();
        for q in [max_share * 1.01, 1.5 * max_share, 0.5] {
            let rate = certified_rate(n, q, goal, &s);
            let expected = binomial_cdf(kmax, samples, q);
            assert!(expected <= alpha, "the plan itself: {expected} > {alpha}");
            let se = (alpha * (1.0 - alpha) / SEEDS as f64).sqrt();
            assert!(
                rate <= alpha + 3.0 * se,
                "n {n} {goal} q {q} plan {samples}/{confidence}/{max_share}: {rate}"
            );
            let se_q = (expected * (1.0 - expected) / SEEDS as f64)
                .sqrt()
                .max(1e-3);
            assert!(
                (rate - expected).abs() <= 4.0 * se_q,
                "n {n} {goal} q {q}: rate {rate}, binomial {expected}"
            );
        }
    }
}

#[test]
fn clean_boxes_are_always_certified() {
    let s = CertifySettings {
        samples: 59,
        ..CertifySettings::default()
    };
    for goal in [Goal::Robust, Goal::Adversarial] {
        assert_eq!(certified_rate(2, 0.0, goal, &s), 1.0, "{goal}");
    }
}
