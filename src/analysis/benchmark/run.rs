//! Running the benchmark's jobs on real networks (feature `torch`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::artifacts::{render_points, RenderShot, Renders};
use super::config::{CheckedConfig, SrvrConfig};
use super::results::{
    JobId, JobResult, JobTelemetry, ResultsDir, ResultsError, Shard, Stamp, RESULTS_FORMAT,
};
use crate::analysis::maps::map::{network_map, MapError, NetworkMap};
use crate::analysis::network_function::inputs::{
    model_file, Fingerprint, InputError, LoadError, MeshSource, WeightsId,
};
use crate::analysis::network_function::shared::SharedNetwork;
use crate::analysis::network_function::{ClassifierFunction, FunctionError, NetworkMapMeta};
use crate::analysis::region_runs::{
    join_refined, record_contents, refine_map_search, refine_search, run_all, run_all_joint,
    RunSummary,
};
use crate::analysis::region_runs::{largest_region, RegionMode};
use crate::analysis::srvr::AcceptBy;
use crate::nets::{Classifier, LoadOptions, Model, NetError, Precision};
use crate::region::lockstep::{LockstepStats, Problem, SearchError};
use crate::region::RegionSearch;
use crate::render::dataset::{Dataset, DatasetError, ShapeKey};
use crate::render::RenderBackend;
use crate::semantic::finite_difference::{FiniteDifference, StepError};
use crate::semantic::Grid;

