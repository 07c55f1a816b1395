//! The one driver loop shared by every method (SPEC §3): evaluate, step, project, stop.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::faces;
use super::methods::{
    naive_from_means, naive_loss, oir_b_from_means, oir_b_loss, oir_w_direction, oir_w_loss,
    Direction, HyperParams, Method,
};
use super::{Region, RegionError};
use crate::semantic::{EvalError, Evaluation, SemanticFunction};

/// The most points one step may evaluate (inner and outer boxes together).
pub const MAX_POINTS_PER_STEP: usize = 1 << 21;

/// Why a run stopped, and what the final box is.
///
/// A side is *at its minimum* when it is below 1.5 ε (the projection keeps every side ≥ ε):
/// the box is flat in that dimension, whether it shrank there or started there (a start on the
/// domain's boundary begins with side ε).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// In the last step every bound moved by at most `tolerance × r_i`, and no side is at its
    /// minimum: a region at rest.
    Converged,
    /// The iteration budget ran out with the box still moving and no side at its minimum.
    MaxIterations,
    /// Every side is at its minimum and the box stopped moving: the method found no region here
    /// (e.g. naive where `λ r` outweighs the face integrals).
    Collapsed,
    /// The update direction was not a finite number (e.g. an overflow on an astronomically
    /// large box); the region is the last finite one, the bad step was not taken.
    NonFiniteStep,
    /// Some sides, not all, are at their minimum when the run stopped (at rest or when the
    /// budget ran out): the box is flat in those dimensions, so no region of full dimension.
    PartlyCollapsed,
    /// Every side is at its minimum and the box was still moving (sliding, or flickering by
    /// ulps far from 0) when the budget ran out: no region here either.
    CollapsedDrifting,
}

impl StopReason {
    /// The reason of a run that stopped without a non-finite step: `at_rest` when its last step
    /// moved every bound by at most the tolerance, `sides` the final box's sides.
    fn of_final_box(at_rest: bool, sides: &DVector<f64>, eps: f64) -> StopReason {
        let minimal = sides.iter().filter(|&&r| r < 1.5 * eps).count();
        match (minimal, at_rest) {
            (0, true) => StopReason::Converged,
            (0, false) => StopReason::MaxIterations,
            (m, true) if m == sides.len() => StopReason::Collapsed,
            (m, false) if m == sides.len() => StopReason::CollapsedDrifting,
            _ => StopReason::PartlyCollapsed,
        }
    }
}

/// One step of a run: the box that was evaluated and its loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// The method's loss at this box (corner rule, SPEC §3); `None` where it is undefined
    /// (OIR_W with `1ᵀ f_D = 0`).
    pub loss: Option<f64>,
}

/// The result of [`find_region`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRun {
    /// The final box (after the last step).
    pub region: Region,
    pub stop: StopReason,
    /// Steps evaluated (`trace.len()`).
    pub iterations: usize,
    /// Points at which `f` was evaluated.
    pub evaluations: usize,
    /// Points at which `∇f` was evaluated.
    pub gradient_evaluations: usize,
    /// One entry per step, in order: `trace[0]` is the start box.
    pub trace: Vec<TraceStep>,
}

/// `1 − f` (adversarial regions, SPEC §2), with gradient `−∇f`.
struct Complement<'a>(&'a dyn SemanticFunction);

impl SemanticFunction for Complement<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn provides_gradients(&self) -> bool {
        self.0.provides_gradients()
    }
    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        let e = self.0.evaluate(points, gradient_rows)?;
        Ok(Evaluation {
            values: e.values.map(|v| 1.0 - v),
            gradients: e.gradients.map(|g| -g),
        })
    }
}

