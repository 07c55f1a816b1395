//! Statistical certificates for boxes (SPEC §8).
//!
//! A region's box is grown on a few corner evaluations, so it can hide views the network
//! fails on. A certificate samples the box: `n` points drawn uniformly from a seeded,
//! portable generator, each scored and judged against a [`Criterion`]; with `k` failures
//! the one-sided Clopper–Pearson bound says, with confidence `1 − α`, that at most a share
//! `upper_bound(k, n, α)` of the box fails, and the box is *certified* when that is at most
//! `p`. The claim is statistical, not deterministic: over many boxes whose true failing
//! share exceeds `p`, at most a fraction `α` are certified.
//!
//! * [`stats`]: the Clopper–Pearson bound, the samples a failure-free certificate needs and
//!   the failures a plan can afford.
//! * [`settings`]: [`CertifySettings`] (`n`, `1 − α`, `p`, criterion, threshold, batches).
//! * [`sampling`]: the seed of a certificate and uniform points in a box.
//! * [`certificate`]: [`CertificateRun`], one certificate in ask/tell form with early
//!   refutation, [`certify_function`] (one run on a function) and [`run_certificates`]
//!   (many runs in lockstep, one evaluation per round).
//! * [`clean`]: [`clean_box`], the largest box around a start whose failing share on a
//!   map's interpolant is at most `p` (exact in 2-D, greedy in n-D).
//!
//! Plain `f64` and nalgebra: no libtorch.

pub mod certificate;
pub mod clean;
mod error;
pub mod record;
pub mod sampling;
pub mod settings;
pub mod stats;

pub use certificate::{
    certify_function, run_certificates, BatchEvaluator, Certificate, CertificateRun, SampleScore,
    Verdict, Witness,
};
pub use clean::clean_box;
pub use error::CertifyError;
pub use sampling::{certificate_seed, uniform_points, ChaCha8Rng};
pub use settings::{CertifySettings, Criterion};
pub use stats::{clopper_pearson_upper, max_certifiable_failures, min_samples};
