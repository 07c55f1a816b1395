//! Regions and the bottom-up region-finding methods (SPEC §2–3).
//!
//! Plain `f64` and nalgebra, no tensors. The pieces, as the paper names them:
//!
//! * [`Region`]: a box `[a, b]`, its [`mask`] and [`mask_complement`], corner matrix, outer
//!   box and trapezoid rule (SPEC §2), in SPEC §2's corner and bit order.
//! * [`methods`]: the update directions and losses of naive, OIR_B and OIR_W (SPEC §3) as pure
//!   functions of the box, `f_D`, `f_C`, `G_D` and the hyper-parameters.
//! * [`faces`]: Leibniz face integrals with `m` points per dimension per face (beyond the
//!   paper; `m = 2` is the corner rule).
//! * [`RunState`]: one run in ask/tell form (ask for a batch, tell its values, step, project
//!   into the domain with sides ≥ ε, stop on convergence or budget); [`Observer`]s see each
//!   step. [`find_region`] is the one-run loop over it; [`RegionSearch`] describes many runs.
//!
//! Conventions of the driver, beyond SPEC §3:
//!
//! * **Start.** `[u0 − ε, u0 + ε]` projected like every step: a start on the domain's boundary
//!   begins one-sided, `[u0, u0 + ε]` (or `[u0 − ε, u0]`). `start_half_width` widens it.
//! * **Coordinates** ([`Coordinates`], SPEC §3). Runs step in the parameters' own units by
//!   default; in `unit` coordinates on the domain scaled to `[0, 1]ⁿ`, with queries, boxes and
//!   traces given back in the parameters' units (gradients scaled by the chain rule).
//! * **Projection** (SPEC §3, defect 1). After each step the bounds are clamped to the domain;
//!   a side below ε (bounds that met or crossed) is rebuilt as `[c − ε/2, c + ε/2]` about its
//!   clamped midpoint, inside the domain, with the last ulps fixed so that `b − a ≥ ε` holds in
//!   floating point. The domain's sides must be ≥ ε.
//! * **Convergence.** A run stops once, in one step, every bound moved by at most
//!   `tolerance × r_i` (default 1e-9, relative to its side: the bounds of a 2e-5 start box and
//!   of a 100-degree region are judged alike). The stop reason also names a box with sides at
//!   their minimum (below 1.5 ε): `Collapsed` (all, at rest), `CollapsedDrifting` (all, still
//!   moving when the budget ran out), `PartlyCollapsed` (some, not all).
//! * **Rest rule** (SPEC §3, "Rest rule"; off by default: the paper's fixed budget). With
//!   `rest_window` W and `rest_tolerance` t a run also stops once, over its last W steps, every
//!   bound's range is at most `t` times its axis's length in Ω and every side's range at
//!   most `t` times that side (`Rested`, or `Collapsed`,
//!   `PartlyCollapsed` by the final box); `iterations` is then the cap. Every run records
//!   whether the cap ended it and its box after `⌊0.8 × iterations⌋` steps.
//! * **Counts.** `evaluations` counts every point `f` was evaluated at (inner and outer boxes);
//!   `gradient_evaluations` every point `∇f` was asked at: OIR_W asks it for the inner box's
//!   `2ⁿ` corners only (the leading rows of the batch), never for the outer corners, which
//!   enter its reported loss and not its direction.
//! * **Trace.** One entry per step: the box evaluated and its loss by the corner rule, also
//!   when the directions use more face points.
//! * **Dimension.** The face integrals of an ε start box scale like `ε^{n−1}`: from the
//!   paper's ε = 1e-5, naive (λ = 0.1) collapses for n ≥ 3 and OIR barely moves in 800 steps.
//!   In n ≥ 3, run in `unit` coordinates from a start box of useful size.

mod driver;
mod error;
pub mod faces;
mod frame;
mod geometry;
pub mod lockstep;
pub mod methods;
mod search;

pub use driver::{
    find_region, Goal, Observer, Query, RegionRun, RunState, Step, StopReason, TraceRecorder,
    TraceStep, MAX_POINTS_PER_STEP,
};
pub use error::{BadBatch, BatchShape, GradientShape, RegionError};
pub use frame::Coordinates;
pub use geometry::{corner_bit, mask, mask_complement, Point, Region, MAX_DIM};
pub use methods::{
    naive_direction, naive_loss, oir_b_direction, oir_b_loss, oir_w_direction, oir_w_loss,
    Direction, FaceMeans, HyperParams, Method, ParseMethodError, RestRule, StepRule,
};
pub use search::RegionSearch;
