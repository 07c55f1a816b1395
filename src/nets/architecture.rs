//! What each network is, independently of libtorch: its name on the command line, input
//! size, input normalisation (SPEC §6), where its default weights live, and which
//! checkpoint keys it tolerates without using them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::checkpoint::StateDict;

/// The classifiers semrob knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    ResNet50,
    Vgg11Bn,
    AlexNet,
    InceptionV3,
    EfficientNetLite0,
    EfficientNetLite1,
    EfficientNetLite2,
}

/// How an image in [0, 1] becomes the network's input (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalisation {
    /// torchvision: `(x − mean) / std` per channel (RGB).
    MeanStd { mean: [f32; 3], std: [f32; 3] },
    /// TensorFlow-trained EfficientNet-Lite: `(255·x − 127) / 128`.
    Tf127,
}

impl Normalisation {
    /// Per-channel `(scale, shift)` with `input = scale · x + shift`.
    pub fn affine(&self) -> [(f32, f32); 3] {
        match *self {
            Normalisation::MeanStd { mean, std } => {
                std::array::from_fn(|c| (1.0 / std[c], -mean[c] / std[c]))
            }
            Normalisation::Tf127 => [(255.0 / 128.0, -127.0 / 128.0); 3],
        }
    }
}

const IMAGENET: Normalisation = Normalisation::MeanStd {
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
};

/// `name` is not a model semrob knows.
#[derive(Debug, thiserror::Error)]
#[error("unknown model {name:?} (known: {})", Architecture::ALL.map(|a| a.name()).join(", "))]
pub struct UnknownModel {
    pub name: String,
}

impl Architecture {
    pub const ALL: [Architecture; 7] = [
        Architecture::ResNet50,
        Architecture::Vgg11Bn,
        Architecture::AlexNet,
        Architecture::InceptionV3,
        Architecture::EfficientNetLite0,
        Architecture::EfficientNetLite1,
        Architecture::EfficientNetLite2,
    ];

    /// The command-line name (`resnet50`, `vgg11-bn`, ..., `efficientnet-lite2`).
    pub fn name(self) -> &'static str {
        match self {
            Architecture::ResNet50 => "resnet50",
            Architecture::Vgg11Bn => "vgg11-bn",
            Architecture::AlexNet => "alexnet",
            Architecture::InceptionV3 => "inception-v3",
            Architecture::EfficientNetLite0 => "efficientnet-lite0",
            Architecture::EfficientNetLite1 => "efficientnet-lite1",
            Architecture::EfficientNetLite2 => "efficientnet-lite2",
        }
    }

    pub fn from_name(name: &str) -> Result<Architecture, UnknownModel> {
        Architecture::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| UnknownModel { name: name.into() })
    }

    /// Side of the square input image the network was trained on (pixels).
    pub fn input_size(self) -> usize {
        match self {
            Architecture::InceptionV3 => 299,
            Architecture::EfficientNetLite1 => 240,
            Architecture::EfficientNetLite2 => 260,
            _ => 224,
        }
    }

    pub fn normalisation(self) -> Normalisation {
        match self {
            Architecture::EfficientNetLite0
            | Architecture::EfficientNetLite1
            | Architecture::EfficientNetLite2 => Normalisation::Tf127,
            _ => IMAGENET,
        }
    }

    /// The pretrained weights `scripts/setup.sh` fetches for this network, if any: the
    /// EfficientNet-Lite files, in `$SEMROB_WEIGHTS_DIR` or else `<checkout>/.cache/weights`.
    pub fn default_weights(self) -> Option<PathBuf> {
        match self {
            Architecture::EfficientNetLite0
            | Architecture::EfficientNetLite1
            | Architecture::EfficientNetLite2 => {
                let dir = std::env::var_os("SEMROB_WEIGHTS_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| {
                        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.cache/weights"))
                    });
                Some(dir.join(format!("{}.pth", self.name())))
            }
            _ => None,
        }
    }

    /// Checkpoint keys that are accepted and not used: BatchNorm's `num_batches_tracked`
    /// counters (training only), and Inception's auxiliary classifier (training only).
    pub fn ignores_key(self, key: &str) -> bool {
        key.ends_with(".num_batches_tracked")
            || (self == Architecture::InceptionV3 && key.starts_with("AuxLogits."))
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A checkpoint whose keys or shapes do not fit the architecture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyMismatch {
    /// Keys the network needs that the file lacks.
    pub missing: Vec<String>,
    /// Keys the file has that the network does not know (ignored keys excluded).
    pub unexpected: Vec<String>,
    /// `(key, expected shape, shape in the file)`.
    pub misshaped: Vec<(String, Vec<usize>, Vec<usize>)>,
}

impl KeyMismatch {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.misshaped.is_empty()
    }
}