/// Why the benchmark could not be planned or a job could not run. A job that fails stops
/// the run; the jobs finished before it stay in the results folder.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("networks[{index}]: {message}")]
    Model { index: usize, message: String },
    #[error("networks[{index}]: {source}")]
    Weights {
        index: usize,
        #[source]
        source: InputError,
    },
    #[error("dataset.root {}: {source}", .root.display())]
    Dataset {
        root: PathBuf,
        #[source]
        source: DatasetError,
    },
    #[error("dataset.classes: {class:?} is not a class of {}", .root.display())]
    UnknownClass { class: String, root: PathBuf },
    #[error("dataset {}: no present shape with an ImageNet label", .root.display())]
    NoShapes { root: PathBuf },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Function(#[from] FunctionError),
    #[error(transparent)]
    Steps(#[from] StepError),
    #[error("{job}: {source}")]
    Search {
        job: String,
        #[source]
        source: SearchError,
    },
    #[error("{job}: {source}")]
    Certify {
        job: String,
        #[source]
        source: Box<crate::analysis::certificates::CertifyJobError>,
    },
    #[error("{job}: `clean` certificates shrink regions on the job's map, and {} is missing: certify without `clean`, or rerun the job", .path.display())]
    CleanWithoutMap { job: String, path: PathBuf },
    #[error("the job's map: {0}")]
    Map(#[from] MapError),
    #[error("a contact render: {0}")]
    Image(#[from] crate::render::ImageError),
    #[error(transparent)]
    Results(#[from] ResultsError),
}

/// One job with what it needs.
#[derive(Debug, Clone)]
pub struct PlannedJob {
    pub id: JobId,
    pub network: usize,
    pub label: usize,
    /// The job's mesh: a fixture, or a dataset shape's OBJ file.
    pub source: MeshSource,
}

/// A network of the plan: what it is, the file its weights come from (a checkpoint, or the
/// TorchScript or ONNX file), and that file's fingerprint.
#[derive(Debug, Clone)]
pub struct PlannedNetwork {
    pub model: Model,
    pub path: PathBuf,
    pub id: WeightsId,
}

/// The jobs of a configuration, the networks they use and the results stamp.
#[derive(Debug)]
pub struct Plan {
    pub checked: CheckedConfig,
    pub weights: Vec<PlannedNetwork>,
    pub jobs: Vec<PlannedJob>,
    pub stamp: Stamp,
}

/// Resolves networks (weights must exist), shapes and the stamp, touching no results folder.
pub fn plan(checked: CheckedConfig) -> Result<Plan, BenchError> {
    let config = &checked.config;
    let weights = plan_networks(config)?;
    let shapes = match &config.dataset.root {
        Some(root) => dataset_shapes(config, root)?,
        None => config
            .dataset
            .fixtures
            .iter()
            .map(|f| PlannedShape {
                class: f.class.clone(),
                shape: f.fixture.clone(),
                label: f.label,
                source: MeshSource::Fixture(f.fixture.clone()),
            })
            .collect(),
    };
    // The reference network's jobs first: in network mode a later job of another network
    // skips its region runs when the reference already rejected the shape (SPEC §7).
    let mut order: Vec<usize> = (0..weights.len()).collect();
    if let AcceptBy::Network(reference) = &checked.accept_by {
        order.sort_by_key(|&i| weights[i].model.name() != reference.as_str());
    }
    let mut jobs = Vec::new();
    for network in order {
        let model = &weights[network].model;
        for s in &shapes {
            jobs.push(PlannedJob {
                id: JobId {
                    network: model.name().to_string(),
                    class: s.class.clone(),
                    shape: s.shape.clone(),
                },
                network,
                label: s.label,
                source: s.source.clone(),
            });
        }
    }
    let mut h = Fingerprint::default();
    h.update(config.fingerprint().as_bytes());
    for PlannedNetwork { id, .. } in &weights {
        h.update(id.sha256.as_bytes());
    }
    let stamp = Stamp {
        format: RESULTS_FORMAT.into(),
        config_hash: h.hex(),
        config: config.clone(),
        jobs: jobs.iter().map(|j| j.id.clone()).collect(),
    };
    Ok(Plan {
        checked,
        weights,
        jobs,
        stamp,
    })
}

/// A shape every network maps: its class, its id, the class's ImageNet label and its mesh.
struct PlannedShape {
    class: String,
    shape: String,
    label: usize,
    source: MeshSource,
}

/// The configuration's networks, each with its weights file (which must exist) and the
/// file's identity.
fn plan_networks(config: &SrvrConfig) -> Result<Vec<PlannedNetwork>, BenchError> {
    let mut weights = Vec::new();
    for (i, n) in config.networks.iter().enumerate() {
        let model = n.model().map_err(|(key, message)| BenchError::Model {
            index: i,
            message: format!("{key}: {message}"),
        })?;
        let path = model_file(&model, n.weights.as_deref())
            .map_err(|source| BenchError::Weights { index: i, source })?;
        let id = WeightsId::of_file(&path)?;
        weights.push(PlannedNetwork { model, path, id });
    }
    Ok(weights)
}

/// The dataset's shapes at `root`: of the classes asked for (each must exist) that have an
/// ImageNet label, the first `shapes_per_class` present shapes; at least one.
fn dataset_shapes(config: &SrvrConfig, root: &Path) -> Result<Vec<PlannedShape>, BenchError> {
    let dataset_error = |source| BenchError::Dataset {
        root: root.to_path_buf(),
        source,
    };
    let d = Dataset::open(root).map_err(dataset_error)?;
    let mut shapes = Vec::new();
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
            shapes.push(PlannedShape {
                class: class.name.clone(),
                shape: s.id.clone(),
                label: label as usize,
                source: MeshSource::Obj(
                    d.mesh_path(&class.name, &ShapeKey::Id(s.id.clone()))
                        .map_err(dataset_error)?,
                ),
            });
        }
    }
    if let Some(wanted) = &config.dataset.classes {
        for w in wanted {
            if !d.classes().iter().any(|c| &c.name == w) {
                return Err(BenchError::UnknownClass {
                    class: w.clone(),
                    root: root.to_path_buf(),
                });
            }
        }
    }
    if shapes.is_empty() {
        return Err(BenchError::NoShapes {
            root: root.to_path_buf(),
        });
    }
    Ok(shapes)
}

/// What happened to a job.
#[derive(Debug)]
pub enum JobEvent<'a> {
    Skipped(&'a JobId),
    Started(&'a JobId),
    Finished(&'a JobResult),
}

/// How many jobs of one network run their region searches together (network mode): their
/// rounds go to the renderer and the network as one stream, so that a GPU gets large
/// batches. 1 on the CPU, where a job's own rounds already fill the batches.
pub const LOCKSTEP_JOBS_GPU: usize = 8;

/// The default number of jobs in lockstep on `device`: [`LOCKSTEP_JOBS_GPU`] on CUDA, 1 on
/// the CPU.
pub fn default_lockstep_jobs(device: crate::nets::Device) -> usize {
    match device {
        crate::nets::Device::Cuda => LOCKSTEP_JOBS_GPU,
        crate::nets::Device::Cpu => 1,
    }
}

/// Runs the shard's unfinished jobs, saving each as it finishes. In network mode, up to
/// `lockstep_jobs` consecutive jobs of one network form a wave: each computes its map, then their region runs
/// advance in lockstep together ([`run_all_joint`] on a [`SharedNetwork`]), and each is
/// saved. A job whose region search fails fails the run after the other jobs of its wave are
/// saved; the jobs finished before stay in the results folder.
pub fn run_jobs(
    plan: &Plan,
    dir: &ResultsDir,
    shard: Shard,
    options: LoadOptions,
    lockstep_jobs: usize,
    on_event: &mut dyn FnMut(JobEvent),
) -> Result<(), BenchError> {
    // The configuration's renderer, else the device's default: the renders are the same.
    let backend =
        plan.checked.config.renderer.unwrap_or_else(|| {
            RenderBackend::default_for(options.device == crate::nets::Device::Cuda)
        });
    let mut pending: Vec<&PlannedJob> = Vec::new();
    for (index, job) in plan.jobs.iter().enumerate() {
        if !shard.holds(index) {
            continue;
        }
        if dir.finished(&job.id).is_some() {
            on_event(JobEvent::Skipped(&job.id));
        } else {
            pending.push(job);
        }
    }
    // In map mode the regions need no network, so jobs gain nothing from waves: each is
    // saved as soon as it is done (a killed run loses at most one job).
    let together = if plan.checked.config.regions.uses_network() {
        lockstep_jobs.max(1)
    } else {
        1
    };
    let mut loaded: Option<(usize, Arc<Mutex<Classifier>>)> = None;
    for wave in pending.chunk_by(|a, b| a.network == b.network) {
        for wave in wave.chunks(together) {
            let network = wave[0].network;
            let classifier = match &loaded {
                Some((n, cl)) if *n == network => cl.clone(),
                _ => {
                    let cl = load_network(plan, network, options)?;
                    loaded = Some((network, cl.clone()));
                    cl
                }
            };
            run_wave(plan, dir, wave, &classifier, backend, on_event)?;
        }
    }
    Ok(())
}

/// The plan's network `network` loaded with `options`, to be shared by its jobs' functions
/// (the jobs of one network run and are certified one after the other).
pub(super) fn load_network(
    plan: &Plan,
    network: usize,
    options: LoadOptions,
) -> Result<Arc<Mutex<Classifier>>, BenchError> {
    let PlannedNetwork { model, path, .. } = &plan.weights[network];
    let built =
        Classifier::load_model(model, path, options).map_err(|e: NetError| LoadError::Net {
            model: model.name().to_string(),
            path: path.clone(),
            source: Box::new(e),
        })?;
    Ok(Arc::new(Mutex::new(built)))
}

/// A job of a wave between its map and its save.
struct Mapped<'a> {
    job: &'a PlannedJob,
    f: ClassifierFunction,
    counted: crate::analysis::network_function::NetCounters,
    map: Grid,
    top1_rate: f64,
    /// Its own map scores at least the acceptance threshold τ ([`JobResult::own_pass`]).
    own_pass: bool,
    /// Seconds of its own phases (map, regions on the map, contact renders, saving).
    seconds: f64,
    /// Refine mode: the runs grown on the map, to be continued on the network.
    on_map: Option<Vec<RunSummary>>,
    grown: Option<(Vec<RunSummary>, LockstepStats)>,
}

/// A job's function, map and acceptance; its region runs too when they need no network
/// (map mode) or none are needed (network mode, a shape the acceptance rule left out).
fn map_job<'a>(
    plan: &Plan,
    dir: &ResultsDir,
    job: &'a PlannedJob,
    classifier: &Arc<Mutex<Classifier>>,
    backend: RenderBackend,
) -> Result<Mapped<'a>, BenchError> {
    let c = &plan.checked;
    let start = Instant::now();
    let mesh = job.source.load()?;
    let params: Vec<_> = c.axes.iter().map(|a| a.param).collect();
    let f =
        ClassifierFunction::shared(mesh, classifier.clone(), job.label, params, c.config.render)?
            .with_batch(c.batch)
            .with_renderer(backend)?;
    let counted = f.counters();
    let meta = NetworkMapMeta {
        network: job.id.network.clone(),
        weights: plan.weights[job.network].id.clone(),
        class: Some(job.id.class.clone()),
        shape: Some(job.id.shape.clone()),
        mesh: None,
        label: job.label,
        label_name: None,
        render: c.config.render,
        image_size: None,
        renderer: None,
        axes: None,
    }
    .to_value();
    // One chunk: the whole map renders and classifies as one pipelined call.
    let NetworkMap {
        grid: map,
        top1_rate,
    } = network_map(&f, &c.map_axes, usize::MAX, meta, &mut |_| {})?;
    let own_pass = map.mean() >= c.config.acceptance.min_mean_score;
    let mode = c.config.regions;
    let (on_map, grown) = if mode == RegionMode::Map {
        // On the map's interpolant: no render, no network pass.
        (None, Some(grow(&map, &region_search(plan), plan, job)?))
    } else if plan.rejected_before(dir, job, map.mean()) {
        (None, Some((Vec::new(), LockstepStats::default())))
    } else if mode == RegionMode::Refine {
        let steps = c.config.refine_steps.expect("refine mode has its steps");
        let on_map = refine_map_search(&region_search(plan), steps);
        (Some(grow(&map, &on_map, plan, job)?.0), None)
    } else {
        (None, None)
    };
    Ok(Mapped {
        job,
        f,
        counted,
        map,
        top1_rate,
        own_pass,
        seconds: start.elapsed().as_secs_f64(),
        on_map,
        grown,
    })
}

/// One wave: every job's map ([`map_jobs`]), the region searches (network mode: of the jobs
/// that need them, in lockstep together: [`search_jobs`]), then every job's save, in order
/// ([`save_job`]).
fn run_wave(
    plan: &Plan,
    dir: &ResultsDir,
    wave: &[&PlannedJob],
    classifier: &Arc<Mutex<Classifier>>,
    backend: RenderBackend,
    on_event: &mut dyn FnMut(JobEvent),
) -> Result<(), BenchError> {
    let (mut mapped, mut failed) = map_jobs(plan, dir, wave, classifier, backend, on_event);
    if let Some(e) = search_jobs(plan, &mut mapped)? {
        failed.get_or_insert(e);
    }
    for m in mapped {
        if let Some(result) = save_job(plan, dir, m)? {
            on_event(JobEvent::Finished(&result));
        }
    }
    failed.map_or(Ok(()), Err)
}

/// Every job's map, in order; a job that fails here ends the mapping (its error is
/// returned beside the jobs mapped before it, which are still searched and saved).
fn map_jobs<'a>(
    plan: &Plan,
    dir: &ResultsDir,
    wave: &[&'a PlannedJob],
    classifier: &Arc<Mutex<Classifier>>,
    backend: RenderBackend,
    on_event: &mut dyn FnMut(JobEvent),
) -> (Vec<Mapped<'a>>, Option<BenchError>) {
    let mut mapped = Vec::new();
    for &job in wave {
        on_event(JobEvent::Started(&job.id));
        match map_job(plan, dir, job, classifier, backend) {
            Ok(m) => mapped.push(m),
            Err(e) => return (mapped, Some(e)),
        }
    }
    (mapped, None)
}

/// Network and refine mode: the searches of the mapped jobs that need one, in lockstep
/// together (refine mode: each run from its map run's box); the wall time of the joint
/// search is charged to each job by its share of the time (its rows' share of each call,
/// and its own region math). A job whose search fails keeps no runs: the first such error
/// comes back as `Ok(Some(..))` after every other job got its runs; an `Err` (a search that
/// cannot be set up) ends the wave.
fn search_jobs(plan: &Plan, mapped: &mut [Mapped<'_>]) -> Result<Option<BenchError>, BenchError> {
    let c = &plan.checked;
    let searching: Vec<usize> = (0..mapped.len())
        .filter(|&k| mapped[k].grown.is_none())
        .collect();
    if searching.is_empty() {
        return Ok(None);
    }
    let jobs = searching
        .iter()
        .map(|&k| FiniteDifference::new(&mapped[k].f, c.fd_steps.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = SharedNetwork::new(jobs).expect("one classifier, one render setting");
    let search = region_search(plan);
    let searches = searching
        .iter()
        .map(|&k| match (&mapped[k].on_map, c.config.refine_steps) {
            (Some(runs), Some(steps)) => {
                refine_search(&search, runs, steps).map_err(|e| BenchError::Search {
                    job: mapped[k].job.id.key(),
                    source: SearchError::Invalid(e),
                })
            }
            _ => Ok(search.clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let problems: Vec<Problem> = searches
        .iter()
        .map(|search| Problem {
            domain: &c.domain,
            search,
        })
        .collect();
    let start = Instant::now();
    let outcomes = run_all_joint(&shared, &problems, &mut []);
    let wall = start.elapsed().as_secs_f64();
    let charged: f64 = outcomes
        .iter()
        .flatten()
        .map(|(_, s)| s.eval_seconds + s.region_seconds)
        .sum();
    let mut failed = None;
    for (&k, outcome) in searching.iter().zip(outcomes) {
        match outcome {
            Ok((runs, stats)) => {
                let share = (stats.eval_seconds + stats.region_seconds) / charged.max(1e-12);
                mapped[k].seconds += wall * share;
                let runs = match mapped[k].on_map.take() {
                    Some(on_map) => join_refined(on_map, runs),
                    None => runs,
                };
                mapped[k].grown = Some((runs, stats));
            }
            Err(source) => {
                failed.get_or_insert(BenchError::Search {
                    job: mapped[k].job.id.key(),
                    source,
                });
            }
        }
    }
    Ok(failed)
}

/// A mapped job's result, saved with its artifacts (none for a job without runs: its search
/// failed).
fn save_job(plan: &Plan, dir: &ResultsDir, m: Mapped<'_>) -> Result<Option<JobResult>, BenchError> {
    let c = &plan.checked;
    let Some((mut runs, stats)) = m.grown else {
        return Ok(None);
    };
    let start = Instant::now();
    let job = m.job;
    // Refine mode: the network steps' renders (the runs' counts are those steps').
    let region_renders = match c.config.regions {
        RegionMode::Map => 0,
        RegionMode::Network | RegionMode::Refine => {
            runs.iter().map(RunSummary::network_renders).sum()
        }
    };
    record_contents(&mut runs, &m.map, c.config.acceptance.min_mean_score);
    let net = m.f.counters().since(&m.counted);
    // What the report page shows: the map, the runs with their traces, and a few renders
    // inside the largest region and outside it. The job file keeps the runs without traces.
    let renders = contact_renders(&m.f, &m.map, &runs)?;
    dir.save_artifacts(&job.id, &m.map, &runs, &renders)?;
    for r in &mut runs {
        r.trace = None;
    }
    let result = JobResult {
        job: job.id.clone(),
        weights: plan.weights[job.network].id.clone(),
        label: job.label,
        map_points: m.map.values().len(),
        mean_score: m.map.mean(),
        top1_rate: m.top1_rate,
        own_pass: m.own_pass,
        runs,
        region_renders,
        seconds: m.seconds + start.elapsed().as_secs_f64(),
        certification: None,
        telemetry: Some(JobTelemetry {
            batches: net.batches,
            images: net.images,
            batch_images: net.batch_images,
            mean_batch: net.batch_images as f64 / net.batches.max(1) as f64,
            render_seconds: net.render_seconds,
            render_wait_seconds: net.render_wait_seconds,
            network_seconds: net.network_seconds,
            region_seconds: stats.region_seconds,
            rounds: stats.rounds,
            renderer: Some(m.f.backend()),
        }),
    };
    dir.save(&result)?;
    Ok(Some(result))
}

/// The configuration's region search: every method from every start, keeping the traces.
fn region_search(plan: &Plan) -> RegionSearch {
    let c = &plan.checked;
    RegionSearch::new(
        c.config.methods.clone(),
        c.starts.clone(),
        c.config.hyper.params(),
    )
    .with_trace(true)
}

/// Every run of `search` on `f` (a job's map), in lockstep, keeping the traces.
fn grow(
    f: &dyn crate::semantic::SemanticFunction,
    search: &RegionSearch,
    plan: &Plan,
    job: &PlannedJob,
) -> Result<(Vec<RunSummary>, LockstepStats), BenchError> {
    run_all(f, &plan.checked.domain, search, &mut []).map_err(|source| BenchError::Search {
        job: job.id.key(),
        source,
    })
}

/// Renders (with their scores) at four points inside the job's largest region and at four
/// of the map's lowest-scoring samples outside it; none when the job has no region.
fn contact_renders(
    f: &ClassifierFunction,
    map: &Grid,
    runs: &[RunSummary],
) -> Result<Renders, BenchError> {
    let Some(largest) = largest_region(runs) else {
        return Ok(Renders::default());
    };
    let (inside, outside) = render_points(map, &largest.lower, &largest.upper, 2);
    let shots = |points: Vec<Vec<f64>>| -> Result<Vec<RenderShot>, BenchError> {
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let n = points[0].len();
        let matrix = nalgebra::DMatrix::from_fn(points.len(), n, |i, j| points[i][j]);
        let images = f.render(&matrix)?;
        let scores = f.classify_images(&images)?;
        points
            .into_iter()
            .enumerate()
            .map(|(k, point)| {
                Ok(RenderShot {
                    point,
                    score: Some(scores.probability[k]),
                    png: images.png(k)?,
                })
            })
            .collect()
    };
    Ok(Renders {
        inside: shots(inside)?,
        outside: shots(outside)?,
        witnesses: Vec::new(),
    })
}

impl Plan {
    /// The results folder of this plan when none is given: `srvr-results/<config hash>`.
    pub fn default_results(&self) -> PathBuf {
        PathBuf::from("srvr-results").join(&self.stamp.config_hash)
    }

    /// The plan for networks run in `precision`: a reduced precision changes the scores, so
    /// its results get their own fingerprint and never share a folder with f32's (whose
    /// fingerprints, and the golden files', stay as they were).
    pub fn in_precision(mut self, precision: Precision) -> Plan {
        if precision != Precision::F32 {
            let mut h = Fingerprint::default();
            h.update(self.stamp.config_hash.as_bytes());
            h.update(format!("precision={precision}").as_bytes());
            self.stamp.config_hash = h.hex();
        }
        self
    }

    /// Whether the acceptance rule already left this job's shape out, so that network mode
    /// may skip its region runs: asked of the rule itself ([`AcceptBy::decides`]) with this
    /// job's mean map score `own_mean` and, for another deciding network, its finished
    /// result in the folder (not finished yet: undecided, the runs go ahead).
    fn rejected_before(&self, dir: &ResultsDir, job: &PlannedJob, own_mean: f64) -> bool {
        let min = self.checked.config.acceptance.min_mean_score;
        let decided = self
            .checked
            .accept_by
            .decides(min, &job.id.network, |network| {
                if network == job.id.network {
                    Some(own_mean)
                } else {
                    dir.finished(&job.id.on(network)).map(|r| r.mean_score)
                }
            });
        decided == Some(false)
    }
}
