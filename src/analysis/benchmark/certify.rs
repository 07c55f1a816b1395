//! Certifying a results folder's regions on their networks (SPEC §8; feature `torch`).
//!
//! One pass over the finished jobs: a job whose runs all hold certificates made with the
//! settings asked for is left as it is; every other job has its missing or stale
//! certificates drawn (its regions are never regrown), its witness renders saved, and its
//! result and traces rewritten atomically. A killed pass loses at most the jobs of the wave
//! it was in; run again, it goes on where it stopped. `semrob srvr` runs it after the jobs
//! when its configuration has `[certify]`; `semrob certify RESULTS` runs it on any folder.

use std::sync::{Arc, Mutex};

use super::config::CertifyConfig;
use super::results::{JobId, JobResult, ResultsDir, ResultsError, Shard};
use super::run::{load_network, BenchError, Plan, PlannedJob};
use crate::analysis::certificates::{certify_jobs, Certification, CertifyJob, CertifyStats};
use crate::analysis::network_function::ClassifierFunction;
use crate::analysis::region_runs::RunSummary;
use crate::analysis::srvr::{Acceptance, ShapeScore};
use crate::nets::{Classifier, LoadOptions};
use crate::region::Goal;
use crate::render::RenderBackend;

/// What happened to a job in a certification pass.
#[derive(Debug)]
pub enum CertifyEvent<'a> {
    /// Its certificates were already made with these settings (or it has no regions).
    UpToDate(&'a JobId),
    /// The acceptance rule leaves the shape out of SRVR: its regions are not certified.
    NotCounted(&'a JobId),
    Started(&'a JobId),
    Certified(&'a JobResult, CertifyStats),
}

/// Why a job needs certificates: some run lacks one made with `c` (with `clean`, some
/// sampled uncertified run lacks a clean box).
fn needs(runs: &[RunSummary], c: &Certification) -> bool {
    runs.iter().any(|r| match &r.certificate {
        None => true,
        Some(x) => {
            !x.made_with(&c.settings, c.threshold)
                || (c.settings.clean
                    && x.sampled().is_some()
                    && !x.is_certified()
                    && r.clean.is_none())
        }
    })
}

/// The certification `settings` asks for on this plan's results: the threshold defaults to
/// the acceptance threshold, the seeds derive from the results' fingerprint.
pub fn certification(plan: &Plan, settings: &CertifyConfig) -> Certification {
    Certification {
        settings: settings.settings(),
        threshold: settings
            .threshold
            .unwrap_or(plan.checked.config.acceptance.min_mean_score),
        fingerprint: plan.stamp.config_hash.clone(),
        goal: Goal::Robust,
    }
}

/// Certifies the regions of the shard's finished jobs whose shapes count in SRVR, `together`
/// jobs of one network per stream (their samples share the network's batches).
pub fn certify_results(
    plan: &Plan,
    dir: &ResultsDir,
    shard: Shard,
    options: LoadOptions,
    settings: &CertifyConfig,
    together: usize,
    on_event: &mut dyn FnMut(CertifyEvent),
) -> Result<(), BenchError> {
    let c = &plan.checked;
    let certification = certification(plan, settings);
    let backend = c
        .config
        .renderer
        .unwrap_or_else(|| RenderBackend::default_for(options.device == crate::nets::Device::Cuda));
    // Which shapes count: the acceptance rule on the finished jobs (a shape whose deciding
    // job is not finished yet is certified: it may count).
    let finished = dir.results();
    let scores: Vec<ShapeScore> = finished
        .iter()
        .map(|r| ShapeScore {
            job: r.job.clone(),
            mean_score: r.mean_score,
        })
        .collect();
    let min = c.config.acceptance.min_mean_score;
    let acceptance = Acceptance::new(c.accept_by.clone(), min, &scores).ok();
    let mut pending: Vec<(&PlannedJob, JobResult)> = Vec::new();
    for (index, job) in plan.jobs.iter().enumerate() {
        if !shard.holds(index) {
            continue;
        }
        let Some(result) = finished.iter().find(|r| r.job == job.id).cloned() else {
            continue;
        };
        let score = ShapeScore {
            job: job.id.clone(),
            mean_score: result.mean_score,
        };
        if acceptance.as_ref().is_some_and(|a| !a.keeps(&score)) {
            on_event(CertifyEvent::NotCounted(&job.id));
        } else if needs(&result.runs, &certification) {
            pending.push((job, result));
        } else {
            on_event(CertifyEvent::UpToDate(&job.id));
        }
    }
    let mut loaded: Option<(usize, Arc<Mutex<Classifier>>)> = None;
    for wave in pending.chunk_by_mut(|a, b| a.0.network == b.0.network) {
        for wave in wave.chunks_mut(together.max(1)) {
            let network = wave[0].0.network;
            let classifier = match &loaded {
                Some((n, cl)) if *n == network => cl.clone(),
                _ => {
                    let cl = load_network(plan, network, options)?;
                    loaded = Some((network, cl.clone()));
                    cl
                }
            };
            certify_wave(
                plan,
                dir,
                wave,
                &classifier,
                backend,
                &certification,
                on_event,
            )?;
        }
    }
    Ok(())
}

/// One wave: the jobs' functions and maps, their certificates in one stream, then each job's
/// witness renders, traces and result saved.
fn certify_wave(
    plan: &Plan,
    dir: &ResultsDir,
    wave: &mut [(&PlannedJob, JobResult)],
    classifier: &Arc<Mutex<Classifier>>,
    backend: RenderBackend,
    certification: &Certification,
    on_event: &mut dyn FnMut(CertifyEvent),
) -> Result<(), BenchError> {
    let c = &plan.checked;
    let mut functions = Vec::new();
    let mut maps = Vec::new();
    for (job, _) in wave.iter() {
        on_event(CertifyEvent::Started(&job.id));
        let mesh = job.source.load()?;
        let params: Vec<_> = c.axes.iter().map(|a| a.param).collect();
        let f = ClassifierFunction::shared(
            mesh,
            classifier.clone(),
            job.label,
            params,
            c.config.render,
        )?
        .with_batch(c.batch)
        .with_renderer(backend)?;
        functions.push(f);
        let map = dir.read_map(&job.id)?;
        if map.is_none() && certification.settings.clean {
            return Err(BenchError::CleanWithoutMap {
                job: job.id.key(),
                path: dir.map_path(&job.id),
            });
        }
        maps.push(map);
    }
    let mut jobs: Vec<CertifyJob> = wave
        .iter_mut()
        .zip(&functions)
        .zip(&maps)
        .map(|(((job, result), f), map)| CertifyJob {
            f,
            runs: &mut result.runs,
            map: map.as_ref(),
            key: job.id.key(),
        })
        .collect();
    let (witnesses, stats) =
        certify_jobs(&mut jobs, &c.domain, certification).map_err(|source| {
            BenchError::Certify {
                job: wave[0].0.id.key(),
                source: Box::new(source),
            }
        })?;
    let share = 1.0 / wave.len() as f64;
    for ((job, result), pictures) in wave.iter_mut().zip(witnesses) {
        dir.save_witnesses(&job.id, &pictures)?;
        update_traces(dir, &job.id, &result.runs)?;
        let mine = CertifyStats {
            seconds: stats.seconds * share,
            ..stats
        };
        result.certification = Some(super::results::CertifyTelemetry {
            certificates: result
                .runs
                .iter()
                .filter(|r| {
                    r.certificate
                        .as_ref()
                        .is_some_and(|x| x.sampled().is_some())
                })
                .count(),
            seconds: mine.seconds,
        });
        dir.save(result)?;
        on_event(CertifyEvent::Certified(result, mine));
    }
    Ok(())
}

/// Copies the runs' certificates and clean boxes into the job's saved traces (the page reads
/// them there), when the folder has them.
fn update_traces(dir: &ResultsDir, job: &JobId, runs: &[RunSummary]) -> Result<(), ResultsError> {
    let Some(mut traced) = dir.read_traces(job)? else {
        return Ok(());
    };
    if traced.len() != runs.len() {
        return Ok(());
    }
    for (t, r) in traced.iter_mut().zip(runs) {
        t.certificate = r.certificate.clone();
        t.clean = r.clean.clone();
    }
    dir.save_traces(job, &traced)
}
