//! A network with its weights, ready to score image batches on CPU or CUDA: from host memory
//! ([`ImageBatch`]) or from a tensor already on the network's device
//! ([`Classifier::classify_tensor`]), through one code path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use super::architecture::{check_keys, Architecture, KeyMismatch};
use super::checkpoint::{self, CheckpointError};
use super::layers::BnFolds;
use super::model::{Model, NetFormat, ScriptModel, ScriptOutput};
use super::{alexnet, efficientnet_lite, inception_v3, resnet50, vgg11_bn, LiteVariant, Precision};

const CLASSES: i64 = super::IMAGENET_CLASSES as i64;

/// Where inference runs (`cpu` or `cuda` on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Device {
    #[default]
    Cpu,
    /// The first CUDA GPU.
    Cuda,
}

/// How PyTorch lays out images and convolution weights in memory. Same shapes either way;
/// channels-last strides (`[B, H, W, C]` in memory) select other convolution kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryFormat {
    /// Row-major `[B, C, H, W]`, PyTorch's default.
    Contiguous,
    /// `[B, H, W, C]` in memory, `[B, C, H, W]` in shape.
    ChannelsLast,
}

impl MemoryFormat {
    /// The layout semrob uses for `arch` on `device` when not told otherwise: channels-last
    /// where it was measured faster (BENCHMARKS.md, "Folded batch norm and channels-last" and
    /// "Same binary, before and after": one CPU thread, batch 32, quiet machine):
    /// EfficientNet-Lite (Lite0 measured; Lite1/2 are the same blocks) and ResNet50 on the
    /// CPU. Contiguous elsewhere: the other torchvision networks and CUDA were not measured.
    pub fn preferred(arch: Architecture, device: Device) -> MemoryFormat {
        let measured_faster = matches!(
            arch,
            Architecture::EfficientNetLite0
                | Architecture::EfficientNetLite1
                | Architecture::EfficientNetLite2
                | Architecture::ResNet50
        );
        match device {
            Device::Cpu if measured_faster => MemoryFormat::ChannelsLast,
            Device::Cpu | Device::Cuda => MemoryFormat::Contiguous,
        }
    }

    /// `x` (4-d) with this layout's strides; a copy only when they differ.
    fn apply(self, x: &Tensor) -> Tensor {
        match self {
            MemoryFormat::Contiguous => x.contiguous(),
            // PyTorch recognises these strides as channels-last (tch has no memory-format API).
            MemoryFormat::ChannelsLast => {
                x.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2])
            }
        }
    }
}

/// How a classifier is loaded: where it runs, in which number format, with which layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    pub device: Device,
    pub precision: Precision,
    /// `None`: [`MemoryFormat::preferred`] for the architecture and device.
    pub memory_format: Option<MemoryFormat>,
    /// Run each batch norm after its convolution, as the checkpoint spells the network,
    /// instead of folding it into the convolution at load (the default). For measuring what
    /// folding gains and checking that it changes nothing beyond rounding.
    pub keep_batch_norm: bool,
}

/// A reduced precision asked for on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("bf16 and f16 run on CUDA only; the CPU runs f32")]
pub struct CpuPrecision(pub Precision);

impl LoadOptions {
    /// How to load a network on `device` in `precision`: f32 anywhere; bf16 and f16 on CUDA
    /// only (libtorch runs them on the CPU too, but slower than f32 and with scores that
    /// drift, for nothing gained).
    pub fn on(device: Device, precision: Precision) -> Result<LoadOptions, CpuPrecision> {
        if device == Device::Cpu && precision != Precision::F32 {
            return Err(CpuPrecision(precision));
        }
        Ok(LoadOptions {
            device,
            precision,
            ..LoadOptions::default()
        })
    }
}

impl From<Device> for LoadOptions {
    fn from(device: Device) -> Self {
        LoadOptions {
            device,
            ..LoadOptions::default()
        }
    }
}

