//! The renderer as libtorch tensor operations, on any [`tch::Device`] (issue 20; SPEC §6).
//!
//! [`TensorRenderer`] gives the images of [`Renderer`](super::Renderer), value for value: the
//! same look-at camera, NEAR-plane clipping (Sutherland–Hodgman, fanned), 1/256-pixel
//! fixed-point edge functions with the same fill rule, the 1/z depth plane evaluated in the
//! same f32 operations, the z-test's tie rule (the first face drawn wins), flat Lambert shading
//! of both sides, and the `ss × ss` average summed in the same order. Every step that the CPU
//! renderer does in f64 is done here in f64 tensors, one IEEE operation for one IEEE operation,
//! and every integer step in int64, so nothing is left to rounding luck.
//!
//! ```no_run
//! use semrob::render::{fixtures, RenderOptions, TensorRenderer, View};
//! let mesh = fixtures::by_name("teapot")?;
//! let renderer = TensorRenderer::new(RenderOptions::default(), tch::Device::Cpu)?;
//! let views = [View::new(130.0, 30.0), View::new(50.0, 20.0)];
//! let batch = renderer.render_batch(&mesh, &views)?; // [2, 3, 224, 224] f32 on the device
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! How one batch is made: views are taken in groups whose frames fit the chunk budget; for
//! each group, faces are set up in ranges (camera space, clipping, fan, projection, edge
//! functions, depth plane, shade per (view, face)); every (triangle, row of its bounding box)
//! pair then gets its span of covered samples, solved exactly in integers (so thin diagonal
//! triangles cost their samples, not their boxes), and every covered sample is reduced into
//! one int64 per sample, `(bits of 1/z) << 32 | (u32::MAX − draw order)`, by a scatter-max:
//! the nearest face wins and, among equal depths, the one the CPU renderer draws first. Rows
//! and samples are enumerated in chunks of at most [`CHUNK_BYTES`]. Only counts cross to the
//! host (triangles that survive a face range, rows and samples of a chunk), never per-pixel
//! data.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tch::{Device, Kind, Tensor};
use thiserror::Error;

use super::camera::{Camera, View, NEAR, VIEW_HALF_ANGLE_DEG};
use super::mesh::Mesh;
use super::raster::ONE;
use super::{RenderError, RenderOptions, Renderer};

/// Memory bound of one step, in bytes. Each of the three steps that grow with the work, a
/// group's frame (`views × samples`), a face range's setup (`views × faces`) and a
/// rasterisation chunk (half for `(triangle, row)` pairs, half for their covered samples), is sized so its estimated working set
/// (the per-element byte counts below, every temporary counted) stays at or below it; at most
/// three are alive together, so one `render_batch` call needs at most `3 · CHUNK_BYTES` beyond
/// the mesh on the device and the output. The one exception: a single view whose frame alone
/// exceeds the bound (more than `CHUNK_BYTES / FRAME_BYTES_PER_SAMPLE` samples, a 836² frame
/// at 32 MiB) is still rendered whole.
pub const CHUNK_BYTES: usize = 32 << 20;

/// Bytes live per (triangle, row) pair in a rasterisation chunk: the pair and triangle
/// indices, the gathered triangle fields (14 int64, 3 f32), the three edge values, the span
/// bounds and their temporaries, and the span's packed fields (5 int64, 2 f32).
pub const ROW_BYTES: usize = 512;
/// Bytes live per covered sample in a rasterisation chunk: the sample and span indices, the
/// gathered span fields (5 int64, 2 f32), the offset, the depth and its partial sums, the
/// packed key and the frame index.
pub const PAIR_BYTES: usize = 160;
/// Bytes live per (view, face) in the setup: camera-space corners, six clipping slots and their
/// compaction, four projected polygon vertices, two fanned triangles with their edge functions,
/// depth planes and packed rows.
pub const FACE_BYTES: usize = 2048;
/// Bytes live per sample of a group's frame: the int64 key and the resolve step's temporaries
/// (hit mask, face index, shade, emptiness).
pub const FRAME_BYTES_PER_SAMPLE: usize = 48;

/// Fields of the packed per-triangle int64 data gathered for every pair (rows of `[14, T]`).
mod col {
    pub const START: i64 = 0;
    pub const NCOLS: i64 = 1;
    pub const EDGE: i64 = 2; // 3 columns: edge values at the box origin, fill rule applied
    pub const STEP_X: i64 = 5; // 3 columns
    pub const STEP_Y: i64 = 8; // 3 columns
    pub const BASE: i64 = 11; // frame index of the box origin
    pub const ORDER: i64 = 12; // u32::MAX − draw order
    pub const COUNT: i64 = 13;
}

