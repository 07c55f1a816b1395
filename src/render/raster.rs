//! The rasteriser: projection, near-plane clipping, flat Lambertian shading and a 1/z
//! z-buffer over edge functions in fixed point (SPEC §6).
//!
//! Vertices are snapped to 1/256 pixel and the edge functions are evaluated exactly in
//! integers, so shared edges leave neither gaps nor double hits (a consistent fill rule owns
//! every boundary sample) and a pixel's value never depends on how the image is split into
//! bands for threads.

use super::camera::{Camera, View, NEAR, VIEW_HALF_ANGLE_DEG};
use super::mesh::Mesh;
use super::vec3::dot;

/// Fixed-point subpixel precision: coordinates are multiples of 1/2^SUBPIXEL_BITS pixel.
const SUBPIXEL_BITS: u32 = 8;
pub(crate) const ONE: i64 = 1 << SUBPIXEL_BITS;
/// Boxes at most this many samples wide are scanned sample by sample, wider ones span by span.
const NARROW: i64 = 8;

/// A projected vertex: fixed-point sample coordinates (x right, y down, sample centre `i` at
/// `i · ONE`) and inverse depth.
#[derive(Clone, Copy, Debug)]
struct ScreenVertex {
    x: i32,
    y: i32,
    inv_z: f32,
}

/// One triangle ready for rasterisation.
#[derive(Clone, Copy, Debug)]
struct Triangle {
    v: [ScreenVertex; 3],
    shade: f32,
    /// Sample rows and columns of the bounding box, clamped to the frame.
    rows: (i32, i32),
    cols: (i32, i32),
}

/// One sample of the frame: inverse depth of the nearest face so far (0: none) and its shade.
/// Kept side by side so a depth test and its write touch one cache line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Sample {
    pub(crate) inv_z: f32,
    pub(crate) shade: f32,
}

impl Sample {
    pub(crate) const EMPTY: Sample = Sample {
        inv_z: 0.0,
        shade: 0.0,
    };
}

/// Reusable per-thread buffers: one frame at the supersampled resolution and the per-view
/// geometry. Nothing here is allocated per pixel or per triangle.
#[derive(Default)]
pub(crate) struct Scratch {
    camera_space: Vec<[f64; 3]>,
    screen: Vec<ScreenVertex>,
    triangles: Vec<Triangle>,
    pub(crate) frame: Vec<Sample>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's reusable buffers (a fresh set if they are already in use, as
/// when a rayon job nested inside `f` lands on the same thread).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => f(&mut scratch),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Projects, clips and shades every face of `mesh` for `view` on a `width × width` sample
/// grid, filling `scratch.triangles`.
pub(crate) fn setup(mesh: &Mesh, view: &View, width: u32, scratch: &mut Scratch) {
    let camera = Camera::look_at(view);
    let half = width as f64 / 2.0;
    let scale = half / VIEW_HALF_ANGLE_DEG.to_radians().tan() * ONE as f64;
    let centre = (width as i64 - 1) * ONE / 2;
    let project = |c: [f64; 3]| -> ScreenVertex {
        // Rounding is symmetric (half away from zero), so mirrored scenes snap to mirrored
        // coordinates.
        let x = (c[0] / c[2] * scale).round() as i64;
        let y = (c[1] / c[2] * scale).round() as i64;
        ScreenVertex {
            x: (centre + x) as i32,
            y: (centre - y) as i32,
            inv_z: (1.0 / c[2]) as f32,
        }
    };

    scratch.camera_space.clear();
    scratch.screen.clear();
    for v in mesh.vertices() {
        let c = camera.to_camera(v.map(|x| x as f64));
        scratch.camera_space.push(c);
        scratch.screen.push(if c[2] >= NEAR {
            project(c)
        } else {
            ScreenVertex {
                x: 0,
                y: 0,
                inv_z: 0.0,
            }
        });
    }

    let l = view.light_direction;
    let norm = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
    let l = l.map(|c| c / norm);
    let eye = camera.eye;
    let w = width as i32;
    scratch.triangles.clear();
    for (face, n) in mesh.faces().iter().zip(mesh.normals()) {
        let [i0, i1, i2] = face.map(|i| i as usize);
        let n = n.map(|c| c as f64);
        let p0 = mesh.vertices()[i0].map(|c| c as f64);
        // Fill-back: the face is lit with whichever normal faces the camera.
        let towards_eye = [eye[0] - p0[0], eye[1] - p0[1], eye[2] - p0[2]];
        let side = if dot(n, towards_eye) < 0.0 { -1.0 } else { 1.0 };
        let lambert = (side * dot(n, l)).max(0.0);
        let shade = (view.ambient + view.directional * lambert).clamp(0.0, 1.0) as f32;

        let cs = [
            scratch.camera_space[i0],
            scratch.camera_space[i1],
            scratch.camera_space[i2],
        ];
        let in_front = cs.iter().filter(|c| c[2] >= NEAR).count();
        if in_front == 3 {
            let v = [scratch.screen[i0], scratch.screen[i1], scratch.screen[i2]];
            push_triangle(&mut scratch.triangles, v, shade, w);
        } else if in_front > 0 {
            // Sutherland–Hodgman against z = NEAR: at most four vertices, fanned.
            let mut poly = [[0.0f64; 3]; 4];
            let mut count = 0;
            for k in 0..3 {
                let (a, b) = (cs[k], cs[(k + 1) % 3]);
                if a[2] >= NEAR {
                    poly[count] = a;
                    count += 1;
                }
                if (a[2] >= NEAR) != (b[2] >= NEAR) {
                    let t = (NEAR - a[2]) / (b[2] - a[2]);
                    poly[count] = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), NEAR];
                    count += 1;
                }
            }
            for k in 1..count - 1 {
                let v = [project(poly[0]), project(poly[k]), project(poly[k + 1])];
                push_triangle(&mut scratch.triangles, v, shade, w);
            }
        }
    }
}