/// Why a classifier could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{path} for {arch}: {mismatch}")]
    Weights {
        path: PathBuf,
        arch: Architecture,
        mismatch: KeyMismatch,
    },
    #[error("{path}: tensor {key:?} has dtype {dtype:?}, which cannot be a weight")]
    WeightDtype {
        path: PathBuf,
        key: String,
        dtype: checkpoint::DType,
    },
    #[error("{arch} has no default weights: give a weights file (--weights)")]
    NoDefaultWeights { arch: Architecture },
    #[error("default weights of {arch} not found at {path}: run scripts/setup.sh (or set SEMROB_WEIGHTS_DIR)")]
    DefaultWeightsMissing { arch: Architecture, path: PathBuf },
    #[error("CUDA was asked for but is not available (no GPU visible to libtorch, or a CPU-only libtorch)")]
    CudaUnavailable,
    #[error("image batch: {0}")]
    Batch(String),
    #[error(
        "image tensor on {images:?}, but the classifier runs on {classifier:?}: move it first"
    )]
    WrongDevice {
        images: tch::Device,
        classifier: tch::Device,
    },
    #[error("class {class} is out of range (the network has {classes} classes)")]
    Class { class: usize, classes: usize },
    #[error("{format} model {}: {message}", .path.display())]
    Script {
        path: PathBuf,
        format: NetFormat,
        message: String,
    },
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// A batch of RGB images `[B, 3, H, W]` (row-major, values in [0, 1]) as the renderer
/// produces it.
#[derive(Debug, Clone, Copy)]
pub struct ImageBatch<'a> {
    data: &'a [f32],
    shape: [usize; 4],
}

impl<'a> ImageBatch<'a> {
    pub fn new(data: &'a [f32], shape: [usize; 4]) -> Result<Self, NetError> {
        let [b, c, h, w] = shape;
        if c != 3 || b == 0 || h == 0 || w == 0 {
            return Err(NetError::Batch(format!(
                "shape {shape:?} is not [B ≥ 1, 3, H ≥ 1, W ≥ 1]"
            )));
        }
        if data.len() != b * c * h * w {
            return Err(NetError::Batch(format!(
                "{} values for shape {shape:?}",
                data.len()
            )));
        }
        Ok(ImageBatch { data, shape })
    }

    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    fn tensor(&self, device: tch::Device) -> Tensor {
        let shape: Vec<i64> = self.shape.iter().map(|&d| d as i64).collect();
        Tensor::from_slice(self.data)
            .reshape(shape)
            .to_device(device)
    }
}

/// Per-image scores over the network's classes (1 000 for ImageNet), row-major
/// `[B, classes]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub values: Vec<f32>,
    /// Length of a row.
    pub classes: usize,
}

impl Scores {
    pub fn batch(&self) -> usize {
        self.values.len() / self.classes
    }

    /// The scores of image `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let n = self.classes;
        &self.values[i * n..(i + 1) * n]
    }

    /// The `k` best classes of image `i`, best first, as `(class index, score)`.
    pub fn top(&self, i: usize, k: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self.row(i).iter().copied().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

/// One of an image's best classes ([`Classifier::top_classes`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RankedClass {
    pub index: usize,
    /// The ImageNet name (`None` for a network with other classes).
    pub name: Option<&'static str>,
    pub probability: f32,
}

/// A network with loaded weights. Evaluation mode always (batch norm uses its running
/// statistics, dropout is off), so each image's scores depend on that image only. Once
/// loaded, each batch norm of a built-in network is folded into the convolution before it
/// (one layer fewer to run, the same function up to rounding), the weights are in the chosen
/// precision and layout. A TorchScript network runs as PyTorch saved it, an ONNX network as
/// ONNX Runtime optimises it (on the CPU, the images handed over through host memory).
pub struct Classifier {
    model: Model,
    device: tch::Device,
    precision: Precision,
    memory_format: MemoryFormat,
    net: Net,
    /// SPEC §6's per-channel affine map `[1, 3, 1, 1]` (f32, on the device), made once so
    /// that a batch needs no upload beyond its own images.
    scale: Tensor,
    shift: Tensor,
}

/// The network itself.
enum Net {
    /// A built-in architecture: its variables and the batch norms to fold.
    Native {
        vs: nn::VarStore,
        net: Box<dyn ModuleT>,
        folds: BnFolds,
    },
    /// A TorchScript module and what its output holds.
    Script {
        module: tch::CModule,
        output: ScriptOutput,
    },
    /// An ONNX graph on ONNX Runtime and what its output holds.
    #[cfg(feature = "onnx")]
    Onnx {
        net: super::onnx::OnnxNet,
        output: ScriptOutput,
    },
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("model", &self.model)
            .field("device", &self.device)
            .field("precision", &self.precision)
            .field("memory_format", &self.memory_format)
            .finish()
    }
}