/// Why a tensor render failed.
#[derive(Debug, Error)]
pub enum TensorRenderError {
    /// The options or a view were refused, as [`Renderer`] refuses them.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The chunk budget cannot hold one row and one sample.
    #[error("chunk budget of {0} bytes is below one row and one sample ({ROW_BYTES} + {PAIR_BYTES} bytes, twice)")]
    ChunkBytes(usize),
    /// libtorch failed (a device that is not available, memory exhausted).
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// A mesh uploaded to a device: face corners in world space (f64, face-major, so one face's
/// three corners are one row) and unit face normals (f64), exactly the values the CPU renderer
/// widens from the mesh's f32.
pub struct DeviceMesh {
    corners: Tensor,
    normals: Tensor,
    faces: i64,
    fingerprint: u64,
    device: Device,
}

impl DeviceMesh {
    /// Uploads `mesh` to `device` (one copy; renders reuse it).
    pub fn new(mesh: &Mesh, device: Device) -> Result<DeviceMesh, TensorRenderError> {
        let vertices = mesh.vertices();
        let corners: Vec<f64> = mesh
            .faces()
            .iter()
            .flat_map(|f| f.iter().flat_map(|&i| vertices[i as usize].map(f64::from)))
            .collect();
        let normals: Vec<f64> = mesh
            .normals()
            .iter()
            .flat_map(|n| n.map(f64::from))
            .collect();
        let faces = mesh.faces().len() as i64;
        Ok(DeviceMesh {
            corners: Tensor::from_slice(&corners)
                .f_view([faces, 3, 3])?
                .f_to_device(device)?,
            normals: Tensor::from_slice(&normals)
                .f_view([faces, 3])?
                .f_to_device(device)?,
            faces,
            fingerprint: fingerprint(mesh),
            device,
        })
    }

    /// Number of faces.
    pub fn faces(&self) -> usize {
        self.faces as usize
    }

    pub fn device(&self) -> Device {
        self.device
    }
}

/// Identifies a mesh's geometry (name, vertices, faces), so that a cached upload is reused
/// only for the same mesh.
fn fingerprint(mesh: &Mesh) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    mesh.name().hash(&mut h);
    for v in mesh.vertices() {
        v.map(f32::to_bits).hash(&mut h);
    }
    mesh.faces().hash(&mut h);
    h.finish()
}

/// The largest working sets one renderer has used, by the estimates of [`ROW_BYTES`],
/// [`PAIR_BYTES`], [`FACE_BYTES`] and [`FRAME_BYTES_PER_SAMPLE`], and how many rasterisation
/// chunks (of samples) it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChunkStats {
    pub largest_raster_chunk_bytes: usize,
    pub largest_setup_bytes: usize,
    pub largest_frame_bytes: usize,
    pub raster_chunks: usize,
}

#[derive(Default)]
struct StatCounters {
    raster: AtomicUsize,
    setup: AtomicUsize,
    frame: AtomicUsize,
    chunks: AtomicUsize,
}

/// Renders meshes under [`View`]s with tensor operations on one device; images equal
/// [`Renderer`]'s (see the module documentation and SPEC §6).
pub struct TensorRenderer {
    options: RenderOptions,
    device: Device,
    chunk_bytes: usize,
    /// The last mesh uploaded by [`TensorRenderer::render_batch`].
    cache: Mutex<Option<DeviceMesh>>,
    stats: StatCounters,
}

impl TensorRenderer {
    /// A renderer for `options` (refused as [`Renderer::new`] refuses them) on `device`.
    pub fn new(options: RenderOptions, device: Device) -> Result<TensorRenderer, RenderError> {
        Renderer::new(options)?;
        Ok(TensorRenderer {
            options,
            device,
            chunk_bytes: CHUNK_BYTES,
            cache: Mutex::new(None),
            stats: StatCounters::default(),
        })
    }

    /// The same renderer with another memory bound per step (default [`CHUNK_BYTES`]).
    pub fn with_chunk_bytes(self, chunk_bytes: usize) -> Result<TensorRenderer, TensorRenderError> {
        if chunk_bytes < 2 * (ROW_BYTES + PAIR_BYTES) {
            return Err(TensorRenderError::ChunkBytes(chunk_bytes));
        }
        Ok(TensorRenderer {
            chunk_bytes,
            ..self
        })
    }

