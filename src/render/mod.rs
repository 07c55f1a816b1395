//! The CPU mesh renderer with the Neural Mesh Renderer conventions the paper used (SPEC §6).
//!
//! ```no_run
//! use semrob::render::{Mesh, Renderer, RenderOptions, View};
//! let mesh = Mesh::load_obj("teapot.obj")?;
//! let renderer = Renderer::new(RenderOptions::default())?; // 224², 2× supersampling
//! let views = [View::new(130.0, 30.0), View::new(50.0, 20.0).with_distance(3.0)];
//! let batch = renderer.render_batch(&mesh, &views)?; // [2, 3, 224, 224], f32 in [0, 1]
//! batch.save_png(0, "view0.png")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`Mesh`]: OBJ loading, validation, normalisation to [−1, 1]³; [`fixtures`] builds
//!   procedural meshes; [`dataset`] finds meshes in ShapeNet-style folders.
//! * [`View`]: the semantic parameters of one image (angles, distance, light, background).
//! * [`Renderer`]: views → [`ImageBatch`] `[B, 3, H, W]`, in parallel over views (rayon),
//!   bit-identical whatever the thread count.
//! * [`TensorRenderer`] (feature `torch`): the same images from libtorch tensor operations on
//!   any device, `[B, 3, H, W]` on that device (module `tensor`); [`RenderBackend`] names
//!   which of the two draws a network's inputs.

mod backend;
mod camera;
pub mod dataset;
pub mod fixtures;
mod image;
mod mesh;
mod raster;
mod scene;
#[cfg(feature = "torch")]
mod tensor;
mod vec3;

use rayon::prelude::*;
use thiserror::Error;

pub use backend::{RenderBackend, UnknownBackend};
pub use camera::{
    direction, AnglePairs, Camera, Direction, Numbers, View, ViewError, DEFAULT_DISTANCE, NEAR,
    VIEW_HALF_ANGLE_DEG,
};
pub use image::{png_bytes, BatchShape, ImageBatch, ImageError};
pub use mesh::{Mesh, MeshError, MAX_MESH_FACES, MAX_MESH_VERTICES, MAX_OBJ_BYTES};
pub use scene::{Scene, SceneError};
#[cfg(feature = "torch")]
pub use tensor::{
    ChunkStats, DeviceMesh, TensorRenderError, TensorRenderer, CHUNK_BYTES, FACE_BYTES,
    FRAME_BYTES_PER_SAMPLE, PAIR_BYTES, ROW_BYTES,
};

/// Largest image side accepted (output pixels times supersampling).
pub const MAX_SAMPLES_PER_SIDE: u32 = 8192;

/// Why rendering was refused.
#[derive(Debug, Error, PartialEq)]
pub enum RenderError {
    #[error("image size must be at least 1 pixel, got {0}")]
    Size(u32),
    #[error("supersampling factor must be between 1 and 4, got {0}")]
    Supersampling(u32),
    #[error("image size {size} × supersampling {supersampling} exceeds {MAX_SAMPLES_PER_SIDE} samples per side")]
    TooLarge { size: u32, supersampling: u32 },
    #[error("view {index}: {source}")]
    View { index: usize, source: ViewError },
}

/// Image-wide settings (per-image parameters live in [`View`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Output side in pixels (224 by default; 299 for InceptionV3).
    pub size: u32,
    /// Anti-aliasing: render at `size · supersampling` and average blocks of
    /// `supersampling²` samples. NMR's default, and ours, is 2.
    pub supersampling: u32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            size: 224,
            supersampling: 2,
        }
    }
}

impl RenderOptions {
    pub fn with_size(self, size: u32) -> Self {
        RenderOptions { size, ..self }
    }

    pub fn with_supersampling(self, supersampling: u32) -> Self {
        RenderOptions {
            supersampling,
            ..self
        }
    }
}

/// Renders meshes under [`View`]s with the conventions of SPEC §6.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    options: RenderOptions,
}

impl Renderer {
    pub fn new(options: RenderOptions) -> Result<Renderer, RenderError> {
        let RenderOptions {
            size,
            supersampling,
        } = options;
        if size == 0 {
            return Err(RenderError::Size(size));
        }
        if !(1..=4).contains(&supersampling) {
            return Err(RenderError::Supersampling(supersampling));
        }
        if size.saturating_mul(supersampling) > MAX_SAMPLES_PER_SIDE {
            return Err(RenderError::TooLarge {
                size,
                supersampling,
            });
        }
        Ok(Renderer { options })
    }

    pub fn options(&self) -> RenderOptions {
        self.options
    }

    /// Shape of a batch of `batch` images from this renderer.
    pub fn batch_shape(&self, batch: usize) -> BatchShape {
        BatchShape {
            batch,
            channels: 3,
            height: self.options.size as usize,
            width: self.options.size as usize,
        }
    }