fn tch_device(device: Device) -> Result<tch::Device, NetError> {
    match device {
        Device::Cpu => Ok(tch::Device::Cpu),
        Device::Cuda if tch::Cuda::is_available() => Ok(tch::Device::Cuda(0)),
        Device::Cuda => Err(NetError::CudaUnavailable),
    }
}

/// SPEC §6's affine map of `model` as two `[1, 3, 1, 1]` tensors on `device`.
fn affine_columns(model: &Model, device: tch::Device) -> (Tensor, Tensor) {
    let affine = model.normalisation().affine();
    let column = |v: [f32; 3]| {
        Tensor::from_slice(&v)
            .reshape([1, 3, 1, 1])
            .to_device(device)
    };
    (column(affine.map(|a| a.0)), column(affine.map(|a| a.1)))
}

impl Classifier {
    /// The network with libtorch's default random initialisation (for timing and tests).
    pub fn untrained(
        arch: Architecture,
        options: impl Into<LoadOptions>,
    ) -> Result<Self, NetError> {
        let options = options.into();
        let mut c = Classifier::built(arch, options)?;
        c.prepare(options)?;
        Ok(c)
    }

    /// The network with weights from `path`: `.safetensors` or a PyTorch checkpoint (zip or
    /// legacy `torch.save` of a state dict). Keys and shapes must match the architecture
    /// exactly, apart from the keys `Architecture::ignores_key` names. `options` is a
    /// [`Device`] or [`LoadOptions`].
    pub fn load(
        arch: Architecture,
        path: &Path,
        options: impl Into<LoadOptions>,
    ) -> Result<Self, NetError> {
        let options = options.into();
        let mut c = Classifier::built(arch, options)?;
        c.copy_weights(arch, path)?;
        c.prepare(options)?;
        Ok(c)
    }

    /// `model` from the file that holds its weights: a checkpoint for a built-in
    /// architecture ([`Classifier::load`]), the network file for a TorchScript or ONNX
    /// network ([`Classifier::load_script`], which reads its own path and ignores `path`).
    pub fn load_model(
        model: &Model,
        path: &Path,
        options: impl Into<LoadOptions>,
    ) -> Result<Self, NetError> {
        match model {
            Model::Builtin(arch) => Classifier::load(*arch, path, options),
            Model::TorchScript(script) => Classifier::load_script(script, options),
        }
    }

    /// A network file: a TorchScript network moved to the device and the precision of
    /// `options` (its layout and batch norms stay as saved), or an ONNX network on ONNX
    /// Runtime (CPU, f32; threads: libtorch's count from the thread plan). Before it is
    /// accepted, one image of the declared input size goes through it: the network must take
    /// it and return a tensor `[1, classes]`, and probabilities must be rows in [0, 1] summing
    /// to 1 — each failure an error naming the file and what is wrong.
    pub fn load_script(
        script: &ScriptModel,
        options: impl Into<LoadOptions>,
    ) -> Result<Self, NetError> {
        let options = options.into();
        let device = tch_device(options.device)?;
        let fail = |message: String| NetError::Script {
            path: script.path.clone(),
            format: script.format,
            message,
        };
        if !script.path.is_file() {
            return Err(fail("no such file".into()));
        }
        let net = match script.format {
            NetFormat::TorchScript => Classifier::torchscript_net(script, options, device)?,
            NetFormat::Onnx => Classifier::onnx_net(script, options).map_err(fail)?,
        };
        let model = Model::TorchScript(script.clone());
        let (scale, shift) = affine_columns(&model, device);
        let c = Classifier {
            model,
            device,
            precision: options.precision,
            memory_format: MemoryFormat::Contiguous,
            net,
            scale,
            shift,
        };
        c.probe(script).map_err(fail)?;
        Ok(c)
    }

    /// An ONNX network (feature `onnx`): CPU and f32 only.
    #[cfg(feature = "onnx")]
    fn onnx_net(script: &ScriptModel, options: LoadOptions) -> Result<Net, String> {
        if options.device != Device::Cpu {
            return Err("ONNX networks run on the CPU only in semrob (--device cpu)".into());
        }
        let threads = usize::try_from(tch::get_num_threads()).unwrap_or(1);
        Ok(Net::Onnx {
            net: super::onnx::OnnxNet::load(&script.path, threads)?,
            output: script.output,
        })
    }

