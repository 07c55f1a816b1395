//! The coordinates a run steps in (SPEC §3, "Coordinates and steps in n dimensions").
//!
//! The step on a bound is η times an integral over its face, a measure in the units of the
//! other `n − 1` axes. In the parameters' own units (degrees, scene units) that mixes units as
//! soon as the axes differ, and the paper's ε start box has faces of measure `(2ε)ⁿ⁻¹`, which
//! for n ≥ 3 is too small for any box to grow. [`Coordinates::Unit`] runs the same method on
//! the domain scaled to the unit cube, so that every axis counts alike and a start box can be
//! given as a fraction of each axis; boxes and traces are reported back in the parameters'
//! units.

use std::fmt;
use std::str::FromStr;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::Region;

/// The coordinates a run steps in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coordinates {
    /// The parameters' own units: the paper's runs. ε, the start half-width, η and λ are in
    /// degrees (or scene units).
    #[default]
    Native,
    /// The domain `[lo, hi]` scaled to `[0, 1]ⁿ` by `v = (u − lo)/(hi − lo)`: ε, the start
    /// half-width, η and λ are fractions of each axis; `f` is evaluated at `lo + (hi − lo) v`
    /// and its gradient scaled by `hi − lo` (the chain rule).
    Unit,
}

impl Coordinates {
    pub fn is_native(&self) -> bool {
        *self == Coordinates::Native
    }

    /// The name used in configurations and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Coordinates::Native => "native",
            Coordinates::Unit => "unit",
        }
    }
}

impl fmt::Display for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Coordinates {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "native" => Ok(Coordinates::Native),
            "unit" => Ok(Coordinates::Unit),
            _ => Err(format!(
                "unknown coordinates {s:?}: expected \"native\" or \"unit\""
            )),
        }
    }
}

/// The affine map from a domain to the unit cube, for runs in [`Coordinates::Unit`]; runs in
/// native coordinates have none (no arithmetic at all, so their numbers are the paper's).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitFrame {
    domain: Region,
    lo: DVector<f64>,
    len: DVector<f64>,
}

impl UnitFrame {
    /// The frame of `coordinates` over `domain`, `None` for native coordinates.
    pub(crate) fn of(coordinates: Coordinates, domain: &Region) -> Option<UnitFrame> {
        match coordinates {
            Coordinates::Native => None,
            Coordinates::Unit => Some(UnitFrame {
                domain: domain.clone(),
                lo: domain.lower().clone(),
                len: domain.sides(),
            }),
        }
    }

    /// The domain in run coordinates: the unit cube.
    pub(crate) fn run_domain(&self) -> Region {
        let n = self.lo.len();
        Region::from_valid(DVector::zeros(n), DVector::from_element(n, 1.0))
    }

    /// A point of the domain in run coordinates.
    pub(crate) fn to_run(&self, u: &DVector<f64>) -> DVector<f64> {
        (u - &self.lo).component_div(&self.len)
    }

    /// A box of the domain in run coordinates, kept inside the unit cube.
    pub(crate) fn box_to_run(&self, b: &Region) -> Region {
        let clamp = |v: DVector<f64>| v.map(|x| x.clamp(0.0, 1.0));
        Region::from_valid(clamp(self.to_run(b.lower())), clamp(self.to_run(b.upper())))
    }

    /// A box in run coordinates back in the domain's units, kept inside the domain.
    pub(crate) fn box_to_native(&self, b: &Region) -> Region {
        let (lo, hi) = (self.domain.lower(), self.domain.upper());
        let native = |v: &DVector<f64>| {
            DVector::from_fn(v.len(), |i, _| {
                (lo[i] + self.len[i] * v[i]).clamp(lo[i], hi[i])
            })
        };
        Region::from_valid(native(b.lower()), native(b.upper()))
    }

    /// The rows of `points` (run coordinates) in the domain's units. Not clamped: the outer
    /// box of OIR reaches past the domain where the box touches its edge, in native runs too.
    pub(crate) fn points_to_native(&self, points: &mut DMatrix<f64>) {
        let lo = self.domain.lower();
        for (i, mut column) in points.column_iter_mut().enumerate() {
            column.apply(|x| *x = lo[i] + self.len[i] * *x);
        }
    }

