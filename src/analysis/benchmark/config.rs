//! The SRVR benchmark's configuration (TOML), checked before anything runs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::results::Shard;
use crate::analysis::network_function::inputs::Fingerprint;
use crate::analysis::network_function::BatchSize;
use crate::analysis::region_runs::RegionMode;
use crate::analysis::srvr::{default_reference, AcceptBy};
use crate::certify::{min_samples, CertifySettings, Criterion};
use crate::nets::{
    Architecture, Model, NetFormat, Rgb, ScriptDeclarations, ScriptModel, ScriptOutput,
};
use crate::region::{Coordinates, HyperParams, Method, Region, StepRule};
use crate::render::fixtures;
use crate::render::{RenderBackend, Scene};
use crate::semantic::{check_axes, map_point_count, AxisSpec};

/// Why a configuration was refused; names the field and the value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration {origin}: {source}")]
    Toml {
        origin: String,
        source: Box<toml::de::Error>,
    },
    #[error("configuration {origin}: field `{field}`: {message}")]
    Field {
        origin: String,
        field: String,
        message: String,
    },
}

/// One network of the benchmark: a built-in architecture (`model`, with `weights`), or a
/// network file — TorchScript (`torchscript`) or ONNX (`onnx`) — with what it expects and
/// returns declared (defaults: ImageNet's 224² input, torchvision's mean and std, 1 000
/// logits).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Architecture name (`efficientnet-lite0`, `resnet50`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Weights file; default: the architecture's default weights (EfficientNet-Lite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<PathBuf>,
    /// A TorchScript file (`torch.jit.save`), instead of `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torchscript: Option<PathBuf>,
    /// An ONNX file (from any framework, run by ONNX Runtime), instead of `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<PathBuf>,
    /// How results name the network file's network (default: the file's stem).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Side of the network file's square input (pixels; default 224).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_size: Option<usize>,
    /// Per-channel (RGB) mean subtracted from images in [0, 1] (default torchvision's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<[f32; 3]>,
    /// Per-channel (RGB) standard deviation (default torchvision's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<[f32; 3]>,
    /// `"logits"` (default) or `"probabilities"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<ScriptOutput>,
    /// Number of classes the network file outputs (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
}

impl NetworkConfig {
    /// A built-in architecture with its default weights.
    pub fn builtin(model: &str) -> NetworkConfig {
        NetworkConfig {
            model: Some(model.into()),
            ..NetworkConfig::default()
        }
    }

    /// The network this entry names, or which key is wrong and why.
    pub fn model(&self) -> Result<Model, (&'static str, String)> {
        let declared = [
            ("name", self.name.is_some()),
            ("input_size", self.input_size.is_some()),
            ("mean", self.mean.is_some()),
            ("std", self.std.is_some()),
            ("output", self.output.is_some()),
            ("classes", self.classes.is_some()),
        ];
        let files = [
            ("torchscript", NetFormat::TorchScript, &self.torchscript),
            ("onnx", NetFormat::Onnx, &self.onnx),
        ];
        let mut given = files.iter().filter(|(_, _, path)| path.is_some());
        let file = given.next();
        if let Some((key, ..)) = given.next().or(file.filter(|_| self.model.is_some())) {
            return Err((
                key,
                "give one of `model` (a built-in network), `torchscript` or `onnx` (a file), \
                 not several"
                    .into(),
            ));
        }
        match (&self.model, file) {
            (None, None) => Err((
                "model",
                "give `model` (a built-in network), or `torchscript` or `onnx` (a network file)"
                    .into(),
            )),
            (Some(name), _) => {
                if let Some((key, _)) = declared.iter().find(|(_, given)| *given) {
                    return Err((
                        key,
                        format!(
                            "declares a network file's network; {name} has a fixed input and output"
                        ),
                    ));
                }
                Architecture::from_name(name)
                    .map(Model::Builtin)
                    .map_err(|e| ("model", e.to_string()))
            }
            (None, Some((_, format, path))) => {
                let path = path.as_ref().expect("a given file");
                if self.weights.is_some() {
                    return Err((
                        "weights",
                        format!("the {format} file holds its weights; give no `weights` with it"),
                    ));
                }
                let mut s = ScriptModel::imagenet_as(*format, path);
                ScriptDeclarations {
                    name: self.name.clone(),
                    input_size: self.input_size,
                    mean: self.mean.map(Rgb),
                    std: self.std.map(Rgb),
                    output: self.output,
                    classes: self.classes,
                }
                .apply_to_script(&mut s);
                s.check().map_err(|e| {
                    let key = match e.field.split('[').next().unwrap_or("") {
                        "name" => "name",
                        "input_size" => "input_size",
                        "mean" => "mean",
                        "std" => "std",
                        _ => "classes",
                    };
                    (key, format!("{} {}", e.field, e.message))
                })?;
                Ok(Model::TorchScript(s))
            }
        }
    }
}

/// A procedural fixture standing for a shape of an ImageNet class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureShape {
    /// Fixture name (`vase`, `mug`, `teapot`, ...).
    pub fixture: String,
    /// The class it is reported under.
    pub class: String,
    /// Its true ImageNet label.
    pub label: usize,
}

/// Where the shapes come from: procedural fixtures, or a ShapeNet-style dataset folder
/// (`semrob::render::dataset`, classes and labels from its manifest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixtures: Vec<FixtureShape>,
    /// Dataset root (e.g. `../shared/data/shapenet10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<PathBuf>,
    /// Classes of the dataset to use (default: all with an ImageNet label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// At most this many present shapes per class, in manifest order (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shapes_per_class: Option<usize>,
}

