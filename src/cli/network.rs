//! The option groups of the commands that run a real network, each flag declared once:
//! [`DeviceArgs`] (`--device`), [`NetworkArgs`] (adds `--precision`), [`RendererArgs`]
//! (`--renderer`), [`BatchArgs`] (`--batch`), [`ScriptArgs`] (a network file's declarations)
//! and [`SceneArgs`] (the mesh, the label and the render settings of `map` and
//! `regions mesh`).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use semrob::analysis::network_function::inputs::MeshSource;
use semrob::analysis::network_function::{
    BatchSize, ClassifierFunction, FunctionSource, LoadFunctionError, LoadedFunction,
};
use semrob::nets::{
    DeclaredModelsError, Device, Label, LoadOptions, Model, Precision, ScriptDeclarations,
};
use semrob::region::{Observer, RegionSearch, Step};
use semrob::render::{RenderBackend, Scene};
use semrob::runtime::{cores, ThreadPlan};
use semrob::semantic::{AxisSpec, SemanticParam};

/// Where the networks run (`--device`).
#[derive(Debug, Clone, Copy, Args)]
pub struct DeviceArgs {
    /// Where inference runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: Device,
}

impl DeviceArgs {
    pub fn is_cuda(&self) -> bool {
        self.device == Device::Cuda
    }

    /// How to load a network here in `precision`, with the machine's thread plan installed
    /// for this device (`ThreadPlan::for_machine`): the one place a command that runs a
    /// network sets libtorch's and rayon's threads.
    pub fn prepare(&self, precision: Precision) -> anyhow::Result<LoadOptions> {
        let options = load_options(self.device, precision)?;
        ThreadPlan::for_machine(cores(), self.is_cuda()).install();
        Ok(options)
    }
}

/// How the networks load (`--device`, `--precision`).
#[derive(Debug, Clone, Copy, Args)]
pub struct NetworkArgs {
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Number format of the networks: f32, or bf16 / f16 on CUDA. Not part of a results
    /// folder's fingerprint: scores in bf16 or f16 differ from f32 ones by more than the
    /// goldens allow.
    #[arg(long, default_value_t = Precision::F32)]
    pub precision: Precision,
}

impl NetworkArgs {
    pub fn device(&self) -> Device {
        self.device.device
    }

    /// How to load a network (no thread plan: `classify` keeps libtorch's own threads).
    pub fn options(&self) -> anyhow::Result<LoadOptions> {
        load_options(self.device(), self.precision)
    }

    /// [`DeviceArgs::prepare`] in this precision.
    pub fn prepare(&self) -> anyhow::Result<LoadOptions> {
        self.device.prepare(self.precision)
    }
}

/// Which renderer draws the networks' inputs (`--renderer`).
#[derive(Debug, Clone, Copy, Args)]
pub struct RendererArgs {
    /// Which renderer draws the networks' inputs: `cpu`, or `device` (on the networks'
    /// device, no host round trip). The same images either way, so not part of a results
    /// folder's fingerprint. Default: a configuration's `renderer`, else `device` with
    /// `--device cuda`, `cpu` on the CPU.
    #[arg(long, value_name = "cpu|device")]
    pub renderer: Option<RenderBackend>,
}

impl RendererArgs {
    /// The renderer asked for, else `device`'s default.
    pub fn backend(&self, device: Device) -> RenderBackend {
        self.renderer
            .unwrap_or_else(|| RenderBackend::default_for(device == Device::Cuda))
    }
}

/// The largest render and network batch (`--batch`).
#[derive(Debug, Clone, Copy, Args)]
pub struct BatchArgs {
    /// The largest render and network batch (≥ 1): points go to the network in batches of
    /// at most this many images (a map's, or every round's of the region runs with OIR_W's
    /// finite-difference neighbours), the next batch rendering while the network scores the
    /// current one.
    #[arg(long, default_value_t = BatchSize::DEFAULT)]
    pub batch: BatchSize,
}

/// How to load a network on `device` in `precision` (`--device`, `--precision`).
fn load_options(device: Device, precision: Precision) -> anyhow::Result<LoadOptions> {
    LoadOptions::on(device, precision)
        .map_err(|e| anyhow::anyhow!("--precision {}: {e} (--device cuda)", e.0))
}

/// What a network file (`--model torchscript:PATH` or `onnx:PATH`) expects and returns; such
/// a file does not say. Defaults: ImageNet's (224², torchvision's mean and std, 1 000 logits).
#[derive(Debug, Clone, Default, Args)]
pub struct ScriptArgs {
    #[command(flatten)]
    pub declared: ScriptDeclarations,
}

