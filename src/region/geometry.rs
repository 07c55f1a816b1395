//! Boxes, their corners and the trapezoid rule (SPEC §2).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::RegionError;

/// The largest `n` supported: a step evaluates `2ⁿ` corners (`2ⁿ⁺¹` with the outer box).
pub const MAX_DIM: usize = 20;

/// An axis-aligned box `D = [a, b] ⊂ Rⁿ` with `a < b` componentwise (SPEC §2).
///
/// Serialised as `{"lower": [...], "upper": [...]}`; deserialisation validates like
/// [`Region::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "RegionBounds", try_from = "RegionBounds")]
pub struct Region {
    lower: DVector<f64>,
    upper: DVector<f64>,
}

/// The serialised form of a [`Region`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RegionBounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl From<Region> for RegionBounds {
    fn from(r: Region) -> Self {
        RegionBounds {
            lower: r.lower.iter().copied().collect(),
            upper: r.upper.iter().copied().collect(),
        }
    }
}

impl TryFrom<RegionBounds> for Region {
    type Error = RegionError;
    fn try_from(b: RegionBounds) -> Result<Self, RegionError> {
        Region::new(b.lower, b.upper)
    }
}

/// Parses one finite number of a command-line list, naming the text it came from.
fn parse_finite(text: &str, part: &str) -> Result<f64, String> {
    match part.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("{part:?} in {text:?} is not finite")),
        Err(_) => Err(format!("{part:?} in {text:?} is not a number")),
    }
}

/// `LO:HI,LO:HI,...`, one `LO:HI` per dimension (the command line's `--domain`).
impl std::str::FromStr for Region {
    type Err = String;

    fn from_str(text: &str) -> Result<Region, String> {
        let mut lower = Vec::new();
        let mut upper = Vec::new();
        for part in text.split(',') {
            let Some((lo, hi)) = part.split_once(':') else {
                return Err(format!("{part:?} in {text:?} is not LO:HI"));
            };
            lower.push(parse_finite(text, lo)?);
            upper.push(parse_finite(text, hi)?);
        }
        Region::new(lower, upper).map_err(|e| format!("{text:?}: {e}"))
    }
}

/// A point `X,Y,...` of the semantic space: a start of a region run (`--init`).
#[derive(Debug, Clone, PartialEq)]
pub struct Point(pub Vec<f64>);

impl std::str::FromStr for Point {
    type Err = String;

    fn from_str(text: &str) -> Result<Point, String> {
        text.split(',')
            .map(|part| parse_finite(text, part))
            .collect::<Result<_, _>>()
            .map(Point)
    }
}

impl Region {
    /// The box `[lower, upper]`: same length `n` with `1 ≤ n ≤ MAX_DIM`, finite bounds and
    /// `lower_i < upper_i`.
    pub fn new(
        lower: impl Into<DVector<f64>>,
        upper: impl Into<DVector<f64>>,
    ) -> Result<Region, RegionError> {
        let (lower, upper) = (lower.into(), upper.into());
        let n = lower.len();
        if n == 0 {
            return Err(RegionError::NoDimensions);
        }
        if n > MAX_DIM {
            return Err(RegionError::TooManyDimensions { n, max: MAX_DIM });
        }
        if upper.len() != n {
            return Err(RegionError::DimensionMismatch {
                what: "upper",
                expected: n,
                got: upper.len(),
            });
        }
        for (which, v) in [("lower", &lower), ("upper", &upper)] {
            if let Some(index) = v.iter().position(|x| !x.is_finite()) {
                return Err(RegionError::NonFiniteBound {
                    which,
                    index,
                    value: v[index],
                });
            }
        }
        if let Some(index) = (0..n).find(|&i| lower[i] >= upper[i]) {
            return Err(RegionError::EmptySide {
                index,
                lower: lower[index],
                upper: upper[index],
            });
        }
        Ok(Region { lower, upper })
    }

