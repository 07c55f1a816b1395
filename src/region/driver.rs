//! The one driver loop shared by every method (SPEC §3): evaluate, step, project, stop.

use std::collections::VecDeque;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::error::{BadBatch, BatchShape};
use super::faces;
use super::frame::UnitFrame;
use super::methods::{
    naive_from_means, naive_loss, oir_b_from_means, oir_b_loss, oir_w_direction, oir_w_loss,
    Direction, HyperParams, Method, RestRule,
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
    /// The rest rule ended the run (SPEC §3, "Rest rule"): over the last `rest_window` steps
    /// every bound stayed within `rest_tolerance` times its axis's length and every side
    /// within `rest_tolerance` times itself, and no side is at its minimum: a region at rest
    /// by the window rule.
    Rested,
    /// The iteration budget ran out with the box still moving and no side at its minimum.
    MaxIterations,
    /// Every side is at its minimum and the box stopped moving (by either rest rule): the
    /// method found no region here (e.g. naive where `λ r` outweighs the face integrals).
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

/// Which rule ended a run that took no non-finite step, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The last step moved every bound by at most `tolerance × r_i`.
    Step,
    /// The rest rule: the last `rest_window` steps kept every bound within `rest_tolerance`
    /// times its axis's length and every side within `rest_tolerance` times itself.
    Window,
    /// The cap: `iterations` steps taken, the box still moving.
    Cap,
}

impl StopReason {
    /// The reason of a run that stopped without a non-finite step: `ending` the rule that
    /// ended it, `sides` the final box's sides.
    fn of_final_box(ending: Ending, sides: &DVector<f64>, eps: f64) -> StopReason {
        let minimal = sides.iter().filter(|&&r| r < 1.5 * eps).count();
        match (minimal, ending) {
            (0, Ending::Step) => StopReason::Converged,
            (0, Ending::Window) => StopReason::Rested,
            (0, Ending::Cap) => StopReason::MaxIterations,
            (m, Ending::Cap) if m == sides.len() => StopReason::CollapsedDrifting,
            (m, _) if m == sides.len() => StopReason::Collapsed,
            _ => StopReason::PartlyCollapsed,
        }
    }

    /// Whether the run came to rest, by the per-step rule or the rest rule, with a box of
    /// full dimension (`Converged` or `Rested`): what a report counts as "at rest".
    pub fn is_at_rest(self) -> bool {
        matches!(self, StopReason::Converged | StopReason::Rested)
    }
}

/// One step of a run: the box that was evaluated and its loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceStep {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// The method's loss at this box (corner rule, SPEC §3), in the run's coordinates;
    /// `None` where it is undefined (OIR_W with `1ᵀ f_D = 0`).
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
    /// The run ended because it used up its `iterations` (the cap), not by a rest rule nor
    /// before a non-finite step.
    pub hit_cap: bool,
    /// The box after step `⌊0.8 × iterations⌋` of the cap (the start box for a cap of 1), or
    /// the final box of a run that ended sooner: what the run would have returned with a
    /// budget of 80 % of its cap.
    pub box_at_80: Region,
}

