//! The update directions and losses of naive, OIR_B and OIR_W (SPEC §3), as pure functions.
//!
//! Every function here takes the box, `f` at its corners (`f_D`, corner order of SPEC §2), `f`
//! at the outer box's corners (`f_C`) and `∇f` at the corners (`G_D`, row `j` = corner `j`) and
//! returns `(∇_a L, ∇_b L)`; the driver ([`super::find_region`]) steps `a ← a − η ∇_a L`,
//! `b ← b − η ∇_b L`.
//!
//! Naive and OIR_B are written through the *face means* of `f` (the trapezoid mean of `f` over
//! each face `a_i` and `b_i`): with corners, `mean_{a_i} = (M^c f_D)_i / 2ⁿ⁻¹` and
//! `mean_{b_i} = (M f_D)_i / 2ⁿ⁻¹`, and `(2|D|/2ⁿ) R M^c f_D = face ⊙ mean_a` with
//! `face_i = Π_{k≠i} r_k`. The face-quadrature rule ([`super::faces`]) supplies the same means
//! from more points per face and reuses the same combination, so at 2 points per dimension it
//! reproduces the matrix form bit for bit.

use std::fmt;
use std::str::FromStr;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::frame::Coordinates;
use super::geometry::{corner_bit, mask, mask_complement};
use super::{Region, RegionError};

/// A bottom-up region method (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// `L = −∫_D f + (λ/2)‖r‖²`.
    #[serde(rename = "naive")]
    Naive,
    /// Outer-inner ratio, black box: `L = ∫_{Ω_D} f − 2 ∫_D f`.
    #[serde(rename = "oir-b")]
    OirB,
    /// Outer-inner ratio, white box: uses `∇f` at the corners.
    #[serde(rename = "oir-w")]
    OirW,
}

impl Method {
    /// All methods, in the paper's order.
    pub const ALL: [Method; 3] = [Method::Naive, Method::OirB, Method::OirW];

    /// The command-line and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Naive => "naive",
            Method::OirB => "oir-b",
            Method::OirW => "oir-w",
        }
    }

    /// Whether the method needs `∇f` (OIR_W).
    pub fn needs_gradients(self) -> bool {
        self == Method::OirW
    }

    /// Whether the method evaluates `f` on the outer box (OIR_B for its direction, OIR_W for
    /// its reported loss).
    pub fn needs_outer(self) -> bool {
        self != Method::Naive
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown method {0:?} (expected naive, oir-b or oir-w)")]
pub struct ParseMethodError(pub String);

impl FromStr for Method {
    type Err = ParseMethodError;
    fn from_str(s: &str) -> Result<Method, ParseMethodError> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseMethodError(s.to_string()))
    }
}

