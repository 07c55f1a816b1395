//! Why a certificate was refused or failed.

use crate::semantic::EvalError;

/// A bad setting, a bad box or batch, or a failure of the function being certified. Each
/// variant names the field or row it is about.
#[derive(Debug, thiserror::Error)]
pub enum CertifyError {
    /// `confidence` (1 − α) is not a finite number strictly between 0 and 1.
    #[error("certificate confidence = {value} must be a number strictly between 0 and 1")]
    Confidence { value: f64 },
    /// `max_share` (p) is not a finite number strictly between 0 and 1.
    #[error("certificate max_share = {value} must be a number strictly between 0 and 1")]
    MaxShare { value: f64 },
    /// `samples` is too small for even a failure-free sample to certify.
    #[error(
        "certificate samples = {value} can never certify a share of {max_share} at confidence \
         {confidence}: it needs at least {smallest} samples"
    )]
    TooFewSamples {
        value: usize,
        smallest: usize,
        confidence: f64,
        max_share: f64,
    },
    /// `batch` is 0.
    #[error("certificate batch = 0: a round must draw at least one sample")]
    Batch,
    /// The threshold (the setting's, or the caller's acceptance threshold) is not in [0, 1].
    #[error("certificate threshold = {value} must be a number in [0, 1]")]
    Threshold { value: f64 },
    /// An unknown criterion name.
    #[error("unknown certificate criterion {given:?} (expected score or top1)")]
    UnknownCriterion { given: String },
    /// The box is not a box: bounds of different lengths, no dimension, a non-finite bound,
    /// or a lower bound above its upper bound.
    #[error("certificate box: {problem}")]
    BadBox { problem: String },
    /// The function's dimension is not the box's.
    #[error("the function has {got} parameters, the certificate's box has {expected}")]
    Dimension { expected: usize, got: usize },
    /// `tell` without a pending batch (`ask` first).
    #[error("tell without an asked batch (call ask first)")]
    NothingAsked,
    /// `tell` with not one score per asked row.
    #[error("tell got {got} scores for a batch of {expected} points")]
    ScoreCount { expected: usize, got: usize },
    /// A score that is not a number in [0, 1].
    #[error("score[{row}] = {value} is not a number in [0, 1]")]
    Score { row: usize, value: f64 },
    /// The top-1 criterion needs `top1_is_label` for every sample.
    #[error("score[{row}] has no top1_is_label, which the top1 criterion needs")]
    MissingTop1 { row: usize },
    /// The lockstep evaluator returned not one batch of scores per live run.
    #[error("the evaluator returned {got} batches of scores for {expected} batches of points")]
    BatchCount { expected: usize, got: usize },
    /// A run of a lockstep group failed (its index among the runs given).
    #[error("certificate run {run}: {source}")]
    Run {
        run: usize,
        #[source]
        source: Box<CertifyError>,
    },
    /// The function of interest failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
}
