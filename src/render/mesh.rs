//! Triangle meshes: OBJ loading, validation and the NMR normalisation (SPEC §6).

use std::path::Path;

use super::vec3::{cross, dot, sub};
use thiserror::Error;

/// The largest OBJ file semrob reads, in bytes (1 GiB).
pub const MAX_OBJ_BYTES: u64 = 1 << 30;

/// The most vertices a mesh may have (faces index them with 32 bits).
pub const MAX_MESH_VERTICES: usize = 1 << 24;

/// The most triangles a mesh may have, after triangulating its polygons.
pub const MAX_MESH_FACES: usize = 1 << 24;

/// Why a mesh was refused. Every variant names its source (a file path, or a fixture name).
#[derive(Debug, Error)]
pub enum MeshError {
    #[error("{source_name}: cannot read OBJ: {reason}")]
    Unreadable { source_name: String, reason: String },
    #[error("{source_name}: {what} is beyond the limit of {limit}")]
    TooLarge {
        source_name: String,
        what: String,
        limit: u64,
    },
    #[error("{source_name}: the mesh has no faces")]
    NoFaces { source_name: String },
    #[error(
        "{source_name}: face {face} uses vertex {index}, but there are only {vertices} vertices"
    )]
    IndexOutOfRange {
        source_name: String,
        face: usize,
        index: usize,
        vertices: usize,
    },
    #[error("{source_name}: a face refers to a vertex that does not exist")]
    ObjIndexOutOfRange { source_name: String },
    #[error("{source_name}: vertex {vertex} is not finite: ({x}, {y}, {z})")]
    NonFiniteVertex {
        source_name: String,
        vertex: usize,
        x: f64,
        y: f64,
        z: f64,
    },
    #[error("{source_name}: degenerate mesh: all vertices coincide (zero extent)")]
    ZeroExtent { source_name: String },
    #[error("{source_name}: every face is degenerate (zero area)")]
    OnlyDegenerateFaces { source_name: String },
}

/// A triangle mesh, normalised to fit [−1, 1]³ as NMR does (SPEC §6), with its degenerate
/// triangles removed and one unit normal per face precomputed (the renderer's per-mesh data).
#[derive(Debug, Clone)]
pub struct Mesh {
    name: String,
    vertices: Vec<[f32; 3]>,
    faces: Vec<[u32; 3]>,
    normals: Vec<[f32; 3]>,
    skipped_degenerate: usize,
}

impl Mesh {
    /// Validates raw geometry (indices in range, finite vertices, nonzero extent), applies the
    /// SPEC §6 normalisation and drops zero-area triangles. `name` appears in every error.
    pub fn new(
        name: impl Into<String>,
        vertices: Vec<[f64; 3]>,
        faces: Vec<[usize; 3]>,
    ) -> Result<Mesh, MeshError> {
        let name = name.into();
        if faces.is_empty() {
            return Err(MeshError::NoFaces { source_name: name });
        }
        check_size(&name, vertices.len(), faces.len())?;
        for (f, face) in faces.iter().enumerate() {
            if let Some(&index) = face.iter().find(|&&i| i >= vertices.len()) {
                return Err(MeshError::IndexOutOfRange {
                    source_name: name,
                    face: f,
                    index,
                    vertices: vertices.len(),
                });
            }
        }
        if let Some((vertex, v)) = vertices
            .iter()
            .enumerate()
            .find(|(_, v)| v.iter().any(|c| !c.is_finite()))
        {
            return Err(MeshError::NonFiniteVertex {
                source_name: name,
                vertex,
                x: v[0],
                y: v[1],
                z: v[2],
            });
        }
        let vertices = normalise(&name, vertices)?;

        let mut kept = Vec::with_capacity(faces.len());
        let mut normals = Vec::with_capacity(faces.len());
        for face in &faces {
            let [a, b, c] = face.map(|i| vertices[i]);
            let n = cross(sub(b, a), sub(c, a));
            let len = dot(n, n).sqrt();
            // Zero area (or so thin that its normal is meaningless in f32): nothing to draw.
            if len <= 1e-12 {
                continue;
            }
            kept.push(face.map(|i| i as u32));
            normals.push(n.map(|x| (x / len) as f32));
        }
        if kept.is_empty() {
            return Err(MeshError::OnlyDegenerateFaces { source_name: name });
        }
        Ok(Mesh {
            name,
            skipped_degenerate: faces.len() - kept.len(),
            vertices: vertices.iter().map(|v| v.map(|x| x as f32)).collect(),
            faces: kept,
            normals,
        })
    }

