//! What an analysis reads: meshes (OBJ files or procedural fixtures) and classifier weights,
//! with identifiers that go into every result (so a golden file names the model and weights).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::nets::{Architecture, Model, ScriptDeclarationError};
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
    #[error("TorchScript model {}: no such file", .path.display())]
    ScriptNotFound { path: PathBuf },
    #[error("TorchScript model {}: the file holds the weights; a weights file ({}) cannot be given with it", .path.display(), .weights.display())]
    WeightsWithScript { path: PathBuf, weights: PathBuf },
    #[error(transparent)]
    Declaration(#[from] ScriptDeclarationError),
}

/// The file that holds `model`'s weights: for a built-in architecture its weights file
/// ([`resolve_weights`]), for a TorchScript model the module file itself (its declaration
/// checked, and no separate weights allowed). It must exist.
pub fn model_file(model: &Model, weights: Option<&Path>) -> Result<PathBuf, InputError> {
    match model {
        Model::Builtin(arch) => resolve_weights(*arch, weights),
        Model::TorchScript(script) => {
            if let Some(w) = weights {
                return Err(InputError::WeightsWithScript {
                    path: script.path.clone(),
                    weights: w.to_path_buf(),
                });
            }
            script.check()?;
            if !script.path.is_file() {
                return Err(InputError::ScriptNotFound {
                    path: script.path.clone(),
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

/// FNV-1a, 64 bits: a fingerprint of bytes (configurations, weight files), not a security hash.
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }

    pub fn of(bytes: &[u8]) -> String {
        let mut h = Fnv64::default();
        h.update(bytes);
        h.hex()
    }
}

/// Identifies a network's weights: the file name and a fingerprint of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsId {
    pub file: String,
    pub fnv64: String,
}

impl WeightsId {
    pub fn of_file(path: &Path) -> Result<WeightsId, InputError> {
        let err = |source| InputError::Weights {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(err)?;
        let mut h = Fnv64::default();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(err)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(WeightsId {
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            fnv64: h.hex(),
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
        /// A TorchScript network's fault (the message names the file).
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
    /// TorchScript file) and identifies the file its weights came from.
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
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(Fnv64::of(b""), "cbf29ce484222325");
        assert_eq!(Fnv64::of(b"a"), "af63dc4c8601ec8c");
        assert_eq!(Fnv64::of(b"foobar"), "85944171f73967e8");
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