/// Where a run begins.
#[derive(Debug, Clone, Copy)]
enum Start<'a> {
    /// The paper's start: the box `[u0 − ε, u0 + ε]`, projected like every step.
    Point(&'a [f64]),
    /// A given box, taken as it is (e.g. the box a run on a map reached).
    Box(&'a Region),
}

/// Checks the problem before any evaluation: the start against `domain` (the parameters'
/// units, as the caller gave them), ε against the domain and the start box in the run's
/// coordinates (`frame`).
fn validate(
    f: &dyn SemanticFunction,
    method: Method,
    domain: &Region,
    start: Start<'_>,
    hyper: &HyperParams,
    frame: Option<&UnitFrame>,
) -> Result<(), RegionError> {
    let n = domain.dim();
    if f.dim() != n {
        return Err(RegionError::DimensionMismatch {
            what: "the function",
            expected: n,
            got: f.dim(),
        });
    }
    let (what, len) = match start {
        Start::Point(init) => ("init", init.len()),
        Start::Box(b) => ("the start box", b.dim()),
    };
    if len != n {
        return Err(RegionError::DimensionMismatch {
            what,
            expected: n,
            got: len,
        });
    }
    hyper.validate(n)?;
    let (lo, hi) = (domain.lower(), domain.upper());
    match start {
        Start::Point(init) => {
            if let Some(index) = (0..n).find(|&i| !(lo[i] <= init[i] && init[i] <= hi[i])) {
                return Err(RegionError::InitOutsideDomain {
                    index,
                    value: init[index],
                    lower: lo[index],
                    upper: hi[index],
                });
            }
        }
        Start::Box(b) => {
            for (which, bound) in [("lower", b.lower()), ("upper", b.upper())] {
                if let Some(index) = (0..n).find(|&i| !(lo[i] <= bound[i] && bound[i] <= hi[i])) {
                    return Err(RegionError::StartBoxOutsideDomain {
                        which,
                        index,
                        value: bound[index],
                        lower: lo[index],
                        upper: hi[index],
                    });
                }
            }
            // In unit coordinates a box that was ε wide there comes back from the parameters'
            // units a few ulps narrower: allowed, and widened to ε by the projection.
            let (sides, least) = match frame {
                None => (b.sides(), hyper.epsilon),
                Some(fr) => (fr.box_to_run(b).sides(), hyper.epsilon * (1.0 - 1e-9)),
            };
            if let Some(index) = (0..n).find(|&i| sides[i] < least) {
                return Err(RegionError::StartBoxTooSmall {
                    index,
                    side: sides[index],
                    epsilon: hyper.epsilon,
                });
            }
        }
    }
    let sides = frame.map_or_else(|| domain.sides(), |fr| fr.run_domain().sides());
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

/// Checks one evaluated batch: its shape and that every value is a finite number.
fn check(
    points: &DMatrix<f64>,
    gradient_rows: usize,
    e: Evaluation,
) -> Result<Evaluation, RegionError> {
    let (m, n) = points.shape();
    let expected = BatchShape::expected(m, gradient_rows, n);
    BadBatch::check(expected, BatchShape::of(&e, &expected))?;
    if let Some(j) = e.values.iter().position(|v| !v.is_finite()) {
        return Err(EvalError::NonFinite {
            value: e.values[j],
            point: points.row(j).iter().copied().collect(),
        }
        .into());
    }
    if let (true, Some(g)) = (gradient_rows > 0, &e.gradients) {
        if let Some(p) = g.iter().position(|v| !v.is_finite()) {
            let j = p % gradient_rows; // column-major storage
            return Err(EvalError::NonFinite {
                value: g[p],
                point: points.row(j).iter().copied().collect(),
            }
            .into());
        }
    }
    Ok(e)
}

/// The layout of one step's batch and the update rule of one method over it.
#[derive(Debug, Clone)]
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

/// One point batch a run asks to have evaluated: `f` at every row of `points`, `∇f` at the
/// first `gradient_rows` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub points: DMatrix<f64>,
    pub gradient_rows: usize,
}

/// What a run did with one evaluated batch: the step an observer sees.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Steps taken so far, this one included (1 for the start box).
    pub iteration: usize,
    /// The box that was evaluated and its loss.
    pub trace: TraceStep,
    /// `Some` when this step ended the run.
    pub stop: Option<StopReason>,
}

/// What a region is sought for (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Regions where `f` (the true label's score) stays high.
    #[default]
    Robust,
    /// Regions where `1 − f` stays high: the network is fooled throughout.
    Adversarial,
}

impl Goal {
    /// `Adversarial` when `adversarial`, else `Robust`.
    pub fn from_adversarial(adversarial: bool) -> Goal {
        if adversarial {
            Goal::Adversarial
        } else {
            Goal::Robust
        }
    }

    pub fn is_adversarial(self) -> bool {
        self == Goal::Adversarial
    }
}

impl std::fmt::Display for Goal {
    /// `robust` or `adversarial`, as in configurations.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Goal::Robust => "robust",
            Goal::Adversarial => "adversarial",
        })
    }
}