    /// The lower bounds `a`.
    pub fn lower(&self) -> &DVector<f64> {
        &self.lower
    }

    /// The upper bounds `b`.
    pub fn upper(&self) -> &DVector<f64> {
        &self.upper
    }

    /// The dimension `n`.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// The side lengths `r = b − a`.
    pub fn sides(&self) -> DVector<f64> {
        &self.upper - &self.lower
    }

    /// The volume `|D| = Π r_i`.
    pub fn volume(&self) -> f64 {
        self.sides().iter().product()
    }

    /// The measure of each face pair: `Π_{k≠i} r_k` for every `i` (`= |D| / r_i`, computed
    /// without the division so that it stays exact in 1-D and accurate for tiny sides).
    pub fn face_measures(&self) -> DVector<f64> {
        let r = self.sides();
        DVector::from_fn(self.dim(), |i, _| {
            r.iter()
                .enumerate()
                .filter(|&(k, _)| k != i)
                .map(|(_, v)| v)
                .product()
        })
    }

    /// Whether `u ∈ D` (bounds included).
    pub fn contains(&self, u: &[f64]) -> bool {
        u.len() == self.dim()
            && u.iter()
                .enumerate()
                .all(|(i, &x)| self.lower[i] <= x && x <= self.upper[i])
    }

    /// The corner matrix `C_D` (SPEC §2): row `j` is corner `j`, which takes `b_i` where
    /// `M[i, j] = 1` and `a_i` elsewhere. Bounds are copied, not recomputed as `a + r`, so
    /// every corner coordinate is exactly a bound.
    pub fn corners(&self) -> DMatrix<f64> {
        let n = self.dim();
        DMatrix::from_fn(1 << n, n, |j, i| {
            if corner_bit(n, i, j) {
                self.upper[i]
            } else {
                self.lower[i]
            }
        })
    }

    /// The outer box `Ω_D = [a − (α/2) r, b + (α/2) r]` of the OIR methods (SPEC §3).
    ///
    /// For `α > −1` (the methods use `α > 0`, which [`super::HyperParams::validate`] checks);
    /// `α ≤ −1` would turn the box inside out and panics.
    pub fn outer(&self, alpha: f64) -> Region {
        assert!(alpha > -1.0, "outer box with alpha = {alpha} ≤ −1 is empty");
        let half = self.sides() * (alpha / 2.0);
        Region {
            lower: &self.lower - &half,
            upper: &self.upper + &half,
        }
    }

    /// The trapezoid rule `(|D| / 2ⁿ) · 1ᵀ f_D` for `f` at the corners in corner order.
    pub fn trapezoid(&self, f_d: &DVector<f64>) -> f64 {
        self.volume() * f_d.sum() / (1u64 << self.dim()) as f64
    }

    /// A box from bounds already known to be valid (finite, `a < b`).
    pub(crate) fn from_valid(lower: DVector<f64>, upper: DVector<f64>) -> Region {
        debug_assert!(lower.iter().zip(upper.iter()).all(|(a, b)| a < b));
        Region { lower, upper }
    }
}

/// `M[i, j]`: bit `i` of the `n`-bit code of `j`, most significant bit in row 0.
#[inline]
pub fn corner_bit(n: usize, i: usize, j: usize) -> bool {
    (j >> (n - 1 - i)) & 1 == 1
}

/// The mask `M ∈ {0,1}^{n × 2ⁿ}` (SPEC §2).
pub fn mask(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(
        n,
        1 << n,
        |i, j| if corner_bit(n, i, j) { 1.0 } else { 0.0 },
    )
}

