//! ImageNet classifiers: the paper's torchvision networks and EfficientNet-Lite0/1/2 on
//! libtorch (feature `torch`), and the weight files they load (no libtorch needed).
//!
//! * [`checkpoint`]: PyTorch checkpoints (zip and legacy `torch.save`) and safetensors.
//! * [`read_image`]: the PNG and JPEG images `classify` takes, within stated limits.
//! * [`Architecture`]: names, input sizes, normalisation (SPEC §6), default weights.
//! * [`Model`]: a built-in architecture, or the user's network as a TorchScript or ONNX file
//!   with its declared input size, normalisation and output ([`ScriptModel`]).
//! * `onnx` (feature `onnx`): ONNX files on ONNX Runtime, behind the same `Classifier`.
//! * `Classifier` (feature `torch`): load weights (batch norm folded, in a chosen
//!   [`Precision`]), probabilities and gradients of a host batch or of a device tensor.
//!
//! Each network is a function `fn(&nn::Path, &BnFolds, classes) -> impl ModuleT` whose
//! variable paths are the checkpoint keys, so weights load without a renaming table; it
//! registers its convolution → batch norm pairs so that they can be folded once loaded.

mod architecture;
pub mod checkpoint;
mod image_file;
mod label;
mod model;
mod precision;

pub use architecture::{
    check_keys, imagenet_classes, Architecture, KeyMismatch, Normalisation, UnknownModel,
};
pub use image_file::{
    decode_image, read_image, ImageFileError, InputImage, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE,
};
pub use label::{Label, LabelError, IMAGENET_CLASSES};
pub use model::{
    DeclaredModelsError, Model, ModelNameError, NetFormat, Rgb, ScriptDeclarationError,
    ScriptDeclarations, ScriptModel, ScriptOutput, MAX_INPUT_SIZE, ONNX_PREFIX, TORCHSCRIPT_PREFIX,
};
pub use precision::{Precision, UnknownPrecision};

#[cfg(feature = "torch")]
mod classifier;
#[cfg(feature = "torch")]
mod efficientnet_lite;
#[cfg(feature = "torch")]
mod inception;
#[cfg(feature = "torch")]
mod layers;
#[cfg(feature = "onnx")]
mod onnx;
#[cfg(feature = "torch")]
mod resnet;
#[cfg(feature = "torch")]
mod vgg_alexnet;

#[cfg(feature = "torch")]
pub use classifier::{
    Classifier, CpuPrecision, Device, ImageBatch, LoadOptions, MemoryFormat, NetError, RankedClass,
    Scores,
};
#[cfg(feature = "torch")]
pub use efficientnet_lite::{efficientnet_lite, LiteVariant};
#[cfg(feature = "torch")]
pub use inception::inception_v3;
#[cfg(feature = "torch")]
pub use layers::{BnFolds, ConvBn, ConvShape};
#[cfg(feature = "onnx")]
pub use onnx::library_path as onnxruntime_library;
#[cfg(feature = "torch")]
pub use resnet::resnet50;
#[cfg(feature = "torch")]
pub use vgg_alexnet::{alexnet, vgg11_bn};
