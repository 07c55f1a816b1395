//! Which network a result is about: one of semrob's own architectures, or the user's network
//! handed over as a file — TorchScript (`torch.jit.trace` / `torch.jit.script`) or ONNX (from
//! any framework) — with what it expects (input size, normalisation) and what it returns
//! (logits or probabilities, how many classes) declared, since such a file does not say.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::architecture::{Architecture, Normalisation, UnknownModel};
use super::label::IMAGENET_CLASSES;

/// The prefix that names a TorchScript file where a model is named (`torchscript:model.pt`).
pub const TORCHSCRIPT_PREFIX: &str = "torchscript:";

/// The prefix that names an ONNX file where a model is named (`onnx:model.onnx`).
pub const ONNX_PREFIX: &str = "onnx:";

/// The format of a network file: what reads it and runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetFormat {
    /// `torch.jit.save`'s format, run by libtorch.
    #[default]
    TorchScript,
    /// An ONNX model, run by ONNX Runtime (cargo feature `onnx`).
    Onnx,
}

impl NetFormat {
    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            NetFormat::TorchScript => "TorchScript",
            NetFormat::Onnx => "ONNX",
        }
    }

    /// The prefix that names a file of this format where a model is named.
    pub fn prefix(self) -> &'static str {
        match self {
            NetFormat::TorchScript => TORCHSCRIPT_PREFIX,
            NetFormat::Onnx => ONNX_PREFIX,
        }
    }
}

impl fmt::Display for NetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest input side a network file may declare (pixels): ten times the largest
/// built-in network's, far beyond what renders are drawn at.
pub const MAX_INPUT_SIZE: usize = 4096;

/// What a network file's output `[B, classes]` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptOutput {
    /// Unnormalised scores: semrob applies the softmax (as for its own networks).
    #[default]
    Logits,
    /// Rows already summing to 1: used as they are.
    Probabilities,
}

impl ScriptOutput {
    pub fn name(self) -> &'static str {
        match self {
            ScriptOutput::Logits => "logits",
            ScriptOutput::Probabilities => "probabilities",
        }
    }
}

impl FromStr for ScriptOutput {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "logits" => Ok(ScriptOutput::Logits),
            "probabilities" => Ok(ScriptOutput::Probabilities),
            _ => Err(format!(
                "{text:?} is not an output kind: `logits` or `probabilities`"
            )),
        }
    }
}

impl fmt::Display for ScriptOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A network given as a file (TorchScript or ONNX), and what it was declared to expect and
/// return. [`ScriptModel::imagenet`] holds the documented defaults: ImageNet's 224² input,
/// torchvision's mean and standard deviation, 1 000 logits.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptModel {
    pub path: PathBuf,
    /// What reads and runs the file.
    pub format: NetFormat,
    /// How results name it (default: the file's stem).
    pub name: String,
    /// Side of the square input (pixels); renders of another size are resized to it.
    pub input_size: usize,
    /// Per-channel (RGB) `(x − mean) / std` of images in [0, 1].
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub output: ScriptOutput,
    /// Length of each output row.
    pub classes: usize,
}

/// A network file's declaration that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} model {}: {field} {message}", .path.display())]
pub struct ScriptDeclarationError {
    pub path: PathBuf,
    pub format: NetFormat,
    /// The declared item (`input_size`, `std[1]`, ...).
    pub field: String,
    pub message: String,
}

impl ScriptModel {
    /// The TorchScript file with the documented defaults, named after its stem.
    pub fn imagenet(path: &Path) -> ScriptModel {
        ScriptModel::imagenet_as(NetFormat::TorchScript, path)
    }