/// The hyper-parameters of the region methods.
///
/// `Default` is the paper's setting (SPEC §3) plus this crate's stopping tolerance and face
/// rule: η = 0.1, λ = 0.1, α = 0.05, β = 0.0009, 800 iterations, ε = 1e-5, tolerance = 1e-9,
/// 2 face points (the corner rule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HyperParams {
    /// Step size η > 0.
    pub eta: f64,
    /// Naive's regulariser λ ≥ 0.
    pub lambda: f64,
    /// OIR's outer margin α > 0 (the outer box has sides `(1+α) r`).
    pub alpha: f64,
    /// OIR_W's emphasis factor, `0 ≤ β < 2/(2n−1)`.
    pub beta: f64,
    /// The iteration budget (≥ 1).
    pub iterations: usize,
    /// The minimum side (> 0), and the half-width of the start box unless
    /// `start_half_width` says otherwise.
    pub epsilon: f64,
    /// Convergence: the run stops once, in one step, every bound moved by at most
    /// `tolerance × r_i` (its dimension's side after the step). `0` stops only on a step that
    /// moves nothing.
    pub tolerance: f64,
    /// Points per dimension on each face for the Leibniz face integrals (≥ 2; 2 is the
    /// paper's corner rule, see [`super::faces`]).
    pub face_points: usize,
    /// The coordinates the run steps in (SPEC §3, "Coordinates and steps in n dimensions"):
    /// ε, the start half-width, η, λ and the tolerance apply in them. Native (the paper's) by
    /// default.
    #[serde(skip_serializing_if = "Coordinates::is_native")]
    pub coordinates: Coordinates,
    /// The half-width of the start box `[u0 − w, u0 + w]`, in the run's coordinates; `None`
    /// is ε, the paper's start. ε stays the minimum side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_half_width: Option<f64>,
    /// How a bound's gradient becomes its step (SPEC §3, "Coordinates and steps in n
    /// dimensions"); the paper's by default.
    #[serde(skip_serializing_if = "StepRule::is_paper")]
    pub steps: StepRule,
    /// The rest rule's window W (SPEC §3, "Rest rule"): with `rest_tolerance`, a run also
    /// stops once, over its last W steps, every bound stayed within `rest_tolerance` times its
    /// axis's length in Ω and every side within `rest_tolerance` times itself. `None` with `rest_tolerance` also `None`: the rule is off, the
    /// paper's fixed budget (`rest = off`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_window: Option<usize>,
    /// The rest rule's tolerance, a fraction of each axis's length (in the run's coordinates;
    /// with unit coordinates every axis has length 1) for the bounds and of each side for
    /// the sides. Given with `rest_window` or not at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_tolerance: Option<f64>,
}

/// The rest rule of a run (SPEC §3, "Rest rule"): it stops once, over its last `window`
/// steps, every bound's range (max − min) is at most `tolerance` times its axis's length and
/// every side's range at most `tolerance` times that side (its smallest over the window).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestRule {
    pub window: usize,
    pub tolerance: f64,
}

/// How the gradient on a bound becomes its step (SPEC §3, "Coordinates and steps in n
/// dimensions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepRule {
    /// `a ← a − η ∇_a L`, `b ← b − η ∇_b L`: the paper's. A bound moves by η times an
    /// integral over its face, `~ rⁿ⁻¹`: geometric growth in 2-D, none from a small box and
    /// a blow-up in finite time from a large one in n ≥ 3.
    #[default]
    Paper,
    /// The gradient on bounds `aᵢ` and `bᵢ` is divided by its face's measure
    /// `Fᵢ = Π_{k≠i} r_k` to the power `(n−2)/(n−1)`: a bound moves by η times the geometric
    /// mean of the other sides times the face terms, as the paper's step does in 2-D
    /// (identical there and in 1-D). A positive factor per bound: the boxes where the
    /// direction vanishes, the regions the method finds, are the paper's.
    DimensionFree,
}

impl StepRule {
    pub fn is_paper(&self) -> bool {
        *self == StepRule::Paper
    }

    /// The name used in configurations and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            StepRule::Paper => "paper",
            StepRule::DimensionFree => "dimension-free",
        }
    }

    /// The factor on the gradient of bounds `aᵢ` and `bᵢ` of a box with sides `sides`, or
    /// `None` where every factor is exactly 1 (the paper's rule, and n ≤ 2). Computed in
    /// logarithms: the face of a 5-D box of sides 1e-5 measures 1e-20.
    pub fn factors(self, sides: &DVector<f64>) -> Option<DVector<f64>> {
        let n = sides.len();
        if self == StepRule::Paper || n <= 2 {
            return None;
        }
        let power = (n - 2) as f64 / (n - 1) as f64;
        let logs = sides.map(f64::ln);
        let total = logs.sum();
        Some(logs.map(|own| (-power * (total - own)).exp()))
    }
}

impl fmt::Display for StepRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StepRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "paper" => Ok(StepRule::Paper),
            "dimension-free" => Ok(StepRule::DimensionFree),
            _ => Err(format!(
                "unknown step rule {s:?}: expected \"paper\" or \"dimension-free\""
            )),
        }
    }
}

