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
//! * [`find_region`]: the one driver loop (evaluate in one batch, step, project into the domain
//!   with sides ≥ ε, stop on convergence or budget, trace).

mod driver;
mod error;
pub mod faces;
mod geometry;
pub mod methods;

pub use driver::{find_region, RegionRun, StopReason, TraceStep, MAX_POINTS_PER_STEP};
pub use error::RegionError;
pub use geometry::{corner_bit, mask, mask_complement, Region, MAX_DIM};
pub use methods::{
    naive_direction, naive_loss, oir_b_direction, oir_b_loss, oir_w_direction, oir_w_loss,
    Direction, FaceMeans, HyperParams, Method, ParseMethodError,
};