    /// The file of `format` with the documented defaults, named after its stem.
    pub fn imagenet_as(format: NetFormat, path: &Path) -> ScriptModel {
        let Normalisation::MeanStd { mean, std } = Architecture::ResNet50.normalisation() else {
            unreachable!("torchvision's networks are normalised by mean and std")
        };
        ScriptModel {
            path: path.to_path_buf(),
            format,
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| format.name().to_lowercase()),
            input_size: 224,
            mean,
            std,
            output: ScriptOutput::Logits,
            classes: IMAGENET_CLASSES,
        }
    }

    /// Refuses declarations no network can have: an empty name or one that a built-in
    /// network already has, an input side outside 1..=[`MAX_INPUT_SIZE`], a mean or standard
    /// deviation that is not finite or a standard deviation ≤ 0, no classes.
    pub fn check(&self) -> Result<(), ScriptDeclarationError> {
        let bad = |field: &str, message: String| ScriptDeclarationError {
            path: self.path.clone(),
            format: self.format,
            field: field.into(),
            message,
        };
        if self.name.trim().is_empty() {
            return Err(bad("name", "is empty".into()));
        }
        if Architecture::from_name(&self.name).is_ok() {
            return Err(bad(
                "name",
                format!(
                    "{:?} is a built-in network's name: choose another",
                    self.name
                ),
            ));
        }
        if !(1..=MAX_INPUT_SIZE).contains(&self.input_size) {
            return Err(bad(
                "input_size",
                format!("{} is not in 1..={MAX_INPUT_SIZE}", self.input_size),
            ));
        }
        for c in 0..3 {
            if !self.mean[c].is_finite() {
                return Err(bad(
                    &format!("mean[{c}]"),
                    format!("{} is not finite", self.mean[c]),
                ));
            }
            if !(self.std[c].is_finite() && self.std[c] > 0.0) {
                return Err(bad(
                    &format!("std[{c}]"),
                    format!("{} is not a positive number", self.std[c]),
                ));
            }
        }
        if self.classes == 0 {
            return Err(bad(
                "classes",
                "is 0: a classifier has at least one class".into(),
            ));
        }
        Ok(())
    }
}

/// Three numbers `R,G,B`, one per colour channel (a normalisation's mean or std).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub [f32; 3]);

impl FromStr for Rgb {
    type Err = String;

    fn from_str(text: &str) -> Result<Rgb, String> {
        let values: Vec<f32> = text
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{text:?}: {e} (give three numbers R,G,B)"))?;
        let triple: [f32; 3] = values
            .try_into()
            .map_err(|v: Vec<f32>| format!("{text:?}: {} numbers, not three (R,G,B)", v.len()))?;
        Ok(Rgb(triple))
    }
}

/// What a network file (TorchScript or ONNX) was declared to expect and return, item by
/// item; an item left out keeps [`ScriptModel::imagenet`]'s default. A built-in network's
/// input and output are fixed: it takes no declaration. On the command line, the options
/// below (such a file does not say).
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct ScriptDeclarations {
    /// TorchScript or ONNX model: its name in results (default: the file's stem).
    #[arg(long = "model-name", value_name = "NAME")]
    pub name: Option<String>,
    /// TorchScript or ONNX model: side of its square input in pixels (default 224).
    #[arg(long, value_name = "PIXELS")]
    pub input_size: Option<usize>,
    /// TorchScript or ONNX model: per-channel mean `R,G,B` subtracted from images in [0, 1]
    /// (default torchvision's 0.485,0.456,0.406).
    #[arg(long, value_name = "R,G,B", allow_hyphen_values = true)]
    pub mean: Option<Rgb>,
    /// TorchScript or ONNX model: per-channel standard deviation `R,G,B` (default 0.229,0.224,0.225).
    #[arg(long, value_name = "R,G,B")]
    pub std: Option<Rgb>,
    /// TorchScript or ONNX model: what its output holds, `logits` (default; semrob applies the
    /// softmax) or `probabilities`.
    #[arg(long, value_name = "logits|probabilities")]
    pub output: Option<ScriptOutput>,
    /// TorchScript or ONNX model: how many classes its output has (default 1000).
    #[arg(long, value_name = "N")]
    pub classes: Option<usize>,
}

/// Why the models named with declarations cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum DeclaredModelsError {
    #[error("{name}: {source}")]
    Name {
        name: String,
        source: ModelNameError,
    },
    #[error(
        "a network file's input and output are declared, but {0} has a fixed input and \
         output (declarations are for `{TORCHSCRIPT_PREFIX}PATH` and `{ONNX_PREFIX}PATH`)"
    )]
    NoScript(String),
}