    /// Without the `onnx` feature: how to get it.
    #[cfg(not(feature = "onnx"))]
    fn onnx_net(_: &ScriptModel, _: LoadOptions) -> Result<Net, String> {
        Err(
            "this semrob was built without ONNX Runtime support: build it with the cargo \
             feature `onnx` (on by default; `cargo build --features onnx`) and run \
             scripts/setup.sh"
                .into(),
        )
    }

    /// A TorchScript module on `device` in the precision of `options`.
    fn torchscript_net(
        script: &ScriptModel,
        options: LoadOptions,
        device: tch::Device,
    ) -> Result<Net, NetError> {
        let fail = |message: String| NetError::Script {
            path: script.path.clone(),
            format: script.format,
            message,
        };
        let mut module = tch::CModule::load_on_device(&script.path, device).map_err(|e| {
            fail(format!(
                "not a TorchScript file that libtorch can load ({}); export one with \
                 torch.jit.trace or torch.jit.script and save it with torch.jit.save",
                torch_message(&e.to_string())
            ))
        })?;
        module.f_set_eval().map_err(|e| fail(e.to_string()))?;
        if options.precision != Precision::F32 {
            module.to(device, options.precision.kind(), false);
        }
        Ok(Net::Script {
            module,
            output: script.output,
        })
    }

    /// Runs one grey image of the declared size through a network file and checks
    /// what comes back; the message says what does not fit the declaration.
    fn probe(&self, script: &ScriptModel) -> Result<(), String> {
        let s = script.input_size as i64;
        let grey = Tensor::full([1, 3, s, s], 0.5, (Kind::Float, self.device));
        let out =
            tch::no_grad(|| self.raw_output(&self.preprocess(&grey))).map_err(|e| match e {
                RunFault::Rejected(why) => format!(
                    "the network rejects an input [1, 3, {s}, {s}] (declared input_size {s}): {why}"
                ),
                RunFault::NotATensor(what) => what,
            })?;
        let size = out.size();
        if size != [1, script.classes as i64] {
            return Err(format!(
                "output of shape {size:?} for one image, but [1, {}] was declared \
                 (classes = {}): declare the number of classes the network outputs",
                script.classes, script.classes
            ));
        }
        if script.output == ScriptOutput::Probabilities {
            let row = to_vec(&out).map_err(|e| e.to_string())?;
            let sum: f64 = row.iter().map(|&p| f64::from(p)).sum();
            let in_range = row.iter().all(|p| (0.0..=1.0).contains(p));
            if !in_range || (sum - 1.0).abs() > 1e-3 {
                return Err(format!(
                    "declared output = \"probabilities\", but a row sums to {sum:.6} \
                     (values in [0, 1]: {in_range}): declare output = \"logits\" if the \
                     module returns unnormalised scores"
                ));
            }
        }
        Ok(())
    }

    /// The network's output for a prepared input: one tensor, or what went wrong.
    fn raw_output(&self, input: &Tensor) -> Result<Tensor, RunFault> {
        match &self.net {
            Net::Native { net, .. } => Ok(net.forward_t(input, false)),
            Net::Script { module, .. } => {
                let out = module
                    .forward_is(&[tch::IValue::Tensor(input.shallow_clone())])
                    .map_err(|e| RunFault::Rejected(torch_message(&e.to_string()).into()))?;
                match out {
                    tch::IValue::Tensor(t) => Ok(t),
                    other => Err(RunFault::NotATensor(format!(
                        "the module returns {}, not a tensor [B, classes]: return only the \
                         scores (for instance the first element of the tuple) from forward",
                        ivalue_kind(&other)
                    ))),
                }
            }
            #[cfg(feature = "onnx")]
            Net::Onnx { net, .. } => {
                let size = input.size();
                let shape: [usize; 4] = std::array::from_fn(|i| size[i] as usize);
                let host = to_vec(input).map_err(|e| RunFault::Rejected(e.to_string()))?;
                let (values, out_shape) = net.run(&host, shape).map_err(RunFault::Rejected)?;
                Ok(Tensor::from_slice(&values)
                    .reshape(out_shape.as_slice())
                    .to_device(self.device))
            }
        }
    }