impl ScriptArgs {
    /// The models named by `--model` (each `NAME`, `torchscript:PATH` or `onnx:PATH`), with
    /// these declarations applied to the network files.
    pub fn models(&self, names: &[String]) -> anyhow::Result<Vec<Model>> {
        self.declared.models(names).map_err(|e| match e {
            DeclaredModelsError::NoScript(names) => anyhow::anyhow!(
                "--model-name, --input-size, --mean, --std, --output and --classes declare a \
                 TorchScript or ONNX file (--model torchscript:PATH or onnx:PATH); {names} has a \
                 fixed input and output"
            ),
            e => anyhow::Error::new(e).context("--model"),
        })
    }

    /// The one model of a command that takes one.
    pub fn model(&self, name: &str) -> anyhow::Result<Model> {
        Ok(self.models(&[name.to_string()])?.remove(0))
    }
}

/// The scene: a mesh, a label, the network's device and render settings.
#[derive(Debug, Clone, Args)]
pub struct SceneArgs {
    /// The mesh: an OBJ file, or `fixture:NAME` for a procedural fixture (vase, mug, teapot...).
    #[arg(value_name = "MESH")]
    pub mesh: MeshSource,
    /// The true ImageNet label k (0–999): f(u) is its softmax score.
    #[arg(long)]
    pub label: Label,
    #[command(flatten)]
    pub network: NetworkArgs,
    #[command(flatten)]
    pub renderer: RendererArgs,
    /// Image side in pixels (default: the network's input size).
    #[arg(long)]
    pub size: Option<u32>,
    /// Anti-aliasing factor (1–4; NMR's 2).
    #[arg(long, default_value_t = 2)]
    pub supersampling: u32,
    /// Elevation (degrees) when elevation is not an axis (the paper's 1-D maps: 35).
    #[arg(
        long,
        alias = "fixed-elevation",
        default_value_t = 35.0,
        allow_hyphen_values = true
    )]
    pub elevation: f64,
    /// Azimuth (degrees) when azimuth is not an axis.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub azimuth: f64,
    /// Camera distance when distance is not an axis.
    #[arg(long, default_value_t = semrob::render::DEFAULT_DISTANCE)]
    pub distance: f64,
}

impl SceneArgs {
    pub fn scene(&self) -> Scene {
        Scene {
            azimuth_deg: self.azimuth,
            elevation_deg: self.elevation,
            distance: self.distance,
            size: self.size,
            supersampling: self.supersampling,
            ..Scene::default()
        }
    }
}

/// Loads f for one network on the scene's mesh and label (`ClassifierFunction::load`).
pub fn load_function(
    scene: &SceneArgs,
    model: &Model,
    weights: Option<&PathBuf>,
    params: Vec<SemanticParam>,
) -> anyhow::Result<LoadedFunction> {
    let options = scene.network.prepare()?;
    ClassifierFunction::load(FunctionSource {
        mesh: &scene.mesh,
        model,
        weights: weights.map(|p| p.as_path()),
        label: scene.label,
        params,
        scene: scene.scene(),
        backend: scene.renderer.backend(scene.network.device()),
        options,
    })
    .map_err(|e| match e {
        // "label K is outside ...": the flag that gave it.
        LoadFunctionError::Label(e) => anyhow::anyhow!("--{e}"),
        e => e.into(),
    })
}

/// A progress bar with ETA on stderr (hidden when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (ETA {eta})",
        )
        .expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

/// An observer that draws a region search's progress: one tick per step of any run, and the
/// unused budget of a run that stops early.
pub struct StepProgress {
    bar: ProgressBar,
    budget: u64,
}

impl StepProgress {
    pub fn new(search: &RegionSearch, what: &str) -> StepProgress {
        let runs = (search.methods.len() * search.starts.len()) as u64;
        let budget = search.hyper.iterations as u64;
        StepProgress {
            bar: progress(runs * budget, what),
            budget,
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for StepProgress {
    fn observe(&mut self, _run: usize, step: &Step) {
        self.bar.inc(1);
        if step.stop.is_some() {
            self.bar
                .inc(self.budget.saturating_sub(step.iteration as u64));
        }
    }
}

/// Parses `--map-axes` or `--search-axes`, default the paper's azimuth × elevation.
pub fn axes(text: Option<&str>) -> anyhow::Result<Vec<AxisSpec>> {
    match text {
        Some(t) => Ok(AxisSpec::parse_list(t)?),
        None => Ok(semrob::semantic::paper_axes()),
    }
}
