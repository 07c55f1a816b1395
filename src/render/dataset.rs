//! Shape collections on disk, in two layouts:
//!
//! * the project's (`../shared/data/shapenet10`): `<class>/<model id>/models/model_normalized.obj`
//!   with a `manifest.json` listing, per class, its name, ImageNet label and shapes
//!   (`index`, `id`, `present`);
//! * ShapeNetCore v2's own: `<synset id>/<model id>/models/model_normalized.obj`, no manifest.
//!   Classes are the synset folders and a class's shapes are its model folders in sorted
//!   order (that order defines the shape index).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use super::mesh::{Mesh, MeshError};

/// Where a model's mesh sits inside its model folder (both layouts).
pub const MODEL_FILE: &str = "models/model_normalized.obj";

#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{path}: cannot read dataset: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: invalid manifest: {reason}")]
    Manifest { path: String, reason: String },
    #[error("{root}: no class {class:?} (classes: {known})")]
    UnknownClass {
        root: String,
        class: String,
        known: String,
    },
    #[error("{root}: class {class:?} has no shape {shape} ({count} shapes)")]
    UnknownShape {
        root: String,
        class: String,
        shape: String,
        count: usize,
    },
    #[error("{path}: shape {id} of class {class:?} is listed but its mesh is absent")]
    Absent {
        path: String,
        class: String,
        id: String,
    },
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// Picks a shape within a class: by position in the class's list, or by model id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeKey {
    Index(usize),
    Id(String),
}

impl std::fmt::Display for ShapeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShapeKey::Index(i) => write!(f, "#{i}"),
            ShapeKey::Id(id) => write!(f, "{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShapeEntry {
    pub index: usize,
    pub id: String,
    /// Whether the mesh file is on disk.
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClassEntry {
    /// Class name (manifest layout) or synset id (ShapeNetCore layout); also the folder name.
    pub name: String,
    /// The class's ImageNet label, where the manifest gives one.
    #[serde(default)]
    pub imagenet_label: Option<u32>,
    pub shapes: Vec<ShapeEntry>,
}

#[derive(Deserialize)]
struct Manifest {
    classes: Vec<ClassEntry>,
}

/// Which of the two layouts a dataset folder follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Manifest,
    ShapeNetCore,
}

/// A folder of shapes, indexed once at `open`.
#[derive(Debug, Clone)]
pub struct Dataset {
    root: PathBuf,
    layout: Layout,
    classes: Vec<ClassEntry>,
}

impl Dataset {
    /// Opens `root`: the manifest layout when `root/manifest.json` exists, else the
    /// ShapeNetCore v2 layout (every subfolder a class).
    pub fn open(root: impl AsRef<Path>) -> Result<Dataset, DatasetError> {
        let root = root.as_ref().to_path_buf();
        let manifest = root.join("manifest.json");
        if manifest.is_file() {
            let text =
                std::fs::read_to_string(&manifest).map_err(|e| DatasetError::Unreadable {
                    path: manifest.display().to_string(),
                    reason: e.to_string(),
                })?;
            let parsed: Manifest =
                serde_json::from_str(&text).map_err(|e| DatasetError::Manifest {
                    path: manifest.display().to_string(),
                    reason: e.to_string(),
                })?;
            return Ok(Dataset {
                root,
                layout: Layout::Manifest,
                classes: parsed.classes,
            });
        }
        let mut classes = Vec::new();
        for synset in sorted_subfolders(&root)? {
            let shapes = sorted_subfolders(&root.join(&synset))?
                .into_iter()
                .enumerate()
                .map(|(index, id)| ShapeEntry {
                    present: root.join(&synset).join(&id).join(MODEL_FILE).is_file(),
                    index,
                    id,
                })
                .collect();
            classes.push(ClassEntry {
                name: synset,
                imagenet_label: None,
                shapes,
            });
        }
        Ok(Dataset {
            root,
            layout: Layout::ShapeNetCore,
            classes,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn classes(&self) -> &[ClassEntry] {
        &self.classes
    }

    /// The class called `name`.
    pub fn class(&self, name: &str) -> Result<&ClassEntry, DatasetError> {
        self.classes
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| DatasetError::UnknownClass {
                root: self.root.display().to_string(),
                class: name.to_string(),
                known: self
                    .classes
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The entry of one shape.
    pub fn shape(&self, class: &str, key: &ShapeKey) -> Result<&ShapeEntry, DatasetError> {
        let entry = self.class(class)?;
        entry
            .shapes
            .iter()
            .find(|s| match key {
                ShapeKey::Index(i) => s.index == *i,
                ShapeKey::Id(id) => &s.id == id,
            })
            .ok_or_else(|| DatasetError::UnknownShape {
                root: self.root.display().to_string(),
                class: class.to_string(),
                shape: key.to_string(),
                count: entry.shapes.len(),
            })
    }

    /// Path of a shape's mesh file (whether or not it exists).
    pub fn mesh_path(&self, class: &str, key: &ShapeKey) -> Result<PathBuf, DatasetError> {
        let shape = self.shape(class, key)?;
        Ok(self.root.join(class).join(&shape.id).join(MODEL_FILE))
    }

    /// Loads (and normalises) one shape's mesh.
    pub fn load(&self, class: &str, key: &ShapeKey) -> Result<Mesh, DatasetError> {
        let shape = self.shape(class, key)?;
        let path = self.mesh_path(class, key)?;
        if !shape.present || !path.is_file() {
            return Err(DatasetError::Absent {
                path: path.display().to_string(),
                class: class.to_string(),
                id: shape.id.clone(),
            });
        }
        Ok(Mesh::load_obj(&path)?)
    }

    /// Every present shape as `(class, shape)`, in class then shape order.
    pub fn present(&self) -> impl Iterator<Item = (&ClassEntry, &ShapeEntry)> {
        self.classes
            .iter()
            .flat_map(|c| c.shapes.iter().filter(|s| s.present).map(move |s| (c, s)))
    }
}

fn sorted_subfolders(dir: &Path) -> Result<Vec<String>, DatasetError> {
    let unreadable = |e: std::io::Error| DatasetError::Unreadable {
        path: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        if entry.file_type().map_err(unreadable)?.is_dir() {
            if let Some(name) = entry.file_name().to_str() {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}
