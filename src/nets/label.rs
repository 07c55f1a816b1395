//! An ImageNet class index, checked once where it enters the program.

use std::fmt;
use std::str::FromStr;

/// How many classes the ImageNet networks have.
pub const IMAGENET_CLASSES: usize = 1000;

/// An ImageNet class index `k`, `0 ≤ k < 1000` (the true label of a shape, SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(u16);

/// A label outside `0..1000`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("{0} is outside the ImageNet labels 0–999")]
    OutOfRange(usize),
    #[error("{0:?} is not a class index (an integer 0–999)")]
    NotANumber(String),
}

impl Label {
    pub fn new(k: usize) -> Result<Label, LabelError> {
        if k < IMAGENET_CLASSES {
            Ok(Label(k as u16))
        } else {
            Err(LabelError::OutOfRange(k))
        }
    }

    /// The class index, for indexing a network's output.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl FromStr for Label {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Label, LabelError> {
        let k: usize = text
            .trim()
            .parse()
            .map_err(|_| LabelError::NotANumber(text.to_string()))?;
        Label::new(k)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_0_to_999() {
        assert_eq!(Label::new(0).unwrap().index(), 0);
        assert_eq!(Label::new(999).unwrap().index(), 999);
        assert_eq!(Label::new(1000), Err(LabelError::OutOfRange(1000)));
        assert_eq!("883".parse::<Label>().unwrap().index(), 883);
        assert_eq!(
            "-1".parse::<Label>(),
            Err(LabelError::NotANumber("-1".into()))
        );
        assert_eq!(
            Label::new(4000).unwrap_err().to_string(),
            "4000 is outside the ImageNet labels 0–999"
        );
    }
}
