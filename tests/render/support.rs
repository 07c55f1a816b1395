//! Helpers shared by the renderer's integration tests: analytic meshes and an independent
//! implementation of the SPEC §6 camera formulas (written from the spec, not from the
//! library, so the tests check one against the other).
#![allow(dead_code)]

use semrob::render::{ImageBatch, Mesh, View};

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// UV sphere of radius 1 about the origin (`stacks` even, so there is an equator ring).
pub fn sphere(stacks: usize, slices: usize) -> Mesh {
    let mut v = vec![[0.0, 1.0, 0.0]];
    for i in 1..stacks {
        let theta = std::f64::consts::PI * i as f64 / stacks as f64;
        for j in 0..slices {
            let phi = 2.0 * std::f64::consts::PI * j as f64 / slices as f64;
            v.push([
                theta.sin() * phi.cos(),
                theta.cos(),
                theta.sin() * phi.sin(),
            ]);
        }
    }
    v.push([0.0, -1.0, 0.0]);
    let south = v.len() - 1;
    let ring = |i: usize, j: usize| 1 + (i - 1) * slices + j % slices;
    let mut f = Vec::new();
    for j in 0..slices {
        f.push([0, ring(1, j + 1), ring(1, j)]);
        f.push([south, ring(stacks - 1, j), ring(stacks - 1, j + 1)]);
    }
    for i in 1..stacks - 1 {
        for j in 0..slices {
            f.push([ring(i, j), ring(i, j + 1), ring(i + 1, j + 1)]);
            f.push([ring(i, j), ring(i + 1, j + 1), ring(i + 1, j)]);
        }
    }
    Mesh::new("sphere", v, f).unwrap()
}

/// The cube [−1, 1]³, 12 triangles.
pub fn cube() -> Mesh {
    let v: Vec<[f64; 3]> = (0..8)
        .map(|i| {
            [
                if i & 1 == 0 { -1.0 } else { 1.0 },
                if i & 2 == 0 { -1.0 } else { 1.0 },
                if i & 4 == 0 { -1.0 } else { 1.0 },
            ]
        })
        .collect();
    let quads = [
        [0, 1, 3, 2],
        [4, 6, 7, 5],
        [0, 4, 5, 1],
        [2, 3, 7, 6],
        [0, 2, 6, 4],
        [1, 5, 7, 3],
    ];
    let f = quads
        .iter()
        .flat_map(|q| [[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
        .collect();
    Mesh::new("cube", v, f).unwrap()
}

/// A view whose every covered sample has shade exactly 1 (ambient 1, no directional light),
/// so a pixel's value is the fraction of its samples covered.
pub fn coverage_view(azimuth: f64, elevation: f64) -> View {
    View::new(azimuth, elevation).with_light_intensities(1.0, 0.0)
}

/// SPEC §6 written out: world point → normalised image coordinates (x', y') ∈ [−1, 1]²
/// (x right, y up), for azimuth/elevation in degrees at distance `d`.
pub fn spec_ndc(p: [f64; 3], azimuth: f64, elevation: f64, d: f64) -> [f64; 2] {
    let (a, e) = (azimuth.to_radians(), elevation.to_radians());
    let eye = [d * e.cos() * a.sin(), d * e.sin(), -d * e.cos() * a.cos()];
    let z = normalise([-eye[0], -eye[1], -eye[2]]);
    let x = normalise(cross([0.0, 1.0, 0.0], z));
    let y = cross(z, x);
    let q = [p[0] - eye[0], p[1] - eye[1], p[2] - eye[2]];
    let (cx, cy, cz) = (dot(x, q), dot(y, q), dot(z, q));
    let t = 30f64.to_radians().tan();
    [cx / (cz * t), cy / (cz * t)]
}

/// Centre of sample/pixel `i` of an `s`-wide row in normalised coordinates (SPEC §6), and
/// the row index counted from the top turned into y'.
pub fn pixel_ndc(col: usize, row: usize, s: usize) -> [f64; 2] {
    let s = s as f64;
    [
        (2.0 * col as f64 + 1.0 - s) / s,
        (s - 1.0 - 2.0 * row as f64) / s,
    ]
}

/// Channel 0 of image 0 as rows.
pub fn plane(batch: &ImageBatch, index: usize) -> Vec<f32> {
    let s = batch.shape();
    batch.image(index).unwrap()[..s.height * s.width].to_vec()
}

/// Intersection over union of two coverage maps with values in [0, 1].
pub fn soft_iou(a: &[f32], b: &[f32]) -> f64 {
    let (mut inter, mut union) = (0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        inter += x.min(y) as f64;
        union += x.max(y) as f64;
    }
    inter / union
}

pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn normalise(a: [f64; 3]) -> [f64; 3] {
    let n = dot(a, a).sqrt();
    [a[0] / n, a[1] / n, a[2] / n]
}