    /// Gradients in the domain's units (one point per row) as gradients in run coordinates:
    /// `∂f/∂vᵢ = (hiᵢ − loᵢ) ∂f/∂uᵢ`.
    pub(crate) fn gradients_to_run(&self, gradients: &mut DMatrix<f64>) {
        for (i, mut column) in gradients.column_iter_mut().enumerate() {
            column *= self.len[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Region {
        Region::new(vec![0.0, -10.0, 2.0], vec![360.0, 90.0, 4.0]).unwrap()
    }

    #[test]
    fn native_coordinates_have_no_frame() {
        assert!(UnitFrame::of(Coordinates::Native, &domain()).is_none());
    }

    #[test]
    fn native_coordinates_are_left_out_of_a_runs_json_and_unit_ones_written() {
        // A native run's parameters read as they did before coordinates existed.
        use crate::region::HyperParams;
        let native = serde_json::to_value(HyperParams::default()).unwrap();
        assert!(native.get("coordinates").is_none(), "{native}");
        let unit = HyperParams {
            coordinates: Coordinates::Unit,
            ..HyperParams::default()
        };
        let json = serde_json::to_value(unit).unwrap();
        assert_eq!(json["coordinates"], "unit", "{json}");
        assert_eq!(serde_json::from_value::<HyperParams>(json).unwrap(), unit);
    }

    #[test]
    fn boxes_go_to_the_unit_cube_and_back() {
        let f = UnitFrame::of(Coordinates::Unit, &domain()).unwrap();
        let b = Region::new(vec![90.0, 40.0, 2.5], vec![180.0, 90.0, 3.0]).unwrap();
        let v = f.box_to_run(&b);
        let close =
            |x: &DVector<f64>, y: &[f64]| x.iter().zip(y).all(|(a, b)| (a - b).abs() < 1e-12);
        assert!(close(v.lower(), &[0.25, 0.5, 0.25]), "{v:?}");
        assert!(close(v.upper(), &[0.5, 1.0, 0.5]), "{v:?}");
        let back = f.box_to_native(&v);
        assert!(close(back.lower(), &[90.0, 40.0, 2.5]), "{back:?}");
        assert!(close(back.upper(), &[180.0, 90.0, 3.0]), "{back:?}");
        assert_eq!(
            f.run_domain(),
            Region::new(vec![0.0; 3], vec![1.0; 3]).unwrap()
        );
    }

    #[test]
    fn the_unit_cube_maps_onto_the_domain_exactly() {
        let f = UnitFrame::of(Coordinates::Unit, &domain()).unwrap();
        assert_eq!(f.box_to_native(&f.run_domain()), domain());
        let mut corners = DMatrix::from_row_slice(2, 3, &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        f.points_to_native(&mut corners);
        assert_eq!(
            corners,
            DMatrix::from_row_slice(2, 3, &[0.0, -10.0, 2.0, 360.0, 90.0, 4.0])
        );
    }

    #[test]
    fn gradients_follow_the_chain_rule() {
        let f = UnitFrame::of(Coordinates::Unit, &domain()).unwrap();
        let mut g = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, -1.0, 0.5, 0.0]);
        f.gradients_to_run(&mut g);
        assert_eq!(
            g,
            DMatrix::from_row_slice(2, 3, &[360.0, 200.0, 6.0, -360.0, 50.0, 0.0])
        );
    }

    #[test]
    fn coordinates_parse_and_print_their_names() {
        for c in [Coordinates::Native, Coordinates::Unit] {
            assert_eq!(c.name().parse::<Coordinates>(), Ok(c));
            assert_eq!(c.to_string(), c.name());
        }
        assert_ne!(Coordinates::Native.name(), Coordinates::Unit.name());
        let e = "cube".parse::<Coordinates>().unwrap_err();
        assert!(e.contains("\"cube\"") && e.contains("unit"), "{e}");
    }
}