/// One bad field of a configuration (named as in the file, e.g. `dataset.fixtures[1].label`)
/// and why; [`SrvrConfig::check`] adds the file.
#[derive(Debug, Clone, PartialEq)]
struct FieldError {
    field: String,
    message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl DatasetConfig {
    /// Fixtures or a root (not both); each fixture known, once, with a valid label and a
    /// class name usable as a folder; `shapes_per_class` ≥ 1.
    fn check(&self) -> Result<(), FieldError> {
        match (self.fixtures.is_empty(), &self.root) {
            (true, None) => {
                return Err(FieldError::new(
                    "dataset",
                    "give `fixtures` or a dataset `root`",
                ))
            }
            (false, Some(_)) => {
                return Err(FieldError::new(
                    "dataset",
                    "give `fixtures` or a dataset `root`, not both",
                ))
            }
            _ => {}
        }
        for (i, f) in self.fixtures.iter().enumerate() {
            let field = |key: &str| format!("dataset.fixtures[{i}].{key}");
            if !fixtures::NAMES.contains(&f.fixture.as_str()) {
                return Err(FieldError::new(
                    field("fixture"),
                    format!(
                        "unknown fixture {:?}; known: {}",
                        f.fixture,
                        fixtures::NAMES.join(", ")
                    ),
                ));
            }
            if let Err(e) = crate::nets::Label::new(f.label) {
                return Err(FieldError::new(field("label"), e.to_string()));
            }
            if f.class.is_empty() || f.class.contains(['/', '\\']) {
                return Err(FieldError::new(
                    field("class"),
                    format!("{:?} must be a non-empty name without slashes", f.class),
                ));
            }
            if self.fixtures[..i].iter().any(|g| g.fixture == f.fixture) {
                return Err(FieldError::new(
                    field("fixture"),
                    format!("{:?} appears twice", f.fixture),
                ));
            }
        }
        if self.shapes_per_class == Some(0) {
            return Err(FieldError::new("dataset.shapes_per_class", "must be ≥ 1"));
        }
        Ok(())
    }
}

/// Region hyper-parameters (SPEC §3) plus the finite-difference step of OIR_W's gradients:
/// the `[hyper]` table of a configuration, and the options of every command that grows
/// regions (`#[command(flatten)]`). Defaults are the paper's, from
/// [`HyperParams::default`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct HyperConfig {
    /// Step size η (> 0).
    #[arg(long, default_value_t = HyperParams::default().eta)]
    pub eta: f64,
    /// Naive's regulariser λ (≥ 0).
    #[arg(long, default_value_t = HyperParams::default().lambda)]
    pub lambda: f64,
    /// OIR's outer margin α (> 0).
    #[arg(long, default_value_t = HyperParams::default().alpha)]
    pub alpha: f64,
    /// OIR_W's emphasis β (0 ≤ β < 2/(2n−1)).
    #[arg(long, default_value_t = HyperParams::default().beta)]
    pub beta: f64,
    /// Iteration budget per run (≥ 1).
    #[arg(long, default_value_t = HyperParams::default().iterations)]
    pub iterations: usize,
    /// The half-width of the start box and the minimum side (> 0; configuration only).
    #[arg(skip = HyperParams::default().epsilon)]
    pub epsilon: f64,
    /// Convergence tolerance: stop when every bound moves by at most this fraction of its
    /// side in one step.
    #[arg(long, default_value_t = HyperParams::default().tolerance)]
    pub tolerance: f64,
    /// Points per dimension on each face for the Leibniz face integrals (2 = the paper's
    /// corner rule; m gives m^(n−1) points per face).
    #[arg(long, default_value_t = HyperParams::default().face_points)]
    pub face_points: usize,
    /// The coordinates runs step in: `native` (the parameters' units, the paper's) or `unit`
    /// (the domain scaled to [0, 1] per axis; ε, η, λ and the start half-width are then
    /// fractions of each axis). For three or more parameters use `unit` with a start
    /// half-width (docs/cli.md, "More than two parameters").
    #[serde(skip_serializing_if = "Coordinates::is_native")]
    #[arg(long, default_value_t = Coordinates::Native)]
    pub coordinates: Coordinates,
    /// Half-width of the start box around each start, in the run's coordinates (default: ε,
    /// the paper's start).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long)]
    pub start_half_width: Option<f64>,
    /// How a bound's gradient becomes its step: `paper` (η times the gradient) or
    /// `dimension-free` (divided by its face's measure to the power (n−2)/(n−1), so that boxes
    /// grow in n ≥ 3 as they do in 2-D; the same in 1-D and 2-D; SPEC §3).
    #[serde(skip_serializing_if = "StepRule::is_paper")]
    #[arg(long, default_value_t = StepRule::Paper)]
    pub steps: StepRule,
    /// Rest rule: a run also stops once, over its last this many steps, every bound stayed
    /// within `rest_tolerance` times its axis's length and every side within
    /// `rest_tolerance` times itself (≥ 1, at most `iterations`; give both
    /// or neither: neither is the paper's fixed budget, `rest = off`; SPEC §3).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long)]
    pub rest_window: Option<usize>,
    /// Rest rule: the largest range of a bound over the window, as a fraction of its axis's
    /// length, and of a side, as a fraction of that side (> 0; with `rest_window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long)]
    pub rest_tolerance: Option<f64>,
    /// Central-difference step per axis (default: each parameter's default step;
    /// configuration only: `regions mesh` takes one `--fd-step` for every axis).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(skip)]
    pub fd_step: Option<Vec<f64>>,
}

impl Default for HyperConfig {
    fn default() -> Self {
        let h = HyperParams::default();
        HyperConfig {
            eta: h.eta,
            lambda: h.lambda,
            alpha: h.alpha,
            beta: h.beta,
            iterations: h.iterations,
            epsilon: h.epsilon,
            tolerance: h.tolerance,
            face_points: h.face_points,
            coordinates: h.coordinates,
            start_half_width: h.start_half_width,
            steps: h.steps,
            rest_window: h.rest_window,
            rest_tolerance: h.rest_tolerance,
            fd_step: None,
        }
    }
}

impl HyperConfig {
    pub fn params(&self) -> HyperParams {
        HyperParams {
            eta: self.eta,
            lambda: self.lambda,
            alpha: self.alpha,
            beta: self.beta,
            iterations: self.iterations,
            epsilon: self.epsilon,
            tolerance: self.tolerance,
            face_points: self.face_points,
            coordinates: self.coordinates,
            start_half_width: self.start_half_width,
            steps: self.steps,
            rest_window: self.rest_window,
            rest_tolerance: self.rest_tolerance,
        }
    }
}

/// Every job's map and the acceptance rule (SPEC §7). Each job samples its network's map of
/// the shape on `map_axes`; a shape is in the dataset if the mean of the *reference
/// network's* map is ≥ `min_mean_score`, and every network is scored on those shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceConfig {
    #[serde(default = "default_min_mean")]
    pub min_mean_score: f64,
    /// Which network decides: a model name of `networks` (default: `resnet50` when listed,
    /// else the first network), or `each` (every network keeps the shapes it scores on
    /// itself; not the paper's rule) or `none` (every shape counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The map's grid, `NAME:LO:HI:STEP` per axis (default: the region axes with their
    /// steps, i.e. the paper's 3° grid). In map mode the regions grow on this map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_axes: Option<Vec<String>>,
}