    pub fn options(&self) -> RenderOptions {
        self.options
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// Uploads a mesh to this renderer's device, for [`TensorRenderer::render_device_batch`].
    pub fn upload(&self, mesh: &Mesh) -> Result<DeviceMesh, TensorRenderError> {
        DeviceMesh::new(mesh, self.device)
    }

    /// Renders one image per view, `[B, 3, H, W]` f32 in [0, 1] on the device. The mesh is
    /// uploaded on first use and kept until a different mesh (by name and geometry) is
    /// rendered; calls on one renderer take turns on that cache, so threads that render
    /// different meshes at once should each have their own renderer or use
    /// [`TensorRenderer::upload`] and [`TensorRenderer::render_device_batch`].
    pub fn render_batch(&self, mesh: &Mesh, views: &[View]) -> Result<Tensor, TensorRenderError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = fingerprint(mesh);
        if cache.as_ref().map(|m| m.fingerprint) != Some(fresh) {
            *cache = Some(self.upload(mesh)?);
        }
        let uploaded = cache.as_ref().expect("just filled");
        self.render_device_batch(uploaded, views)
    }

    /// Renders one image per view from a mesh already on the device.
    pub fn render_device_batch(
        &self,
        mesh: &DeviceMesh,
        views: &[View],
    ) -> Result<Tensor, TensorRenderError> {
        for (index, view) in views.iter().enumerate() {
            view.validate()
                .map_err(|source| RenderError::View { index, source })?;
        }
        let size = self.options.size as i64;
        if views.is_empty() {
            return Ok(Tensor::zeros(
                [0, 3, size, size],
                (Kind::Float, self.device),
            ));
        }
        let mesh_here;
        let mesh = if mesh.device == self.device {
            mesh
        } else {
            mesh_here = DeviceMesh {
                corners: mesh.corners.f_to_device(self.device)?,
                normals: mesh.normals.f_to_device(self.device)?,
                ..*mesh
            };
            &mesh_here
        };
        let _no_grad = tch::no_grad_guard();
        let frame = self.frame_geometry();
        let per_view = frame.samples() as usize * FRAME_BYTES_PER_SAMPLE;
        let group = (self.chunk_bytes / per_view).clamp(1, views.len());
        let images: Vec<Tensor> = views
            .chunks(group)
            .map(|g| self.render_group(mesh, g, &frame))
            .collect();
        Ok(Tensor::f_cat(&images, 0)?)
    }

    /// What the renderer has used so far (see [`ChunkStats`]).
    pub fn stats(&self) -> ChunkStats {
        ChunkStats {
            largest_raster_chunk_bytes: self.stats.raster.load(Ordering::Relaxed),
            largest_setup_bytes: self.stats.setup.load(Ordering::Relaxed),
            largest_frame_bytes: self.stats.frame.load(Ordering::Relaxed),
            raster_chunks: self.stats.chunks.load(Ordering::Relaxed),
        }
    }

    fn frame_geometry(&self) -> FrameGeometry {
        let ss = self.options.supersampling as i64;
        let size = self.options.size as i64;
        let width = size * ss;
        let half = width as f64 / 2.0;
        FrameGeometry {
            size,
            ss,
            width,
            scale: half / VIEW_HALF_ANGLE_DEG.to_radians().tan() * ONE as f64,
            centre: (width - 1) * ONE / 2,
        }
    }

    /// Renders a group of views whose frames fit the budget together: `[G, 3, H, W]`.
    fn render_group(&self, mesh: &DeviceMesh, views: &[View], frame: &FrameGeometry) -> Tensor {
        let g = views.len() as i64;
        let view_tensors = ViewTensors::new(views, self.device);
        let samples = g * frame.samples();
        self.stats
            .frame
            .fetch_max(samples as usize * FRAME_BYTES_PER_SAMPLE, Ordering::Relaxed);
        let mut keys = Tensor::zeros([samples], (Kind::Int64, self.device));
        let mut shades = Vec::new();
        let faces_per_range = (self.chunk_bytes / (g as usize * FACE_BYTES)).max(1) as i64;
        let mut first = 0;
        while first < mesh.faces {
            let count = faces_per_range.min(mesh.faces - first);
            self.stats
                .setup
                .fetch_max((g * count) as usize * FACE_BYTES, Ordering::Relaxed);
            let range = FaceRange { first, count };
            let setup = setup(mesh, range, &view_tensors, frame);
            shades.push(setup.shade);
            self.rasterise(&setup.triangles, &mut keys, frame);
            first += count;
        }
        let shade = Tensor::cat(&shades, 1);
        resolve(&keys, &shade, &view_tensors.background, frame)
    }

