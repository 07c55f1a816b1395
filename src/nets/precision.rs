//! The number format a classifier computes in (`--precision`).

use std::fmt;
use std::str::FromStr;

/// The dtype of a classifier's weights and activations. Inputs are converted after the
/// normalisation, and the logits back to f32 before the softmax, so scores are f32 always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Precision {
    /// IEEE single precision: the default, and the only one the golden files use.
    #[default]
    F32,
    /// bfloat16 (8 exponent bits, 7 mantissa bits): f32's range, about 3 significant digits.
    Bf16,
    /// IEEE half precision (5 exponent bits, 10 mantissa bits).
    F16,
}

/// A precision name that is none of `f32`, `bf16`, `f16`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown precision {0:?} (known: f32, bf16, f16)")]
pub struct UnknownPrecision(pub String);

impl Precision {
    pub const ALL: [Precision; 3] = [Precision::F32, Precision::Bf16, Precision::F16];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
            Precision::F16 => "f16",
        }
    }

    /// The libtorch dtype.
    #[cfg(feature = "torch")]
    pub fn kind(self) -> tch::Kind {
        match self {
            Precision::F32 => tch::Kind::Float,
            Precision::Bf16 => tch::Kind::BFloat16,
            Precision::F16 => tch::Kind::Half,
        }
    }
}

impl FromStr for Precision {
    type Err = UnknownPrecision;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPrecision(s.into()))
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for p in Precision::ALL {
            assert_eq!(p.name().parse::<Precision>().unwrap(), p);
        }
        let e = "fp16".parse::<Precision>().unwrap_err().to_string();
        assert!(e.contains("\"fp16\"") && e.contains("bf16"), "{e}");
        assert_eq!(Precision::default(), Precision::F32);
    }
}