    /// Renders one image per view, `[B, 3, H, W]` in [0, 1]. Views are spread over the rayon
    /// pool; a single view is split into bands of rows instead. Either way each pixel is
    /// computed by the same arithmetic in the same face order, so the result is identical
    /// whatever the number of threads.
    pub fn render_batch(&self, mesh: &Mesh, views: &[View]) -> Result<ImageBatch, RenderError> {
        for (index, view) in views.iter().enumerate() {
            view.validate()
                .map_err(|source| RenderError::View { index, source })?;
        }
        let shape = self.batch_shape(views.len());
        let mut data = vec![0.0f32; shape.len()];
        let per_image = shape.image_len();
        if views.len() == 1 {
            self.render_one(mesh, &views[0], &mut data, true);
        } else {
            data.par_chunks_mut(per_image)
                .zip(views.par_iter())
                .for_each(|(out, view)| {
                    raster::with_scratch(|scratch| {
                        self.render_with(mesh, view, out, scratch, false)
                    })
                });
        }
        Ok(ImageBatch::new(shape, data))
    }

    /// Renders a single view (`B = 1`).
    pub fn render(&self, mesh: &Mesh, view: &View) -> Result<ImageBatch, RenderError> {
        self.render_batch(mesh, std::slice::from_ref(view))
    }

    fn render_one(&self, mesh: &Mesh, view: &View, out: &mut [f32], parallel: bool) {
        raster::with_scratch(|scratch| self.render_with(mesh, view, out, scratch, parallel));
    }

    fn render_with(
        &self,
        mesh: &Mesh,
        view: &View,
        out: &mut [f32],
        scratch: &mut raster::Scratch,
        parallel: bool,
    ) {
        let ss = self.options.supersampling as usize;
        let size = self.options.size as usize;
        let width = size * ss;
        raster::setup(mesh, view, width as u32, scratch);

        let mut frame = std::mem::take(&mut scratch.frame);
        frame.clear();
        frame.resize(width * width, raster::Sample::EMPTY);

        // Bands are whole output rows (ss sample rows each) so downsampling stays band-local.
        let threads = if parallel {
            rayon::current_num_threads()
        } else {
            1
        };
        let bands = if threads > 1 {
            (threads * 4).min(size)
        } else {
            1
        };
        let rows_per_band = size.div_ceil(bands);
        let band_samples = rows_per_band * ss * width;
        let band_pixels = rows_per_band * size;
        let plane = size * size;
        let (r, rest) = out.split_at_mut(plane);
        let (g, b) = rest.split_at_mut(plane);
        let prepared: &raster::Scratch = scratch;
        let background = view.background;
        let work = |band: usize, samples: &mut [raster::Sample], rgb: [&mut [f32]; 3]| {
            let row0 = (band * rows_per_band * ss) as i32;
            raster::rasterise_band(prepared, width as u32, row0, samples);
            downsample(samples, ss, size, background, rgb);
        };
        if bands == 1 {
            work(0, &mut frame, [r, g, b]);
        } else {
            frame
                .par_chunks_mut(band_samples)
                .zip(r.par_chunks_mut(band_pixels))
                .zip(g.par_chunks_mut(band_pixels))
                .zip(b.par_chunks_mut(band_pixels))
                .enumerate()
                .for_each(|(band, (((f, r), g), b))| work(band, f, [r, g, b]));
        }
        scratch.frame = frame;
    }
}

/// Averages `ss × ss` blocks of samples into output pixels: covered samples contribute their
/// face's shade (white material, so R = G = B), uncovered ones the background colour.
fn downsample(
    samples: &[raster::Sample],
    ss: usize,
    size: usize,
    background: [f32; 3],
    out: [&mut [f32]; 3],
) {
    let width = size * ss;
    // Exact for ss = 1, 2, 4 (a power of two), so the same as dividing.
    let inv_n = 1.0 / (ss * ss) as f32;
    let [r, g, b] = out;
    let rows = r.len() / size;
    for row in 0..rows {
        let block = &samples[row * ss * width..(row + 1) * ss * width];
        let i0 = row * size;
        for col in 0..size {
            // Uncovered samples keep shade 0, so summing shades needs no test.
            let mut lit = 0.0f32;
            let mut empty = 0u32;
            for line in block.chunks_exact(width) {
                for sample in &line[col * ss..col * ss + ss] {
                    lit += sample.shade;
                    empty += u32::from(sample.inv_z <= 0.0);
                }
            }
            let e = empty as f32;
            r[i0 + col] = ((lit + e * background[0]) * inv_n).clamp(0.0, 1.0);
            g[i0 + col] = ((lit + e * background[1]) * inv_n).clamp(0.0, 1.0);
            b[i0 + col] = ((lit + e * background[2]) * inv_n).clamp(0.0, 1.0);
        }
    }
}