    /// Enumerates (triangle, row) pairs in chunks, their covered samples in chunks, and keeps
    /// per sample the largest packed key.
    fn rasterise(&self, triangles: &Triangles, keys: &mut Tensor, frame: &FrameGeometry) {
        let Some(fields) = &triangles.rows else {
            return;
        };
        let ends = fields.select(0, col::COUNT).cumsum(0, Kind::Int64);
        let total = ends.int64_value(&[-1]);
        // Half the budget for a chunk of rows, half for a chunk of their samples.
        let rows_per_chunk = (self.chunk_bytes / 2 / ROW_BYTES).max(1) as i64;
        let samples_per_chunk = (self.chunk_bytes / 2 / PAIR_BYTES).max(1) as i64;
        let mut start = 0;
        while start < total {
            let len = rows_per_chunk.min(total - start);
            let spans = row_spans(start, len, &ends, fields, &triangles.depth, frame);
            let span_ends = spans.fields.select(0, span::LEN).cumsum(0, Kind::Int64);
            let samples = span_ends.int64_value(&[-1]);
            let mut first = 0;
            while first < samples {
                let count = samples_per_chunk.min(samples - first);
                self.stats.chunks.fetch_add(1, Ordering::Relaxed);
                let bytes = len as usize * ROW_BYTES + count as usize * PAIR_BYTES;
                self.stats.raster.fetch_max(bytes, Ordering::Relaxed);
                let (index, key) = sample_keys(first, count, &span_ends, &spans);
                let _ = keys.internal_scatter_reduce_(0, &index, &key, "amax", true);
                first += count;
            }
            start += len;
        }
    }
}

/// Sizes of the supersampled frame and the projection's fixed-point constants, computed as
/// the CPU renderer computes them.
struct FrameGeometry {
    size: i64,
    ss: i64,
    /// Samples per side.
    width: i64,
    /// Camera-space `x/z` → fixed-point sample offset.
    scale: f64,
    /// Fixed-point coordinate of the frame's centre.
    centre: i64,
}

impl FrameGeometry {
    fn samples(&self) -> i64 {
        self.width * self.width
    }
}

/// Per-view constants of a group, on the device: the camera (eye and the rows of its
/// rotation), the unit light direction and intensities (all f64) and the background (f32).
struct ViewTensors {
    eye: Tensor,
    axes: Tensor,
    light: Tensor,
    ambient: Tensor,
    directional: Tensor,
    background: Tensor,
}

impl ViewTensors {
    /// The camera comes from [`Camera::look_at`] itself (12 numbers per view), so the frame is
    /// the CPU renderer's to the last bit; the light is normalised by the same expression.
    fn new(views: &[View], device: Device) -> ViewTensors {
        let g = views.len() as i64;
        let mut eye = Vec::new();
        let mut axes = Vec::new();
        let mut light = Vec::new();
        let mut ambient = Vec::new();
        let mut directional = Vec::new();
        let mut background = Vec::new();
        for view in views {
            let camera = Camera::look_at(view);
            eye.extend(camera.eye);
            axes.extend(camera.x);
            axes.extend(camera.y);
            axes.extend(camera.z);
            let l = view.light_direction;
            let norm = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
            light.extend(l.map(|c| c / norm));
            ambient.push(view.ambient);
            directional.push(view.directional);
            background.extend(view.background);
        }
        let upload = |v: &[f64], shape: &[i64]| Tensor::from_slice(v).view(shape).to_device(device);
        ViewTensors {
            eye: upload(&eye, &[g, 3]),
            axes: upload(&axes, &[g, 3, 3]),
            light: upload(&light, &[g, 3]),
            ambient: upload(&ambient, &[g, 1]),
            directional: upload(&directional, &[g, 1]),
            background: Tensor::from_slice(&background)
                .view([g, 3])
                .to_device(device),
        }
    }
}

/// `a · b` over the last axis, summed left to right as `vec3::dot` does.
fn dot3(a: &Tensor, b: &Tensor) -> Tensor {
    let term = |k: i64| a.select(-1, k) * b.select(-1, k);
    term(0) + term(1) + term(2)
}

/// `x.round() as i64` of Rust: half away from zero, exact for every f64 (the fractional part
/// `x − trunc(x)` is exact, so no `x + 0.5` rounding slips in).
fn round_half_away(x: &Tensor) -> Tensor {
    let whole = x.trunc();
    let frac = x - &whole;
    let up = frac.abs().ge(0.5).to_kind(Kind::Double) * x.sign();
    (whole + up).to_kind(Kind::Int64)
}

/// A contiguous range of faces set up together.
#[derive(Clone, Copy)]
struct FaceRange {
    first: i64,
    count: i64,
}