fn push_triangle(triangles: &mut Vec<Triangle>, v: [ScreenVertex; 3], shade: f32, width: i32) {
    let min_x = v[0].x.min(v[1].x).min(v[2].x);
    let max_x = v[0].x.max(v[1].x).max(v[2].x);
    let min_y = v[0].y.min(v[1].y).min(v[2].y);
    let max_y = v[0].y.max(v[1].y).max(v[2].y);
    // First and last sample centres inside the box (ceil and floor of coordinate / ONE).
    let cols = ((min_x + (ONE as i32 - 1)) >> SUBPIXEL_BITS).max(0)
        ..=(max_x >> SUBPIXEL_BITS).min(width - 1);
    let rows = ((min_y + (ONE as i32 - 1)) >> SUBPIXEL_BITS).max(0)
        ..=(max_y >> SUBPIXEL_BITS).min(width - 1);
    if cols.is_empty() || rows.is_empty() {
        return;
    }
    triangles.push(Triangle {
        v,
        shade,
        rows: (*rows.start(), *rows.end()),
        cols: (*cols.start(), *cols.end()),
    });
}

/// Rasterises every prepared triangle into the sample rows `row0 .. row0 + band_rows` of a
/// `width`-wide frame; `samples` holds exactly those rows, starting [`Sample::EMPTY`] (every
/// visible depth has 1/z > 0).
pub(crate) fn rasterise_band(
    triangles_of: &Scratch,
    width: u32,
    row0: i32,
    samples: &mut [Sample],
) {
    let w = width as usize;
    let band_rows = (samples.len() / w) as i32;
    let row1 = row0 + band_rows - 1;
    for t in &triangles_of.triangles {
        let (r0, r1) = (t.rows.0.max(row0), t.rows.1.min(row1));
        if r0 > r1 {
            continue;
        }
        rasterise(t, r0, r1, row0, w, samples);
    }
}