/// Checks the problem before any evaluation.
fn validate(
    f: &dyn SemanticFunction,
    method: Method,
    domain: &Region,
    init: &[f64],
    hyper: &HyperParams,
) -> Result<(), RegionError> {
    let n = domain.dim();
    if f.dim() != n {
        return Err(RegionError::DimensionMismatch {
            what: "the function",
            expected: n,
            got: f.dim(),
        });
    }
    if init.len() != n {
        return Err(RegionError::DimensionMismatch {
            what: "init",
            expected: n,
            got: init.len(),
        });
    }
    hyper.validate(n)?;
    if let Some(index) =
        (0..n).find(|&i| !(domain.lower()[i] <= init[i] && init[i] <= domain.upper()[i]))
    {
        return Err(RegionError::InitOutsideDomain {
            index,
            value: init[index],
            lower: domain.lower()[index],
            upper: domain.upper()[index],
        });
    }
    let sides = domain.sides();
    if let Some(index) = (0..n).find(|&i| sides[i] < hyper.epsilon) {
        return Err(RegionError::DomainTooSmall {
            index,
            side: sides[index],
            epsilon: hyper.epsilon,
        });
    }
    if method == Method::OirW && hyper.face_points != 2 {
        return Err(RegionError::FacePointsUnsupported {
            method,
            face_points: hyper.face_points,
        });
    }
    if method.needs_gradients() && !f.provides_gradients() {
        return Err(RegionError::GradientsRequired { method });
    }
    let per_box = faces::boundary_point_count(n, hyper.face_points);
    let boxes = if method.needs_outer() { 2 } else { 1 };
    let points = per_box.saturating_mul(boxes);
    if points > MAX_POINTS_PER_STEP {
        return Err(RegionError::TooManyPoints {
            face_points: hyper.face_points,
            n,
            points,
            max: MAX_POINTS_PER_STEP,
        });
    }
    Ok(())
}

