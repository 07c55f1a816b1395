//! Running the benchmark's jobs on real networks (feature `torch`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use super::config::CheckedConfig;
use super::results::{JobId, JobResult, JobTelemetry, ResultsDir, Shard, Stamp, RESULTS_FORMAT};
use crate::analysis::finite_difference::FiniteDifference;
use crate::analysis::function::AxisSpec;
use crate::analysis::function::ClassifierFunction;
use crate::analysis::inputs::{load_mesh, Fnv64, WeightsId, FIXTURE_PREFIX};
use crate::analysis::lockstep::LockstepStats;
use crate::analysis::map::grid_points;
use crate::analysis::regions::run_all;
use crate::nets::{Architecture, Classifier, Device};
use crate::region::RegionSearch;
use crate::render::dataset::{Dataset, ShapeKey};
use crate::render::Mesh;

/// Where a job's mesh comes from.
#[derive(Debug, Clone)]
enum MeshSource {
    Fixture(String),
    Dataset { class: String, id: String },
}

/// One job with what it needs.
#[derive(Debug, Clone)]
pub struct PlannedJob {
    pub id: JobId,
    pub network: usize,
    pub label: usize,
    source: MeshSource,
}

/// The jobs of a configuration, the weights they use and the results stamp.
#[derive(Debug)]
pub struct Plan {
    pub checked: CheckedConfig,
    pub weights: Vec<(Architecture, PathBuf, WeightsId)>,
    pub jobs: Vec<PlannedJob>,
    pub stamp: Stamp,
    dataset: Option<Dataset>,
}

/// Resolves networks (weights must exist), shapes and the stamp, touching no results folder.
pub fn plan(checked: CheckedConfig) -> anyhow::Result<Plan> {
    let config = &checked.config;
    let mut weights = Vec::new();
    for (i, n) in config.networks.iter().enumerate() {
        let arch = Architecture::from_name(&n.model)?;
        let path = match &n.weights {
            Some(p) => p.clone(),
            None => arch.default_weights().with_context(|| {
                format!("networks[{i}]: {arch} has no default weights: give `weights`")
            })?,
        };
        if !path.is_file() {
            anyhow::bail!(
                "networks[{i}]: weights file {} for {arch} not found{}",
                path.display(),
                if n.weights.is_none() {
                    " (run scripts/setup.sh, or set SEMROB_WEIGHTS_DIR)"
                } else {
                    ""
                }
            );
        }
        let id = WeightsId::of_file(&path)?;
        weights.push((arch, path, id));
    }
    let mut shapes: Vec<(String, String, usize, MeshSource)> = Vec::new();
    let mut dataset = None;
    if let Some(root) = &config.dataset.root {
        let d = Dataset::open(root).with_context(|| format!("dataset.root {}", root.display()))?;
        for class in d.classes() {
            if let Some(wanted) = &config.dataset.classes {
                if !wanted.contains(&class.name) {
                    continue;
                }
            }
            let Some(label) = class.imagenet_label else {
                continue;
            };
            let limit = config.dataset.shapes_per_class.unwrap_or(usize::MAX);
            for s in class.shapes.iter().filter(|s| s.present).take(limit) {
                shapes.push((
                    class.name.clone(),
                    s.id.clone(),
                    label as usize,
                    MeshSource::Dataset {
                        class: class.name.clone(),
                        id: s.id.clone(),
                    },
                ));
            }
        }
        if let Some(wanted) = &config.dataset.classes {
            for w in wanted {
                if !d.classes().iter().any(|c| &c.name == w) {
                    anyhow::bail!(
                        "dataset.classes: {w:?} is not a class of {}",
                        root.display()
                    );
                }
            }
        }
        if shapes.is_empty() {
            anyhow::bail!(
                "dataset {}: no present shape with an ImageNet label",
                root.display()
            );
        }
        dataset = Some(d);
    } else {
        for f in &config.dataset.fixtures {
            shapes.push((
                f.class.clone(),
                f.fixture.clone(),
                f.label,
                MeshSource::Fixture(f.fixture.clone()),
            ));
        }
    }
    let mut jobs = Vec::new();
    for (network, (arch, _, _)) in weights.iter().enumerate() {
        for (class, shape, label, source) in &shapes {
            jobs.push(PlannedJob {
                id: JobId {
                    network: arch.name().to_string(),
                    class: class.clone(),
                    shape: shape.clone(),
                },
                network,
                label: *label,
                source: source.clone(),
            });
        }
    }
    let mut h = Fnv64::default();
    h.update(config.fingerprint().as_bytes());
    for (_, _, id) in &weights {
        h.update(id.fnv64.as_bytes());
    }
    let stamp = Stamp {
        format: RESULTS_FORMAT.into(),
        config_hash: h.hex(),
        config: json!(config),
        jobs: jobs.iter().map(|j| j.id.clone()).collect(),
    };
    Ok(Plan {
        checked,
        weights,
        jobs,
        stamp,
        dataset,
    })
}