/// The complement mask `M^c = 1 − M`.
pub fn mask_complement(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(
        n,
        1 << n,
        |i, j| if corner_bit(n, i, j) { 0.0 } else { 1.0 },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_of_two_dimensions_follow_the_spec_bit_order() {
        // Column j is the 2-bit code of j, MSB in row 0: 00, 01, 10, 11.
        let m = mask(2);
        assert_eq!(
            m,
            DMatrix::from_row_slice(2, 4, &[0., 0., 1., 1., 0., 1., 0., 1.])
        );
        assert_eq!(mask_complement(2), DMatrix::from_element(2, 4, 1.0) - m);
    }

    #[test]
    fn region_new_rejects_bad_boxes() {
        assert!(matches!(
            Region::new(vec![], vec![]),
            Err(RegionError::NoDimensions)
        ));
        assert!(matches!(
            Region::new(vec![0.0], vec![1.0, 2.0]),
            Err(RegionError::DimensionMismatch { got: 2, .. })
        ));
        assert!(matches!(
            Region::new(vec![0.0, f64::NAN], vec![1.0, 2.0]),
            Err(RegionError::NonFiniteBound { index: 1, .. })
        ));
        assert_eq!(
            Region::new(vec![0.0; 21], vec![1.0; 21])
                .unwrap_err()
                .to_string(),
            "n = 21 dimensions is too many: a region has 2ⁿ corners, at most n = 20 is supported"
        );
        let err = Region::new(vec![0.0, 3.0], vec![1.0, 2.0]).unwrap_err();
        assert_eq!(err.to_string(), "lower[1] = 3 must be below upper[1] = 2");
    }

    #[test]
    fn region_round_trips_through_json_and_validates() {
        let r = Region::new(vec![0.0, -1.5], vec![2.0, 4.0]).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"lower":[0.0,-1.5],"upper":[2.0,4.0]}"#);
        assert_eq!(serde_json::from_str::<Region>(&json).unwrap(), r);
        // Refused by `Region::new` (RegionError::EmptySide), whose message serde passes on.
        let e = serde_json::from_str::<Region>(r#"{"lower":[1.0],"upper":[0.0]}"#).unwrap_err();
        assert!(e.is_data(), "{e}");
        assert!(
            e.to_string().starts_with(
                &RegionError::EmptySide {
                    index: 0,
                    lower: 1.0,
                    upper: 0.0
                }
                .to_string()
            ),
            "{e}"
        );
    }

    #[test]
    fn points_and_boxes_parse_from_the_command_line_and_refuse_non_finite_text() {
        let p: Point = " 2.5,-3 ,1e2".parse().unwrap();
        assert_eq!(p, Point(vec![2.5, -3.0, 100.0]));
        let r: Region = "0:360,-10:90".parse().unwrap();
        assert_eq!(r, Region::new(vec![0.0, -10.0], vec![360.0, 90.0]).unwrap());
        let e = "1,inf".parse::<Point>().unwrap_err();
        assert_eq!(e, "\"inf\" in \"1,inf\" is not finite");
        let e = "1,x".parse::<Point>().unwrap_err();
        assert_eq!(e, "\"x\" in \"1,x\" is not a number");
        assert!("0:NaN"
            .parse::<Region>()
            .unwrap_err()
            .contains("not finite"));
        assert!("0-1"
            .parse::<Region>()
            .unwrap_err()
            .contains("is not LO:HI"));
        assert_eq!(
            "2:1".parse::<Region>().unwrap_err(),
            format!(
                "\"2:1\": {}",
                RegionError::EmptySide {
                    index: 0,
                    lower: 2.0,
                    upper: 1.0
                }
            )
        );
    }

    #[test]
    fn outer_box_has_sides_one_plus_alpha_times_r() {
        let r = Region::new(vec![1.0, 2.0], vec![3.0, 6.0]).unwrap();
        let o = r.outer(0.5);
        assert_eq!(o.lower().as_slice(), &[0.5, 1.0]);
        assert_eq!(o.upper().as_slice(), &[3.5, 7.0]);
        assert_eq!(r.volume(), 8.0);
        assert_eq!(r.face_measures().as_slice(), &[4.0, 2.0]);
    }
}