/// The next representable number above a finite `x`.
fn next_up(x: f64) -> f64 {
    if x == 0.0 {
        f64::from_bits(1)
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// Projects `[a, b]` onto the boxes inside `[lo, hi]` with side ≥ ε, one dimension.
///
/// Bounds are clamped to the domain (SPEC §3 defect 1: the clamped box is the one kept). A
/// side shorter than ε (bounds that met or crossed) is rebuilt as `[c − ε/2, c + ε/2]` about
/// its clamped midpoint `c`, shifted inside the domain; the last ulps are fixed so that
/// `b − a ≥ ε` holds in floating point. Needs `hi − lo ≥ ε`.
fn project_side(a: f64, b: f64, lo: f64, hi: f64, eps: f64) -> (f64, f64) {
    let (mut a, mut b) = (a.clamp(lo, hi), b.clamp(lo, hi));
    if b - a >= eps {
        return (a, b);
    }
    let c = 0.5 * a + 0.5 * b;
    a = (c - 0.5 * eps).max(lo);
    b = (a + eps).min(hi);
    if b - a < eps {
        a = (b - eps).max(lo);
    }
    while b - a < eps && b < hi {
        b = next_up(b).min(hi);
    }
    while b - a < eps && a > lo {
        a = next_down(a).max(lo);
    }
    (a, b)
}

/// The box `[lower, upper]` projected into `domain` with every side ≥ ε.
fn project(lower: &DVector<f64>, upper: &DVector<f64>, domain: &Region, eps: f64) -> Region {
    let n = domain.dim();
    let (mut a, mut b) = (DVector::zeros(n), DVector::zeros(n));
    for i in 0..n {
        (a[i], b[i]) = project_side(
            lower[i],
            upper[i],
            domain.lower()[i],
            domain.upper()[i],
            eps,
        );
    }
    Region::from_valid(a, b)
}

/// Evaluates one batch and checks its shape and values.
fn evaluate(
    f: &dyn SemanticFunction,
    points: &DMatrix<f64>,
    gradient_rows: usize,
) -> Result<Evaluation, RegionError> {
    let e = f.evaluate(points, gradient_rows)?;
    let (m, n) = points.shape();
    if e.values.len() != m {
        return Err(RegionError::BadBatch {
            points: m,
            expected: format!("{m} values"),
            got: format!("{} values", e.values.len()),
        });
    }
    if let Some(j) = e.values.iter().position(|v| !v.is_finite()) {
        return Err(EvalError::NonFinite {
            value: e.values[j],
            point: points.row(j).iter().copied().collect(),
        }
        .into());
    }
    if gradient_rows > 0 {
        let rows = gradient_rows;
        match &e.gradients {
            Some(g) if g.shape() == (rows, n) => {
                if let Some(p) = g.iter().position(|v| !v.is_finite()) {
                    let j = p % rows; // column-major storage
                    return Err(EvalError::NonFinite {
                        value: g[p],
                        point: points.row(j).iter().copied().collect(),
                    }
                    .into());
                }
            }
            other => {
                return Err(RegionError::BadBatch {
                    points: m,
                    expected: format!("a {rows} × {n} gradient matrix"),
                    got: match other {
                        Some(g) => format!("a {} × {} gradient matrix", g.nrows(), g.ncols()),
                        None => "no gradients".to_string(),
                    },
                })
            }
        }
    }
    Ok(e)
}

/// The layout of one step's batch and the update rule of one method over it.
struct Stepper {
    method: Method,
    /// The boundary grid of a box (`2ⁿ` corners at `m = 2`), shared by the inner and outer box.
    grid: Vec<Vec<usize>>,
    /// Where the `2ⁿ` corners sit in the grid, in corner order.
    corners: Vec<usize>,
    m: usize,
    boxes: usize,
}

impl Stepper {
    fn new(method: Method, n: usize, m: usize) -> Stepper {
        let grid = faces::boundary_grid(n, m);
        let corners = faces::corner_indices(&grid, m);
        let boxes = if method.needs_outer() { 2 } else { 1 };
        Stepper {
            method,
            grid,
            corners,
            m,
            boxes,
        }
    }

    fn per_box(&self) -> usize {
        self.grid.len()
    }

    /// The leading rows of the batch at which the method needs `∇f`: OIR_W's inner box.
    fn gradient_rows(&self) -> usize {
        if self.method.needs_gradients() {
            self.per_box()
        } else {
            0
        }
    }

    /// Every point of the step, in one matrix: the inner box's grid, then the outer box's.
    fn points(&self, region: &Region, alpha: f64) -> DMatrix<f64> {
        let (per_box, n) = (self.per_box(), region.dim());
        let mut points = DMatrix::zeros(self.boxes * per_box, n);
        points
            .rows_mut(0, per_box)
            .copy_from(&faces::face_points(region, &self.grid, self.m));
        if self.boxes == 2 {
            let outer = region.outer(alpha);
            points
                .rows_mut(per_box, per_box)
                .copy_from(&faces::face_points(&outer, &self.grid, self.m));
        }
        points
    }

    /// The values of box `k` (0 inner, 1 outer) of the batch: at its grid, and at its corners.
    fn values(&self, e: &Evaluation, k: usize) -> (DVector<f64>, DVector<f64>) {
        let grid = e
            .values
            .rows(k * self.per_box(), self.per_box())
            .into_owned();
        let corners =
            DVector::from_iterator(self.corners.len(), self.corners.iter().map(|&p| grid[p]));
        (grid, corners)
    }

    /// The method's direction and (corner-rule) loss from one evaluated batch (SPEC §3).
    fn update(
        &self,
        region: &Region,
        e: &Evaluation,
        hyper: &HyperParams,
    ) -> (Direction, Option<f64>) {
        let (inner, f_d) = self.values(e, 0);
        match self.method {
            Method::Naive => {
                let means = faces::face_means(&self.grid, self.m, &inner);
                (
                    naive_from_means(region, &means, hyper.lambda),
                    Some(naive_loss(region, &f_d, hyper.lambda)),
                )
            }
            Method::OirB => {
                let (outer, f_c) = self.values(e, 1);
                let inner_means = faces::face_means(&self.grid, self.m, &inner);
                let outer_means = faces::face_means(&self.grid, self.m, &outer);
                (
                    oir_b_from_means(region, &inner_means, &outer_means, hyper.alpha),
                    Some(oir_b_loss(region, &f_d, &f_c, hyper.alpha)),
                )
            }
            Method::OirW => {
                let (_, f_c) = self.values(e, 1);
                let g = e.gradients.as_ref().expect("gradients checked by evaluate");
                let g_d = DMatrix::from_fn(f_d.len(), region.dim(), |j, i| g[(self.corners[j], i)]);
                (
                    oir_w_direction(region, &f_d, &g_d, hyper.beta),
                    oir_w_loss(region.dim(), &f_d, &f_c, hyper.alpha),
                )
            }
        }
    }
}

/// Grows a region from `init` with `method` (SPEC §3) on `f` (on `1 − f` when `adversarial`).
///
/// * Start: `[init − ε, init + ε]` projected like every step, so a start on the domain's
///   boundary begins one-sided (`[init, init + ε]` at a lower bound).
/// * Each step evaluates every point it needs in ONE batch call: the inner box's boundary grid
///   (its `2ⁿ` corners at `face_points = 2`), then, for OIR_B and OIR_W, the outer box's.
///   OIR_W asks `∇f` for the inner box's points only (the outer corners enter its reported
///   loss, not its direction), so `gradient_evaluations` counts `2ⁿ` per step.
/// * Step `a ← a − η ∇_a L`, `b ← b − η ∇_b L`, then project into the domain with sides ≥ ε.
/// * Stop when every bound moved by at most `tolerance × r_i` in the step, or after
///   `iterations` steps, or before a non-finite step (`NonFiniteStep`). The final box names
///   the other reasons ([`StopReason`]): at rest `Converged`, `PartlyCollapsed` or `Collapsed`,
///   out of budget `MaxIterations`, `PartlyCollapsed` or `CollapsedDrifting`, as none, some
///   or all of its sides are below 1.5 ε.
pub fn find_region(
    f: &dyn SemanticFunction,
    method: Method,
    domain: &Region,
    init: &[f64],
    hyper: &HyperParams,
    adversarial: bool,
) -> Result<RegionRun, RegionError> {
    validate(f, method, domain, init, hyper)?;
    let complement;
    let f: &dyn SemanticFunction = if adversarial {
        complement = Complement(f);
        &complement
    } else {
        f
    };
    let eps = hyper.epsilon;
    let stepper = Stepper::new(method, domain.dim(), hyper.face_points);
    let u0 = DVector::from_column_slice(init);
    let mut region = project(&u0.add_scalar(-eps), &u0.add_scalar(eps), domain, eps);
    let mut trace = Vec::new();
    let (mut evaluations, mut gradient_evaluations) = (0, 0);
    let mut at_rest = false;
    let mut non_finite = false;

    for _ in 0..hyper.iterations {
        let points = stepper.points(&region, hyper.alpha);
        let gradient_rows = stepper.gradient_rows();
        let e = evaluate(f, &points, gradient_rows)?;
        evaluations += points.nrows();
        gradient_evaluations += gradient_rows;
        let (direction, loss) = stepper.update(&region, &e, hyper);
        trace.push(TraceStep {
            lower: region.lower().iter().copied().collect(),
            upper: region.upper().iter().copied().collect(),
            loss: loss.filter(|l| l.is_finite()),
        });
        if !direction.is_finite() {
            non_finite = true;
            break;
        }
        let next = project(
            &(region.lower() - &direction.lower * hyper.eta),
            &(region.upper() - &direction.upper * hyper.eta),
            domain,
            eps,
        );
        at_rest = moved_at_most(&region, &next, hyper.tolerance);
        region = next;
        if at_rest {
            break;
        }
    }
    let stop = if non_finite {
        StopReason::NonFiniteStep
    } else {
        StopReason::of_final_box(at_rest, &region.sides(), eps)
    };
    Ok(RegionRun {
        region,
        stop,
        iterations: trace.len(),
        evaluations,
        gradient_evaluations,
        trace,
    })
}

/// Whether every bound moved by at most `tolerance × r_i` (the side after the step).
fn moved_at_most(before: &Region, after: &Region, tolerance: f64) -> bool {
    let sides = after.sides();
    (0..before.dim()).all(|i| {
        let moved = (after.lower()[i] - before.lower()[i])
            .abs()
            .max((after.upper()[i] - before.upper()[i]).abs());
        moved <= tolerance * sides[i]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_sides_of_at_least_epsilon_even_far_from_zero() {
        let eps = 1e-5;
        for &(a, b, lo, hi) in &[
            (5.0, 4.0, 0.0, 10.0),        // crossed bounds
            (-3.0, -2.0, 0.0, 10.0),      // left of the domain
            (20.0, 30.0, 0.0, 10.0),      // right of the domain
            (0.1, 0.1, 0.1, 0.100011),    // domain of side ≈ ε
            (1e15, 1e15, 0.0, 2e15),      // ulp(1e15) > ε
            (-7.0, 1e300, -1e300, 1e300), // huge
        ] {
            let (pa, pb) = project_side(a, b, lo, hi, eps);
            assert!(
                lo <= pa && pa < pb && pb <= hi,
                "[{a}, {b}] in [{lo}, {hi}] → [{pa}, {pb}]"
            );
            assert!(pb - pa >= eps, "[{a}, {b}] → side {}", pb - pa);
        }
        assert_eq!(project_side(1.0, 2.0, 0.0, 10.0, eps), (1.0, 2.0));
        assert_eq!(project_side(-1.0, 12.0, 0.0, 10.0, eps), (0.0, 10.0));
    }
}
