//! What an analysis reads: meshes (OBJ files or procedural fixtures) and classifier weights,
//! with identifiers that go into every result (so a golden file names the model and weights).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::nets::{Architecture, Model, NetFormat, ScriptDeclarationError};
use crate::render::{fixtures, Mesh};

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("mesh {spec:?}: {message}")]
    Mesh { spec: String, message: String },
    #[error("weights file {path}: {source}")]
    Weights {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{arch} has no default weights: give a weights file")]
    NoDefaultWeights { arch: Architecture },
    #[error("weights file {} for {arch} not found{}", .path.display(), if *.default {
        " (run scripts/setup.sh, or set SEMROB_WEIGHTS_DIR)"
    } else {
        ""
    })]
    WeightsNotFound {
        path: PathBuf,
        arch: Architecture,
        /// The architecture's default weights (not a file the user named).
        default: bool,
    },
    #[error("{format} model {}: no such file", .path.display())]
    ScriptNotFound { path: PathBuf, format: NetFormat },
    #[error("{format} model {}: the file holds the weights; a weights file ({}) cannot be given with it", .path.display(), .weights.display())]
    WeightsWithScript {
        path: PathBuf,
        format: NetFormat,
        weights: PathBuf,
    },
    #[error(transparent)]
    Declaration(#[from] ScriptDeclarationError),
    #[error("weights file {}: its name says its SHA-256 starts with {expected} (the torch.hub convention, NAME-HEX.EXT), but it starts with {actual}: the file is not the one its name promises (damaged or replaced)", .path.display())]
    HubPrefix {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

/// The file that holds `model`'s weights: for a built-in architecture its weights file
/// ([`resolve_weights`]), for a network file (TorchScript or ONNX) the file itself (its declaration
/// checked, and no separate weights allowed). It must exist.
pub fn model_file(model: &Model, weights: Option<&Path>) -> Result<PathBuf, InputError> {
    match model {
        Model::Builtin(arch) => resolve_weights(*arch, weights),
        Model::TorchScript(script) => {
            if let Some(w) = weights {
                return Err(InputError::WeightsWithScript {
                    path: script.path.clone(),
                    format: script.format,
                    weights: w.to_path_buf(),
                });
            }
            script.check()?;
            if !script.path.is_file() {
                return Err(InputError::ScriptNotFound {
                    path: script.path.clone(),
                    format: script.format,
                });
            }
            Ok(script.path.clone())
        }
    }
}

/// The weights file of `arch`: `weights` when given, else the architecture's default
/// weights; it must exist.
pub fn resolve_weights(arch: Architecture, weights: Option<&Path>) -> Result<PathBuf, InputError> {
    let path = match weights {
        Some(p) => p.to_path_buf(),
        None => arch
            .default_weights()
            .ok_or(InputError::NoDefaultWeights { arch })?,
    };
    if !path.is_file() {
        return Err(InputError::WeightsNotFound {
            path,
            arch,
            default: weights.is_none(),
        });
    }
    Ok(path)
}

/// The prefix that names a procedural fixture instead of a file (`fixture:vase`).
pub const FIXTURE_PREFIX: &str = "fixture:";

/// Where a mesh comes from: a procedural fixture (`fixture:NAME`, see [`fixtures::NAMES`])
/// or an OBJ file. Parsed once from the command line or a configuration; `Display` gives the
/// same text back (it names the mesh in results).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeshSource {
    Fixture(String),
    Obj(PathBuf),
}

impl std::str::FromStr for MeshSource {
    type Err = InputError;

    /// `fixture:NAME` (the name must be a known fixture) or a path (checked when loaded).
    fn from_str(spec: &str) -> Result<MeshSource, InputError> {
        match spec.strip_prefix(FIXTURE_PREFIX) {
            Some(name) if fixtures::NAMES.contains(&name) => Ok(MeshSource::Fixture(name.into())),
            Some(name) => Err(InputError::Mesh {
                spec: spec.to_string(),
                message: format!(
                    "unknown fixture {name:?}; known: {}",
                    fixtures::NAMES.join(", ")
                ),
            }),
            None => Ok(MeshSource::Obj(PathBuf::from(spec))),
        }
    }
}

impl std::fmt::Display for MeshSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MeshSource::Fixture(name) => write!(f, "{FIXTURE_PREFIX}{name}"),
            MeshSource::Obj(path) => write!(f, "{}", path.display()),
        }
    }
}

impl MeshSource {
    /// Builds the fixture or reads the OBJ file.
    pub fn load(&self) -> Result<Mesh, InputError> {
        let fail = |message: String| InputError::Mesh {
            spec: self.to_string(),
            message,
        };
        match self {
            MeshSource::Fixture(name) => fixtures::by_name(name).map_err(|e| fail(e.to_string())),
            MeshSource::Obj(path) if !path.is_file() => Err(fail(format!(
                "no such file (give an OBJ file or {FIXTURE_PREFIX}NAME with NAME one of {})",
                fixtures::NAMES.join(", ")
            ))),
            MeshSource::Obj(path) => Mesh::load_obj(path).map_err(|e| fail(e.to_string())),
        }
    }

    /// A short name for output files: the fixture's name or the file's stem, with every
    /// character other than ASCII letters, digits, `-` and `_` replaced by `_`.
    pub fn stem(&self) -> String {
        let s = match self {
            MeshSource::Fixture(name) => name.clone(),
            MeshSource::Obj(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "mesh".into()),
        };
        s.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_",
        )
    }
}

/// Loads `fixture:NAME` (see [`fixtures::NAMES`]) or an OBJ file.
pub fn load_mesh(spec: &str) -> Result<Mesh, InputError> {
    spec.parse::<MeshSource>()?.load()
}