/// One region run in ask/tell form (SPEC §3): [`RunState::ask`] gives the batch of the next
/// step, [`RunState::tell`] takes its values (and gradients) and steps. Whoever holds the run
/// decides how the batch is evaluated: [`find_region`] calls `f` for one run; a lockstep
/// executor merges the batches of many runs into one.
#[derive(Debug, Clone)]
pub struct RunState {
    method: Method,
    hyper: HyperParams,
    /// The map between the parameters' units and the run's coordinates (`None`: native, no
    /// arithmetic). `domain` and `region` are in the run's coordinates.
    frame: Option<UnitFrame>,
    domain: Region,
    goal: Goal,
    stepper: Stepper,
    region: Region,
    iterations: usize,
    evaluations: usize,
    gradient_evaluations: usize,
    last_loss: Option<f64>,
    stop: Option<StopReason>,
    pending: Option<Query>,
    /// The rest rule's boxes: the box before the last `rest_window` steps and after each of
    /// them (run's coordinates); empty with the rule off.
    recent: VecDeque<Region>,
    /// Whether the cap ended the run.
    hit_cap: bool,
    /// The box after step `⌊0.8 × iterations⌋` (run's coordinates), once reached.
    box_at_80: Option<Region>,
}

impl RunState {
    /// A run of `method` from `init` on `f` (on `1 − f` for [`Goal::Adversarial`]), checked before
    /// any evaluation; `f` only lends its dimension and whether it provides gradients.
    ///
    /// The start box is `[init − w, init + w]` with `w` the start half-width (ε unless
    /// `hyper.start_half_width` is given), in the run's coordinates, projected like every
    /// step, so a start on the domain's boundary begins one-sided (`[init, init + w]` at a
    /// lower bound).
    pub fn new(
        f: &dyn SemanticFunction,
        method: Method,
        domain: &Region,
        init: &[f64],
        hyper: &HyperParams,
        goal: Goal,
    ) -> Result<RunState, RegionError> {
        let frame = UnitFrame::of(hyper.coordinates, domain);
        validate(f, method, domain, Start::Point(init), hyper, frame.as_ref())?;
        let (eps, w) = (
            hyper.epsilon,
            hyper.start_half_width.unwrap_or(hyper.epsilon),
        );
        let u0 = DVector::from_column_slice(init);
        let (u0, run_domain) = match &frame {
            None => (u0, domain.clone()),
            Some(fr) => (fr.to_run(&u0), fr.run_domain()),
        };
        let start = project(&u0.add_scalar(-w), &u0.add_scalar(w), &run_domain, eps);
        Ok(RunState::starting_at(
            method, frame, run_domain, start, hyper, goal,
        ))
    }

    /// A run of `method` that starts from the box `start` instead of a point: inside the
    /// domain, every side at least ε (refused otherwise, naming the bound), taken as it is.
    /// Everything else is [`RunState::new`]'s: a box start at a point start's first box
    /// gives that point start's run exactly. `hyper.iterations` counts the steps of this run
    /// (e.g. the network steps that refine a box grown on a map).
    pub fn from_box(
        f: &dyn SemanticFunction,
        method: Method,
        domain: &Region,
        start: &Region,
        hyper: &HyperParams,
        goal: Goal,
    ) -> Result<RunState, RegionError> {
        let frame = UnitFrame::of(hyper.coordinates, domain);
        validate(f, method, domain, Start::Box(start), hyper, frame.as_ref())?;
        let (start, run_domain) = match &frame {
            None => (start.clone(), domain.clone()),
            Some(fr) => {
                let run_domain = fr.run_domain();
                let b = fr.box_to_run(start);
                let b = project(b.lower(), b.upper(), &run_domain, hyper.epsilon);
                (b, run_domain)
            }
        };
        Ok(RunState::starting_at(
            method, frame, run_domain, start, hyper, goal,
        ))
    }

