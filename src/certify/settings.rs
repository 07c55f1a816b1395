//! What a certificate is asked to show, and how (SPEC §8).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::stats::min_samples;
use super::CertifyError;

/// What makes a sample fail (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// The score `f(u)` against the threshold `t`: a robust sample fails when `f < t`, an
    /// adversarial one when `f > t` (a score equal to `t` passes either way).
    #[default]
    Score,
    /// The network's top-1 class: a robust sample fails when it is not the label, an
    /// adversarial one when it is.
    Top1,
}

impl Criterion {
    /// `score` or `top1`, as in configurations.
    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Score => "score",
            Criterion::Top1 => "top1",
        }
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Criterion {
    type Err = CertifyError;
    fn from_str(s: &str) -> Result<Criterion, CertifyError> {
        [Criterion::Score, Criterion::Top1]
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| CertifyError::UnknownCriterion {
                given: s.to_string(),
            })
    }
}

/// The settings of a box's certificate (SPEC §8).
///
/// `Default`: 100 samples, confidence 0.95, a share of 0.05, the score criterion, the
/// caller's threshold, no clean box, batches of 8. (59 failure-free samples are the least
/// that certify 0.05 at 95 %; 100 leave room for one failure.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CertifySettings {
    /// `n`, the samples planned per box.
    pub samples: usize,
    /// `1 − α`, in `(0, 1)`.
    pub confidence: f64,
    /// `p`, the failing share to certify against, in `(0, 1)`.
    pub max_share: f64,
    /// What makes a sample fail.
    pub criterion: Criterion,
    /// The score threshold `t` on `f`; `None`: the caller's acceptance threshold
    /// (`min_mean_score`).
    pub threshold: Option<f64>,
    /// Whether the caller also reports the largest clean box on the job's map
    /// ([`super::clean_box`]).
    pub clean: bool,
    /// Samples in the first round; later rounds double up to 4 × `batch` (SPEC §8).
    pub batch: usize,
}

impl Default for CertifySettings {
    fn default() -> Self {
        CertifySettings {
            samples: 100,
            confidence: 0.95,
            max_share: 0.05,
            criterion: Criterion::Score,
            threshold: None,
            clean: false,
            batch: 8,
        }
    }
}

impl CertifySettings {
    /// `α = 1 − confidence`.
    pub fn alpha(&self) -> f64 {
        1.0 - self.confidence
    }

    /// Checks every field, naming the first that is wrong: confidence and max_share in
    /// `(0, 1)`, samples at least [`min_samples`], a batch of at least 1, a threshold (when
    /// given) in `[0, 1]`.
    pub fn check(&self) -> Result<(), CertifyError> {
        let open_unit = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        if !open_unit(self.confidence) || !open_unit(self.alpha()) {
            return Err(CertifyError::Confidence {
                value: self.confidence,
            });
        }
        if !open_unit(self.max_share) {
            return Err(CertifyError::MaxShare {
                value: self.max_share,
            });
        }
        let smallest = min_samples(self.alpha(), self.max_share);
        if self.samples < smallest {
            return Err(CertifyError::TooFewSamples {
                value: self.samples,
                smallest,
                confidence: self.confidence,
                max_share: self.max_share,
            });
        }
        if self.batch == 0 {
            return Err(CertifyError::Batch);
        }
        if let Some(t) = self.threshold {
            check_threshold(t)?;
        }
        Ok(())
    }

    /// The threshold in force: the setting's, else the caller's.
    pub fn threshold_or(&self, caller: f64) -> f64 {
        self.threshold.unwrap_or(caller)
    }
}

/// A threshold must be a number in `[0, 1]`.
pub(crate) fn check_threshold(t: f64) -> Result<(), CertifyError> {
    if (0.0..=1.0).contains(&t) {
        Ok(())
    } else {
        Err(CertifyError::Threshold { value: t })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_read_and_print_their_names() {
        for c in [Criterion::Score, Criterion::Top1] {
            assert_eq!(c.to_string().parse::<Criterion>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{c}\""));
        }
        let e = "top5".parse::<Criterion>().unwrap_err();
        assert!(matches!(&e, CertifyError::UnknownCriterion { given } if given == "top5"));
        assert!(e.to_string().contains("score or top1"), "{e}");
    }

    #[test]
    fn the_default_settings_check() {
        let s = CertifySettings::default();
        s.check().unwrap();
        assert!((s.alpha() - 0.05).abs() < 1e-15);
    }

    #[test]
    fn each_bad_field_is_named() {
        let base = CertifySettings::default();
        for v in [0.0, 1.0, -0.5, f64::NAN, f64::INFINITY] {
            let s = CertifySettings {
                confidence: v,
                ..base.clone()
            };
            assert!(
                matches!(s.check(), Err(CertifyError::Confidence { .. })),
                "{v}"
            );
            let s = CertifySettings {
                max_share: v,
                ..base.clone()
            };
            assert!(
                matches!(s.check(), Err(CertifyError::MaxShare { .. })),
                "{v}"
            );
        }
        let s = CertifySettings {
            samples: 58,
            ..base.clone()
        };
        match s.check() {
            Err(e @ CertifyError::TooFewSamples { smallest: 59, .. }) => {
                assert!(e.to_string().contains("at least 59"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let s = CertifySettings {
            batch: 0,
            ..base.clone()
        };
        assert!(matches!(s.check(), Err(CertifyError::Batch)));
        for t in [-0.1, 1.5, f64::NAN] {
            let s = CertifySettings {
                threshold: Some(t),
                ..base.clone()
            };
            assert!(
                matches!(s.check(), Err(CertifyError::Threshold { .. })),
                "{t}"
            );
        }
    }

    /// The confidence and α = 1 − confidence must both lie in (0, 1): a confidence so small
    /// that 1 − c rounds to 1 (c ≤ 2⁻⁵⁴) is in (0, 1) itself, but certifies nothing (α = 1).
    #[test]
    fn a_confidence_whose_alpha_rounds_to_one_is_refused() {
        for c in [1e-17, f64::MIN_POSITIVE, 2f64.powi(-54)] {
            assert!(c > 0.0 && c < 1.0);
            let s = CertifySettings {
                confidence: c,
                ..CertifySettings::default()
            };
            assert_eq!(s.alpha(), 1.0, "{c}");
            assert!(
                matches!(s.check(), Err(CertifyError::Confidence { value }) if value == c),
                "{c}: {:?}",
                s.check()
            );
        }
        // Just above 2⁻⁵⁴, α is the float below 1 and the confidence stands (given samples).
        let s = CertifySettings {
            confidence: 2f64.powi(-52),
            samples: 1 << 20,
            max_share: 0.5,
            ..CertifySettings::default()
        };
        assert!(s.alpha() < 1.0);
        s.check().unwrap();
    }

    #[test]
    fn settings_read_from_toml_with_defaults() {
        let s: CertifySettings =
            toml::from_str("samples = 300\ncriterion = \"top1\"\nthreshold = 0.5").unwrap();
        assert_eq!(s.samples, 300);
        assert_eq!(s.criterion, Criterion::Top1);
        assert_eq!(s.threshold, Some(0.5));
        assert_eq!(s.batch, 8);
    }
}