impl Default for HyperParams {
    fn default() -> Self {
        HyperParams {
            eta: 0.1,
            lambda: 0.1,
            alpha: 0.05,
            beta: 0.0009,
            iterations: 800,
            epsilon: 1e-5,
            tolerance: 1e-9,
            face_points: 2,
            coordinates: Coordinates::Native,
            start_half_width: None,
            steps: StepRule::Paper,
            rest_window: None,
            rest_tolerance: None,
        }
    }
}

impl HyperParams {
    /// The largest valid β is below `2/(2n−1)` (so that `2 − (2n−1)β > 0`).
    pub fn beta_bound(n: usize) -> f64 {
        2.0 / (2 * n - 1) as f64
    }

    /// The rest rule, when both of its parameters are given; `None` is the fixed budget
    /// (`rest = off`, the paper's: a run stops by `tolerance` or after `iterations` steps).
    pub fn rest(&self) -> Option<RestRule> {
        match (self.rest_window, self.rest_tolerance) {
            (Some(window), Some(tolerance)) => Some(RestRule { window, tolerance }),
            _ => None,
        }
    }

    /// Checks every parameter for a problem of dimension `n ≥ 1`.
    pub fn validate(&self, n: usize) -> Result<(), RegionError> {
        let bad = |name, value: f64, rule: &str| {
            Err(RegionError::HyperParameter {
                name,
                value,
                rule: rule.to_string(),
            })
        };
        if !(self.eta > 0.0 && self.eta.is_finite()) {
            return bad("eta", self.eta, "0 < η < ∞");
        }
        if !(self.lambda >= 0.0 && self.lambda.is_finite()) {
            return bad("lambda", self.lambda, "0 ≤ λ < ∞");
        }
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return bad("alpha", self.alpha, "0 < α < ∞");
        }
        let bound = HyperParams::beta_bound(n.max(1));
        if !(self.beta >= 0.0 && self.beta < bound) {
            return Err(RegionError::Beta {
                beta: self.beta,
                bound,
                n,
            });
        }
        if self.iterations < 1 {
            return bad("iterations", self.iterations as f64, "iterations ≥ 1");
        }
        if !(self.epsilon > 0.0 && self.epsilon.is_finite()) {
            return bad("epsilon", self.epsilon, "0 < ε < ∞");
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return bad("tolerance", self.tolerance, "0 ≤ tolerance < ∞");
        }
        if self.face_points < 2 {
            return bad("face_points", self.face_points as f64, "face_points ≥ 2");
        }
        if let Some(w) = self.start_half_width {
            if !(w > 0.0 && w.is_finite()) {
                return bad("start_half_width", w, "0 < start half-width < ∞");
            }
        }
        self.validate_rest()
    }

    /// The rest rule's parameters: both or neither, a window of at least one step and no
    /// longer than the cap, a positive finite tolerance.
    fn validate_rest(&self) -> Result<(), RegionError> {
        let bad =
            |name, value: f64, rule: String| Err(RegionError::HyperParameter { name, value, rule });
        match (self.rest_window, self.rest_tolerance) {
            (Some(_), None) => {
                return Err(RegionError::RestRuleHalfGiven {
                    given: "rest_window",
                    missing: "rest_tolerance",
                })
            }
            (None, Some(_)) => {
                return Err(RegionError::RestRuleHalfGiven {
                    given: "rest_tolerance",
                    missing: "rest_window",
                })
            }
            _ => {}
        }
        if let Some(w) = self.rest_window {
            if w < 1 {
                return bad("rest_window", w as f64, "rest_window ≥ 1".to_string());
            }
            if self.iterations < w {
                return bad(
                    "iterations",
                    self.iterations as f64,
                    format!("iterations ≥ rest_window = {w} (the cap holds at least one window)"),
                );
            }
        }
        if let Some(t) = self.rest_tolerance {
            if !(t > 0.0 && t.is_finite()) {
                return bad("rest_tolerance", t, "0 < rest_tolerance < ∞".to_string());
            }
        }
        Ok(())
    }
}