    /// Loads an OBJ file: polygons are triangulated, every group/object is merged, and
    /// materials, normals and texture coordinates are ignored. A file over [`MAX_OBJ_BYTES`]
    /// is refused before it is read.
    pub fn load_obj(path: impl AsRef<Path>) -> Result<Mesh, MeshError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let unreadable = |e: std::io::Error| MeshError::Unreadable {
            source_name: name.clone(),
            reason: e.to_string(),
        };
        let len = std::fs::metadata(path).map_err(unreadable)?.len();
        if len > MAX_OBJ_BYTES {
            return Err(MeshError::TooLarge {
                source_name: name,
                what: format!("a file of {len} bytes"),
                limit: MAX_OBJ_BYTES,
            });
        }
        let text = std::fs::read(path).map_err(unreadable)?;
        Self::parse_obj(name, &text)
    }

    /// Parses OBJ text already in memory (`name` is used in errors). Material libraries are
    /// never opened.
    pub fn parse_obj(name: impl Into<String>, text: &[u8]) -> Result<Mesh, MeshError> {
        let name = name.into();
        if text.len() as u64 > MAX_OBJ_BYTES {
            return Err(MeshError::TooLarge {
                source_name: name,
                what: format!("OBJ text of {} bytes", text.len()),
                limit: MAX_OBJ_BYTES,
            });
        }
        let options = tobj::LoadOptions {
            triangulate: true,
            single_index: false,
            ignore_points: true,
            ignore_lines: true,
        };
        let text = without_texcoords_and_normals(text);
        let mut reader = std::io::BufReader::new(&text[..]);
        let (models, _materials) = tobj::load_obj_buf(&mut reader, &options, |_| {
            Err(tobj::LoadError::GenericFailure)
        })
        .map_err(|e| match e {
            tobj::LoadError::FaceVertexOutOfBounds => MeshError::ObjIndexOutOfRange {
                source_name: name.clone(),
            },
            e => MeshError::Unreadable {
                source_name: name.clone(),
                reason: e.to_string(),
            },
        })?;

        // tobj gives each object its own vertex array; concatenate them with offsets.
        let mut vertices = Vec::new();
        let mut faces = Vec::new();
        for model in &models {
            let offset = vertices.len();
            let mesh = &model.mesh;
            vertices.extend(
                mesh.positions
                    .chunks_exact(3)
                    .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64]),
            );
            faces.extend(mesh.indices.chunks_exact(3).map(|t| {
                [
                    offset + t[0] as usize,
                    offset + t[1] as usize,
                    offset + t[2] as usize,
                ]
            }));
        }
        Mesh::new(name, vertices, faces)
    }

    /// The file path or fixture name this mesh came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Normalised vertex positions (inside [−1, 1]³).
    pub fn vertices(&self) -> &[[f32; 3]] {
        &self.vertices
    }

    /// Non-degenerate triangles (indices into [`Mesh::vertices`]).
    pub fn faces(&self) -> &[[u32; 3]] {
        &self.faces
    }

    /// Unit normal of each face, `(v1 − v0) × (v2 − v0)` normalised; its sign is irrelevant
    /// to rendering since every face is lit with the normal facing the camera.
    pub fn normals(&self) -> &[[f32; 3]] {
        &self.normals
    }

    /// How many zero-area triangles of the input were dropped.
    pub fn skipped_degenerate(&self) -> usize {
        self.skipped_degenerate
    }
}

