//! A box's statistical certificate as an ask/tell state machine (SPEC §8).
//!
//! [`CertificateRun::ask`] gives the next batch of sample points, [`CertificateRun::tell`]
//! takes their scores; whoever holds the run decides how a batch is evaluated, so the
//! batches of many certificates (of many jobs) can share one network stream
//! ([`run_certificates`]). [`certify_function`] is the one-run loop over a
//! [`SemanticFunction`].

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::sampling::{certificate_rng, uniform_points};
use super::settings::check_threshold;
use super::stats::{clopper_pearson_upper, max_certifiable_failures};
use super::{CertifyError, CertifySettings, Criterion};
use crate::region::Goal;
use crate::semantic::SemanticFunction;

/// What the network said at one sample point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleScore {
    /// The true class's probability `f(u)`.
    pub score: f64,
    /// Whether the top-1 class is the label (needed by [`Criterion::Top1`]).
    pub top1_is_label: Option<bool>,
    /// The top-1 class, when known (reported with the witness).
    pub top_class: Option<usize>,
}

impl SampleScore {
    /// A score alone (no top-1 information), as an oracle or a map gives it.
    pub fn of_score(score: f64) -> SampleScore {
        SampleScore {
            score,
            top1_is_label: None,
            top_class: None,
        }
    }
}

/// How a certificate ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// All planned samples drawn and the upper bound on the failing share is ≤ p.
    Certified,
    /// All planned samples drawn and the upper bound is above p.
    NotCertified,
    /// Stopped before all planned samples were drawn: the failures seen already exceed the
    /// most that `planned` samples could certify with. This only declines to certify.
    Refuted,
}

/// The sample with the worst score: the lowest `f` for a robust claim, the highest for an
/// adversarial one (the first such sample on ties).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Witness {
    pub point: Vec<f64>,
    pub score: f64,
    pub top1_is_label: Option<bool>,
    pub top_class: Option<usize>,
}

/// A box's certificate (SPEC §8): with confidence `confidence`, at most a share
/// `upper_bound` of the box fails under `criterion`; certified when that is ≤ `max_share`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub verdict: Verdict,
    /// Samples drawn (fewer than `planned` when refuted early).
    pub samples: usize,
    /// Samples planned.
    pub planned: usize,
    /// Samples that failed the criterion.
    pub failures: usize,
    /// The one-sided Clopper–Pearson upper bound on the failing share, from the samples
    /// drawn (`n = samples`).
    pub upper_bound: f64,
    pub confidence: f64,
    pub max_share: f64,
    pub criterion: Criterion,
    /// The score threshold `t` on `f` in force.
    pub threshold: f64,
    pub seed: u64,
    /// The worst sample.
    pub witness: Witness,
    /// The sampled score closest to the threshold: `min |f − t|` over the samples drawn.
    pub margin: f64,
}

impl Certificate {
    pub fn is_certified(&self) -> bool {
        self.verdict == Verdict::Certified
    }
}

/// One certificate in ask/tell form (SPEC §8).
///
/// Batches: the first has `min(batch, planned)` rows, each later one twice the last, at
/// most `4 × batch`, and never more than the samples still planned: a box that fails almost
/// everywhere is refuted after its first small batch, a clean one is drawn in few rounds.
/// Sample `j` is the `j`-th point of the seed's stream whatever the batch sizes.
#[derive(Debug, Clone)]
pub struct CertificateRun {
    lower: Vec<f64>,
    upper: Vec<f64>,
    goal: Goal,
    criterion: Criterion,
    threshold: f64,
    confidence: f64,
    alpha: f64,
    max_share: f64,
    planned: usize,
    /// The most failures that `planned` samples can certify with.
    max_failures: usize,
    batch: usize,
    next_batch: usize,
    seed: u64,
    /// Where the next batch starts in the seed's stream (32-bit words): the generator is
    /// rebuilt from it each round, which keeps the run `Clone`.
    word_pos: u128,
    drawn: usize,
    failures: usize,
    pending: Option<DMatrix<f64>>,
    witness: Option<Witness>,
    margin: f64,
    verdict: Option<Verdict>,
}