impl AcceptanceConfig {
    /// `min_mean_score` in [0, 1]; `network` one of `models`, `each` or `none` (default: the
    /// reference network among `models`). Returns who decides.
    fn check(&self, models: &[String]) -> Result<AcceptBy, FieldError> {
        if !(0.0..=1.0).contains(&self.min_mean_score) {
            return Err(FieldError::new(
                "acceptance.min_mean_score",
                format!("{} is not in [0, 1]", self.min_mean_score),
            ));
        }
        let Some(text) = &self.network else {
            let reference = default_reference(models).expect("networks is not empty");
            return Ok(AcceptBy::Network(reference));
        };
        let by: AcceptBy = text
            .parse()
            .map_err(|e: String| FieldError::new("acceptance.network", e))?;
        if let AcceptBy::Network(name) = &by {
            if !models.contains(name) {
                return Err(FieldError::new(
                    "acceptance.network",
                    format!(
                        "{name:?} is not among the networks ({}); give one of them, `each` or \
                         `none`",
                        models.join(", ")
                    ),
                ));
            }
        }
        Ok(by)
    }
}

/// Refine mode's default budget of network steps per run (BENCHMARKS.md, "Refine mode").
pub const DEFAULT_REFINE_STEPS: usize = 25;

/// Added to the fingerprint of a refine-mode configuration under a fixed budget, whose map
/// stage takes `iterations − refine_steps` steps (SPEC §5).
const REFINE_SPLIT: &str = "|refine: map steps = iterations - refine_steps";

fn default_region_mode() -> RegionMode {
    RegionMode::Network
}

fn default_min_mean() -> f64 {
    0.1
}

impl Default for AcceptanceConfig {
    fn default() -> Self {
        AcceptanceConfig {
            min_mean_score: default_min_mean(),
            network: None,
            map_axes: None,
        }
    }
}

fn default_axes() -> Vec<String> {
    vec!["azimuth".into(), "elevation".into()]
}

fn default_methods() -> Vec<Method> {
    Method::ALL.to_vec()
}

fn default_batch() -> usize {
    16
}

/// The whole configuration of a `semrob srvr` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrvrConfig {
    /// A name for the report.
    #[serde(default)]
    pub name: String,
    pub networks: Vec<NetworkConfig>,
    pub dataset: DatasetConfig,
    /// The region search space: `NAME[:LO:HI[:STEP]]` per axis (default azimuth × elevation
    /// on the paper's domain). Its domain is Ω; SRVR is region volume over |Ω|.
    #[serde(default = "default_axes")]
    pub axes: Vec<String>,
    /// Initial points (default: the paper's four, azimuth only in 1-D).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts: Option<Vec<Vec<f64>>>,
    #[serde(default = "default_methods")]
    pub methods: Vec<Method>,
    /// Where the regions grow: `network` (default, the paper's procedure), `map` or
    /// `refine`.
    #[serde(default = "default_region_mode")]
    pub regions: RegionMode,
    /// Refine mode: at most this many network steps per run after its map run (≥ 1; default
    /// [`DEFAULT_REFINE_STEPS`], written into the checked configuration so that the results'
    /// fingerprint names it). Refused with another mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine_steps: Option<usize>,
    #[serde(default)]
    pub hyper: HyperConfig,
    #[serde(default)]
    pub render: Scene,
    #[serde(default)]
    pub acceptance: AcceptanceConfig,
    /// Points per render and network batch: the map is sampled in calls of this many points,
    /// and every call (a lockstep round of the region runs too) goes to the network in chunks
    /// of at most this many images.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Which renderer draws the networks' inputs: `"cpu"` or `"device"` (default: `device`
    /// when the networks run on CUDA, `cpu` on the CPU; `--renderer` overrides it). The images
    /// are the same either way, so it is not part of the results' fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<RenderBackend>,
    /// `[certify]`: a certificate for every region, checked on the network (SPEC §8); off
    /// when absent. Not part of the results' fingerprint: the certificates carry their
    /// settings, so `semrob certify` can add or redo them without touching the regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certify: Option<CertifyConfig>,
}

/// The `[certify]` table (SPEC §8) and the options of `semrob certify`: how many fresh
/// samples per region, the confidence and the largest failing share a certificate states,
/// what counts as a failure, and whether uncertified regions get a clean box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct CertifyConfig {
    /// Samples per region (at most; a hollow region is refuted after its first batch).
    #[arg(long, default_value_t = CertifyConfig::default().samples)]
    pub samples: usize,
    /// Confidence 1 − α of every certificate, in (0, 1).
    #[arg(long, default_value_t = CertifyConfig::default().confidence)]
    pub confidence: f64,
    /// The largest failing share p a certified region may hold, in (0, 1).
    #[arg(long, default_value_t = CertifyConfig::default().max_share)]
    pub max_share: f64,
    /// What fails: `score` (the true class's probability below the threshold) or `top1`
    /// (the top-1 class is not the label).
    #[arg(long, default_value_t = Criterion::Score)]
    pub criterion: Criterion,
    /// The score threshold of the `score` criterion (default: the acceptance threshold,
    /// `acceptance.min_mean_score`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Also certify, for each uncertified region, the largest box inside it that holds its
    /// start and whose share below the threshold on the job's map is at most `max_share`.
    #[arg(long)]
    pub clean: bool,
    /// Samples per region per round (the first round's batch refutes a hollow region).
    #[arg(long = "certify-batch", id = "certify_batch", default_value_t = CertifyConfig::default().batch)]
    pub batch: usize,
}

impl Default for CertifyConfig {
    /// 22 samples at α = p = 0.1: the fewest that can certify at that level (SPEC §8).
    fn default() -> Self {
        CertifyConfig {
            samples: 22,
            confidence: 0.9,
            max_share: 0.1,
            criterion: Criterion::Score,
            threshold: None,
            clean: false,
            batch: 8,
        }
    }
}

impl CertifyConfig {
    /// The settings a certificate is drawn with.
    pub fn settings(&self) -> CertifySettings {
        CertifySettings {
            samples: self.samples,
            confidence: self.confidence,
            max_share: self.max_share,
            criterion: self.criterion,
            threshold: self.threshold,
            clean: self.clean,
            batch: self.batch,
        }
    }

    /// Each field in range, the first bad one named as `FIELD: why` (`max_share: 1.5 is
    /// outside (0, 1)`): for command lines, which name their flags.
    pub fn check_alone(&self) -> Result<(), String> {
        self.check().map_err(|e| {
            let field = e.field.strip_prefix("certify.").unwrap_or(&e.field);
            format!("{}: {}", field.replace('_', "-"), e.message)
        })
    }