/// The OBJ text less its `vt` and `vn` statements, which semrob ignores. Found by fuzzing
/// (issue 23): when a file has any, tobj 4.0 turns a face's texture-coordinate or normal
/// index into an offset unchecked (`vt * 2`, `vn * 3`), and a relative index before the
/// first one (`f 1 2/-6 3`) overflows: a panic in checked builds, a wrapped index otherwise.
/// Without them tobj never reads those indices. Lines are split as tobj splits them.
fn without_texcoords_and_normals(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let first = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split_whitespace().next());
        if !matches!(first, Some("vt" | "vn")) {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Refuses a mesh of more than [`MAX_MESH_VERTICES`] vertices or [`MAX_MESH_FACES`]
/// triangles.
fn check_size(name: &str, vertices: usize, faces: usize) -> Result<(), MeshError> {
    let too_large = |what: String, limit: usize| MeshError::TooLarge {
        source_name: name.to_string(),
        what,
        limit: limit as u64,
    };
    if vertices > MAX_MESH_VERTICES {
        return Err(too_large(format!("{vertices} vertices"), MAX_MESH_VERTICES));
    }
    if faces > MAX_MESH_FACES {
        return Err(too_large(format!("{faces} triangles"), MAX_MESH_FACES));
    }
    Ok(())
}

/// SPEC §6: `v −= min(v); v /= max(|v|); v *= 2; v −= max(v)/2`, where min and max are per
/// axis and `max(|v|)` is the largest extent `s` over the axes. Algebraically that is
/// `v ← (v − c) · 2/s` with `c = (min + max)/2`, which is how it is computed: it rounds less,
/// and keeps a mesh symmetric about a plane through the centre exactly symmetric.
fn normalise(name: &str, mut vertices: Vec<[f64; 3]>) -> Result<Vec<[f64; 3]>, MeshError> {
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    for v in &vertices {
        for k in 0..3 {
            min[k] = min[k].min(v[k]);
            max[k] = max[k].max(v[k]);
        }
    }
    let extent = (0..3).map(|k| max[k] - min[k]).fold(0.0f64, f64::max);
    if extent <= 0.0 || !extent.is_finite() {
        return Err(MeshError::ZeroExtent {
            source_name: name.to_string(),
        });
    }
    let centre: [f64; 3] = std::array::from_fn(|k| (min[k] + max[k]) / 2.0);
    let factor = 2.0 / extent;
    for v in &mut vertices {
        for k in 0..3 {
            v[k] = (v[k] - centre[k]) * factor;
        }
    }
    Ok(vertices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_fits_the_unit_cube_and_centres_the_extent() {
        let mesh = Mesh::new(
            "box",
            vec![[1.0, 2.0, 3.0], [5.0, 2.0, 3.0], [1.0, 4.0, 4.0]],
            vec![[0, 1, 2]],
        )
        .unwrap();
        // Extents 4, 2, 1 → scaled by 2/4 → 2, 1, 0.5, then centred.
        let v = mesh.vertices();
        assert_eq!(v[0], [-1.0, -0.5, -0.25]);
        assert_eq!(v[1], [1.0, -0.5, -0.25]);
        assert_eq!(v[2], [-1.0, 0.5, 0.25]);
    }

    #[test]
    fn degenerate_triangles_are_skipped_and_counted() {
        let mesh = Mesh::new(
            "t",
            vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [0.0, 1.0, 0.0],
                [2.0, 0.0, 0.0],
            ],
            vec![[0, 1, 2], [0, 1, 3], [2, 2, 1]],
        )
        .unwrap();
        assert_eq!(mesh.faces(), &[[0, 1, 2]]);
        assert_eq!(mesh.skipped_degenerate(), 2);
        assert_eq!(mesh.normals()[0], [0.0, 0.0, 1.0]);
    }

    #[test]
    fn meshes_beyond_the_limits_are_refused() {
        assert!(check_size("m", MAX_MESH_VERTICES, MAX_MESH_FACES).is_ok());
        let e = check_size("m", MAX_MESH_VERTICES + 1, 1).unwrap_err();
        assert!(e.to_string().contains("16777217 vertices"), "{e}");
        match check_size("m", 3, MAX_MESH_FACES + 1) {
            Err(MeshError::TooLarge { what, limit, .. }) => {
                assert_eq!((what.as_str(), limit), ("16777217 triangles", 1 << 24));
            }
            other => panic!("{other:?}"),
        }
        // An OBJ file over the limit is refused from its size, before it is read (a sparse
        // file: nothing is written).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.obj");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_OBJ_BYTES + 1).unwrap();
        match Mesh::load_obj(&path) {
            Err(MeshError::TooLarge { limit, .. }) => assert_eq!(limit, MAX_OBJ_BYTES),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn texture_and_normal_indices_before_the_first_are_ignored_not_a_panic() {
        // Minimised by afl-tmin from the mesh campaign's crashes (fixtures/fuzz/mesh/
        // regressions): tobj overflowed `vt * 2` and `vn * 3` on these.
        for text in [
            &b"v 0 0 0\nv 0 0 0\nvt 0 0\nf 1 2/-6\x0b0"[..],
            b"v 0 0 0\nv 0 0 0\nvn 0 0 0\nf 1 2//-3 0",
        ] {
            // Their last face's vertex 0 does not exist.
            let e = Mesh::parse_obj("t", text);
            assert!(
                matches!(&e, Err(MeshError::ObjIndexOutOfRange { source_name }) if source_name == "t"),
                "{e:?}"
            );
        }
        // The same faces on a real triangle read, their texture and normal indices unused.
        let ok = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/-6/-9 2//-3 3/1/1\n";
        let mesh = Mesh::parse_obj("t", ok).unwrap();
        assert_eq!(mesh.faces(), &[[0, 1, 2]]);
    }
}