/// The gradient of a method's loss with respect to the bounds: `(∇_a L, ∇_b L)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Direction {
    /// `∇_a L`.
    pub lower: DVector<f64>,
    /// `∇_b L`.
    pub upper: DVector<f64>,
}

impl Direction {
    /// Whether every component is a finite number.
    pub fn is_finite(&self) -> bool {
        self.lower
            .iter()
            .chain(self.upper.iter())
            .all(|x| x.is_finite())
    }
}

/// The mean of `f` over every face of a box: `lower[i]` over face `a_i`, `upper[i]` over `b_i`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMeans {
    pub lower: DVector<f64>,
    pub upper: DVector<f64>,
}

impl FaceMeans {
    /// The corner (trapezoid) face means `(M^c f_D) / 2ⁿ⁻¹` and `(M f_D) / 2ⁿ⁻¹` (SPEC §2).
    pub fn from_corners(n: usize, f_d: &DVector<f64>) -> FaceMeans {
        let scale = 0.5f64.powi(n as i32 - 1);
        FaceMeans {
            lower: (mask_complement(n) * f_d) * scale,
            upper: (mask(n) * f_d) * scale,
        }
    }
}

fn check_len(what: &'static str, v: usize, expected: usize) {
    assert_eq!(v, expected, "{what} has {v} entries, expected {expected}");
}

/// Naive from face means: `∇_a L = face ⊙ mean_a − λ r`, `∇_b L = −face ⊙ mean_b + λ r`.
pub fn naive_from_means(region: &Region, inner: &FaceMeans, lambda: f64) -> Direction {
    let face = region.face_measures();
    let r = region.sides();
    Direction {
        lower: face.component_mul(&inner.lower) - &r * lambda,
        upper: -face.component_mul(&inner.upper) + &r * lambda,
    }
}

/// OIR_B from face means of the inner box and of the outer box `Ω_D` (SPEC §3):
/// `∇_a L_i = face_i (2 mean_{a_i} − (1+α)ⁿ⁻¹ ((1+α/2) mean_{A_i} + (α/2) mean_{B_i}))` and
/// `∇_b L_i = face_i (−2 mean_{b_i} + (1+α)ⁿ⁻¹ ((1+α/2) mean_{B_i} + (α/2) mean_{A_i}))`.
pub fn oir_b_from_means(
    region: &Region,
    inner: &FaceMeans,
    outer: &FaceMeans,
    alpha: f64,
) -> Direction {
    let n = region.dim();
    let face = region.face_measures();
    let c = (1.0 + alpha).powi(n as i32 - 1);
    let (near, far) = (1.0 + alpha / 2.0, alpha / 2.0);
    let lower = DVector::from_fn(n, |i, _| {
        face[i] * (2.0 * inner.lower[i] - c * (near * outer.lower[i] + far * outer.upper[i]))
    });
    let upper = DVector::from_fn(n, |i, _| {
        face[i] * (-2.0 * inner.upper[i] + c * (near * outer.upper[i] + far * outer.lower[i]))
    });
    Direction { lower, upper }
}

/// Naive (SPEC §3): `∇_a L = (2|D|/2ⁿ) R M^c f_D − λ r`, `∇_b L = −(2|D|/2ⁿ) R M f_D + λ r`.
pub fn naive_direction(region: &Region, f_d: &DVector<f64>, lambda: f64) -> Direction {
    let n = region.dim();
    check_len("f_D", f_d.len(), 1 << n);
    naive_from_means(region, &FaceMeans::from_corners(n, f_d), lambda)
}

/// OIR_B (SPEC §3): `∇_a L = (2|D|/2ⁿ) R (2 M^c f_D − M_C^c f_C)`,
/// `∇_b L = (2|D|/2ⁿ) R (−2 M f_D + M_C f_C)`.
pub fn oir_b_direction(
    region: &Region,
    f_d: &DVector<f64>,
    f_c: &DVector<f64>,
    alpha: f64,
) -> Direction {
    let n = region.dim();
    check_len("f_D", f_d.len(), 1 << n);
    check_len("f_C", f_c.len(), 1 << n);
    oir_b_from_means(
        region,
        &FaceMeans::from_corners(n, f_d),
        &FaceMeans::from_corners(n, f_c),
        alpha,
    )
}

