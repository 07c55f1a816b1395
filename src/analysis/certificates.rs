//! Certificates of regions, checked on their network (SPEC §8).
//!
//! A region grown by the corner rule sees only its boundary; its certificate samples the
//! whole box anew on the network. Every run of a job gets one ([`RegionCertificate`]):
//!
//! * boxes under [`MIN_CERTIFIED_RATIO`] of Ω get none (`too_small`): they count 0 in
//!   certified SRVR, as they count about 0 in SRVR;
//! * identical boxes (several starts reaching one box) share one certificate: the first
//!   run's seed, one set of samples;
//! * the seed of run `k` of a job is [`crate::certify::certificate_seed`] of the results'
//!   fingerprint, the job's key and `k`: the growth never draws from it, and the same folder
//!   always gives the same samples;
//! * with `clean`, a run whose box is not certified also gets the largest clean box inside
//!   it on the job's map ([`crate::certify::clean_box`]), certified in turn.
//!
//! The samples of every certificate of a wave of jobs go to the network as ONE stream in
//! rounds ([`certify_jobs`], feature `torch`): each round asks every live certificate for
//! its next small batch, so that a hollow box is refuted after its first batch while the
//! batches of many boxes still fill the network's.

use crate::analysis::region_runs::RunSummary;
use crate::certify::{
    certificate_seed, clean_box, CertificateRun, CertifyError, CertifySettings, Criterion,
};
use crate::region::{Goal, Region};
use crate::semantic::Grid;

/// Boxes smaller than this share of Ω get no certificate (they count 0 in certified SRVR).
pub const MIN_CERTIFIED_RATIO: f64 = 1e-4;

pub use crate::certify::record::{witness_file, CleanRegion, RegionCertificate, FRAGILE_MARGIN};

impl RunSummary {
    /// The run's volume as certified SRVR counts it: its volume ratio when its box is
    /// certified, else 0; `None` when it was not assessed.
    pub fn certified_ratio(&self) -> Option<f64> {
        self.certificate.as_ref().map(|c| {
            if c.is_certified() {
                self.volume_ratio
            } else {
                0.0
            }
        })
    }

    /// The run's volume as clean SRVR counts it: a certified box's volume, else its certified
    /// clean box's, else 0; `None` when no clean box was sought (`clean` off or not assessed).
    pub fn clean_ratio(&self) -> Option<f64> {
        let certificate = self.certificate.as_ref()?;
        if certificate.is_certified() {
            return Some(self.volume_ratio);
        }
        if !matches!(certificate, RegionCertificate::Sampled(_)) {
            return Some(0.0);
        }
        let clean = self.clean.as_ref()?;
        Some(if clean.certificate.is_certified() {
            clean.volume_ratio
        } else {
            0.0
        })
    }
}

/// The settings of a certification and what they are applied to: the results' fingerprint
/// (seeds), the threshold in force and the regions' goal.
#[derive(Debug, Clone)]
pub struct Certification {
    pub settings: CertifySettings,
    /// The score threshold of the criterion (the settings' own, or the acceptance threshold).
    pub threshold: f64,
    /// The results' fingerprint: the seeds derive from it.
    pub fingerprint: String,
    pub goal: Goal,
}

impl Certification {
    /// One sentence on what a certificate means, for reports.
    pub fn sentence(&self) -> String {
        describe(
            self.settings.confidence,
            self.settings.max_share,
            self.settings.criterion,
            self.threshold,
            self.settings.samples,
        )
    }
}

/// What a certificate means, in one sentence.
pub fn describe(
    confidence: f64,
    max_share: f64,
    criterion: Criterion,
    threshold: f64,
    samples: usize,
) -> String {
    let fails = match criterion {
        Criterion::Score => format!("the true class's score is below {threshold}"),
        Criterion::Top1 => "the top-1 class is not the label".to_string(),
    };
    format!(
        "A certified region: with {} % confidence, at most {} % of its volume has views where {fails} \
         (one-sided Clopper–Pearson bound on up to {samples} fresh uniform samples rendered and scored \
         on the network; a statistical statement, not a proof).",
        percent(confidence),
        percent(max_share)
    )
}