    /// The network as the checkpoint spells it: f32, contiguous, batch norms separate.
    fn built(arch: Architecture, options: LoadOptions) -> Result<Self, NetError> {
        let device = tch_device(options.device)?;
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let folds = BnFolds::default();
        let f = &folds;
        let net: Box<dyn ModuleT> = match arch {
            Architecture::ResNet50 => Box::new(resnet50(&root, f, CLASSES)),
            Architecture::Vgg11Bn => Box::new(vgg11_bn(&root, f, CLASSES)),
            Architecture::AlexNet => Box::new(alexnet(&root, CLASSES)),
            Architecture::InceptionV3 => Box::new(inception_v3(&root, f, CLASSES)),
            Architecture::EfficientNetLite0 => {
                Box::new(efficientnet_lite(&root, f, LiteVariant::Lite0, CLASSES))
            }
            Architecture::EfficientNetLite1 => {
                Box::new(efficientnet_lite(&root, f, LiteVariant::Lite1, CLASSES))
            }
            Architecture::EfficientNetLite2 => {
                Box::new(efficientnet_lite(&root, f, LiteVariant::Lite2, CLASSES))
            }
        };
        let model = Model::Builtin(arch);
        let (scale, shift) = affine_columns(&model, device);
        Ok(Classifier {
            model,
            device,
            precision: Precision::F32,
            memory_format: MemoryFormat::Contiguous,
            net: Net::Native { vs, net, folds },
            scale,
            shift,
        })
    }

    /// Copies the checkpoint at `path` into the variables, after checking keys and shapes.
    fn copy_weights(&mut self, arch: Architecture, path: &Path) -> Result<(), NetError> {
        let Net::Native { vs, .. } = &self.net else {
            unreachable!("only built-in networks are built from checkpoints")
        };
        let file = checkpoint::read_weights(path)?;
        let vars = vs.variables();
        let needed: BTreeMap<String, Vec<usize>> = vars
            .iter()
            .map(|(k, t)| (k.clone(), t.size().iter().map(|&d| d as usize).collect()))
            .collect();
        let mismatch = check_keys(arch, &needed, &file);
        if !mismatch.is_empty() {
            return Err(NetError::Weights {
                path: path.into(),
                arch,
                mismatch,
            });
        }
        tch::no_grad(|| -> Result<(), NetError> {
            for (key, mut var) in vars {
                let raw = &file[&key];
                let values = raw.to_f32().ok_or_else(|| NetError::WeightDtype {
                    path: path.into(),
                    key: key.clone(),
                    dtype: raw.dtype,
                })?;
                let value = Tensor::from_slice(&values)
                    .reshape(var.size())
                    .to_device(self.device);
                var.f_copy_(&value)?;
            }
            Ok(())
        })
    }

    /// Turns loaded weights into inference weights: batch norms folded (in f64, from the f32
    /// weights; unless `keep_batch_norm`), then the precision, then the layout of every convolution weight.
    fn prepare(&mut self, options: LoadOptions) -> Result<(), NetError> {
        let Net::Native { vs, folds, .. } = &mut self.net else {
            unreachable!("only built-in networks are prepared")
        };
        let arch = self.model.architecture().expect("a built-in network");
        if !options.keep_batch_norm {
            folds.fold()?;
        }
        match options.precision {
            Precision::F32 => {}
            Precision::Bf16 => vs.bfloat16(),
            Precision::F16 => vs.half(),
        }
        self.precision = options.precision;
        let format = options
            .memory_format
            .unwrap_or_else(|| MemoryFormat::preferred(arch, options.device));
        tch::no_grad(|| {
            for (_, mut var) in vs.variables() {
                if var.dim() == 4 {
                    let laid_out = format.apply(&var);
                    var.f_set_data(&laid_out)?;
                }
            }
            Ok::<(), tch::TchError>(())
        })?;
        self.memory_format = format;
        vs.freeze();
        Ok(())
    }

    /// The network with its default pretrained weights (`Architecture::default_weights`).
    pub fn load_default(
        arch: Architecture,
        options: impl Into<LoadOptions>,
    ) -> Result<Self, NetError> {
        let path = arch
            .default_weights()
            .ok_or(NetError::NoDefaultWeights { arch })?;
        if !path.exists() {
            return Err(NetError::DefaultWeightsMissing { arch, path });
        }
        Classifier::load(arch, &path, options)
    }

    /// Which network this is.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The built-in architecture (`None` for a TorchScript network).
    pub fn architecture(&self) -> Option<Architecture> {
        self.model.architecture()
    }

    /// Side of the square input the network expects; other sizes are resized.
    pub fn input_size(&self) -> usize {
        self.model.input_size()
    }

