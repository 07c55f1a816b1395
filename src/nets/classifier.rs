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
use super::{alexnet, efficientnet_lite, inception_v3, resnet50, vgg11_bn, LiteVariant, Precision};

const CLASSES: i64 = super::IMAGENET_CLASSES as i64;

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    #[error("class {class} is out of range (the network has {CLASSES} classes)")]
    Class { class: usize },
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

/// Per-image scores over the 1000 ImageNet classes, row-major `[B, 1000]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub values: Vec<f32>,
}

impl Scores {
    pub fn batch(&self) -> usize {
        self.values.len() / CLASSES as usize
    }

    /// The scores of image `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        let n = CLASSES as usize;
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

/// A network with loaded weights. Evaluation mode always (batch norm uses its running
/// statistics, dropout is off), so each image's scores depend on that image only. Once
/// loaded, each batch norm is folded into the convolution before it (one layer fewer to run,
/// the same function up to rounding), the weights are in the chosen precision and layout.
pub struct Classifier {
    arch: Architecture,
    device: tch::Device,
    precision: Precision,
    memory_format: MemoryFormat,
    vs: nn::VarStore,
    net: Box<dyn ModuleT>,
    folds: BnFolds,
    /// SPEC §6's per-channel affine map `[1, 3, 1, 1]` (f32, on the device), made once so
    /// that a batch needs no upload beyond its own images.
    scale: Tensor,
    shift: Tensor,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("arch", &self.arch)
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
        c.copy_weights(path)?;
        c.prepare(options)?;
        Ok(c)
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
        let affine = arch.normalisation().affine();
        let column = |v: [f32; 3]| {
            Tensor::from_slice(&v)
                .reshape([1, 3, 1, 1])
                .to_device(device)
        };
        Ok(Classifier {
            arch,
            device,
            precision: Precision::F32,
            memory_format: MemoryFormat::Contiguous,
            vs,
            net,
            folds,
            scale: column(affine.map(|a| a.0)),
            shift: column(affine.map(|a| a.1)),
        })
    }

    /// Copies the checkpoint at `path` into the variables, after checking keys and shapes.
    fn copy_weights(&mut self, path: &Path) -> Result<(), NetError> {
        let file = checkpoint::read_weights(path)?;
        let vars = self.vs.variables();
        let needed: BTreeMap<String, Vec<usize>> = vars
            .iter()
            .map(|(k, t)| (k.clone(), t.size().iter().map(|&d| d as usize).collect()))
            .collect();
        let mismatch = check_keys(self.arch, &needed, &file);
        if !mismatch.is_empty() {
            return Err(NetError::Weights {
                path: path.into(),
                arch: self.arch,
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
        if !options.keep_batch_norm {
            self.folds.fold()?;
        }
        match options.precision {
            Precision::F32 => {}
            Precision::Bf16 => self.vs.bfloat16(),
            Precision::F16 => self.vs.half(),
        }
        self.precision = options.precision;
        let format = options
            .memory_format
            .unwrap_or_else(|| MemoryFormat::preferred(self.arch, options.device));
        tch::no_grad(|| {
            for (_, mut var) in self.vs.variables() {
                if var.dim() == 4 {
                    let laid_out = format.apply(&var);
                    var.f_set_data(&laid_out)?;
                }
            }
            Ok::<(), tch::TchError>(())
        })?;
        self.memory_format = format;
        self.vs.freeze();
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

    pub fn architecture(&self) -> Architecture {
        self.arch
    }

    /// Side of the square input the network expects; other sizes are resized.
    pub fn input_size(&self) -> usize {
        self.arch.input_size()
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
        let s = self.arch.input_size() as i64;
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

    /// Logits `[B, 1000]` (f32, on this classifier's device) of images `[B, 3, H, W]` in
    /// [0, 1] on that device. Differentiable; unchecked (see [`Classifier::logits_tensor`]).
    pub fn forward(&self, images: &Tensor) -> Tensor {
        self.net
            .forward_t(&self.preprocess(images), false)
            .to_kind(Kind::Float)
    }

    /// Logits `[B, 1000]` (f32, on this classifier's device) of a batch that is already a
    /// tensor there (`[B, 3, H, W]`, floating point, values in [0, 1]), with no host round
    /// trip and no gradient.
    pub fn logits_tensor(&self, images: &Tensor) -> Result<Tensor, NetError> {
        self.check_images(images)?;
        Ok(tch::no_grad(|| self.forward(images)))
    }

    /// Softmax probabilities `[B, 1000]` (f32, on this classifier's device) of a batch that
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

    /// Logits `[B, 1000]`.
    pub fn logits(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        let logits = self.logits_tensor(&batch.tensor(self.device))?;
        Ok(Scores {
            values: to_vec(&logits)?,
        })
    }

    /// Softmax probabilities `[B, 1000]`.
    pub fn probabilities(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        self.probabilities_of(&batch.tensor(self.device))
    }

    /// Softmax probabilities `[B, 1000]` of a batch that is already a tensor on this
    /// classifier's device (as [`Classifier::classify_tensor`]), copied to the host.
    pub fn probabilities_of(&self, images: &Tensor) -> Result<Scores, NetError> {
        Ok(Scores {
            values: to_vec(&self.classify_tensor(images)?)?,
        })
    }

    /// The probability of `class` for each image, and its gradient with respect to the
    /// input pixels (same layout as the batch, `[B, 3, H, W]`).
    pub fn probability_gradient(
        &self,
        batch: ImageBatch,
        class: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), NetError> {
        if super::Label::new(class).is_err() {
            return Err(NetError::Class { class });
        }
        let x = batch.tensor(self.device).set_requires_grad(true);
        let p = self
            .forward(&x)
            .softmax(-1, Kind::Float)
            .select(1, class as i64);
        // Images do not interact in evaluation mode, so d(Σ p_i)/dx_i = dp_i/dx_i.
        p.sum(Kind::Float).f_backward()?;
        Ok((to_vec(&p.detach())?, to_vec(&x.grad())?))
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