/// `x` in percent with at most four decimals, trailing zeros dropped (`0.999` → `99.9`).
fn percent(x: f64) -> String {
    let text = format!("{:.4}", 100.0 * x);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Which box of a run a planned certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The run's final box.
    Region,
    /// The run's clean box.
    Clean,
}

/// One certificate to draw: the runs whose box it is (the first one's seed), and its state.
pub struct Planned {
    /// Which job of the batch of jobs it belongs to.
    pub job: usize,
    pub target: Target,
    /// The runs (indices in the job's runs) whose box this is.
    pub runs: Vec<usize>,
    pub run: CertificateRun,
}

/// The certificates a job's runs need for `target` (their box: final or clean): one per
/// distinct box of at least [`MIN_CERTIFIED_RATIO`] of Ω; smaller boxes are marked
/// `too_small` at once. Runs that already hold a certificate made with these settings are
/// left as they are; a clean box is sought only for a sampled, uncertified run.
pub fn plan_job(
    job: usize,
    job_key: &str,
    runs: &mut [RunSummary],
    map: Option<&Grid>,
    domain: &Region,
    c: &Certification,
    target: Target,
) -> Result<Vec<Planned>, CertifyError> {
    let mut planned: Vec<Planned> = Vec::new();
    let mut boxes: Vec<(Vec<u64>, usize)> = Vec::new();
    let domain_volume = domain.volume();
    for k in 0..runs.len() {
        let Some((lower, upper, ratio)) = target_box(&mut runs[k], map, c, target, domain_volume)
        else {
            continue;
        };
        if ratio < MIN_CERTIFIED_RATIO {
            let too_small = RegionCertificate::TooSmall;
            match target {
                Target::Region => runs[k].certificate = Some(too_small),
                Target::Clean => {
                    runs[k].clean = Some(CleanRegion {
                        lower,
                        upper,
                        volume_ratio: ratio,
                        certificate: too_small,
                    })
                }
            }
            continue;
        }
        if target == Target::Clean {
            // Keep the clean box now; its certificate comes with the samples.
            runs[k].clean = Some(CleanRegion {
                lower: lower.clone(),
                upper: upper.clone(),
                volume_ratio: ratio,
                certificate: RegionCertificate::TooSmall,
            });
        }
        let key: Vec<u64> = lower.iter().chain(&upper).map(|x| x.to_bits()).collect();
        if let Some(&(_, p)) = boxes.iter().find(|(b, _)| *b == key) {
            planned[p].runs.push(k);
            continue;
        }
        // Clean boxes draw from their own seeds: the run's index past every run's.
        let index = match target {
            Target::Region => k,
            Target::Clean => runs.len() + k,
        };
        let seed = certificate_seed(&c.fingerprint, job_key, index);
        let run = CertificateRun::new(&lower, &upper, c.goal, &c.settings, c.threshold, seed)?;
        boxes.push((key, planned.len()));
        planned.push(Planned {
            job,
            target,
            runs: vec![k],
            run,
        });
    }
    Ok(planned)
}

/// The box of `run` that `target` certifies, with its share of Ω (of volume
/// `domain_volume`); `None` when it needs no new certificate: a region already certified
/// with these settings, or no clean box wanted or found (a run whose start alone is left
/// gets a too-small clean box here). A region to certify anew loses its stale clean box.
fn target_box(
    run: &mut RunSummary,
    map: Option<&Grid>,
    c: &Certification,
    target: Target,
    domain_volume: f64,
) -> Option<(Vec<f64>, Vec<f64>, f64)> {
    match target {
        Target::Region => {
            if run
                .certificate
                .as_ref()
                .is_some_and(|x| x.made_with(&c.settings, c.threshold))
            {
                return None;
            }
            // A new certificate makes the old clean box stale.
            run.clean = None;
            Some((run.lower.clone(), run.upper.clone(), run.volume_ratio))
        }
        Target::Clean => {
            let wanted = c.settings.clean
                && matches!(&run.certificate, Some(x @ RegionCertificate::Sampled(_)) if !x.is_certified())
                && run.clean.is_none();
            let map = map.filter(|_| wanted)?;
            let Some((lo, hi)) = clean_box(
                map,
                &run.lower,
                &run.upper,
                &run.init,
                c.threshold,
                c.settings.max_share,
                c.goal,
            ) else {
                run.clean = Some(CleanRegion {
                    lower: run.init.clone(),
                    upper: run.init.clone(),
                    volume_ratio: 0.0,
                    certificate: RegionCertificate::TooSmall,
                });
                return None;
            };
            let volume: f64 = lo.iter().zip(&hi).map(|(a, b)| b - a).product();
            Some((lo, hi, volume / domain_volume))
        }
    }
}