impl ScriptDeclarations {
    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        *self == ScriptDeclarations::default()
    }

    /// Applies the declared items to a network file; a built-in one stays as it is.
    pub fn apply(&self, model: &mut Model) {
        if let Model::TorchScript(s) = model {
            self.apply_to_script(s);
        }
    }

    /// Applies the declared items to a network file's declaration.
    pub fn apply_to_script(&self, s: &mut ScriptModel) {
        if let Some(n) = &self.name {
            s.name = n.clone();
        }
        s.input_size = self.input_size.unwrap_or(s.input_size);
        s.mean = self.mean.map_or(s.mean, |m| m.0);
        s.std = self.std.map_or(s.std, |d| d.0);
        s.output = self.output.unwrap_or(s.output);
        s.classes = self.classes.unwrap_or(s.classes);
    }

    /// The models `names` name (each `NAME`, `torchscript:PATH` or `onnx:PATH`), with these
    /// declarations applied to the network files. Declarations without a network file among
    /// them are refused.
    pub fn models(&self, names: &[String]) -> Result<Vec<Model>, DeclaredModelsError> {
        let models = names
            .iter()
            .map(|name| {
                let mut model: Model =
                    name.parse().map_err(|source| DeclaredModelsError::Name {
                        name: name.clone(),
                        source,
                    })?;
                self.apply(&mut model);
                Ok(model)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !self.is_empty() && !models.iter().any(|m| matches!(m, Model::TorchScript(_))) {
            return Err(DeclaredModelsError::NoScript(names.join(", ")));
        }
        Ok(models)
    }
}

/// A network semrob can analyse.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// One of semrob's own architectures, with a weights file.
    Builtin(Architecture),
    /// The user's network as a file, TorchScript or ONNX ([`ScriptModel::format`]; the file
    /// holds the weights).
    TorchScript(ScriptModel),
}

impl Model {
    /// How results name the network: the architecture's name, or the declared name.
    pub fn name(&self) -> &str {
        match self {
            Model::Builtin(a) => a.name(),
            Model::TorchScript(s) => &s.name,
        }
    }

    pub fn architecture(&self) -> Option<Architecture> {
        match self {
            Model::Builtin(a) => Some(*a),
            Model::TorchScript(_) => None,
        }
    }

    /// Side of the square input image (pixels).
    pub fn input_size(&self) -> usize {
        match self {
            Model::Builtin(a) => a.input_size(),
            Model::TorchScript(s) => s.input_size,
        }
    }

    pub fn normalisation(&self) -> Normalisation {
        match self {
            Model::Builtin(a) => a.normalisation(),
            Model::TorchScript(s) => Normalisation::MeanStd {
                mean: s.mean,
                std: s.std,
            },
        }
    }

    /// Length of the network's output row.
    pub fn classes(&self) -> usize {
        match self {
            Model::Builtin(_) => IMAGENET_CLASSES,
            Model::TorchScript(s) => s.classes,
        }
    }

    /// Whether class `k` is one of the network's outputs.
    pub fn has_class(&self, k: usize) -> bool {
        k < self.classes()
    }

    /// The name of class `k` when the network is an ImageNet-1k classifier (1 000 outputs).
    pub fn class_name(&self, k: usize) -> Option<&'static str> {
        if self.classes() == IMAGENET_CLASSES {
            super::imagenet_classes().get(k).copied()
        } else {
            None
        }
    }
}

impl From<Architecture> for Model {
    fn from(a: Architecture) -> Model {
        Model::Builtin(a)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a model name was not understood.
#[derive(Debug, thiserror::Error)]
pub enum ModelNameError {
    #[error(
        "{0} (or `{TORCHSCRIPT_PREFIX}PATH` for a TorchScript file, `{ONNX_PREFIX}PATH` for an \
         ONNX file)"
    )]
    Unknown(#[from] UnknownModel),
    #[error("`{}` needs a file: `{}PATH`", .0.prefix(), .0.prefix())]
    NoPath(NetFormat),
}

/// `NAME` of a built-in network, or `torchscript:PATH` / `onnx:PATH` with the ImageNet
/// defaults (which the command line or the configuration may then override).
impl FromStr for Model {
    type Err = ModelNameError;