    /// A checked run at its first box (`domain` and `start` in the run's coordinates).
    fn starting_at(
        method: Method,
        frame: Option<UnitFrame>,
        domain: Region,
        start: Region,
        hyper: &HyperParams,
        goal: Goal,
    ) -> RunState {
        let recent = match hyper.rest() {
            Some(rule) => {
                let mut boxes = VecDeque::with_capacity(rule.window + 1);
                boxes.push_back(start.clone());
                boxes
            }
            None => VecDeque::new(),
        };
        let box_at_80 = (step_at_80(hyper.iterations) == 0).then(|| start.clone());
        RunState {
            method,
            hyper: *hyper,
            frame,
            stepper: Stepper::new(method, domain.dim(), hyper.face_points),
            domain,
            goal,
            region: start,
            iterations: 0,
            evaluations: 0,
            gradient_evaluations: 0,
            last_loss: None,
            stop: None,
            pending: None,
            recent,
            hit_cap: false,
            box_at_80,
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    /// The current box (after the last step), in the parameters' units.
    pub fn region(&self) -> Region {
        self.native(&self.region)
    }

    /// A box in the run's coordinates in the parameters' units.
    fn native(&self, b: &Region) -> Region {
        match &self.frame {
            None => b.clone(),
            Some(fr) => fr.box_to_native(b),
        }
    }

    /// `Some` once the run has stopped.
    pub fn stop(&self) -> Option<StopReason> {
        self.stop
    }

    /// Steps taken so far.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The loss of the last evaluated box (`None` before the first step, or undefined).
    pub fn last_loss(&self) -> Option<f64> {
        self.last_loss
    }

    /// The batch of the next step, `None` once the run has stopped. Asking again before
    /// [`RunState::tell`] gives the same batch.
    ///
    /// The batch holds every point the step needs: the inner box's boundary grid (its `2ⁿ`
    /// corners at `face_points = 2`), then, for OIR_B and OIR_W, the outer box's. OIR_W asks
    /// `∇f` for the inner box's points only (the outer corners enter its reported loss, not
    /// its direction).
    pub fn ask(&mut self) -> Option<&Query> {
        if self.stop.is_some() {
            return None;
        }
        if self.pending.is_none() {
            let mut points = self.stepper.points(&self.region, self.hyper.alpha);
            if let Some(fr) = &self.frame {
                fr.points_to_native(&mut points);
            }
            self.pending = Some(Query {
                points,
                gradient_rows: self.stepper.gradient_rows(),
            });
        }
        self.pending.as_ref()
    }

    /// Takes the evaluation of the batch [`RunState::ask`] gave (values of `f`, not of
    /// `1 − f`: the run complements them itself when adversarial), checks it and steps.
    ///
    /// # Panics
    /// When no batch was asked for.
    pub fn tell(&mut self, e: Evaluation) -> Result<Step, RegionError> {
        let query = self
            .pending
            .take()
            .expect("RunState::tell without a batch from RunState::ask");
        let e = if self.goal.is_adversarial() {
            Evaluation {
                values: e.values.map(|v| 1.0 - v),
                gradients: e.gradients.map(|g| -g),
            }
        } else {
            e
        };
        let mut e = check(&query.points, query.gradient_rows, e)?;
        if let (Some(fr), Some(g)) = (&self.frame, e.gradients.as_mut()) {
            fr.gradients_to_run(g);
        }
        self.evaluations += query.points.nrows();
        self.gradient_evaluations += query.gradient_rows;
        let (direction, loss) = self.stepper.update(&self.region, &e, &self.hyper);
        let evaluated = self.native(&self.region);
        let trace = TraceStep {
            lower: evaluated.lower().iter().copied().collect(),
            upper: evaluated.upper().iter().copied().collect(),
            loss: loss.filter(|l| l.is_finite()),
        };
        self.iterations += 1;
        self.last_loss = trace.loss;
        self.stop = self.advance(&direction);
        Ok(Step {
            iteration: self.iterations,
            trace,
            stop: self.stop,
        })
    }

    /// The termination decision, in one place: steps `a ← a − η ∇_a L`, `b ← b − η ∇_b L`
    /// and projects into the domain with sides ≥ ε, then says whether the run stops.
    ///
    /// * `NonFiniteStep`: the direction is not finite; the box stays the last finite one.
    /// * The run stops when every bound moved by at most `tolerance × r_i` in the step (at
    ///   rest), else when the rest rule holds over the last `rest_window` steps, else after
    ///   `iterations` steps (the cap); the rule that ended it and the final box name the
    ///   reason ([`StopReason::of_final_box`]).
    fn advance(&mut self, direction: &Direction) -> Option<StopReason> {
        if !direction.is_finite() {
            return Some(StopReason::NonFiniteStep);
        }
        let (eta, eps) = (self.hyper.eta, self.hyper.epsilon);
        let (lower, upper) = match self.hyper.steps.factors(&self.region.sides()) {
            None => (
                self.region.lower() - &direction.lower * eta,
                self.region.upper() - &direction.upper * eta,
            ),
            Some(k) => (
                self.region.lower() - direction.lower.component_mul(&k) * eta,
                self.region.upper() - direction.upper.component_mul(&k) * eta,
            ),
        };
        let next = project(&lower, &upper, &self.domain, eps);
        let at_rest = moved_at_most(&self.region, &next, self.hyper.tolerance);
        self.region = next;
        if self.iterations == step_at_80(self.hyper.iterations) {
            self.box_at_80 = Some(self.region.clone());
        }
        let rested = self.window_at_rest();
        let ending = if at_rest {
            Some(Ending::Step)
        } else if rested {
            Some(Ending::Window)
        } else if self.iterations >= self.hyper.iterations {
            Some(Ending::Cap)
        } else {
            None
        };
        self.hit_cap = ending == Some(Ending::Cap);
        ending.map(|e| StopReason::of_final_box(e, &self.region.sides(), eps))
    }

    /// The rest rule (SPEC §3, "Rest rule"), with the box just stepped to: whether, over the
    /// last `rest_window` steps, every bound's range stayed within `rest_tolerance` times its
    /// axis's length and every side's range within `rest_tolerance` times that side (its
    /// smallest over the window). Always `false` with the rule off, and before `rest_window`
    /// steps.
    fn window_at_rest(&mut self) -> bool {
        let Some(RestRule { window, tolerance }) = self.hyper.rest() else {
            return false;
        };
        self.recent.push_back(self.region.clone());
        if self.recent.len() > window + 1 {
            self.recent.pop_front();
        }
        self.recent.len() == window + 1
            && bounds_within(&self.recent, &(self.domain.sides() * tolerance))
            && sides_within(&self.recent, tolerance)
    }

    /// The run's result so far, with `trace` (kept by the caller, e.g. a
    /// [`TraceRecorder`]). A run that has not stopped is named by its box as one out of budget.
    /// `hit_cap` is `false` for a run that has not stopped.
    pub fn finish(self, trace: Vec<TraceStep>) -> RegionRun {
        let eps = self.hyper.epsilon;
        let stop = self
            .stop
            .unwrap_or_else(|| StopReason::of_final_box(Ending::Cap, &self.region.sides(), eps));
        let at_80 = self.box_at_80.as_ref().unwrap_or(&self.region);
        RegionRun {
            region: self.native(&self.region),
            stop,
            iterations: self.iterations,
            evaluations: self.evaluations,
            gradient_evaluations: self.gradient_evaluations,
            trace,
            hit_cap: self.hit_cap,
            box_at_80: self.native(at_80),
        }
    }
}

/// Receives every step of the runs it watches (`run`: the run's index in its search).
pub trait Observer {
    fn observe(&mut self, run: usize, step: &Step);
}

/// An observer that keeps every step's box and loss, per run.
#[derive(Debug, Clone, Default)]
pub struct TraceRecorder {
    pub traces: Vec<Vec<TraceStep>>,
}

impl TraceRecorder {
    /// A recorder for `runs` runs.
    pub fn new(runs: usize) -> TraceRecorder {
        TraceRecorder {
            traces: vec![Vec::new(); runs],
        }
    }
}

impl Observer for TraceRecorder {
    fn observe(&mut self, run: usize, step: &Step) {
        if self.traces.len() <= run {
            self.traces.resize(run + 1, Vec::new());
        }
        self.traces[run].push(step.trace.clone());
    }
}

/// Grows a region from `init` with `method` (SPEC §3) on `f` (on `1 − f` for [`Goal::Adversarial`]):
/// [`RunState`] asked and told in a loop, one call of `f` per step, the trace recorded.
///
/// * Start: `[init − ε, init + ε]` projected like every step.
/// * Each step evaluates every point it needs in ONE batch call ([`RunState::ask`]), so
///   `gradient_evaluations` counts `2ⁿ` per OIR_W step.
/// * Step `a ← a − η ∇_a L`, `b ← b − η ∇_b L`, then project into the domain with sides ≥ ε.
/// * Stop when every bound moved by at most `tolerance × r_i` in the step, or (with the rest
///   rule, [`HyperParams::rest`]) when every bound ranged within `rest_tolerance` times its
///   axis's length and every side within `rest_tolerance` times itself over the last
///   `rest_window` steps, or after `iterations` steps, or before a
///   non-finite step (`NonFiniteStep`). The final box names the other reasons
///   ([`StopReason`]): at rest `Converged` (`Rested` by the rest rule), `PartlyCollapsed` or
///   `Collapsed`, out of budget `MaxIterations`, `PartlyCollapsed` or `CollapsedDrifting`, as
///   none, some or all of its sides are below 1.5 ε.
pub fn find_region(
    f: &dyn SemanticFunction,
    method: Method,
    domain: &Region,
    init: &[f64],
    hyper: &HyperParams,
    goal: Goal,
) -> Result<RegionRun, RegionError> {
    let mut run = RunState::new(f, method, domain, init, hyper, goal)?;
    let mut recorder = TraceRecorder::new(1);
    while let Some(q) = run.ask() {
        let e = f.evaluate(&q.points, q.gradient_rows)?;
        let step = run.tell(e)?;
        recorder.observe(0, &step);
    }
    let trace = recorder.traces.pop().unwrap_or_default();
    Ok(run.finish(trace))
}

/// The step after which a run's box is the one it would end with at 80 % of a cap of
/// `iterations`: `⌊0.8 × iterations⌋`, in integers.
fn step_at_80(iterations: usize) -> usize {
    iterations / 5 * 4 + iterations % 5 * 4 / 5
}

/// Whether, over `boxes`, every bound `i` (lower and upper) has a range (max − min) of at
/// most `allowed[i]`.
fn bounds_within(boxes: &VecDeque<Region>, allowed: &DVector<f64>) -> bool {
    let within = |bound: fn(&Region) -> &DVector<f64>, i: usize| {
        let (lo, hi) = boxes
            .iter()
            .map(|b| bound(b)[i])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
        hi - lo <= allowed[i]
    };
    (0..allowed.len()).all(|i| within(Region::lower, i) && within(Region::upper, i))
}

/// Whether, over `boxes`, every side `i` has a range (max − min) of at most `tolerance` times
/// its smallest value in `boxes`: the rest rule's second condition, which a box still growing
/// (or shrinking) geometrically never meets, however small it is.
fn sides_within(boxes: &VecDeque<Region>, tolerance: f64) -> bool {
    let sides: Vec<DVector<f64>> = boxes.iter().map(Region::sides).collect();
    (0..sides[0].len()).all(|i| {
        let (lo, hi) = sides
            .iter()
            .map(|r| r[i])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
        hi - lo <= tolerance * lo
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

    #[test]
    fn a_crossed_side_is_rebuilt_about_its_midpoint_without_an_ulp_of_drift() {
        // [c − ε/2, (c − ε/2) + ε] when its side is already ≥ ε in floating point (here
        // exactly ε, and above ε): the lower bound is not recomputed as b − ε, which moves it
        // by ulps (0.07 → 0.07000000000000006 in the first case).
        let a = 0.42 - 0.5 * 0.7;
        assert_eq!(project_side(0.42, 0.42, 0.0, 360.0, 0.7), (a, a + 0.7));
        assert_eq!((a + 0.7) - a, 0.7);
        let c = 0.8204859119254819;
        let (pa, pb) = project_side(c, c, 0.0, 360.0, 0.7);
        assert_eq!((pa, pb), (0.47048591192548195, 1.170485911925482));
        assert_eq!((pa, pb), (c - 0.35, (c - 0.35) + 0.7));
        assert!(pb - pa > 0.7);
    }

    #[test]
    fn a_trace_recorder_grows_to_the_runs_it_sees() {
        let step = |k: usize| Step {
            iteration: k,
            trace: TraceStep {
                lower: vec![k as f64],
                upper: vec![k as f64 + 1.0],
                loss: None,
            },
            stop: None,
        };
        let mut r = TraceRecorder::new(0);
        r.observe(2, &step(1));
        r.observe(0, &step(2));
        r.observe(2, &step(3));
        let lowers: Vec<Vec<f64>> = r
            .traces
            .iter()
            .map(|t| t.iter().map(|s| s.lower[0]).collect())
            .collect();
        assert_eq!(lowers, [vec![2.0], vec![], vec![1.0, 3.0]]);
    }

    #[test]
    fn the_stop_reason_names_the_final_box() {
        let eps = 0.1;
        // A side is at its minimum below 1.5 ε; exactly 1.5 ε is not.
        let (min, edge) = (DVector::from_element(1, 0.1), 1.5 * eps);
        let sides = |v: &[f64]| DVector::from_column_slice(v);
        use Ending::{Cap, Step, Window};
        use StopReason::*;
        for (ending, s, want) in [
            (Step, sides(&[edge, 3.0]), Converged),
            (Window, sides(&[edge, 3.0]), Rested),
            (Cap, sides(&[edge, 3.0]), MaxIterations),
            (Step, sides(&[edge.next_down(), 0.1]), Collapsed),
            (Window, sides(&[edge.next_down(), 0.1]), Collapsed),
            (Cap, sides(&[0.1, 0.1]), CollapsedDrifting),
            (Step, sides(&[0.1, 3.0]), PartlyCollapsed),
            (Window, sides(&[0.1, 3.0]), PartlyCollapsed),
            (Cap, sides(&[3.0, 0.1]), PartlyCollapsed),
            (Step, min.clone(), Collapsed),
            (Window, min.clone(), Collapsed),
            (Cap, min.clone(), CollapsedDrifting),
        ] {
            assert_eq!(
                StopReason::of_final_box(ending, &s, eps),
                want,
                "{ending:?} {s:?}"
            );
        }
        assert!(Converged.is_at_rest() && Rested.is_at_rest());
        assert!(!MaxIterations.is_at_rest() && !Collapsed.is_at_rest());
    }

    #[test]
    fn the_step_at_80_percent_is_the_floor_of_four_fifths_of_the_cap() {
        for cap in [1usize, 2, 4, 5, 7, 10, 799, 800, 801, 1_000_003] {
            assert_eq!(
                step_at_80(cap),
                (0.8 * cap as f64).floor() as usize,
                "{cap}"
            );
        }
        assert_eq!(step_at_80(usize::MAX), usize::MAX / 5 * 4); // 5 divides 2⁶⁴ − 1
    }

    #[test]
    fn the_window_holds_when_every_bound_ranges_within_its_allowance() {
        let b = |lo: f64, hi: f64| Region::new(vec![lo, 0.0], vec![hi, 1.0]).unwrap();
        let allowed = DVector::from_vec(vec![0.5, 0.0]);
        let boxes: VecDeque<Region> = [b(0.0, 2.0), b(0.5, 1.6), b(0.25, 2.1)].into();
        assert!(bounds_within(&boxes, &allowed));
        // The upper bound ranges over [1.6, 2.2]: 0.6 > 0.5.
        let boxes: VecDeque<Region> = [b(0.0, 2.0), b(0.5, 1.6), b(0.25, 2.2)].into();
        assert!(!bounds_within(&boxes, &allowed));
    }

    /// Gradients nobody asked for are not the run's business: a batch that brings some,
    /// even non-finite ones, passes as its values do; asked ones name the point of the first
    /// non-finite partial derivative (the matrix is stored column by column).
    #[test]
    fn only_asked_gradients_are_checked() {
        let points = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let values = DVector::from_vec(vec![0.5, 0.25, 0.75]);
        let unasked = Evaluation {
            values: values.clone(),
            gradients: Some(DMatrix::from_element(3, 2, f64::NAN)),
        };
        let back = check(&points, 0, unasked).expect("unasked gradients are not checked");
        assert_eq!(back.values, values);

        let mut g = DMatrix::from_element(2, 2, 1.0);
        g[(1, 1)] = f64::INFINITY;
        let asked = Evaluation {
            values,
            gradients: Some(g),
        };
        match check(&points, 2, asked) {
            Err(RegionError::Evaluation(EvalError::NonFinite { value, point })) => {
                assert_eq!(value, f64::INFINITY);
                assert_eq!(point, vec![2.0, 3.0]);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A goal prints as configurations and JSON name it.
    #[test]
    fn a_goal_prints_its_configuration_name() {
        for goal in [Goal::Robust, Goal::Adversarial] {
            let json = serde_json::to_string(&goal).unwrap();
            assert_eq!(format!("\"{goal}\""), json);
        }
        assert_eq!(Goal::Robust.to_string(), "robust");
        assert_eq!(Goal::from_adversarial(true).to_string(), "adversarial");
    }
}