/// Stores finished certificates in their runs.
pub fn assign(all_runs: &mut [&mut Vec<RunSummary>], planned: Vec<Planned>) {
    for p in planned {
        let certificate = RegionCertificate::Sampled(p.run.finish());
        for k in p.runs {
            let run = &mut all_runs[p.job][k];
            match p.target {
                Target::Region => run.certificate = Some(certificate.clone()),
                Target::Clean => {
                    if let Some(clean) = run.clean.as_mut() {
                        clean.certificate = certificate.clone();
                    }
                }
            }
        }
    }
}

#[cfg(feature = "torch")]
pub use torch::{certify_jobs, CertifyJob, CertifyJobError, CertifyStats, Witnessed};

#[cfg(feature = "torch")]
mod torch {
    use std::time::Instant;

    use nalgebra::DMatrix;

    use super::{assign, plan_job, Certification, Planned, Target};
    use crate::analysis::network_function::shared::{score_jointly, ScoreJointlyError};
    use crate::analysis::network_function::{ClassifierFunction, FunctionError};
    use crate::analysis::region_runs::RunSummary;
    use crate::certify::{CertifyError, SampleScore};
    use crate::region::Region;
    use crate::semantic::Grid;

    /// A witness render: its file name ([`super::witness_file`]) and PNG bytes.
    pub type Witnessed = (String, Vec<u8>);