impl fmt::Display for KeyMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        fn list(f: &mut fmt::Formatter<'_>, what: &str, items: &[String]) -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            let shown = items
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = items.len().saturating_sub(SHOWN);
            write!(f, "; {} {what} key(s): {shown}", items.len())?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
            Ok(())
        }
        write!(f, "the weights do not fit the network")?;
        list(f, "missing", &self.missing)?;
        list(f, "unexpected", &self.unexpected)?;
        let misshaped: Vec<String> = self
            .misshaped
            .iter()
            .map(|(k, want, got)| format!("{k} (network {want:?}, file {got:?})"))
            .collect();
        list(f, "mis-shaped", &misshaped)
    }
}

/// Compares a checkpoint's tensors with the `(name, shape)` variables a network needs.
pub fn check_keys(
    arch: Architecture,
    needed: &BTreeMap<String, Vec<usize>>,
    file: &StateDict,
) -> KeyMismatch {
    let mut m = KeyMismatch::default();
    for (key, shape) in needed {
        match file.get(key) {
            None => m.missing.push(key.clone()),
            Some(t) if &t.shape != shape => {
                m.misshaped
                    .push((key.clone(), shape.clone(), t.shape.clone()))
            }
            Some(_) => {}
        }
    }
    m.unexpected = file
        .keys()
        .filter(|k| !needed.contains_key(*k) && !arch.ignores_key(k))
        .cloned()
        .collect();
    m
}

/// The ImageNet-1k class names in index order (from torchvision's metadata, generated by
/// `scripts/python/imagenet_classes.py`).
pub fn imagenet_classes() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| include_str!("imagenet_classes.txt").lines().collect())
}

#[cfg(test)]
mod tests {
    use super::super::checkpoint::{DType, RawTensor};
    use super::*;

    fn tensor(shape: &[usize]) -> RawTensor {
        let n: usize = shape.iter().product();
        RawTensor {
            dtype: DType::F32,
            shape: shape.to_vec(),
            data: vec![0; 4 * n],
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for a in Architecture::ALL {
            assert_eq!(Architecture::from_name(a.name()).unwrap(), a);
        }
        let e = Architecture::from_name("resnet-50")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"resnet-50\"") && e.contains("efficientnet-lite2"),
            "{e}"
        );
    }

    #[test]
    fn normalisations_follow_spec_6() {
        let [(s, b), _, _] = Architecture::EfficientNetLite0.normalisation().affine();
        // (255·x − 127)/128 at x = 0 and x = 1.
        assert!((b - (-127.0 / 128.0)).abs() < 1e-7 && (s + b - 1.0).abs() < 1e-6);
        let [_, (s, b), _] = Architecture::ResNet50.normalisation().affine();
        assert!((s * 0.456 + b).abs() < 1e-6 && (s * (0.456 + 0.224) + b - 1.0).abs() < 1e-6);
    }

    #[test]
    fn key_check_names_missing_unexpected_and_misshaped_keys() {
        let needed: BTreeMap<String, Vec<usize>> = [
            ("a.weight", vec![2, 3]),
            ("b.weight", vec![4]),
            ("c.bias", vec![1]),
        ]
        .into_iter()
        .map(|(k, s)| (k.to_owned(), s))
        .collect();
        let file: StateDict = [
            ("a.weight", tensor(&[3, 2])),
            ("b.weight", tensor(&[4])),
            ("bn.num_batches_tracked", tensor(&[])),
            ("d.weight", tensor(&[1])),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_owned(), t))
        .collect();
        let m = check_keys(Architecture::ResNet50, &needed, &file);
        assert_eq!(m.missing, vec!["c.bias"]);
        assert_eq!(m.unexpected, vec!["d.weight"]);
        assert_eq!(
            m.misshaped,
            vec![("a.weight".to_owned(), vec![2, 3], vec![3, 2])]
        );
        let text = m.to_string();
        assert!(
            text.contains("c.bias") && text.contains("d.weight") && text.contains("[3, 2]"),
            "{text}"
        );
    }

    #[test]
    fn class_list_has_a_thousand_names_with_teapot_at_849() {
        let names = imagenet_classes();
        assert_eq!(names.len(), 1000);
        assert_eq!(names[849], "teapot");
        assert_eq!(names[404], "airliner");
    }
}