/// What the setup of one face range gives: the shade per (view, face) `[G, count]` f32 and the
/// triangles that cover at least one sample.
struct Setup {
    shade: Tensor,
    triangles: Triangles,
}

/// Triangles ready to rasterise, in draw order, one per column: packed int64 fields `[14, T]`
/// (see [`col`]) and f32 fields `[3, T]` (1/z at the box origin, its step per column, per
/// row). Field-major, so every field gathered for a chunk of pairs is contiguous. `None` when
/// no triangle covers a sample.
struct Triangles {
    rows: Option<Tensor>,
    depth: Tensor,
}

/// Camera space, shading, clipping, fan, projection and triangle setup for every (view, face)
/// of a range; the tensor form of `raster::setup` and the per-triangle part of
/// `raster::rasterise`.
fn setup(mesh: &DeviceMesh, range: FaceRange, views: &ViewTensors, frame: &FrameGeometry) -> Setup {
    let corners = mesh.corners.narrow(0, range.first, range.count); // [F, 3, 3]
    let normals = mesh.normals.narrow(0, range.first, range.count); // [F, 3]
    let shade = face_shade(&corners.select(1, 0), &normals, views);
    let camera = camera_space(&corners, views); // [G, F, 3, 3]
    let polygon = clip(&camera); // [G, F, 4, 3] and count [G, F]
    let fan = fan(&polygon, frame); // [G, F, 2] triangles
    let triangles = triangle_rows(fan, range, frame);
    Setup { shade, triangles }
}

/// Flat Lambert shade per (view, face), `[G, F]` f32: the normal turned to the eye (seen from
/// the face's first corner), `ambient + directional · max(0, n · l)` clamped to [0, 1].
fn face_shade(first_corner: &Tensor, normals: &Tensor, views: &ViewTensors) -> Tensor {
    let towards_eye = views.eye.unsqueeze(1) - first_corner.unsqueeze(0); // [G, F, 3]
    let n = normals.unsqueeze(0);
    let side = Tensor::where_scalar(&dot3(&n, &towards_eye).lt(0.0), -1.0, 1.0);
    let lambert = (side * dot3(&n, &views.light.unsqueeze(1))).clamp_min(0.0);
    (&views.ambient + &views.directional * lambert)
        .clamp(0.0, 1.0)
        .to_kind(Kind::Float)
}

/// World corners `[F, 3, 3]` → camera coordinates `[G, F, 3, 3]` for every view, as
/// `Camera::to_camera` computes them (difference first, then three dot products).
fn camera_space(corners: &Tensor, views: &ViewTensors) -> Tensor {
    let q = corners.unsqueeze(0) - views.eye.view([-1, 1, 1, 3]); // [G, F, 3, 3]
    let axis = |k: i64| views.axes.select(1, k).view([-1, 1, 1, 3]);
    Tensor::stack(
        &[dot3(&axis(0), &q), dot3(&axis(1), &q), dot3(&axis(2), &q)],
        -1,
    )
}

/// A face clipped against z = NEAR: up to four polygon vertices `[G, F, 4, 3]` in the order
/// Sutherland–Hodgman emits them, and how many there are `[G, F]` (0, 3 or 4). Each edge k
/// offers two slots, its start (if in front) and its crossing (if it crosses); the valid slots,
/// in order, are the polygon.
fn clip(camera: &Tensor) -> (Tensor, Tensor) {
    let corner = |k: i64| camera.select(2, k % 3); // [G, F, 3]
    let mut slots = Vec::with_capacity(6);
    let mut valid = Vec::with_capacity(6);
    for k in 0..3 {
        let (a, b) = (corner(k), corner(k + 1));
        let (az, bz) = (a.select(-1, 2), b.select(-1, 2));
        let (a_in, b_in) = (az.ge(NEAR), bz.ge(NEAR));
        let crosses = a_in.logical_xor(&b_in);
        let t = (NEAR - &az) / (&bz - &az);
        let along = |i: i64| {
            let (ai, bi) = (a.select(-1, i), b.select(-1, i));
            &ai + &t * (bi - &ai)
        };
        let crossing = Tensor::stack(&[along(0), along(1), az.full_like(NEAR)], -1);
        slots.push(a);
        valid.push(a_in);
        slots.push(crossing);
        valid.push(crosses);
    }
    let valid = Tensor::stack(&valid, -1); // [G, F, 6]
                                           // Invalid slots (possibly 0/0 from a non-crossing edge) become a harmless point in front.
    let harmless = Tensor::from_slice(&[0.0f64, 0.0, 1.0]).to_device(camera.device());
    let slots = Tensor::stack(&slots, 2).where_self(&valid.unsqueeze(-1), &harmless);
    let order = Tensor::arange(6, (Kind::Int64, camera.device()));
    let key = order.where_self(&valid, &(&order + 6));
    let first4 = key.argsort(-1, false).narrow(-1, 0, 4); // [G, F, 4]
    let shape = first4.size();
    let polygon = slots.gather(
        2,
        &first4
            .unsqueeze(-1)
            .expand([shape[0], shape[1], 4, 3], false),
        false,
    );
    let count = valid.sum_dim_intlist(-1, false, Kind::Int64);
    (polygon, count)
}