    /// One job's part in a certification: its function on the network, its runs (updated in
    /// place), its map (clean boxes) and its key (seeds).
    pub struct CertifyJob<'a> {
        pub f: &'a ClassifierFunction,
        pub runs: &'a mut Vec<RunSummary>,
        pub map: Option<&'a Grid>,
        pub key: String,
    }

    /// Why a certification failed.
    #[derive(Debug, thiserror::Error)]
    pub enum CertifyJobError {
        #[error("certificate: {0}")]
        Certify(#[from] CertifyError),
        #[error("certificate samples: {0}")]
        Score(#[from] ScoreJointlyError),
        #[error("a witness render: {0}")]
        Render(#[from] FunctionError),
        #[error("a witness render: {0}")]
        Png(#[from] crate::render::ImageError),
    }

    /// What a certification cost.
    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    pub struct CertifyStats {
        /// Certificates drawn (shared boxes once).
        pub certificates: usize,
        /// Samples rendered and scored.
        pub samples: usize,
        /// Network rounds.
        pub rounds: usize,
        pub seconds: f64,
    }

    /// Certifies every run of `jobs` (their final boxes, then with `clean` their clean boxes)
    /// on their network, all jobs' samples in one stream per round, and returns each job's
    /// witness renders (`(file, png)`, [`super::witness_file`]) with what it cost. The jobs'
    /// functions must share one classifier (one network's wave).
    pub fn certify_jobs(
        jobs: &mut [CertifyJob<'_>],
        domain: &Region,
        c: &Certification,
    ) -> Result<(Vec<Vec<Witnessed>>, CertifyStats), CertifyJobError> {
        let start = Instant::now();
        let mut stats = CertifyStats::default();
        for target in [Target::Region, Target::Clean] {
            let mut planned: Vec<Planned> = Vec::new();
            for (j, job) in jobs.iter_mut().enumerate() {
                planned.extend(plan_job(j, &job.key, job.runs, job.map, domain, c, target)?);
            }
            stats.certificates += planned.len();
            let functions: Vec<&ClassifierFunction> = jobs.iter().map(|j| j.f).collect();
            let (samples, rounds) = draw(&mut planned, &functions)?;
            stats.samples += samples;
            stats.rounds += rounds;
            let mut runs: Vec<&mut Vec<RunSummary>> =
                jobs.iter_mut().map(|j| &mut *j.runs).collect();
            assign(&mut runs, planned);
        }
        let witnesses = jobs
            .iter()
            .map(|job| witness_renders(job.f, job.runs))
            .collect::<Result<Vec<_>, _>>()?;
        stats.seconds = start.elapsed().as_secs_f64();
        Ok((witnesses, stats))
    }

    /// Rounds until every planned certificate is finished: each round scores the next batch
    /// of every live certificate as one stream. Returns the samples drawn and the rounds.
    fn draw(
        planned: &mut [Planned],
        functions: &[&ClassifierFunction],
    ) -> Result<(usize, usize), CertifyJobError> {
        let (mut samples, mut rounds) = (0, 0);
        loop {
            let live: Vec<usize> = (0..planned.len())
                .filter(|&i| !planned[i].run.is_finished())
                .collect();
            if live.is_empty() {
                return Ok((samples, rounds));
            }
            let batches: Vec<DMatrix<f64>> = live
                .iter()
                .map(|&i| {
                    planned[i]
                        .run
                        .ask()
                        .expect("a live certificate asks")
                        .clone()
                })
                .collect();
            let parts: Vec<(&ClassifierFunction, &DMatrix<f64>)> = live
                .iter()
                .zip(&batches)
                .map(|(&i, b)| (functions[planned[i].job], b))
                .collect();
            let scores = score_jointly(&parts)?;
            for (&i, s) in live.iter().zip(scores) {
                samples += s.probability.len();
                let told: Vec<SampleScore> = (0..s.probability.len())
                    .map(|r| SampleScore {
                        score: s.probability[r],
                        top1_is_label: Some(s.top1[r]),
                        top_class: Some(s.top_class[r]),
                    })
                    .collect();
                planned[i].run.tell(&told)?;
            }
            rounds += 1;
        }
    }

    /// The render of every distinct witness among the runs' certificates.
    fn witness_renders(
        f: &ClassifierFunction,
        runs: &[RunSummary],
    ) -> Result<Vec<Witnessed>, CertifyJobError> {
        let mut out: Vec<Witnessed> = Vec::new();
        let certificates = runs.iter().flat_map(|r| {
            r.certificate
                .iter()
                .chain(r.clean.as_ref().map(|c| &c.certificate))
        });
        let mut points: Vec<(String, Vec<f64>)> = Vec::new();
        for c in certificates {
            if let (Some(file), Some(s)) = (c.witness_file(), c.sampled()) {
                if !points.iter().any(|(f, _)| *f == file) {
                    points.push((file, s.witness.point.clone()));
                }
            }
        }
        if points.is_empty() {
            return Ok(out);
        }
        let n = points[0].1.len();
        let matrix = DMatrix::from_fn(points.len(), n, |i, j| points[i].1[j]);
        let images = f.render(&matrix)?;
        for (k, (file, _)) in points.into_iter().enumerate() {
            out.push((file, images.png(k)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_gives_the_terms_in_percent_without_trailing_zeros() {
        let s = describe(0.999, 0.01, Criterion::Score, 0.1, 700);
        assert!(
            s.contains("with 99.9 % confidence, at most 1 % of its volume"),
            "{s}"
        );
        assert!(
            s.contains("score is below 0.1") && s.contains("up to 700 fresh"),
            "{s}"
        );
        let s = describe(0.9, 0.125, Criterion::Top1, 0.1, 22);
        assert!(s.contains("with 90 % confidence, at most 12.5 %"), "{s}");
        assert!(s.contains("the top-1 class is not the label"), "{s}");
    }
}