/// OIR_W (SPEC §3), written per dimension `k` with `face_k = |D| / r_k`:
///
/// `∇_a L_k = (face_k / 2ⁿ) [ (M_D^c f_D)_k + β r_k Σ_j M^c[k,j] G[j,k]
///            + β Σ_{i≠k} r_i Σ_j (M^c[i,j] − M[i,j]) M^c[k,j] G[j,i] ]`
///
/// which is `(|D|/2ⁿ) (R M_D^c f_D + β diag(M^c G_D) + β s^c)` term by term; `∇_b L` likewise
/// with `−M_D f_D`, `M` and `s`. At β = 0 it is the naive direction with λ = 0, bit for bit.
pub fn oir_w_direction(
    region: &Region,
    f_d: &DVector<f64>,
    g_d: &DMatrix<f64>,
    beta: f64,
) -> Direction {
    let n = region.dim();
    let corners = 1usize << n;
    check_len("f_D", f_d.len(), corners);
    assert_eq!(g_d.shape(), (corners, n), "G_D must be 2ⁿ × n");
    let face = region.face_measures();
    let r = region.sides();
    let s_lower = mask_complement(n) * f_d; // M^c f_D
    let s_upper = mask(n) * f_d; // M f_D
    let main = 2.0 - (2 * n - 1) as f64 * beta;
    let scale = 0.5f64.powi(n as i32);
    let mut lower = DVector::zeros(n);
    let mut upper = DVector::zeros(n);
    for k in 0..n {
        // Gradient terms over the corners of face a_k (bit k = 0) and face b_k (bit k = 1).
        let (mut g_lower, mut g_upper) = (0.0, 0.0);
        for j in 0..corners {
            let on_upper_k = corner_bit(n, k, j);
            let mut term = 0.0;
            for i in 0..n {
                let g = g_d[(j, i)];
                if i == k {
                    term += r[k] * g;
                } else {
                    // (M^c[i,j] − M[i,j]) on face a_k, (M[i,j] − M^c[i,j]) on face b_k.
                    let sign = if corner_bit(n, i, j) == on_upper_k {
                        1.0
                    } else {
                        -1.0
                    };
                    term += sign * r[i] * g;
                }
            }
            if on_upper_k {
                g_upper += term;
            } else {
                g_lower += term;
            }
        }
        let fa = main * s_lower[k] - beta * s_upper[k];
        let fb = main * s_upper[k] - beta * s_lower[k];
        lower[k] = face[k] * ((fa + beta * g_lower) * scale);
        upper[k] = face[k] * ((-fb + beta * g_upper) * scale);
    }
    Direction { lower, upper }
}

/// Naive loss `−(|D|/2ⁿ) 1ᵀ f_D + (λ/2)‖r‖²` (SPEC §3, defect 3: the squared norm).
pub fn naive_loss(region: &Region, f_d: &DVector<f64>, lambda: f64) -> f64 {
    -region.trapezoid(f_d) + 0.5 * lambda * region.sides().norm_squared()
}

/// OIR_B loss `(|D|/2ⁿ) ((1+α)ⁿ 1ᵀ f_C − 2 · 1ᵀ f_D)`.
pub fn oir_b_loss(region: &Region, f_d: &DVector<f64>, f_c: &DVector<f64>, alpha: f64) -> f64 {
    let n = region.dim();
    let outer = (1.0 + alpha).powi(n as i32) * f_c.sum();
    region.volume() / (1u64 << n) as f64 * (outer - 2.0 * f_d.sum())
}