/// Projected vertices of the two fanned triangles `(p0, p1, p2)` and `(p0, p2, p3)` of each
/// clipped polygon, as `[G, F, 2, 3]` tensors, and which of them exist.
struct Fan {
    x: Tensor,
    y: Tensor,
    inv_z: Tensor,
    exists: Tensor,
}

/// `raster::setup`'s `project` on every polygon vertex, then the fan.
fn fan(polygon: &(Tensor, Tensor), frame: &FrameGeometry) -> Fan {
    let (poly, count) = polygon;
    let (cx, cy, cz) = (poly.select(-1, 0), poly.select(-1, 1), poly.select(-1, 2));
    let x = round_half_away(&(&cx / &cz * frame.scale));
    let y = round_half_away(&(&cy / &cz * frame.scale));
    let sx = frame.centre + x;
    let sy = frame.centre - y;
    let inv_z = (cz.ones_like() / &cz).to_kind(Kind::Float);
    let pick = Tensor::from_slice(&[0i64, 1, 2, 0, 2, 3]).to_device(poly.device());
    let shape = |t: Tensor| {
        let s = t.size();
        t.index_select(2, &pick).view([s[0], s[1], 2, 3])
    };
    let exists = Tensor::stack(&[count.ge(3), count.eq(4)], -1);
    Fan {
        x: shape(sx),
        y: shape(sy),
        inv_z: shape(inv_z),
        exists,
    }
}