    /// Each field in range, the first bad one named (`certify.FIELD`).
    fn check(&self) -> Result<(), FieldError> {
        let unit = |field: &str, v: f64| {
            if v.is_finite() && 0.0 < v && v < 1.0 {
                Ok(())
            } else {
                Err(FieldError::new(
                    format!("certify.{field}"),
                    format!("{v} is outside (0, 1)"),
                ))
            }
        };
        unit("confidence", self.confidence)?;
        unit("max_share", self.max_share)?;
        let least = min_samples(1.0 - self.confidence, self.max_share);
        if self.samples < least {
            return Err(FieldError::new(
                "certify.samples",
                format!(
                    "{} can never certify at confidence {} and max_share {}: the fewest that can is {least}",
                    self.samples, self.confidence, self.max_share
                ),
            ));
        }
        if let Some(t) = self.threshold {
            if !(t.is_finite() && (0.0..=1.0).contains(&t)) {
                return Err(FieldError::new(
                    "certify.threshold",
                    format!("{t} is outside [0, 1]"),
                ));
            }
        }
        if self.batch == 0 {
            return Err(FieldError::new("certify.batch", "must be ≥ 1"));
        }
        self.settings()
            .check()
            .map_err(|e| FieldError::new("certify", e.to_string()))
    }
}

/// A configuration with its parsed axes, domain and starts, all checked.
#[derive(Debug, Clone)]
pub struct CheckedConfig {
    pub config: SrvrConfig,
    pub axes: Vec<AxisSpec>,
    pub map_axes: Vec<AxisSpec>,
    pub domain: Region,
    pub starts: Vec<Vec<f64>>,
    pub fd_steps: Vec<f64>,
    /// The acceptance rule's decider (SPEC §7).
    pub accept_by: AcceptBy,
    /// `batch`, checked.
    pub batch: BatchSize,
}

/// The embedded default configuration (`semrob srvr` with no file).
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../configs/quick.toml");

/// Whether a run is the embedded default's own, so that its finished report is checked
/// against the embedded default's golden report (unless another golden file is given): no
/// configuration file, no other region mode (`--regions`, `--refine-steps`) and every job
/// (no shard).
pub fn is_embedded_default_run(config_file: bool, mode_overridden: bool, shard: Shard) -> bool {
    !config_file && !mode_overridden && shard == Shard::ALL
}

impl SrvrConfig {
    pub fn from_toml(text: &str, origin: &str) -> Result<CheckedConfig, ConfigError> {
        let config: SrvrConfig = toml::from_str(text).map_err(|e| ConfigError::Toml {
            origin: origin.to_string(),
            source: Box::new(e),
        })?;
        config.check(origin)
    }

    pub fn read(path: &std::path::Path) -> Result<CheckedConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// The fingerprint of everything that determines results (this configuration's
    /// canonical JSON); weights fingerprints are added by the runner.
    /// The renderer is left out: both draw the same images.
    pub fn fingerprint(&self) -> String {
        let results = SrvrConfig {
            renderer: None,
            certify: None,
            ..self.clone()
        };
        let mut canonical = serde_json::to_string(&results).expect("serialisable");
        if self.regions == RegionMode::Refine && self.hyper.rest_window.is_none() {
            // Refine mode under a fixed budget splits it between its stages (SPEC §5); a
            // folder grown by the older rule (the whole budget on the map, then the network
            // steps) holds another computation.
            canonical.push_str(REFINE_SPLIT);
        }
        Fingerprint::of(canonical.as_bytes())
    }

    /// This configuration with its region mode and refine steps overridden (`semrob srvr
    /// --regions --refine-steps`, named `origin` in errors), checked again. Another mode drops
    /// the configuration's `refine_steps`, so that the new mode's default applies; steps
    /// outside refine mode, or 0 steps, are refused as in a file.
    pub fn with_regions(
        mut self,
        mode: Option<RegionMode>,
        refine_steps: Option<usize>,
        origin: &str,
    ) -> Result<CheckedConfig, ConfigError> {
        if let Some(mode) = mode {
            if mode != self.regions {
                self.refine_steps = None;
            }
            self.regions = mode;
        }
        if refine_steps.is_some() {
            self.refine_steps = refine_steps;
        }
        self.check(origin)
    }

    /// Checks every field, parses axes and starts: one section at a time, the first bad
    /// field named in the error.
    pub fn check(self, origin: &str) -> Result<CheckedConfig, ConfigError> {
        self.checked().map_err(|e| ConfigError::Field {
            origin: origin.to_string(),
            field: e.field,
            message: e.message,
        })
    }

    fn checked(mut self) -> Result<CheckedConfig, FieldError> {
        let models = self.check_networks()?;
        self.dataset.check()?;
        let (axes, map_axes) = self.check_axes()?;
        let domain = Region::new(
            axes.iter().map(|a| a.lo).collect::<Vec<_>>(),
            axes.iter().map(|a| a.hi).collect::<Vec<_>>(),
        )
        .map_err(|e| FieldError::new("axes", e.to_string()))?;
        let starts = self.check_starts(&domain)?;
        let fd_steps = self.check_search(&axes)?;
        let accept_by = self.acceptance.check(&models)?;
        self.check_mode(&axes, &map_axes)?;
        let batch =
            BatchSize::new(self.batch).map_err(|e| FieldError::new("batch", e.to_string()))?;
        if let Some(c) = &self.certify {
            c.check()?;
        }
        self.render
            .check()
            .map_err(|e| FieldError::new(format!("render.{}", e.field), e.message))?;
        Ok(CheckedConfig {
            config: self,
            axes,
            map_axes,
            domain,
            starts,
            fd_steps,
            accept_by,
            batch,
        })
    }

    /// `networks`: at least one, each a valid model, no name twice. Returns the names.
    fn check_networks(&self) -> Result<Vec<String>, FieldError> {
        if self.networks.is_empty() {
            return Err(FieldError::new(
                "networks",
                "at least one network is needed",
            ));
        }
        let mut models: Vec<String> = Vec::new();
        for (i, n) in self.networks.iter().enumerate() {
            let model = n.model().map_err(|(key, message)| {
                FieldError::new(format!("networks[{i}].{key}"), message)
            })?;
            let name = model.name().to_string();
            if models.contains(&name) {
                let key = if n.model.is_some() { "model" } else { "name" };
                return Err(FieldError::new(
                    format!("networks[{i}].{key}"),
                    format!("{name:?} appears twice: give each network its own name"),
                ));
            }
            models.push(name);
        }
        Ok(models)
    }