/// OIR_W loss `(1+α)ⁿ 1ᵀ f_C / 1ᵀ f_D − 1`; `None` where it is undefined (`1ᵀ f_D = 0`) or
/// not a finite number.
pub fn oir_w_loss(n: usize, f_d: &DVector<f64>, f_c: &DVector<f64>, alpha: f64) -> Option<f64> {
    let inner = f_d.sum();
    if inner == 0.0 {
        return None;
    }
    let ratio = (1.0 + alpha).powi(n as i32) * f_c.sum() / inner - 1.0;
    ratio.is_finite().then_some(ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts' least values are accepted and one less is refused by name: one iteration,
    /// two points per face, a rest window of one step (in a cap of one).
    #[test]
    fn each_count_is_accepted_at_its_least_value_and_refused_below() {
        let refused = |hyper: HyperParams| match hyper.validate(2) {
            Err(RegionError::HyperParameter { name, .. }) => name,
            other => panic!("{hyper:?}: {other:?}"),
        };
        let least = HyperParams {
            iterations: 1,
            face_points: 2,
            rest_window: Some(1),
            rest_tolerance: Some(1e-3),
            ..HyperParams::default()
        };
        assert!(least.validate(2).is_ok(), "{least:?}");
        let no_rest = HyperParams {
            rest_window: None,
            rest_tolerance: None,
            ..least
        };
        assert!(no_rest.validate(2).is_ok(), "{no_rest:?}");
        assert_eq!(
            refused(HyperParams {
                iterations: 0,
                ..no_rest
            }),
            "iterations"
        );
        assert_eq!(
            refused(HyperParams {
                face_points: 1,
                ..least
            }),
            "face_points"
        );
        assert_eq!(
            refused(HyperParams {
                rest_window: Some(0),
                ..least
            }),
            "rest_window"
        );
    }

    /// `0 ≤ β < 2/(2n−1)` (SPEC §3: `2 − (2n−1)β` stays positive): the bound itself is refused,
    /// the float just below it accepted, in 2 and in 5 dimensions.
    #[test]
    fn beta_is_refused_at_its_bound_and_accepted_just_below() {
        for n in [2, 5] {
            let bound = HyperParams::beta_bound(n);
            let at = HyperParams {
                beta: bound,
                ..HyperParams::default()
            };
            assert!(
                matches!(at.validate(n), Err(RegionError::Beta { beta, .. }) if beta == bound),
                "n = {n}"
            );
            let below = HyperParams {
                beta: bound.next_down(),
                ..at
            };
            assert!(below.validate(n).is_ok(), "n = {n}");
        }
    }

    #[test]
    fn dimension_free_factors_are_face_measures_to_minus_n_minus_2_over_n_minus_1() {
        let free = StepRule::DimensionFree;
        assert_eq!(free.factors(&DVector::from_vec(vec![0.3])), None);
        assert_eq!(free.factors(&DVector::from_vec(vec![0.3, 7.0])), None);
        assert_eq!(
            StepRule::Paper.factors(&DVector::from_vec(vec![1.0; 4])),
            None
        );
        // n = 3, sides 1, 4, 9: faces 36, 9, 4 to the power −1/2.
        let k = free
            .factors(&DVector::from_vec(vec![1.0, 4.0, 9.0]))
            .unwrap();
        for (got, want) in k.iter().zip([1.0 / 6.0, 1.0 / 3.0, 0.5]) {
            assert!((got - want).abs() < 1e-15, "{k}");
        }
        // n = 5, sides 1e-5: faces 1e-20 to the power −3/4, finite.
        let k = free.factors(&DVector::from_element(5, 1e-5)).unwrap();
        assert!(k.iter().all(|x| (x / 1e15 - 1.0).abs() < 1e-9), "{k}");
        for rule in [StepRule::Paper, free] {
            assert_eq!(rule.name().parse::<StepRule>(), Ok(rule));
            assert_eq!(rule.to_string(), rule.name());
        }
        assert!("fast"
            .parse::<StepRule>()
            .unwrap_err()
            .contains("dimension-free"));
    }

    #[test]
    fn paper_steps_are_left_out_of_a_runs_json_and_dimension_free_ones_written() {
        // A run with the paper's steps reads as it did before step rules existed.
        let paper = serde_json::to_value(HyperParams::default()).unwrap();
        assert!(paper.get("steps").is_none(), "{paper}");
        let free = HyperParams {
            steps: StepRule::DimensionFree,
            ..HyperParams::default()
        };
        let json = serde_json::to_value(free).unwrap();
        assert_eq!(json["steps"], "dimension-free", "{json}");
        assert_eq!(serde_json::from_value::<HyperParams>(json).unwrap(), free);
    }

    #[test]
    fn method_names_round_trip() {
        for m in Method::ALL {
            assert_eq!(m.to_string().parse::<Method>().unwrap(), m);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
        }
        assert_eq!(
            "oir".parse::<Method>().unwrap_err().to_string(),
            "unknown method \"oir\" (expected naive, oir-b or oir-w)"
        );
        assert!(Method::OirW.needs_gradients() && !Method::OirB.needs_gradients());
    }

    #[test]
    fn beta_error_names_the_bound() {
        let h = HyperParams {
            beta: 0.7,
            ..HyperParams::default()
        };
        assert_eq!(
            h.validate(2).unwrap_err().to_string(),
            "beta = 0.7 must satisfy 0 ≤ β < 2/(2n−1) = 0.667 for n = 2"
        );
        assert!(h.validate(1).is_ok());
    }

    #[test]
    fn every_hyper_parameter_is_checked() {
        let d = HyperParams::default();
        let cases: Vec<(HyperParams, &str)> = vec![
            (
                HyperParams { eta: 0.0, ..d },
                "eta = 0 must satisfy 0 < η < ∞",
            ),
            (
                HyperParams { eta: f64::NAN, ..d },
                "eta = NaN must satisfy 0 < η < ∞",
            ),
            (
                HyperParams { lambda: -1.0, ..d },
                "lambda = -1 must satisfy 0 ≤ λ < ∞",
            ),
            (
                HyperParams { alpha: 0.0, ..d },
                "alpha = 0 must satisfy 0 < α < ∞",
            ),
            (
                HyperParams { beta: -0.1, ..d },
                "beta = -0.1 must satisfy 0 ≤ β < 2/(2n−1) = 0.667 for n = 2",
            ),
            (
                HyperParams { iterations: 0, ..d },
                "iterations = 0 must satisfy iterations ≥ 1",
            ),
            (
                HyperParams { epsilon: 0.0, ..d },
                "epsilon = 0 must satisfy 0 < ε < ∞",
            ),
            (
                HyperParams {
                    tolerance: -1e-3,
                    ..d
                },
                "tolerance = -0.001 must satisfy 0 ≤ tolerance < ∞",
            ),
            (
                HyperParams {
                    face_points: 1,
                    ..d
                },
                "face_points = 1 must satisfy face_points ≥ 2",
            ),
        ];
        assert!(d.validate(2).is_ok());
        for (h, msg) in cases {
            assert_eq!(h.validate(2).unwrap_err().to_string(), msg);
        }
    }

    #[test]
    fn the_rest_rule_needs_both_settings_a_window_within_the_cap_and_a_positive_tolerance() {
        let d = HyperParams::default();
        assert_eq!(d.rest(), None, "off by default: the fixed budget");
        let on = HyperParams {
            rest_window: Some(800),
            rest_tolerance: Some(1e-3),
            ..d
        };
        assert!(on.validate(2).is_ok(), "a window as long as the cap");
        assert_eq!(
            on.rest(),
            Some(RestRule {
                window: 800,
                tolerance: 1e-3
            })
        );
        let cases: Vec<(HyperParams, &str)> = vec![
            (
                HyperParams {
                    rest_tolerance: Some(0.0),
                    ..on
                },
                "rest_tolerance = 0 must satisfy 0 < rest_tolerance < ∞",
            ),
            (
                HyperParams {
                    rest_tolerance: Some(-1.0),
                    ..on
                },
                "rest_tolerance = -1 must satisfy 0 < rest_tolerance < ∞",
            ),
            (
                HyperParams {
                    rest_tolerance: Some(f64::INFINITY),
                    ..on
                },
                "rest_tolerance = inf must satisfy 0 < rest_tolerance < ∞",
            ),
            (
                HyperParams {
                    rest_tolerance: Some(f64::NAN),
                    ..on
                },
                "rest_tolerance = NaN must satisfy 0 < rest_tolerance < ∞",
            ),
            (
                HyperParams {
                    rest_window: Some(0),
                    ..on
                },
                "rest_window = 0 must satisfy rest_window ≥ 1",
            ),
            (
                HyperParams {
                    iterations: 799,
                    ..on
                },
                "iterations = 799 must satisfy iterations ≥ rest_window = 800 (the cap holds \
                 at least one window)",
            ),
            (
                HyperParams {
                    rest_tolerance: None,
                    ..on
                },
                "rest_window is set and rest_tolerance is not: the rest rule needs both (or \
                 neither: the fixed budget)",
            ),
            (
                HyperParams {
                    rest_window: None,
                    ..on
                },
                "rest_tolerance is set and rest_window is not: the rest rule needs both (or \
                 neither: the fixed budget)",
            ),
        ];
        for (h, msg) in cases {
            assert_eq!(h.validate(2).unwrap_err().to_string(), msg);
        }
    }

    #[test]
    fn the_rest_rule_off_serialises_as_before() {
        let json = serde_json::to_string(&HyperParams::default()).unwrap();
        assert!(!json.contains("rest"), "{json}");
        let on = HyperParams {
            rest_window: Some(20),
            rest_tolerance: Some(0.5),
            ..HyperParams::default()
        };
        let json = serde_json::to_string(&on).unwrap();
        assert!(
            json.ends_with(r#""rest_window":20,"rest_tolerance":0.5}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<HyperParams>(&json).unwrap(), on);
    }

    #[test]
    fn one_dimensional_naive_is_the_spec_closed_form() {
        let r = Region::new(vec![2.0], vec![5.0]).unwrap();
        let d = naive_direction(&r, &DVector::from_vec(vec![0.25, 0.75]), 0.1);
        assert!((d.lower[0] - (0.25 - 0.3)).abs() < 1e-15);
        assert!((d.upper[0] - (-0.75 + 0.3)).abs() < 1e-15);
    }

    #[test]
    fn losses_of_a_constant_are_their_closed_forms() {
        // f = c on a 2 × 3 box: ∫_D f = 6c, ∫_Ω f = (1+α)² 6c.
        let r = Region::new(vec![1.0, -1.0], vec![3.0, 2.0]).unwrap();
        let (c, lambda, alpha) = (0.7, 0.1, 0.05);
        let f = DVector::from_element(4, c);
        let naive = naive_loss(&r, &f, lambda);
        assert!((naive - (-6.0 * c + 0.5 * lambda * 13.0)).abs() < 1e-14);
        let oir_b = oir_b_loss(&r, &f, &f, alpha);
        assert!((oir_b - 6.0 * c * ((1.0 + alpha) * (1.0 + alpha) - 2.0)).abs() < 1e-14);
        let oir_w = oir_w_loss(2, &f, &f, alpha).unwrap();
        assert!((oir_w - ((1.0 + alpha) * (1.0 + alpha) - 1.0)).abs() < 1e-14);
    }

    #[test]
    fn oir_w_loss_is_undefined_when_inner_mass_is_zero() {
        let zero = DVector::zeros(4);
        let one = DVector::from_element(4, 1.0);
        assert_eq!(oir_w_loss(2, &zero, &one, 0.05), None);
        assert_eq!(
            oir_w_loss(2, &DVector::from_element(4, 1e-320), &one, 0.05),
            None
        );
        let l = oir_w_loss(2, &one, &one, 0.05).unwrap();
        assert!((l - (1.05f64 * 1.05 - 1.0)).abs() < 1e-15);
    }
}