/// Per fanned triangle: orientation, bounding box of samples, edge functions with the fill
/// rule, depth plane; packed and compacted to the triangles that cover a sample.
fn triangle_rows(fan: Fan, range: FaceRange, frame: &FrameGeometry) -> Triangles {
    let s = fan.x.size();
    let f = s[1];
    let device = fan.x.device();
    let flat = |t: &Tensor| t.reshape([-1, 3]);
    let (x, y, iz) = (flat(&fan.x), flat(&fan.y), flat(&fan.inv_z));
    let exists = fan.exists.reshape([-1]);
    let vx = |k: i64| x.select(1, k);
    let vy = |k: i64| y.select(1, k);
    let vz = |k: i64| iz.select(1, k);
    let area = (vx(1) - vx(0)) * (vy(2) - vy(0)) - (vy(1) - vy(0)) * (vx(2) - vx(0));
    // A negatively oriented triangle swaps b and c (raster::rasterise).
    let swap = area.lt(0);
    let pick = |v: &dyn Fn(i64) -> Tensor| {
        let (b, c) = (v(1), v(2));
        [v(0), c.where_self(&swap, &b), b.where_self(&swap, &c)]
    };
    let (px, py, pz) = (pick(&vx), pick(&vy), pick(&vz));

    let min3 = |v: &[Tensor; 3]| v[0].minimum(&v[1]).minimum(&v[2]);
    let max3 = |v: &[Tensor; 3]| v[0].maximum(&v[1]).maximum(&v[2]);
    let col0 = (min3(&px) + (ONE - 1))
        .floor_divide_scalar(ONE)
        .clamp_min(0);
    let col1 = max3(&px)
        .floor_divide_scalar(ONE)
        .clamp_max(frame.width - 1);
    let row0 = (min3(&py) + (ONE - 1))
        .floor_divide_scalar(ONE)
        .clamp_min(0);
    let row1 = max3(&py)
        .floor_divide_scalar(ONE)
        .clamp_max(frame.width - 1);
    let ncols = &col1 - &col0 + 1;
    let nrows = &row1 - &row0 + 1;
    let covers = exists
        .logical_and(&area.ne(0))
        .logical_and(&ncols.gt(0))
        .logical_and(&nrows.gt(0));
    let keep = covers.nonzero().squeeze_dim(1);
    if keep.size()[0] == 0 {
        return Triangles {
            rows: None,
            depth: Tensor::zeros([3, 0], (Kind::Float, device)),
        };
    }
    let take = |t: &Tensor| t.index_select(0, &keep);
    let (px, py, pz) = (
        px.map(|t| take(&t)),
        py.map(|t| take(&t)),
        pz.map(|t| take(&t)),
    );
    let (col0, row0, ncols, nrows, area) = (
        take(&col0),
        take(&row0),
        take(&ncols),
        take(&nrows),
        take(&area),
    );

    // Edge k runs from vertex k to k + 1 (raster::rasterise); all exact in int64.
    let (x0, y0) = (&col0 * ONE, &row0 * ONE);
    let mut at_box = Vec::new();
    let mut edge = Vec::new();
    let mut step_x = Vec::new();
    let mut step_y = Vec::new();
    for k in 0..3 {
        let (p, q) = (k, (k + 1) % 3);
        let dx = &px[q] - &px[p];
        let dy = &py[q] - &py[p];
        let owns = dx.gt(0).logical_or(&dx.eq(0).logical_and(&dy.gt(0)));
        let raw = &dx * (&y0 - &py[p]) - &dy * (&x0 - &px[p]);
        edge.push(&raw - owns.logical_not().to_kind(Kind::Int64));
        at_box.push(raw);
        step_x.push(&dy * (-ONE));
        step_y.push(dx * ONE);
    }
    let area_abs = area.abs().to_kind(Kind::Double);
    let iz: Vec<Tensor> = pz.iter().map(|t| t.to_kind(Kind::Double)).collect();
    // 1/z is affine in screen space: the weights of a, b, c are e1, e2, e0 over the area.
    let plane = |e: &[Tensor]| {
        let w = |k: usize| e[k].to_kind(Kind::Double);
        ((w(1) * &iz[0] + w(2) * &iz[1] + w(0) * &iz[2]) / &area_abs).to_kind(Kind::Float)
    };
    let depth = Tensor::stack(&[plane(&at_box), plane(&step_x), plane(&step_y)], 0);

    // Draw order: face by face, the fan's triangles in order; the view is in the frame index.
    let tri = &keep; // index into [G, F, 2]
    let view = tri.divide_scalar_mode(2 * f, "trunc");
    let face = tri.remainder(2 * f).divide_scalar_mode(2, "trunc") + range.first;
    let order = face * 2 + tri.remainder(2);
    let base = view * frame.samples() + &row0 * frame.width + &col0;
    let count = nrows;
    let start = count.cumsum(0, Kind::Int64) - &count;
    let mut columns = vec![start, ncols];
    columns.extend(edge);
    columns.extend(step_x);
    columns.extend(step_y);
    columns.push(base);
    columns.push(u32::MAX as i64 - order);
    columns.push(count);
    Triangles {
        rows: Some(Tensor::stack(&columns, 0)),
        depth,
    }
}

/// Fields of one row's span of covered samples (rows of `[5, R]` int64).
mod span {
    pub const START: i64 = 0; // running start among the chunk's samples
    pub const LEN: i64 = 1;
    pub const FRAME: i64 = 2; // frame index of the span's first sample
    pub const LO: i64 = 3; // its column offset in the triangle's box
    pub const ORDER: i64 = 4;
}

/// The covered samples of a chunk of (triangle, row) pairs: int64 fields (see [`span`]) and
/// f32 fields `[2, R]` (1/z at the row's box column 0, its step per column).
struct Spans {
    fields: Tensor,
    depth: Tensor,
}