    /// Length of the network's output row.
    pub fn classes(&self) -> usize {
        self.model.classes()
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The libtorch device the weights live on: where [`Classifier::classify_tensor`] wants
    /// its images.
    pub fn tch_device(&self) -> tch::Device {
        self.device
    }

    pub fn memory_format(&self) -> MemoryFormat {
        self.memory_format
    }

    /// The network's input for images `[B, 3, H, W]` in [0, 1] on this classifier's device,
    /// all in tensor operations there: images of another size are resized bilinearly with
    /// antialiasing (PyTorch's `interpolate(mode="bilinear", align_corners=False,
    /// antialias=True)`, straight to `S × S`, no crop), normalised for the network (SPEC §6)
    /// in f32, then laid out and converted to the classifier's format. Differentiable.
    pub fn preprocess(&self, images: &Tensor) -> Tensor {
        let s = self.model.input_size() as i64;
        let x = images.to_kind(Kind::Float);
        let size = x.size();
        let x = if size[2] != s || size[3] != s {
            x.internal_upsample_bilinear2d_aa([s, s], false, None, None)
        } else {
            x
        };
        let x = x * &self.scale + &self.shift;
        self.memory_format.apply(&x).to_kind(self.precision.kind())
    }

    /// Log-probabilities up to a per-row constant `[B, classes]` (f32, on this classifier's
    /// device) of images `[B, 3, H, W]` in [0, 1] on that device: the logits, or for a
    /// network that outputs probabilities their logarithm (the softmax of either gives the
    /// probabilities). Differentiable; unchecked (see [`Classifier::logits_tensor`]).
    fn forward(&self, images: &Tensor) -> Result<Tensor, NetError> {
        let out = self
            .raw_output(&self.preprocess(images))
            .map_err(|fault| {
                self.script_error(match fault {
                    RunFault::Rejected(why) => format!("the network fails on a batch: {why}"),
                    RunFault::NotATensor(what) => what,
                })
            })?
            .to_kind(Kind::Float);
        let classes = self.classes() as i64;
        let size = out.size();
        if size.len() != 2 || size[1] != classes {
            let message = format!(
                "output of shape {size:?} for {} images, not [B, {classes}]",
                images.size()[0]
            );
            return Err(self.script_error(message));
        }
        Ok(match self.declared_output() {
            Some(ScriptOutput::Probabilities) => out.log(),
            _ => out,
        })
    }

    /// What a network file was declared to output (`None` for a built-in network).
    fn declared_output(&self) -> Option<ScriptOutput> {
        match &self.net {
            Net::Native { .. } => None,
            Net::Script { output, .. } => Some(*output),
            #[cfg(feature = "onnx")]
            Net::Onnx { output, .. } => Some(*output),
        }
    }

    /// An error of this network at run time (only a network file has any).
    fn script_error(&self, message: String) -> NetError {
        match &self.model {
            Model::TorchScript(s) => NetError::Script {
                path: s.path.clone(),
                format: s.format,
                message,
            },
            Model::Builtin(a) => NetError::Batch(format!("{a}: {message}")),
        }
    }

    /// Logits `[B, classes]` (f32, on this classifier's device) of a batch that is already a
    /// tensor there (`[B, 3, H, W]`, floating point, values in [0, 1]), with no host round
    /// trip and no gradient. For a network declared to output probabilities, their logarithm.
    pub fn logits_tensor(&self, images: &Tensor) -> Result<Tensor, NetError> {
        self.check_images(images)?;
        tch::no_grad(|| self.forward(images))
    }

    /// Softmax probabilities `[B, classes]` (f32, on this classifier's device) of a batch that
    /// is already a tensor there, as [`Classifier::logits_tensor`]: the entry point for a
    /// renderer that draws on the device. [`Classifier::probabilities`] uploads a host batch
    /// and calls this.
    pub fn classify_tensor(&self, images: &Tensor) -> Result<Tensor, NetError> {
        Ok(self.logits_tensor(images)?.softmax(-1, Kind::Float))
    }

    /// Refuses a tensor that is not a batch `[B ≥ 1, 3, H ≥ 1, W ≥ 1]` of floating-point
    /// values on this classifier's device.
    fn check_images(&self, images: &Tensor) -> Result<(), NetError> {
        let size = images.size();
        let shaped = matches!(size[..], [b, 3, h, w] if b >= 1 && h >= 1 && w >= 1);
        if !shaped {
            return Err(NetError::Batch(format!(
                "tensor of shape {size:?} is not [B ≥ 1, 3, H ≥ 1, W ≥ 1]"
            )));
        }
        if !images.is_floating_point() {
            return Err(NetError::Batch(format!(
                "tensor of kind {:?} is not floating point",
                images.kind()
            )));
        }
        if images.device() != self.device {
            return Err(NetError::WrongDevice {
                images: images.device(),
                classifier: self.device,
            });
        }
        Ok(())
    }

    fn scores(&self, t: &Tensor) -> Result<Scores, NetError> {
        Ok(Scores {
            values: to_vec(t)?,
            classes: self.classes(),
        })
    }

    /// Logits `[B, classes]`.
    pub fn logits(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        self.scores(&self.logits_tensor(&batch.tensor(self.device))?)
    }

    /// The `k` best classes of one image, best first, named when the network's classes are
    /// ImageNet's.
    pub fn top_classes(
        &self,
        image: &super::InputImage,
        k: usize,
    ) -> Result<Vec<RankedClass>, NetError> {
        let p = self.probabilities(ImageBatch::new(&image.data, image.shape)?)?;
        Ok(p.top(0, k)
            .into_iter()
            .map(|(index, probability)| RankedClass {
                index,
                name: self.model.class_name(index),
                probability,
            })
            .collect())
    }

    /// Softmax probabilities `[B, classes]`.
    pub fn probabilities(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        self.probabilities_of(&batch.tensor(self.device))
    }

    /// Softmax probabilities `[B, classes]` of a batch that is already a tensor on this
    /// classifier's device (as [`Classifier::classify_tensor`]), copied to the host.
    pub fn probabilities_of(&self, images: &Tensor) -> Result<Scores, NetError> {
        self.scores(&self.classify_tensor(images)?)
    }

    /// The probability of `class` for each image, and its gradient with respect to the
    /// input pixels (same layout as the batch, `[B, 3, H, W]`).
    pub fn probability_gradient(
        &self,
        batch: ImageBatch,
        class: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), NetError> {
        if !self.model.has_class(class) {
            return Err(NetError::Class {
                class,
                classes: self.classes(),
            });
        }
        #[cfg(feature = "onnx")]
        if let Net::Onnx { .. } = self.net {
            return Err(self.script_error(
                "no gradients: ONNX Runtime runs the network without autograd".into(),
            ));
        }
        let x = batch.tensor(self.device).set_requires_grad(true);
        let p = self
            .forward(&x)?
            .softmax(-1, Kind::Float)
            .select(1, class as i64);
        // Images do not interact in evaluation mode, so d(Σ p_i)/dx_i = dp_i/dx_i.
        p.sum(Kind::Float).f_backward()?;
        Ok((to_vec(&p.detach())?, to_vec(&x.grad())?))
    }
}

/// Why a TorchScript module gave no scores.
enum RunFault {
    /// It raised an error (the interpreter's message).
    Rejected(String),
    /// It returned something other than one tensor (described).
    NotATensor(String),
}

/// The line of a libtorch message that says what failed: the interpreter's last
/// `...Error: ...` line when it prints a TorchScript traceback, else the first line (the
/// rest is a C++ backtrace), without tch's "Internal torch error: " prefix.
fn torch_message(text: &str) -> &str {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    let is_error_line = |l: &&str| {
        l.split_once(": ")
            .is_some_and(|(kind, _)| kind.ends_with("Error") && !kind.contains(' '))
    };
    let line = lines()
        .rfind(is_error_line)
        .or_else(|| lines().next())
        .unwrap_or(text);
    line.strip_prefix("Internal torch error: ").unwrap_or(line)
}

/// What a TorchScript value is, in words.
fn ivalue_kind(v: &tch::IValue) -> String {
    use tch::IValue as V;
    match v {
        V::Tuple(items) => format!("a tuple of {} values", items.len()),
        V::GenericList(items) => format!("a list of {} values", items.len()),
        V::TensorList(items) => format!("a list of {} tensors", items.len()),
        V::GenericDict(_) => "a dictionary".into(),
        V::None => "None".into(),
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

fn to_vec(t: &Tensor) -> Result<Vec<f32>, NetError> {
    let t = t
        .f_to_device(tch::Device::Cpu)?
        .f_to_kind(Kind::Float)?
        .f_contiguous()?
        .f_flatten(0, -1)?;
    Ok(Vec::<f32>::try_from(&t)?)
}