    fn from_str(text: &str) -> Result<Model, ModelNameError> {
        for format in [NetFormat::TorchScript, NetFormat::Onnx] {
            match text.strip_prefix(format.prefix()) {
                Some("") => return Err(ModelNameError::NoPath(format)),
                Some(path) => {
                    let s = ScriptModel::imagenet_as(format, Path::new(path));
                    return Ok(Model::TorchScript(s));
                }
                None => {}
            }
        }
        Ok(Model::Builtin(Architecture::from_name(text)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_builtin_networks_or_torchscript_files_with_imagenet_defaults() {
        let m: Model = "efficientnet-lite0".parse().unwrap();
        assert_eq!(m, Model::Builtin(Architecture::EfficientNetLite0));
        assert_eq!((m.input_size(), m.classes()), (224, 1000));
        let m: Model = "torchscript:/models/my-net.pt".parse().unwrap();
        let Model::TorchScript(s) = &m else {
            panic!("{m:?}")
        };
        assert_eq!(s.path, Path::new("/models/my-net.pt"));
        assert_eq!(m.name(), "my-net");
        assert_eq!((m.input_size(), m.classes()), (224, 1000));
        assert_eq!(s.output, ScriptOutput::Logits);
        assert_eq!(m.normalisation(), Architecture::ResNet50.normalisation());
        assert_eq!(m.class_name(849), Some("teapot"));
        assert!(s.check().is_ok());
        assert_eq!(s.format, NetFormat::TorchScript);
        let e = "torchscript:".parse::<Model>().unwrap_err().to_string();
        assert!(e.contains("torchscript:PATH"), "{e}");
        let m: Model = "onnx:nets/keras.onnx".parse().unwrap();
        let Model::TorchScript(s) = &m else {
            panic!("{m:?}")
        };
        assert_eq!((s.format, m.name()), (NetFormat::Onnx, "keras"));
        assert_eq!(s.path, Path::new("nets/keras.onnx"));
        let e = "onnx:".parse::<Model>().unwrap_err().to_string();
        assert!(e.contains("`onnx:PATH`"), "{e}");
        let e = "resnet-50".parse::<Model>().unwrap_err().to_string();
        assert!(
            e.contains("\"resnet-50\"")
                && e.contains("torchscript:PATH")
                && e.contains("onnx:PATH"),
            "{e}"
        );
    }

    #[test]
    fn impossible_declarations_are_refused_naming_the_item() {
        let base = ScriptModel::imagenet(Path::new("m.pt"));
        type Change = fn(&mut ScriptModel);
        let cases: [(Change, &str); 6] = [
            (|s| s.name = " ".into(), "name is empty"),
            (|s| s.name = "resnet50".into(), "built-in"),
            (|s| s.input_size = 0, "input_size 0 is not in 1..=4096"),
            (|s| s.std[2] = 0.0, "std[2] 0 is not a positive number"),
            (|s| s.mean[0] = f32::NAN, "mean[0] NaN is not finite"),
            (|s| s.classes = 0, "classes is 0"),
        ];
        for (change, want) in cases {
            let mut s = base.clone();
            change(&mut s);
            let e = s.check().unwrap_err().to_string();
            assert!(e.contains("m.pt") && e.contains(want), "{e} lacks {want:?}");
        }
    }

    #[test]
    fn declarations_apply_to_torchscript_models_only() {
        let d = ScriptDeclarations {
            name: Some("mine".into()),
            input_size: Some(96),
            mean: Some("0.5, 0.5,0.5".parse::<Rgb>().unwrap()),
            classes: Some(10),
            ..ScriptDeclarations::default()
        };
        let names = ["efficientnet-lite0".to_string(), "torchscript:m.pt".into()];
        let models = d.models(&names).unwrap();
        assert_eq!(models[0], Model::Builtin(Architecture::EfficientNetLite0));
        let Model::TorchScript(s) = &models[1] else {
            panic!("{:?}", models[1])
        };
        assert_eq!((s.name.as_str(), s.input_size, s.classes), ("mine", 96, 10));
        assert_eq!(s.mean, [0.5; 3]);
        assert_eq!(
            s.std,
            ScriptModel::imagenet(Path::new("m.pt")).std,
            "not declared"
        );
        let e = d.models(&names[..1]).unwrap_err().to_string();
        assert!(e.contains("efficientnet-lite0 has a fixed input"), "{e}");
        assert!(ScriptDeclarations::default().models(&names[..1]).is_ok());
        let e = d.models(&["resnet-50".into()]).unwrap_err().to_string();
        assert!(e.starts_with("resnet-50: "), "{e}");
        assert!("1,2"
            .parse::<Rgb>()
            .unwrap_err()
            .contains("2 numbers, not three"));
    }

    #[test]
    fn only_imagenet_sized_outputs_have_imagenet_class_names() {
        let mut s = ScriptModel::imagenet(Path::new("m.pt"));
        s.classes = 10;
        let m = Model::TorchScript(s);
        assert!(m.has_class(9) && !m.has_class(10));
        assert_eq!(m.class_name(3), None);
        assert_eq!("probabilities".parse(), Ok(ScriptOutput::Probabilities));
        assert!("softmax"
            .parse::<ScriptOutput>()
            .unwrap_err()
            .contains("`logits`"));
    }
}
