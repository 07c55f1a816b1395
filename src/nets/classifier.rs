//! A network with its weights, ready to score image batches on CPU or CUDA.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

use super::architecture::{check_keys, Architecture, KeyMismatch};
use super::checkpoint::{self, CheckpointError};
use super::{alexnet, efficientnet_lite, inception_v3, resnet50, vgg11_bn};

const CLASSES: i64 = super::IMAGENET_CLASSES as i64;

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// The first CUDA GPU.
    Cuda,
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
/// statistics, dropout is off), so each image's scores depend on that image only.
pub struct Classifier {
    arch: Architecture,
    device: tch::Device,
    vs: nn::VarStore,
    net: Box<dyn ModuleT>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("arch", &self.arch)
            .field("device", &self.device)
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
    pub fn untrained(arch: Architecture, device: Device) -> Result<Self, NetError> {
        let device = tch_device(device)?;
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let net: Box<dyn ModuleT> = match arch {
            Architecture::ResNet50 => Box::new(resnet50(&root, CLASSES)),
            Architecture::Vgg11Bn => Box::new(vgg11_bn(&root, CLASSES)),
            Architecture::AlexNet => Box::new(alexnet(&root, CLASSES)),
            Architecture::InceptionV3 => Box::new(inception_v3(&root, CLASSES)),
            Architecture::EfficientNetLite0 => Box::new(efficientnet_lite(&root, 0, CLASSES)),
            Architecture::EfficientNetLite1 => Box::new(efficientnet_lite(&root, 1, CLASSES)),
            Architecture::EfficientNetLite2 => Box::new(efficientnet_lite(&root, 2, CLASSES)),
        };
        let mut c = Classifier {
            arch,
            device,
            vs,
            net,
        };
        c.vs.freeze();
        Ok(c)
    }

    /// The network with weights from `path`: `.safetensors` or a PyTorch checkpoint (zip or
    /// legacy `torch.save` of a state dict). Keys and shapes must match the architecture
    /// exactly, apart from the keys `Architecture::ignores_key` names.
    pub fn load(arch: Architecture, path: &Path, device: Device) -> Result<Self, NetError> {
        let mut c = Classifier::untrained(arch, device)?;
        let file = checkpoint::read_weights(path)?;
        let vars = c.vs.variables();
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
                    .to_device(c.device);
                var.f_copy_(&value)?;
            }
            Ok(())
        })?;
        c.vs.freeze();
        Ok(c)
    }

    /// The network with its default pretrained weights (`Architecture::default_weights`).
    pub fn load_default(arch: Architecture, device: Device) -> Result<Self, NetError> {
        let path = arch
            .default_weights()
            .ok_or(NetError::NoDefaultWeights { arch })?;
        if !path.exists() {
            return Err(NetError::DefaultWeightsMissing { arch, path });
        }
        Classifier::load(arch, &path, device)
    }

    pub fn architecture(&self) -> Architecture {
        self.arch
    }

    /// Side of the square input the network expects; other sizes are resized.
    pub fn input_size(&self) -> usize {
        self.arch.input_size()
    }

    /// Logits of images `[B, 3, H, W]` in [0, 1] already on this classifier's device.
    /// Differentiable: images of another size are resized bilinearly with antialiasing
    /// (PyTorch's `interpolate(mode="bilinear", align_corners=False, antialias=True)`,
    /// straight to `S × S`, no crop), then normalised for the network (SPEC §6).
    pub fn forward(&self, images: &Tensor) -> Tensor {
        let s = self.arch.input_size() as i64;
        let size = images.size();
        let x = if size[2] != s || size[3] != s {
            images.internal_upsample_bilinear2d_aa([s, s], false, None, None)
        } else {
            images.shallow_clone()
        };
        let affine = self.arch.normalisation().affine();
        let scale = Tensor::from_slice(&affine.map(|a| a.0))
            .reshape([1, 3, 1, 1])
            .to_device(self.device);
        let shift = Tensor::from_slice(&affine.map(|a| a.1))
            .reshape([1, 3, 1, 1])
            .to_device(self.device);
        self.net.forward_t(&(x * scale + shift), false)
    }

    /// Logits `[B, 1000]`.
    pub fn logits(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        let logits = tch::no_grad(|| self.forward(&batch.tensor(self.device)));
        Ok(Scores {
            values: to_vec(&logits)?,
        })
    }

    /// Softmax probabilities `[B, 1000]`.
    pub fn probabilities(&self, batch: ImageBatch) -> Result<Scores, NetError> {
        let p = tch::no_grad(|| {
            self.forward(&batch.tensor(self.device))
                .softmax(-1, Kind::Float)
        });
        Ok(Scores {
            values: to_vec(&p)?,
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