    /// `axes` and `acceptance.map_axes` (the same parameters, a map no larger than a map may
    /// be, counted before anything is sampled).
    fn check_axes(&self) -> Result<(Vec<AxisSpec>, Vec<AxisSpec>), FieldError> {
        let parse = |field: &str, list: &[String]| -> Result<Vec<AxisSpec>, FieldError> {
            let axes = list
                .iter()
                .map(|t| AxisSpec::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FieldError::new(field, e.to_string()))?;
            check_axes(&axes).map_err(|e| FieldError::new(field, e.to_string()))?;
            Ok(axes)
        };
        let axes = parse("axes", &self.axes)?;
        let map_axes = match &self.acceptance.map_axes {
            Some(list) => {
                let m = parse("acceptance.map_axes", list)?;
                let same =
                    m.len() == axes.len() && m.iter().zip(&axes).all(|(a, b)| a.param == b.param);
                if !same {
                    return Err(FieldError::new(
                        "acceptance.map_axes",
                        "must name the same parameters as `axes`, in the same order",
                    ));
                }
                m
            }
            None => axes.clone(),
        };
        // The acceptance map is sampled on `map_axes` in every mode: refuse one larger than a
        // map may be from the sample counts, before anything allocates its points.
        if let Err(e) = map_point_count(&map_axes) {
            let field = match self.acceptance.map_axes {
                Some(_) => "acceptance.map_axes",
                None => "axes",
            };
            return Err(FieldError::new(field, e.to_string()));
        }
        Ok((axes, map_axes))
    }

    /// `starts` (each inside the domain, one coordinate per axis), or the default starts.
    fn check_starts(&self, domain: &Region) -> Result<Vec<Vec<f64>>, FieldError> {
        let n = domain.dim();
        let Some(starts) = &self.starts else {
            return Ok(crate::analysis::region_runs::default_starts(domain));
        };
        if starts.is_empty() {
            return Err(FieldError::new("starts", "at least one start is needed"));
        }
        for (i, p) in starts.iter().enumerate() {
            if p.len() != n {
                return Err(FieldError::new(
                    format!("starts[{i}]"),
                    format!("{p:?} has {} coordinates, the axes {n}", p.len()),
                ));
            }
            if !domain.contains(p) {
                return Err(FieldError::new(
                    format!("starts[{i}]"),
                    format!("{p:?} is outside the domain of `axes`"),
                ));
            }
        }
        Ok(starts.clone())
    }