/// Spans of the (triangle, row) pairs `start .. start + len`: pair `p` belongs to the first
/// triangle whose running end exceeds `p`, row `p − start_t` of its box. Each row's covered
/// samples are one interval, solved exactly in integers from the three edge functions as
/// `raster::row_span` does, so they are the samples the per-sample test accepts.
fn row_spans(
    start: i64,
    len: i64,
    ends: &Tensor,
    fields: &Tensor,
    depth: &Tensor,
    frame: &FrameGeometry,
) -> Spans {
    let device = fields.device();
    let pairs = Tensor::arange_start(start, start + len, (Kind::Int64, device));
    let tri = pairs.searchsorted(ends, false, true, "right", None::<Tensor>);
    let t = fields.index_select(1, &tri);
    let plane = depth.index_select(1, &tri);
    let c = |k: i64| t.select(0, k);
    let dr = pairs - c(col::START);
    let ncols = c(col::NCOLS);
    let mut lo = dr.zeros_like();
    let mut hi = &ncols - 1;
    for k in 0..3 {
        let e = c(col::EDGE + k) + c(col::STEP_Y + k) * &dr;
        let a = c(col::STEP_X + k);
        let (rising, falling, outside) = (a.gt(0), a.lt(0), e.lt(0));
        // a > 0: e + a·i ≥ 0 from i = ceil(−e / a) on.
        let first = (e.neg() + &a - 1)
            .floor_divide(&a.where_scalarother(&rising, 1))
            .where_scalarother(&rising.logical_and(&outside), 0);
        // a < 0: up to i = floor(e / −a) when e ≥ 0; a ≤ 0 and e < 0: no sample.
        let last = e
            .floor_divide(&a.neg().where_scalarother(&falling, 1))
            .where_scalarother(&falling, i64::MAX)
            .where_scalarother(&rising.logical_or(&outside.logical_not()), -1);
        lo = lo.maximum(&first);
        hi = hi.minimum(&last);
    }
    let length = (&hi - &lo + 1).clamp_min(0);
    // The CPU renderer's f32 arithmetic: iz_row = iz_box + iz_dy · r.
    let z = |k: i64| plane.select(0, k);
    let iz_row = z(0) + z(2) * dr.to_kind(Kind::Float);
    let frame_index = c(col::BASE) + dr * frame.width + &lo;
    let run_start = length.cumsum(0, Kind::Int64) - &length;
    Spans {
        fields: Tensor::stack(&[run_start, length, frame_index, lo, c(col::ORDER)], 0),
        depth: Tensor::stack(&[iz_row, z(1)], 0),
    }
}

/// Packed keys and frame indices of the covered samples `first .. first + count` of a chunk's
/// spans: `(bits of 1/z) << 32 | order`, 0 where 1/z is not positive (never drawn).
fn sample_keys(first: i64, count: i64, ends: &Tensor, spans: &Spans) -> (Tensor, Tensor) {
    let device = spans.fields.device();
    let samples = Tensor::arange_start(first, first + count, (Kind::Int64, device));
    let row = samples.searchsorted(ends, false, true, "right", None::<Tensor>);
    let f = spans.fields.index_select(1, &row);
    let plane = spans.depth.index_select(1, &row);
    let c = |k: i64| f.select(0, k);
    let offset = samples - c(span::START);
    // Then + iz_dx · (column in the box), as the CPU renderer does sample by sample.
    let column = (&offset + c(span::LO)).to_kind(Kind::Float);
    let depth = plane.select(0, 0) + plane.select(0, 1) * column;
    // A positive f32's bits order as its value does.
    let key = depth.view_dtype(Kind::Int).to_kind(Kind::Int64) * (1i64 << 32) + c(span::ORDER);
    let key = key.where_scalarother(&depth.gt(0.0), 0);
    let index = c(span::FRAME) + offset;
    (index, key)
}

/// Keys `[G · W²]` → images `[G, 3, H, W]`: each sample takes its winning face's shade (0
/// where none), and each pixel is `(Σ shade + empty · background) / ss²` summed in the CPU
/// renderer's order (sample rows, then columns).
fn resolve(keys: &Tensor, shade: &Tensor, background: &Tensor, frame: &FrameGeometry) -> Tensor {
    let g = shade.size()[0];
    let faces = shade.size()[1];
    let (size, ss, width) = (frame.size, frame.ss, frame.width);
    let hit = keys.gt(0);
    let order = u32::MAX as i64 - keys.bitwise_and(u32::MAX as i64);
    let view = Tensor::arange(g * width * width, (Kind::Int64, keys.device()))
        .divide_scalar_mode(width * width, "trunc");
    let face = (view * faces + order.divide_scalar_mode(2, "trunc")).where_scalarother(&hit, 0);
    let sample_shade = shade
        .reshape([-1])
        .index_select(0, &face)
        .where_scalarother(&hit, 0.0);
    let blocks = sample_shade.view([g, size, ss, size, ss]);
    let mut lit = Tensor::zeros([g, size, size], (Kind::Float, keys.device()));
    for dy in 0..ss {
        for dx in 0..ss {
            lit += blocks.select(4, dx).select(2, dy);
        }
    }
    let empty = hit
        .logical_not()
        .view([g, size, ss, size, ss])
        .sum_dim_intlist([2i64, 4].as_slice(), false, Kind::Float);
    let inv_n = Tensor::from(1.0f32 / (ss * ss) as f32).to_device(keys.device());
    let channel = |c: i64| {
        let bg = background.select(1, c).view([g, 1, 1]);
        ((&lit + &empty * bg) * &inv_n).clamp(0.0, 1.0)
    };
    Tensor::stack(&[channel(0), channel(1), channel(2)], 1)
}