/// A SHA-256 fingerprint of bytes (weight files, TorchScript files, configurations), as
/// 64 lowercase hex digits: the field's convention (torch.hub names weight files after the
/// first digits of theirs), so anyone can check one with `sha256sum`.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint(Sha256);

impl Fingerprint {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn hex(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn of(bytes: &[u8]) -> String {
        let mut h = Fingerprint::default();
        h.update(bytes);
        h.hex()
    }
}

/// Identifies a network's weights: the file name and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsId {
    pub file: String,
    pub sha256: String,
}

/// The hex digits a file named the torch.hub way (`resnet50-0676ba61.pth`) claims its
/// SHA-256 starts with: 8 or more lowercase hex digits after the last `-` of the stem.
pub fn hub_prefix(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let (_, tail) = stem.rsplit_once('-')?;
    let hex = tail.len() >= 8 && tail.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| tail.to_string())
}

impl WeightsId {
    /// Reads `path` once (in 1 MiB pieces) and fingerprints it. A file named the torch.hub
    /// way must have the SHA-256 its name claims ([`hub_prefix`]).
    pub fn of_file(path: &Path) -> Result<WeightsId, InputError> {
        let err = |source| InputError::Weights {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(err)?;
        let mut h = Fingerprint::default();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(err)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let sha256 = h.hex();
        if let Some(expected) = hub_prefix(path) {
            if !sha256.starts_with(&expected) {
                return Err(InputError::HubPrefix {
                    path: path.to_path_buf(),
                    actual: sha256[..expected.len().min(sha256.len())].to_string(),
                    expected,
                });
            }
        }
        Ok(WeightsId {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
        })
    }
}

#[cfg(feature = "torch")]
pub use torch::{load_classifier, LoadError};

#[cfg(feature = "torch")]
mod torch {
    use std::path::{Path, PathBuf};

    use super::{model_file, InputError, WeightsId};
    use crate::nets::{Classifier, LoadOptions, Model, NetError};

    /// Why a classifier could not be loaded.
    #[derive(Debug, thiserror::Error)]
    pub enum LoadError {
        #[error(transparent)]
        Input(#[from] InputError),
        #[error("{model} from {}: {source}", .path.display())]
        Net {
            model: String,
            path: PathBuf,
            #[source]
            source: Box<NetError>,
        },
        /// A network file's fault (the message names the file).
        #[error(transparent)]
        Script(Box<NetError>),
    }

    impl LoadError {
        /// `model` from `path` failed with `e`.
        pub fn net(model: &Model, path: &Path, e: NetError) -> LoadError {
            match (model, e) {
                (Model::TorchScript(_), e @ NetError::Script { .. }) => {
                    LoadError::Script(Box::new(e))
                }
                (model, e) => LoadError::Net {
                    model: model.name().to_string(),
                    path: path.to_path_buf(),
                    source: Box::new(e),
                },
            }
        }
    }

    /// Loads `model` (a built-in architecture with `weights` or its default weights, or a
    /// TorchScript or ONNX file) and identifies the file its weights came from.
    pub fn load_classifier(
        model: &Model,
        weights: Option<&Path>,
        options: LoadOptions,
    ) -> Result<(Classifier, WeightsId), LoadError> {
        let path = model_file(model, weights)?;
        let id = WeightsId::of_file(&path)?;
        let c = Classifier::load_model(model, &path, options)
            .map_err(|e| LoadError::net(model, &path, e))?;
        Ok((c, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vectors() {
        assert_eq!(
            Fingerprint::of(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            Fingerprint::of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn torch_hub_names_are_checked_and_other_names_are_not() {
        assert_eq!(
            hub_prefix(Path::new("w/resnet50-0676ba61.pth")).as_deref(),
            Some("0676ba61")
        );
        for plain in [
            "efficientnet-lite0.pth",
            "vgg11-bn.pth",
            "resnet50-0676BA61.pth",
            "net-0676ba6.pth",
            "weights.pth",
        ] {
            assert_eq!(hub_prefix(Path::new(plain)), None, "{plain}");
        }
        let dir = tempfile::tempdir().unwrap();
        // "abc" has SHA-256 ba7816bf…: a name that says so passes, one that lies is refused.
        let good = dir.path().join("tiny-ba7816bf.pth");
        std::fs::write(&good, b"abc").unwrap();
        let id = WeightsId::of_file(&good).unwrap();
        assert_eq!(id.file, "tiny-ba7816bf.pth");
        assert!(id.sha256.starts_with("ba7816bf"));
        let bad = dir.path().join("tiny-deadbeef.pth");
        std::fs::write(&bad, b"abc").unwrap();
        let e = WeightsId::of_file(&bad).unwrap_err();
        let InputError::HubPrefix {
            expected, actual, ..
        } = &e
        else {
            panic!("{e}")
        };
        assert_eq!(
            (expected.as_str(), actual.as_str()),
            ("deadbeef", "ba7816bf")
        );
        let text = e.to_string();
        assert!(
            text.contains("tiny-deadbeef.pth") && text.contains("deadbeef"),
            "{text}"
        );
    }

    #[test]
    fn meshes_come_from_fixtures_or_files_and_missing_ones_are_named() {
        assert!(load_mesh("fixture:vase").is_ok());
        let e = load_mesh("fixture:spaceship").unwrap_err().to_string();
        assert!(e.contains("spaceship"), "{e}");
        let e = load_mesh("/no/such/mesh.obj").unwrap_err().to_string();
        assert!(
            e.contains("/no/such/mesh.obj") && e.contains("no such file"),
            "{e}"
        );
    }
}
