//! [`BatchSize`]: the largest render and network batch, checked once (≥ 1).

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

/// The largest number of images rendered and classified together (≥ 1): `--batch`, a
/// configuration's `batch` and [`super::ClassifierFunction::with_batch`] all take one, so
/// `batch ≥ 1` is checked in one place, when the number is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchSize(NonZeroUsize);

/// A batch of 0 images: "must be ≥ 1".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be ≥ 1")]
pub struct ZeroBatch;

/// Why a text is not a [`BatchSize`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchSizeError {
    #[error("{0:?} is not a whole number")]
    NotANumber(String),
    #[error("0: the largest network batch {0}")]
    Zero(#[source] ZeroBatch),
}

impl BatchSize {
    /// The default largest network batch of a function on a network: 32.
    pub const DEFAULT: BatchSize = BatchSize(NonZeroUsize::new(32).expect("32 ≥ 1"));

    /// `n` images, refused when 0.
    pub fn new(n: usize) -> Result<BatchSize, ZeroBatch> {
        NonZeroUsize::new(n).map(BatchSize).ok_or(ZeroBatch)
    }

    pub fn get(self) -> usize {
        self.0.get()
    }
}

impl Default for BatchSize {
    fn default() -> Self {
        BatchSize::DEFAULT
    }
}

impl From<BatchSize> for usize {
    fn from(b: BatchSize) -> usize {
        b.get()
    }
}

impl FromStr for BatchSize {
    type Err = BatchSizeError;

    fn from_str(s: &str) -> Result<BatchSize, BatchSizeError> {
        let n: usize = s
            .trim()
            .parse()
            .map_err(|_| BatchSizeError::NotANumber(s.to_string()))?;
        BatchSize::new(n).map_err(BatchSizeError::Zero)
    }
}

impl fmt::Display for BatchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_and_every_other_count_kept() {
        assert_eq!(BatchSize::new(0), Err(ZeroBatch));
        assert_eq!(BatchSize::new(7).map(BatchSize::get), Ok(7));
        assert_eq!(
            "0".parse::<BatchSize>(),
            Err(BatchSizeError::Zero(ZeroBatch))
        );
        assert!(matches!(
            "x".parse::<BatchSize>(),
            Err(BatchSizeError::NotANumber(_))
        ));
        assert_eq!("18".parse::<BatchSize>().map(BatchSize::get), Ok(18));
        assert_eq!(BatchSize::DEFAULT.get(), 32);
    }
}