#[inline]
fn rasterise(t: &Triangle, r0: i32, r1: i32, row0: i32, w: usize, samples: &mut [Sample]) {
    let [a, mut b, mut c] = t.v;
    let area = edge(a, b, c.x as i64, c.y as i64);
    if area == 0 {
        return;
    }
    if area < 0 {
        std::mem::swap(&mut b, &mut c);
    }
    let verts = [a, b, c];
    // Everything per pixel is derived from the triangle's own box origin, never from the band,
    // so the result does not depend on how rows are split between threads.
    let (c0, t0) = (t.cols.0, t.rows.0);
    let (x0, y0) = (c0 as i64 * ONE, r0 as i64 * ONE);
    // Edge k runs from vertex k to k+1 and is ≥ 0 inside. Boundary samples (edge = 0) belong
    // to the edge only for one of its two directions, so two triangles sharing it never both
    // draw (nor both miss) them. Deciding by dx first keeps ownership unchanged under a
    // horizontal mirror (which maps a positively oriented edge (dx, dy) to (dx, −dy)).
    let mut e_row = [0i64; 3];
    let mut step_x = [0i64; 3];
    let mut step_y = [0i64; 3];
    for k in 0..3 {
        let (p, q) = (verts[k], verts[(k + 1) % 3]);
        let (dx, dy) = ((q.x - p.x) as i64, (q.y - p.y) as i64);
        let owns_boundary = dx > 0 || (dx == 0 && dy > 0);
        e_row[k] = edge(p, q, x0, y0) - i64::from(!owns_boundary);
        step_x[k] = -dy * ONE;
        step_y[k] = dx * ONE;
    }
    // 1/z is affine in screen space: the weights of a, b, c are e1, e2, e0 over the area.
    let area = area.abs() as f64;
    let iz = [a.inv_z as f64, b.inv_z as f64, c.inv_z as f64];
    let plane =
        |e: [i64; 3]| (e[1] as f64 * iz[0] + e[2] as f64 * iz[1] + e[0] as f64 * iz[2]) / area;
    let (bx, by) = (c0 as i64 * ONE, t0 as i64 * ONE);
    let at_box = [edge(a, b, bx, by), edge(b, c, bx, by), edge(c, a, bx, by)];
    let iz_box = plane(at_box) as f32;
    let iz_dx = plane(step_x) as f32;
    let iz_dy = plane(step_y) as f32;

    let ncols = (t.cols.1 - c0 + 1) as i64;
    if ncols <= NARROW {
        // Narrow boxes (most faces of real meshes): test every sample; cheaper than solving
        // for the span.
        for r in r0..=r1 {
            let row_start = (r - row0) as usize * w + c0 as usize;
            let iz_row = iz_box + iz_dy * (r - t0) as f32;
            let [mut e0, mut e1, mut e2] = e_row;
            for i in 0..ncols as usize {
                if (e0 | e1 | e2) >= 0 {
                    let depth = iz_row + iz_dx * i as f32;
                    let sample = &mut samples[row_start + i];
                    if depth > sample.inv_z {
                        *sample = Sample {
                            inv_z: depth,
                            shade: t.shade,
                        };
                    }
                }
                e0 += step_x[0];
                e1 += step_x[1];
                e2 += step_x[2];
            }
            for k in 0..3 {
                e_row[k] += step_y[k];
            }
        }
        return;
    }
    for r in r0..=r1 {
        // The samples of this row inside all three edges form one span [lo, hi]: solve
        // e_k + step_x[k] · i ≥ 0 for i exactly in integers (the same test as sample by
        // sample, without testing every sample of the bounding box).
        let (lo, hi) = row_span(e_row, step_x, ncols);
        for k in 0..3 {
            e_row[k] += step_y[k];
        }
        if lo > hi {
            continue;
        }
        let row_start = (r - row0) as usize * w + c0 as usize;
        let span = row_start + lo as usize..row_start + hi as usize + 1;
        let iz_row = iz_box + iz_dy * (r - t0) as f32;
        let face_shade = t.shade;
        // Sample offsets count exactly in f32 (they are far below 2^24).
        let mut offset = lo as f32;
        for sample in &mut samples[span] {
            let depth = iz_row + iz_dx * offset;
            if depth > sample.inv_z {
                *sample = Sample {
                    inv_z: depth,
                    shade: face_shade,
                };
            }
            offset += 1.0;
        }
    }
}

/// The samples `i ∈ [0, ncols)` of one row with `e[k] + a[k]·i ≥ 0` for all three edges, as
/// `(lo, hi)` (empty when `lo > hi`). Exact: the same set as testing every sample.
#[inline(always)]
fn row_span(e_row: [i64; 3], step_x: [i64; 3], ncols: i64) -> (i64, i64) {
    let (mut lo, mut hi) = (0i64, ncols - 1);
    for k in 0..3 {
        let (e, a) = (e_row[k], step_x[k]);
        if a > 0 {
            if e < 0 {
                lo = lo.max((-e + a - 1) / a);
            }
        } else if a < 0 {
            if e < 0 {
                hi = -1;
            } else {
                hi = hi.min(e / -a);
            }
        } else if e < 0 {
            hi = -1;
        }
    }
    (lo, hi)
}

/// Twice the signed area of (p, q, (x, y)) in fixed point; positive to the left of p → q in a
/// y-down frame for a positively oriented triangle.
#[inline]
fn edge(p: ScreenVertex, q: ScreenVertex, x: i64, y: i64) -> i64 {
    (q.x - p.x) as i64 * (y - p.y as i64) - (q.y - p.y) as i64 * (x - p.x as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_span_is_exactly_the_samples_inside() {
        // A small deterministic generator: edge values and steps of every sign and size,
        // including exact zeros on sample positions.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |range: i64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % (2 * range as u64 + 1)) as i64 - range
        };
        for case in 0..20_000 {
            let scale = [10, 1_000, 1 << 20, 1 << 30][case % 4];
            let a: [i64; 3] =
                std::array::from_fn(|_| next(scale / 4) * if case % 7 == 0 { 0 } else { 1 });
            let e: [i64; 3] = std::array::from_fn(|k| next(scale) - a[k] * next(20));
            let ncols = 1 + next(40).abs();
            let (lo, hi) = row_span(e, a, ncols);
            for i in 0..ncols {
                let inside = (0..3).all(|k| e[k] + a[k] * i >= 0);
                assert_eq!(
                    inside,
                    lo <= i && i <= hi,
                    "e {e:?} a {a:?} i {i}: span [{lo}, {hi}]"
                );
            }
        }
    }
}