    /// `methods` and `[hyper]` (the region core's own checks); returns the finite-difference
    /// step of each axis.
    fn check_search(&self, axes: &[AxisSpec]) -> Result<Vec<f64>, FieldError> {
        let n = axes.len();
        if self.methods.is_empty() {
            return Err(FieldError::new("methods", "at least one method is needed"));
        }
        self.hyper
            .params()
            .validate(n)
            .map_err(|e| FieldError::new("hyper", e.to_string()))?;
        match &self.hyper.fd_step {
            Some(s) if s.len() != n => Err(FieldError::new(
                "hyper.fd_step",
                format!("{} steps for {n} axes", s.len()),
            )),
            Some(s) => match s.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
                Some(h) => Err(FieldError::new("hyper.fd_step", format!("{h} is not > 0"))),
                None => Ok(s.clone()),
            },
            None => Ok(axes.iter().map(|a| a.param.default_fd_step()).collect()),
        }
    }

    /// `regions` and `refine_steps`: a map-using mode needs map axes that span the domain
    /// with at least two samples each; refine mode gets its default number of steps, which
    /// hold at least one window of the rest rule (they are the network runs' cap).
    fn check_mode(&mut self, axes: &[AxisSpec], map_axes: &[AxisSpec]) -> Result<(), FieldError> {
        let mode = self.regions;
        if mode.uses_map() {
            for (m, a) in map_axes.iter().zip(axes) {
                if m.sample_count() < 2 {
                    return Err(FieldError::new(
                        "acceptance.map_axes",
                        format!(
                            "{m} has {} sample: regions = \"{mode}\" needs at least 2 per axis \
                             for a region method to move",
                            m.sample_count()
                        ),
                    ));
                }
                if (m.lo, m.hi) != (a.lo, a.hi) {
                    return Err(FieldError::new(
                        "acceptance.map_axes",
                        format!(
                            "{m} must span the domain of `axes` ({a}) when regions = \"{mode}\""
                        ),
                    ));
                }
            }
        }
        match (mode, self.refine_steps) {
            (RegionMode::Refine, None) => self.refine_steps = Some(DEFAULT_REFINE_STEPS),
            (RegionMode::Refine, Some(0)) => {
                return Err(FieldError::new(
                    "refine_steps",
                    "0 network steps is map mode: give regions = \"map\", or at least 1 step",
                ))
            }
            (RegionMode::Refine, Some(_)) | (_, None) => {}
            (other, Some(k)) => {
                return Err(FieldError::new(
                    "refine_steps",
                    format!(
                        "{k} is set, but regions = \"{other}\": refine_steps belongs to \
                         regions = \"refine\""
                    ),
                ))
            }
        }
        match (self.refine_steps, self.hyper.rest_window) {
            // The network steps are their runs' cap: it holds at least one window of the rest
            // rule.
            (Some(k), Some(w)) if k < w => Err(FieldError::new(
                "refine_steps",
                format!("{k} network steps are fewer than hyper.rest_window = {w}"),
            )),
            // Under a fixed budget the two stages share it (SPEC §5): the map keeps a step.
            (Some(k), None) if k >= self.hyper.iterations => Err(FieldError::new(
                "refine_steps",
                format!(
                    "{k} network steps leave no map step of hyper.iterations = {}: under a \
                     fixed budget refine mode's map and network steps share it (give fewer \
                     steps, or the rest rule)",
                    self.hyper.iterations
                ),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        networks = [{ model = "efficientnet-lite0" }]
        dataset = { fixtures = [{ fixture = "vase", class = "vase", label = 883 }] }
    "#;

    fn err(text: &str) -> String {
        SrvrConfig::from_toml(text, "test").unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_config_gets_the_papers_defaults() {
        let c = SrvrConfig::from_toml(MINIMAL, "test").unwrap();
        assert_eq!(c.axes.len(), 2);
        assert_eq!(c.starts.len(), 4);
        assert_eq!(c.config.methods, Method::ALL.to_vec());
        assert_eq!(c.config.hyper.params(), HyperParams::default());
        assert_eq!(c.config.acceptance.min_mean_score, 0.1);
        assert_eq!(c.domain.volume(), 36_000.0);
        assert_eq!(c.fd_steps, vec![0.5, 0.5]);
    }

    #[test]
    fn resnet50_decides_acceptance_when_listed_else_the_first_network() {
        let c = SrvrConfig::from_toml(MINIMAL, "test").unwrap();
        assert_eq!(c.accept_by, AcceptBy::Network("efficientnet-lite0".into()));
        assert_eq!(c.config.regions, RegionMode::Network);
        let two = MINIMAL.replace(
            "networks = [{ model = \"efficientnet-lite0\" }]",
            "networks = [{ model = \"efficientnet-lite0\" }, { model = \"resnet50\", weights = \"r.pth\" }]",
        );
        let c = SrvrConfig::from_toml(&two, "test").unwrap();
        assert_eq!(c.accept_by, AcceptBy::Network("resnet50".into()));
        let each = format!("{two}\n[acceptance]\nnetwork = \"each\"");
        assert_eq!(
            SrvrConfig::from_toml(&each, "t").unwrap().accept_by,
            AcceptBy::Each
        );
    }

    /// MINIMAL with `networks` replaced.
    fn with_networks(networks: &str) -> String {
        MINIMAL.replace(
            "networks = [{ model = \"efficientnet-lite0\" }]",
            &format!("networks = [{networks}]"),
        )
    }

    #[test]
    fn a_torchscript_network_takes_its_declarations_and_the_imagenet_defaults() {
        let c = SrvrConfig::from_toml(
            &with_networks(
                r#"{ torchscript = "nets/mine.pt", name = "mine", input_size = 160,
                     mean = [0.5, 0.5, 0.5], output = "probabilities", classes = 1000 },
                   { model = "efficientnet-lite0" }"#,
            ),
            "t",
        )
        .unwrap();
        let Model::TorchScript(s) = c.config.networks[0].model().unwrap() else {
            panic!("not a TorchScript network")
        };
        assert_eq!(s.path, std::path::Path::new("nets/mine.pt"));
        assert_eq!(
            (s.name.as_str(), s.input_size, s.classes),
            ("mine", 160, 1000)
        );
        assert_eq!((s.mean, s.output), ([0.5; 3], ScriptOutput::Probabilities));
        assert_eq!(s.std, ScriptModel::imagenet(&s.path).std);
        // The acceptance rule may name it; a built-in entry serialises as before (so results
        // folders and goldens of built-in networks keep their fingerprints).
        let by_name = format!(
            "{}\n[acceptance]\nnetwork = \"mine\"",
            with_networks(r#"{ torchscript = "m.pt", name = "mine" }"#)
        );
        assert_eq!(
            SrvrConfig::from_toml(&by_name, "t").unwrap().accept_by,
            AcceptBy::Network("mine".into())
        );
        assert_eq!(
            serde_json::to_string(&NetworkConfig::builtin("resnet50")).unwrap(),
            r#"{"model":"resnet50"}"#
        );
    }

    #[test]
    fn an_onnx_network_takes_the_same_declarations() {
        let c = SrvrConfig::from_toml(
            &with_networks(r#"{ onnx = "nets/keras.onnx", name = "keras", classes = 10 }"#),
            "t",
        )
        .unwrap();
        let Model::TorchScript(s) = c.config.networks[0].model().unwrap() else {
            panic!("not a network file")
        };
        assert_eq!(s.format, NetFormat::Onnx);
        assert_eq!(s.path, std::path::Path::new("nets/keras.onnx"));
        assert_eq!(
            (s.name.as_str(), s.input_size, s.classes),
            ("keras", 224, 10)
        );
    }

    #[test]
    fn network_entries_that_cannot_be_right_are_refused_by_key() {
        let cases = [
            (
                r#"{ weights = "w.pth" }"#,
                "networks[0].model",
                "give `model`",
            ),
            (
                r#"{ model = "resnet50", torchscript = "m.pt" }"#,
                "networks[0].torchscript",
                "not several",
            ),
            (
                r#"{ torchscript = "m.pt", onnx = "m.onnx" }"#,
                "networks[0].onnx",
                "not several",
            ),
            (
                r#"{ onnx = "m.onnx", weights = "w.pth" }"#,
                "networks[0].weights",
                "the ONNX file holds its weights",
            ),
            (
                r#"{ onnx = "m.onnx", input_size = 0 }"#,
                "networks[0].input_size",
                "input_size 0",
            ),
            (
                r#"{ torchscript = "m.pt", weights = "w.pth" }"#,
                "networks[0].weights",
                "holds its weights",
            ),
            (
                r#"{ model = "resnet50", input_size = 100 }"#,
                "networks[0].input_size",
                "fixed input",
            ),
            (
                r#"{ torchscript = "m.pt", std = [0.2, 0.0, 0.2] }"#,
                "networks[0].std",
                "std[1] 0 is not a positive number",
            ),
            (
                r#"{ torchscript = "m.pt", classes = 0 }"#,
                "networks[0].classes",
                "classes is 0",
            ),
            (
                r#"{ torchscript = "m.pt", name = "resnet50" }"#,
                "networks[0].name",
                "built-in",
            ),
            (
                r#"{ torchscript = "a/net.pt" }, { torchscript = "b/net.pt" }"#,
                "networks[1].name",
                "\"net\" appears twice",
            ),
            (
                r#"{ torchscript = "m.pt", output = "softmax" }"#,
                "softmax",
                "`logits` or `probabilities`",
            ),
        ];
        for (networks, field, why) in cases {
            let e = err(&with_networks(networks));
            assert!(e.contains(field) && e.contains(why), "{networks}: {e}");
        }
    }

    #[test]
    fn the_embedded_default_is_valid() {
        let c = SrvrConfig::from_toml(EMBEDDED_DEFAULT, "embedded").unwrap();
        assert_eq!(c.config.networks.len(), 3);
        assert!(c.config.dataset.fixtures.len() >= 4);
    }

    #[test]
    fn the_committed_paper_config_is_valid_and_has_the_papers_settings() {
        // The paper's experiment with runs that end at rest (SPEC §3, "Rest rule"), on the
        // network: a tolerance of 1e-2, which the network's jitter can meet.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/shapenet10.toml");
        let c = SrvrConfig::read(std::path::Path::new(path)).unwrap();
        let h = c.config.hyper.params();
        assert_eq!((h.eta, h.iterations), (0.4, 1600));
        assert_eq!(c.config.regions, RegionMode::Network);
        assert_eq!(
            h.rest(),
            Some(crate::region::RestRule {
                window: 100,
                tolerance: 1e-2
            })
        );
        assert_eq!(c.starts.len(), 4);
        assert_eq!(c.map_axes, c.axes);
        assert_eq!(c.domain.volume(), 36_000.0);
        // The golden table's configuration keeps the paper's fixed budget.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/shapenet10-lite0.toml");
        let h = SrvrConfig::read(std::path::Path::new(path))
            .unwrap()
            .config
            .hyper
            .params();
        assert_eq!((h.eta, h.iterations, h.rest()), (0.1, 800, None));
    }

    #[test]
    fn the_committed_3d_config_is_valid_and_grows_in_refine_mode() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/nd-lite0.toml");
        let c = SrvrConfig::read(std::path::Path::new(path)).unwrap();
        assert_eq!(c.axes.len(), 3);
        assert_eq!(c.map_axes.len(), 3);
        assert_eq!(c.starts.len(), 4);
        assert!(c.starts.iter().all(|s| s.len() == 3));
        assert_eq!(c.config.regions, RegionMode::Refine);
        assert_eq!(c.fd_steps, vec![0.5, 0.5, 0.01]);
        // |Ω| = 360° · 100° · 2 distance units.
        assert_eq!(c.domain.volume(), 72_000.0);
        let points: usize = c.map_axes.iter().map(|a| a.samples().len()).product();
        assert_eq!(points, 12 * 6 * 5, "the coarse map its header states");
    }

    #[test]
    fn unknown_keys_and_impossible_values_are_refused_by_name() {
        let cases = [
            (format!("{MINIMAL}\ncolour = 3"), "colour"),
            (format!("{MINIMAL}\n[hyper]\netaa = 1"), "etaa"),
            (format!("{MINIMAL}\n[hyper]\neta = -1"), "hyper"),
            (format!("{MINIMAL}\n[hyper]\nbeta = 0.9"), "hyper"),
            (
                format!("{MINIMAL}\n[acceptance]\nmin_mean_score = 1.5"),
                "min_mean_score",
            ),
            (format!("{MINIMAL}\naxes = [\"azimuth:10:5\"]"), "axes"),
            (
                format!("{MINIMAL}\naxes = [\"azimuth\", \"azimuth\"]"),
                "axes",
            ),
            (format!("{MINIMAL}\nstarts = [[400.0, 10.0]]"), "starts[0]"),
            (format!("{MINIMAL}\nstarts = [[40.0]]"), "starts[0]"),
            (format!("{MINIMAL}\nbatch = 0"), "batch"),
            (
                format!("{MINIMAL}\n[render]\nsupersampling = 9"),
                "render.supersampling",
            ),
            (
                format!("{MINIMAL}\n[acceptance]\nmap_axes = [\"elevation\", \"azimuth\"]"),
                "map_axes",
            ),
            (
                MINIMAL.replace("efficientnet-lite0", "efficientnet-lite9"),
                "networks[0].model",
            ),
            (MINIMAL.replace("883", "1000"), "label"),
            (
                format!("{MINIMAL}\n[acceptance]\nnetwork = \"resnet50\""),
                "acceptance.network",
            ),
            (format!("{MINIMAL}\nregions = \"grid\""), "regions"),
            (
                format!("{MINIMAL}\nregions = \"map\"\n[acceptance]\nmap_axes = [\"azimuth:0:360:360\", \"elevation\"]"),
                "acceptance.map_axes",
            ),
            (
                MINIMAL.replace("\"vase\", class", "\"spaceship\", class"),
                "fixture",
            ),
        ];
        for (text, field) in cases {
            let e = err(&text);
            assert!(e.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn the_renderer_key_is_read_checked_and_left_out_of_the_fingerprint() {
        let plain = SrvrConfig::from_toml(MINIMAL, "t").unwrap();
        assert_eq!(plain.config.renderer, None);
        for backend in RenderBackend::ALL {
            let c = SrvrConfig::from_toml(&format!("{MINIMAL}\nrenderer = \"{backend}\""), "t")
                .unwrap();
            assert_eq!(c.config.renderer, Some(backend));
            // The same images either way: the same results folder and golden fingerprints.
            assert_eq!(c.config.fingerprint(), plain.config.fingerprint());
        }
        let e = err(&format!("{MINIMAL}\nrenderer = \"gpu\""));
        assert!(e.contains("renderer") && e.contains("gpu"), "{e}");
    }

    #[test]
    fn refine_mode_takes_its_budget_into_the_checked_configuration() {
        let refine = |extra: &str| {
            SrvrConfig::from_toml(&format!("{MINIMAL}\nregions = \"refine\"\n{extra}"), "t")
        };
        // No budget given: the default is written in, so that the fingerprint names it.
        let c = refine("").unwrap();
        assert_eq!(c.config.refine_steps, Some(DEFAULT_REFINE_STEPS));
        let explicit = refine(&format!("refine_steps = {DEFAULT_REFINE_STEPS}")).unwrap();
        assert_eq!(c.config.fingerprint(), explicit.config.fingerprint());
        let other = refine("refine_steps = 40").unwrap();
        assert_ne!(c.config.fingerprint(), other.config.fingerprint());
        let map = SrvrConfig::from_toml(&format!("{MINIMAL}\nregions = \"map\""), "t").unwrap();
        assert_ne!(map.config.fingerprint(), other.config.fingerprint());
        assert_eq!(map.config.refine_steps, None);
        // A map-mode configuration's fingerprint does not see the new key.
        assert!(!serde_json::to_string(&map.config)
            .unwrap()
            .contains("refine_steps"));
        for (text, wanted) in [
            ("refine_steps = 0", "map mode"),
            ("refine_steps = -1", "refine_steps"),
        ] {
            let e = refine(text).unwrap_err().to_string();
            assert!(
                e.contains("refine_steps") && e.contains(wanted),
                "{text}: {e}"
            );
        }
        let e = err(&format!("{MINIMAL}\nrefine_steps = 10"));
        assert!(
            e.contains("refine_steps") && e.contains("\"network\""),
            "{e}"
        );
        // Refine mode grows on the map first, so the map must span the domain.
        let e = refine("[acceptance]\nmap_axes = [\"azimuth:0:180:3\", \"elevation\"]")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("acceptance.map_axes") && e.contains("refine"),
            "{e}"
        );
        for mode in RegionMode::ALL {
            assert_eq!(mode.as_str().parse::<RegionMode>(), Ok(mode));
        }
        assert!("grid"
            .parse::<RegionMode>()
            .unwrap_err()
            .contains("`refine`"));
    }

    #[test]
    fn the_fingerprint_changes_with_anything_that_changes_results() {
        let a = SrvrConfig::from_toml(MINIMAL, "t").unwrap().config;
        let b = SrvrConfig::from_toml(&format!("{MINIMAL}\n[hyper]\niterations = 799"), "t")
            .unwrap()
            .config;
        assert_ne!(a.fingerprint(), b.fingerprint());
        let again = SrvrConfig::from_toml(MINIMAL, "t").unwrap().config;
        assert_eq!(a.fingerprint(), again.fingerprint());
    }

    #[test]
    fn the_rest_rule_is_off_unless_configured_and_leaves_the_fingerprint_alone() {
        let plain = SrvrConfig::from_toml(MINIMAL, "t").unwrap().config;
        assert_eq!(
            plain.hyper.params().rest(),
            None,
            "rest = off: the fixed budget"
        );
        let json = serde_json::to_string(&plain.hyper).unwrap();
        assert!(!json.contains("rest"), "{json}");
        let on = SrvrConfig::from_toml(
            &format!("{MINIMAL}\n[hyper]\nrest_window = 50\nrest_tolerance = 1e-3"),
            "t",
        )
        .unwrap()
        .config;
        let rule = on.hyper.params().rest().unwrap();
        assert_eq!((rule.window, rule.tolerance), (50, 1e-3));
        assert_ne!(on.fingerprint(), plain.fingerprint());
    }

    #[test]
    fn rest_rule_settings_that_cannot_be_right_are_refused_by_name() {
        let hyper = |keys: &str| format!("{MINIMAL}\n[hyper]\n{keys}");
        let cases = [
            (hyper("rest_window = 5\nrest_tolerance = 0.0"), "rest_tolerance = 0"),
            (hyper("rest_window = 5\nrest_tolerance = -1e-3"), "rest_tolerance = -0.001"),
            (hyper("rest_window = 5\nrest_tolerance = inf"), "rest_tolerance = inf"),
            (hyper("rest_window = 5\nrest_tolerance = nan"), "rest_tolerance = NaN"),
            (hyper("rest_window = 0\nrest_tolerance = 1e-3"), "rest_window = 0"),
            (
                hyper("iterations = 10\nrest_window = 11\nrest_tolerance = 1e-3"),
                "iterations = 10 must satisfy iterations ≥ rest_window = 11",
            ),
            (
                hyper("rest_window = 5"),
                "rest_window is set and rest_tolerance is not",
            ),
            (
                hyper("rest_tolerance = 1e-3"),
                "rest_tolerance is set and rest_window is not",
            ),
            (
                format!(
                    "{MINIMAL}\nregions = \"refine\"\n[hyper]\nrest_window = 30\nrest_tolerance = 1e-3"
                ),
                "field `refine_steps`: 25 network steps are fewer than hyper.rest_window = 30",
            ),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(e.contains(want), "{want}: {e}");
        }
        let e = err(&hyper("rest_window = 0\nrest_tolerance = 1e-3"));
        assert!(e.contains("field `hyper`"), "{e}");
        // The refine steps from the command line are checked against the window too.
        let refine = SrvrConfig::from_toml(&hyper("rest_window = 30\nrest_tolerance = 1e-3"), "t")
            .unwrap()
            .config;
        let e = refine
            .with_regions(Some(RegionMode::Refine), Some(29), "--refine-steps")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("refine_steps") && e.contains("rest_window = 30"),
            "{e}"
        );
    }

    #[test]
    fn under_a_fixed_budget_refine_steps_leave_the_map_a_step_and_change_the_fingerprint() {
        let refine = |keys: &str| format!("{MINIMAL}\nregions = \"refine\"\n{keys}");
        for (keys, ok) in [
            ("refine_steps = 799", true),
            ("refine_steps = 800", false),
            ("refine_steps = 20\n[hyper]\niterations = 20", false),
            ("refine_steps = 19\n[hyper]\niterations = 20", true),
            // With the rest rule each stage has its own cap: no sharing, no limit.
            (
                "refine_steps = 900\n[hyper]\nrest_window = 30\nrest_tolerance = 1e-3",
                true,
            ),
        ] {
            match SrvrConfig::from_toml(&refine(keys), "t") {
                Ok(_) => assert!(ok, "{keys}: accepted"),
                Err(e) => {
                    let e = e.to_string();
                    assert!(!ok, "{keys}: {e}");
                    assert!(
                        e.contains("field `refine_steps`") && e.contains("leave no map step"),
                        "{e}"
                    );
                }
            }
        }
        // The split is part of the fingerprint of refine mode under a fixed budget only.
        let plain = SrvrConfig::from_toml(MINIMAL, "t").unwrap().config;
        let fixed = SrvrConfig::from_toml(&refine(""), "t").unwrap().config;
        let mut canonical = serde_json::to_string(&SrvrConfig {
            renderer: None,
            certify: None,
            ..fixed.clone()
        })
        .unwrap();
        assert_ne!(fixed.fingerprint(), Fingerprint::of(canonical.as_bytes()));
        canonical.push_str(REFINE_SPLIT);
        assert_eq!(fixed.fingerprint(), Fingerprint::of(canonical.as_bytes()));
        let network = serde_json::to_string(&plain).unwrap();
        assert_eq!(plain.fingerprint(), Fingerprint::of(network.as_bytes()));
    }

    #[test]
    fn an_acceptance_map_larger_than_a_map_may_be_is_refused_without_sampling_it() {
        // Found by the results fuzz campaign (a stamp's configuration): a map axis of 10¹¹
        // samples was allocated by the check itself.
        let huge = EMBEDDED_DEFAULT.replace(
            r#"map_axes = ["azimuth:0:360:12", "elevation:-10:90:12"]"#,
            r#"map_axes = ["azimuth:0:330136677460:3", "elevation:-10:90:12"]"#,
        );
        assert_ne!(huge, EMBEDDED_DEFAULT);
        let e = SrvrConfig::from_toml(&huge, "t").unwrap_err().to_string();
        assert!(
            e.contains("acceptance.map_axes") && e.contains("more than the 16777216"),
            "{e}"
        );
        // Without map_axes, the limit applies to `axes` (they are the map's axes then).
        let fine_axes = EMBEDDED_DEFAULT
            .replace(
                r#"axes = ["azimuth:0:360", "elevation:-10:90"]"#,
                r#"axes = ["azimuth:0:360:0.01", "elevation:-10:90:0.01"]"#,
            )
            .replace(
                r#"map_axes = ["azimuth:0:360:12", "elevation:-10:90:12"]"#,
                "",
            );
        let e = SrvrConfig::from_toml(&fine_axes, "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `axes`") && e.contains("36000 × "), "{e}");
        // The counts agree with the samples.
        for text in ["azimuth:0:360:3", "elevation:-10:90:3", "azimuth:0:180:7.5"] {
            let a = AxisSpec::parse(text).unwrap();
            assert_eq!(a.sample_count(), a.samples().len(), "{text}");
        }
    }
}