impl Plan {
    fn mesh(&self, job: &PlannedJob) -> anyhow::Result<Mesh> {
        Ok(match &job.source {
            MeshSource::Fixture(name) => load_mesh(&format!("{FIXTURE_PREFIX}{name}"))?,
            MeshSource::Dataset { class, id } => self
                .dataset
                .as_ref()
                .expect("dataset jobs come with their dataset")
                .load(class, &ShapeKey::Id(id.clone()))?,
        })
    }
}

/// What happened to a job.
#[derive(Debug)]
pub enum JobEvent<'a> {
    Skipped(&'a JobId),
    Started(&'a JobId),
    Finished(&'a JobResult),
}

/// Runs the shard's unfinished jobs, saving each as it finishes.
pub fn run_jobs(
    plan: &Plan,
    dir: &ResultsDir,
    shard: Shard,
    device: Device,
    on_event: &mut dyn FnMut(JobEvent),
) -> anyhow::Result<()> {
    let c = &plan.checked;
    let params: Vec<_> = c.axes.iter().map(|a| a.param).collect();
    let hyper = c.config.hyper.params();
    let mut loaded: Option<(usize, Arc<Mutex<Classifier>>)> = None;
    for (index, job) in plan.jobs.iter().enumerate() {
        if !shard.holds(index) {
            continue;
        }
        if dir.finished(&job.id).is_some() {
            on_event(JobEvent::Skipped(&job.id));
            continue;
        }
        on_event(JobEvent::Started(&job.id));
        let start = Instant::now();
        let classifier = match &loaded {
            Some((n, cl)) if *n == job.network => cl.clone(),
            _ => {
                let (arch, path, _) = &plan.weights[job.network];
                let cl = Arc::new(Mutex::new(
                    Classifier::load(*arch, path, device)
                        .with_context(|| format!("{arch} from {}", path.display()))?,
                ));
                loaded = Some((job.network, cl.clone()));
                cl
            }
        };
        let mesh = plan.mesh(job)?;
        let f = ClassifierFunction::shared(
            mesh,
            classifier,
            job.label,
            params.clone(),
            c.config.render,
        )?
        .with_batch(c.config.batch)?;
        let counted = f.counters();
        let (mean_score, top1_rate, map_points) = acceptance_map(&f, &c.map_axes, c.config.batch)?;
        let accepted = mean_score >= c.config.acceptance.min_mean_score;
        let (runs, region_renders, stats, f) = if accepted {
            let fd = FiniteDifference::new(f, c.fd_steps.clone())?;
            let search = RegionSearch::new(c.config.methods.clone(), c.starts.clone(), hyper);
            let (runs, stats) =
                run_all(&fd, &c.domain, &search, &mut []).with_context(|| job.id.key())?;
            let n = params.len();
            let renders = runs
                .iter()
                .map(|r| r.evaluations + 2 * n * r.gradient_evaluations)
                .sum();
            (runs, renders, stats, fd.into_inner())
        } else {
            (Vec::new(), 0, LockstepStats::default(), f)
        };
        let net = f.counters().since(&counted);
        let result = JobResult {
            job: job.id.clone(),
            weights: plan.weights[job.network].2.clone(),
            label: job.label,
            map_points,
            mean_score,
            top1_rate,
            accepted,
            runs,
            region_renders,
            seconds: start.elapsed().as_secs_f64(),
            telemetry: Some(JobTelemetry {
                batches: net.batches,
                images: net.images,
                mean_batch: net.images as f64 / net.batches.max(1) as f64,
                render_seconds: net.render_seconds,
                render_wait_seconds: net.render_wait_seconds,
                network_seconds: net.network_seconds,
                region_seconds: stats.region_seconds,
                rounds: stats.rounds,
            }),
        };
        dir.save(&result)?;
        on_event(JobEvent::Finished(&result));
    }
    Ok(())
}

/// Samples the acceptance map: (mean score, top-1 rate, points).
fn acceptance_map(
    f: &ClassifierFunction,
    axes: &[AxisSpec],
    batch: usize,
) -> anyhow::Result<(f64, f64, usize)> {
    let grid_axes: Vec<_> = axes.iter().map(AxisSpec::grid_axis).collect();
    let points = grid_points(&grid_axes);
    let (mut sum, mut top1) = (0.0, 0usize);
    let mut start = 0;
    while start < points.nrows() {
        let rows = batch.min(points.nrows() - start);
        let s = f.scores(&points.rows(start, rows).into_owned())?;
        sum += s.probability.iter().sum::<f64>();
        top1 += s.top1.iter().filter(|t| **t).count();
        start += rows;
    }
    let m = points.nrows();
    Ok((sum / m as f64, top1 as f64 / m as f64, m))
}
