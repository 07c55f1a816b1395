//! Arguments shared by the commands that run a real network (`map`, `regions mesh`).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use semrob::analysis::inputs::{load_classifier, MeshSource, WeightsId};
use semrob::analysis::network_function::ClassifierFunction;
use semrob::nets::{
    DeclaredModelsError, Device, Label, LoadOptions, Model, Precision, Rgb, ScriptDeclarations,
    ScriptOutput,
};
use semrob::region::{Observer, RegionSearch, Step};
use semrob::render::{RenderBackend, Scene};
use semrob::runtime::{cores, ThreadPlan};
use semrob::semantic::{AxisSpec, SemanticParam};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceChoice {
    Cpu,
    Cuda,
}

impl DeviceChoice {
    pub fn device(self) -> Device {
        match self {
            DeviceChoice::Cpu => Device::Cpu,
            DeviceChoice::Cuda => Device::Cuda,
        }
    }

    /// How to load a network here in `precision` (`--precision`): f32 anywhere; bf16 and
    /// f16 on CUDA only (libtorch runs them on the CPU too, but slower than f32 and with
    /// scores that drift, for nothing gained).
    pub fn load_options(self, precision: Precision) -> anyhow::Result<LoadOptions> {
        if self == DeviceChoice::Cpu && precision != Precision::F32 {
            anyhow::bail!(
                "--precision {precision}: bf16 and f16 run on CUDA only (--device cuda); the CPU runs f32"
            );
        }
        Ok(LoadOptions {
            device: self.device(),
            precision,
            ..LoadOptions::default()
        })
    }
}

/// What a TorchScript model (`--model torchscript:PATH`) expects and returns; a TorchScript
/// file does not say. Defaults: ImageNet's (224², torchvision's mean and std, 1 000 logits).
#[derive(Debug, Clone, Default, Args)]
pub struct ScriptArgs {
    /// TorchScript model: its name in results (default: the file's stem).
    #[arg(long, value_name = "NAME")]
    pub model_name: Option<String>,
    /// TorchScript model: side of its square input in pixels (default 224).
    #[arg(long, value_name = "PIXELS")]
    pub input_size: Option<usize>,
    /// TorchScript model: per-channel mean `R,G,B` subtracted from images in [0, 1]
    /// (default torchvision's 0.485,0.456,0.406).
    #[arg(long, value_name = "R,G,B", allow_hyphen_values = true)]
    pub mean: Option<Rgb>,
    /// TorchScript model: per-channel standard deviation `R,G,B` (default 0.229,0.224,0.225).
    #[arg(long, value_name = "R,G,B")]
    pub std: Option<Rgb>,
    /// TorchScript model: what its output holds, `logits` (default; semrob applies the
    /// softmax) or `probabilities`.
    #[arg(long, value_name = "logits|probabilities")]
    pub output: Option<ScriptOutput>,
    /// TorchScript model: how many classes its output has (default 1000).
    #[arg(long, value_name = "N")]
    pub classes: Option<usize>,
}

impl ScriptArgs {
    /// The models named by `--model` (each `NAME` or `torchscript:PATH`), with these
    /// declarations applied to the TorchScript ones.
    pub fn models(&self, names: &[String]) -> anyhow::Result<Vec<Model>> {
        let declared = ScriptDeclarations {
            name: self.model_name.clone(),
            input_size: self.input_size,
            mean: self.mean.map(|m| m.0),
            std: self.std.map(|d| d.0),
            output: self.output,
            classes: self.classes,
        };
        declared.models(names).map_err(|e| match e {
            DeclaredModelsError::NoScript(names) => anyhow::anyhow!(
                "--model-name, --input-size, --mean, --std, --output and --classes declare a \
                 TorchScript model (--model torchscript:PATH); {names} has a fixed input and output"
            ),
            e => anyhow::Error::new(e).context("--model"),
        })
    }

    /// The one model of a command that takes one.
    pub fn model(&self, name: &str) -> anyhow::Result<Model> {
        Ok(self.models(&[name.to_string()])?.remove(0))
    }
}

/// The scene: a mesh, a label, render settings.
#[derive(Debug, Clone, Args)]
pub struct SceneArgs {
    /// The mesh: an OBJ file, or `fixture:NAME` for a procedural fixture (vase, mug, teapot...).
    #[arg(value_name = "MESH")]
    pub mesh: MeshSource,
    /// The true ImageNet label k (0–999): f(u) is its softmax score.
    #[arg(long)]
    pub label: Label,
    /// Where inference runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Number format of the network: f32, or bf16 / f16 on CUDA.
    #[arg(long, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// Which renderer draws the network's inputs: `cpu`, or `device` (on the network's
    /// device, no host round trip). The same images either way. Default: `device` with
    /// `--device cuda`, `cpu` on the CPU.
    #[arg(long, value_name = "cpu|device")]
    pub renderer: Option<RenderBackend>,
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
    /// The renderer asked for, else the device's default.
    pub fn backend(&self) -> RenderBackend {
        self.renderer
            .unwrap_or_else(|| RenderBackend::default_for(self.device == DeviceChoice::Cuda))
    }

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

/// A loaded function of interest with the identifiers results carry.
pub struct LoadedFunction {
    pub function: ClassifierFunction,
    pub meta: Value,
}

/// Builds f for one network: checks the label, loads mesh and weights (errors name them).
pub fn load_function(
    scene: &SceneArgs,
    model: &Model,
    weights: Option<&PathBuf>,
    params: Vec<SemanticParam>,
) -> anyhow::Result<LoadedFunction> {
    let options = scene.device.load_options(scene.precision)?;
    let label = scene.label.index();
    if !model.has_class(label) {
        anyhow::bail!(
            "--label {label} is outside the classes of {model} (0–{})",
            model.classes() - 1
        );
    }
    ThreadPlan::for_machine(cores(), scene.device == DeviceChoice::Cuda).install();
    let mesh = scene.mesh.load()?;
    let (classifier, weights_id): (_, WeightsId) =
        load_classifier(model, weights.map(|p| p.as_path()), options)?;
    let s = scene.scene();
    let function = ClassifierFunction::new(mesh, classifier, label, params, s)
        .and_then(|f| f.with_renderer(scene.backend()))
        .with_context(|| format!("{model} on {}", scene.mesh))?;
    // The keys of a benchmark job's map (`analysis::benchmark::run`), where they apply.
    let meta = json!({
        "kind": "nsm",
        "network": model.name(),
        "weights": weights_id,
        "mesh": scene.mesh.to_string(),
        "label": label,
        "label_name": model.class_name(label),
        "render": function.scene(),
        "image_size": function.renderer().options().size,
        "renderer": function.backend(),
    });
    Ok(LoadedFunction { function, meta })
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

/// Parses `--axes`, default the paper's azimuth × elevation.
pub fn axes(text: Option<&str>) -> anyhow::Result<Vec<AxisSpec>> {
    match text {
        Some(t) => Ok(AxisSpec::parse_list(t)?),
        None => Ok(semrob::semantic::paper_axes()),
    }
}