impl CertificateRun {
    /// A certificate of the box `[lower, upper]` for `goal`, checked before any sample.
    ///
    /// The threshold in force is `settings.threshold`, else `threshold` (the caller's
    /// acceptance threshold); it must lie in `[0, 1]`. The box needs at least one dimension,
    /// finite bounds and `lower ≤ upper` (a side may be 0: its points are then that
    /// coordinate). [`Criterion::Top1`] is accepted here; its scores must then carry
    /// `top1_is_label` ([`CertifyError::MissingTop1`] at `tell`).
    pub fn new(
        lower: &[f64],
        upper: &[f64],
        goal: Goal,
        settings: &CertifySettings,
        threshold: f64,
        seed: u64,
    ) -> Result<CertificateRun, CertifyError> {
        settings.check()?;
        check_box(lower, upper)?;
        let threshold = settings.threshold_or(threshold);
        check_threshold(threshold)?;
        let alpha = settings.alpha();
        let max_failures = max_certifiable_failures(settings.samples, alpha, settings.max_share)
            .expect("checked: the planned samples can certify");
        Ok(CertificateRun {
            lower: lower.to_vec(),
            upper: upper.to_vec(),
            goal,
            criterion: settings.criterion,
            threshold,
            confidence: settings.confidence,
            alpha,
            max_share: settings.max_share,
            planned: settings.samples,
            max_failures,
            batch: settings.batch,
            next_batch: settings.batch,
            seed,
            word_pos: 0,
            drawn: 0,
            failures: 0,
            pending: None,
            witness: None,
            margin: f64::INFINITY,
            verdict: None,
        })
    }

    /// The next batch of sample points, one per row (at most `4 × batch` rows), or `None`
    /// once the certificate is finished. Asking again before `tell` gives the same batch.
    pub fn ask(&mut self) -> Option<&DMatrix<f64>> {
        if self.verdict.is_some() {
            return None;
        }
        if self.pending.is_none() {
            let count = self.next_batch.min(self.planned - self.drawn);
            let mut rng = certificate_rng(self.seed);
            rng.set_word_pos(self.word_pos);
            let points = uniform_points(&self.lower, &self.upper, count, &mut rng);
            self.word_pos = rng.get_word_pos();
            self.next_batch = self
                .next_batch
                .saturating_mul(2)
                .min(self.batch.saturating_mul(4));
            self.pending = Some(points);
        }
        self.pending.as_ref()
    }

    /// The scores of the asked batch, one per row in order. A bad batch (wrong length, a
    /// score not in `[0, 1]`, a missing `top1_is_label` under [`Criterion::Top1`]) is refused
    /// and changes nothing: the same batch can be told again.
    pub fn tell(&mut self, scores: &[SampleScore]) -> Result<(), CertifyError> {
        let points = self.pending.as_ref().ok_or(CertifyError::NothingAsked)?;
        if scores.len() != points.nrows() {
            return Err(CertifyError::ScoreCount {
                expected: points.nrows(),
                got: scores.len(),
            });
        }
        for (row, s) in scores.iter().enumerate() {
            if !(0.0..=1.0).contains(&s.score) {
                return Err(CertifyError::Score {
                    row,
                    value: s.score,
                });
            }
            if self.criterion == Criterion::Top1 && s.top1_is_label.is_none() {
                return Err(CertifyError::MissingTop1 { row });
            }
        }
        let points = self.pending.take().expect("checked above");
        for (row, s) in scores.iter().enumerate() {
            if self.fails(s) {
                self.failures += 1;
            }
            self.margin = self.margin.min((s.score - self.threshold).abs());
            let worse = match (&self.witness, self.goal) {
                (None, _) => true,
                (Some(w), Goal::Robust) => s.score < w.score,
                (Some(w), Goal::Adversarial) => s.score > w.score,
            };
            if worse {
                self.witness = Some(Witness {
                    point: points.row(row).iter().copied().collect(),
                    score: s.score,
                    top1_is_label: s.top1_is_label,
                    top_class: s.top_class,
                });
            }
        }
        self.drawn += scores.len();
        if self.drawn == self.planned {
            let bound = clopper_pearson_upper(self.failures, self.drawn, self.alpha);
            self.verdict = Some(if bound <= self.max_share {
                Verdict::Certified
            } else {
                Verdict::NotCertified
            });
        } else if self.failures > self.max_failures {
            self.verdict = Some(Verdict::Refuted);
        }
        Ok(())
    }

    /// Whether a sample fails the claim (SPEC §8): see [`Criterion`].
    fn fails(&self, s: &SampleScore) -> bool {
        match (self.criterion, self.goal) {
            (Criterion::Score, Goal::Robust) => s.score < self.threshold,
            (Criterion::Score, Goal::Adversarial) => s.score > self.threshold,
            (Criterion::Top1, Goal::Robust) => s.top1_is_label == Some(false),
            (Criterion::Top1, Goal::Adversarial) => s.top1_is_label == Some(true),
        }
    }

    /// Whether no more batches will be asked.
    pub fn is_finished(&self) -> bool {
        self.verdict.is_some()
    }

    /// Samples drawn and told so far.
    pub fn samples_drawn(&self) -> usize {
        self.drawn
    }

    /// Failures so far.
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// The seed of the run's samples.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The certificate of a finished run.
    ///
    /// # Panics
    ///
    /// When the run is not finished ([`CertificateRun::is_finished`]): a certificate is only
    /// issued on all its planned samples or on an early refutation.
    pub fn finish(self) -> Certificate {
        let verdict = self
            .verdict
            .expect("CertificateRun::finish on a run that is not finished");
        Certificate {
            verdict,
            samples: self.drawn,
            planned: self.planned,
            failures: self.failures,
            upper_bound: clopper_pearson_upper(self.failures, self.drawn, self.alpha),
            confidence: self.confidence,
            max_share: self.max_share,
            criterion: self.criterion,
            threshold: self.threshold,
            seed: self.seed,
            witness: self
                .witness
                .expect("a finished run drew at least one sample"),
            margin: self.margin,
        }
    }
}

/// Checks that `[lower, upper]` is a box: same lengths, at least one dimension, finite
/// bounds, `lower ≤ upper`.
fn check_box(lower: &[f64], upper: &[f64]) -> Result<(), CertifyError> {
    let bad = |problem: String| Err(CertifyError::BadBox { problem });
    if lower.len() != upper.len() {
        return bad(format!(
            "lower has {} coordinates, upper {}",
            lower.len(),
            upper.len()
        ));
    }
    if lower.is_empty() {
        return bad("no dimensions".into());
    }
    for (k, (&a, &b)) in lower.iter().zip(upper).enumerate() {
        if !(a.is_finite() && b.is_finite()) {
            return bad(format!(
                "lower[{k}] = {a}, upper[{k}] = {b}: not finite numbers"
            ));
        }
        if a > b {
            return bad(format!("lower[{k}] = {a} is above upper[{k}] = {b}"));
        }
    }
    Ok(())
}

/// The certificate of `[lower, upper]` on `f`'s values (no top-1 information): the one-run
/// loop over [`CertificateRun`], for oracles, maps and tests.
pub fn certify_function(
    f: &dyn SemanticFunction,
    lower: &[f64],
    upper: &[f64],
    goal: Goal,
    settings: &CertifySettings,
    threshold: f64,
    seed: u64,
) -> Result<Certificate, CertifyError> {
    if f.dim() != lower.len() {
        return Err(CertifyError::Dimension {
            expected: lower.len(),
            got: f.dim(),
        });
    }
    let mut run = CertificateRun::new(lower, upper, goal, settings, threshold, seed)?;
    while let Some(points) = run.ask() {
        let e = f.evaluate(points, 0)?;
        let scores: Vec<SampleScore> = e.values.iter().map(|&v| SampleScore::of_score(v)).collect();
        run.tell(&scores)?;
    }
    Ok(run.finish())
}

/// The evaluator of [`run_certificates`]: the batches of a round in, one batch of scores
/// per batch of points out, in order.
pub type BatchEvaluator<'a> =
    dyn FnMut(&[&DMatrix<f64>]) -> Result<Vec<Vec<SampleScore>>, CertifyError> + 'a;

/// Runs many certificates in lockstep: each round makes one call of `evaluate` with the
/// batch of every live run, in the order of `runs`, and expects one batch of scores per
/// batch of points, in that order. Stops when every run is finished; the runs then hold
/// their certificates ([`CertificateRun::finish`]). A run's refused scores come back as
/// [`CertifyError::Run`] with its index in `runs`.
pub fn run_certificates(
    runs: &mut [CertificateRun],
    evaluate: &mut BatchEvaluator<'_>,
) -> Result<(), CertifyError> {
    loop {
        let (live, batches): (Vec<usize>, Vec<&DMatrix<f64>>) = runs
            .iter_mut()
            .enumerate()
            .filter_map(|(i, r)| r.ask().map(|b| (i, b)))
            .unzip();
        if live.is_empty() {
            return Ok(());
        }
        let scores = evaluate(&batches)?;
        if scores.len() != live.len() {
            return Err(CertifyError::BatchCount {
                expected: live.len(),
                got: scores.len(),
            });
        }
        for (i, s) in live.into_iter().zip(scores) {
            runs[i].tell(&s).map_err(|e| CertifyError::Run {
                run: i,
                source: Box::new(e),
            })?;
        }
    }
}
