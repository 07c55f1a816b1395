//! Procedural meshes built by project code: surfaces of revolution (lathed profiles) plus
//! tori and swept tubes for handles and spouts. They are the embedded default shapes and the
//! test fixtures; no data comes from outside.
//!
//! Every shape is y-up (like ShapeNet) and is normalised like any mesh (SPEC §6), so the
//! sizes below are relative. A profile is a list of `(radius, height)` knots joined by a
//! Catmull–Rom spline and revolved about the y axis with [`SEGMENTS`] segments; vessels have
//! a wall: the profile runs up the outside, over the rim and back down the inside.
//!
//! | name | shape (relative units) |
//! |---|---|
//! | `vase` | 1.6 tall, foot r 0.3, belly r 0.55 at 0.55, neck r 0.18 at 1.3, flared lip r 0.3 |
//! | `bottle` | water bottle: body r 0.35 to 1.1, shoulder to neck r 0.13 at 1.5, cap r 0.15 to 1.9 |
//! | `wine-bottle` | body r 0.3 to 1.1 with a punted base, round shoulder, neck r 0.1 to 2.1, lip |
//! | `bowl` | open hemisphere-like bowl r 0.8, 0.45 deep, foot ring r 0.3 |
//! | `mug` | cylinder r 0.4, 0.9 tall, wall 0.04, half-torus handle (R 0.25, r 0.06) on +x |
//! | `teapot` | squat body r 0.6 × 0.75, domed lid with knob, tube spout on −x, handle on +x |
//! | `bucket` | open cone r 0.35 → 0.45, 0.8 tall, two rim hoops, wire handle arching over the top |
//! | `goblet` | foot r 0.3, stem r 0.05 × 0.55, cup r 0.35, 0.5 deep |
//! | `lampshade` | open truncated cone r 0.6 (bottom) → 0.3 (top), 0.6 tall, with a top ring |
//! | `barrel` | bulged closed cylinder r 0.4 + 0.08 sin(πt), 1.1 tall, four hoops |

use std::f64::consts::PI;

use thiserror::Error;

use super::mesh::{Mesh, MeshError};
use super::vec3::{cross, dot, normalised, scale, sub};

/// Segments around the axis of every surface of revolution.
pub const SEGMENTS: usize = 64;

/// The fixture names [`by_name`] accepts.
pub const NAMES: [&str; 10] = [
    "vase",
    "bottle",
    "wine-bottle",
    "bowl",
    "mug",
    "teapot",
    "bucket",
    "goblet",
    "lampshade",
    "barrel",
];

#[derive(Debug, Error)]
pub enum FixtureError {
    #[error("unknown fixture {name:?}; known: {}", NAMES.join(", "))]
    Unknown { name: String },
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// The fixture called `name` (one of [`NAMES`]).
pub fn by_name(name: &str) -> Result<Mesh, FixtureError> {
    let builder = match name {
        "vase" => vase(),
        "bottle" => bottle(),
        "wine-bottle" => wine_bottle(),
        "bowl" => bowl(),
        "mug" => mug(),
        "teapot" => teapot(),
        "bucket" => bucket(),
        "goblet" => goblet(),
        "lampshade" => lampshade(),
        "barrel" => barrel(),
        _ => {
            return Err(FixtureError::Unknown {
                name: name.to_string(),
            })
        }
    };
    Ok(builder.build(format!("fixture:{name}"))?)
}

fn vase() -> Builder {
    let outer = [
        (0.0, 0.0),
        (0.3, 0.0),
        (0.42, 0.2),
        (0.55, 0.55),
        (0.45, 0.95),
        (0.2, 1.25),
        (0.18, 1.4),
        (0.3, 1.6),
    ];
    let mut b = Builder::default();
    b.lathe(&vessel(&outer, 0.03), SEGMENTS);
    b
}

fn bottle() -> Builder {
    let profile = [
        (0.0, 0.0),
        (0.33, 0.0),
        (0.35, 0.05),
        (0.35, 0.6),
        (0.33, 0.65),
        (0.35, 0.7),
        (0.35, 1.1),
        (0.25, 1.35),
        (0.13, 1.5),
        (0.13, 1.7),
        (0.15, 1.72),
        (0.15, 1.9),
        (0.0, 1.9),
    ];
    let mut b = Builder::default();
    b.lathe(&spline(&profile, 6), SEGMENTS);
    b
}

fn wine_bottle() -> Builder {
    let profile = [
        (0.0, 0.12),
        (0.2, 0.04),
        (0.3, 0.0),
        (0.3, 1.1),
        (0.22, 1.35),
        (0.11, 1.5),
        (0.1, 2.0),
        (0.12, 2.02),
        (0.12, 2.1),
        (0.0, 2.1),
    ];
    let mut b = Builder::default();
    b.lathe(&spline(&profile, 6), SEGMENTS);
    b
}

fn bowl() -> Builder {
    let mut outer = vec![(0.0, 0.0), (0.3, 0.0), (0.3, 0.06)];
    for k in 1..=12 {
        let t = k as f64 / 12.0 * PI / 2.0;
        outer.push((0.25 + 0.55 * t.sin(), 0.06 + 0.45 * (1.0 - t.cos())));
    }
    let mut b = Builder::default();
    b.lathe(&vessel(&outer, 0.035), SEGMENTS);
    b
}

fn mug() -> Builder {
    let outer = [(0.0, 0.0), (0.38, 0.0), (0.4, 0.03), (0.4, 0.9)];
    let mut b = Builder::default();
    b.lathe(&vessel(&outer, 0.04), SEGMENTS);
    // Handle: half a torus in the x–y plane, bulging out on +x, ends sunk into the wall.
    b.torus(
        [0.38, 0.45, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        0.25,
        0.06,
        (-PI / 2.0, PI / 2.0),
        24,
    );
    b
}

fn teapot() -> Builder {
    let body = [
        (0.0, 0.0),
        (0.35, 0.0),
        (0.5, 0.08),
        (0.6, 0.3),
        (0.55, 0.55),
        (0.35, 0.72),
        (0.3, 0.75),
        (0.32, 0.76),
        (0.28, 0.85),
        (0.12, 0.92),
        (0.05, 0.93),
        (0.07, 0.98),
        (0.06, 1.03),
        (0.0, 1.04),
    ];
    let mut b = Builder::default();
    b.lathe(&spline(&body, 6), SEGMENTS);
    // Spout: a tapering tube from the lower body on −x, curving up and out.
    let spout: Vec<([f64; 3], f64)> = (0..=16)
        .map(|k| {
            let t = k as f64 / 16.0;
            let x = -0.45 - 0.45 * t;
            let y = 0.25 + 0.55 * t * t + 0.1 * t;
            ([x, y, 0.0], 0.11 - 0.06 * t)
        })
        .collect();
    b.tube(&spout, 20);
    // Handle on +x: most of a torus loop.
    b.torus(
        [0.58, 0.42, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        0.24,
        0.045,
        (-0.6 * PI, 0.6 * PI),
        28,
    );
    b
}

fn bucket() -> Builder {
    let outer = [(0.0, 0.0), (0.35, 0.0), (0.45, 0.8)];
    let mut b = Builder::default();
    b.lathe(&vessel_linear(&outer, 0.02), SEGMENTS);
    for (r, y) in [(0.365, 0.12), (0.447, 0.77)] {
        b.torus(
            [0.0, y, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0],
            r,
            0.02,
            (0.0, 2.0 * PI),
            SEGMENTS,
        );
    }
    // Wire handle: a half circle in the x–y plane from rim to rim, over the top.
    b.torus(
        [0.0, 0.72, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        0.46,
        0.012,
        (0.0, PI),
        32,
    );
    b
}

fn goblet() -> Builder {
    let mut outer = vec![
        (0.0, 0.0),
        (0.3, 0.0),
        (0.3, 0.02),
        (0.12, 0.06),
        (0.05, 0.12),
        (0.05, 0.6),
        (0.1, 0.66),
    ];
    for k in 1..=10 {
        let t = k as f64 / 10.0 * PI / 2.0;
        outer.push((0.1 + 0.25 * t.sin(), 0.66 + 0.5 * (1.0 - t.cos())));
    }
    let mut b = Builder::default();
    // The wall only goes down into the cup: the stem is solid.
    let inner_stop = outer.len() - 11;
    b.lathe(&vessel_from(&outer, 0.02, inner_stop), SEGMENTS);
    b
}

fn lampshade() -> Builder {
    let profile = [
        (0.6, 0.0),
        (0.3, 0.6),
        (0.285, 0.6),
        (0.585, 0.0),
        (0.6, 0.0),
    ];
    let mut b = Builder::default();
    b.lathe(&profile, SEGMENTS);
    // The ring that holds the shade on its bulb fitting, with three spokes.
    b.torus(
        [0.0, 0.58, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        0.08,
        0.015,
        (0.0, 2.0 * PI),
        24,
    );
    for k in 0..3 {
        let phi = 2.0 * PI * k as f64 / 3.0;
        let (c, s) = (phi.cos(), phi.sin());
        b.tube(
            &[
                ([0.08 * c, 0.58, 0.08 * s], 0.01),
                ([0.3 * c, 0.58, 0.3 * s], 0.01),
            ],
            8,
        );
    }
    b
}

fn barrel() -> Builder {
    let mut profile = vec![(0.0, 0.0)];
    for k in 0..=20 {
        let t = k as f64 / 20.0;
        profile.push((0.4 + 0.08 * (PI * t).sin(), 1.1 * t));
    }
    profile.push((0.0, 1.1));
    let mut b = Builder::default();
    b.lathe(&profile, SEGMENTS);
    for t in [0.05, 0.3, 0.7, 0.95] {
        b.torus(
            [0.0, 1.1 * t, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0],
            0.4 + 0.08 * (PI * t).sin(),
            0.02,
            (0.0, 2.0 * PI),
            SEGMENTS,
        );
    }
    b
}

/// A smooth vessel: the spline through `outer` (from the axis at the bottom to the rim), then
/// back down the inside `thickness` further in, ending on the axis `thickness` above the base.
fn vessel(outer: &[(f64, f64)], thickness: f64) -> Vec<(f64, f64)> {
    vessel_from(&spline(outer, 6), thickness, 1)
}

/// Like [`vessel`] with straight segments between the knots.
fn vessel_linear(outer: &[(f64, f64)], thickness: f64) -> Vec<(f64, f64)> {
    vessel_from(outer, thickness, 1)
}

/// Outer profile, rim, then the inside: every outer point from the rim back down to index
/// `stop` moved inwards by `thickness`, closed on the axis.
fn vessel_from(outer: &[(f64, f64)], thickness: f64, stop: usize) -> Vec<(f64, f64)> {
    let mut profile = outer.to_vec();
    for &(r, y) in outer[stop..].iter().rev() {
        profile.push(((r - thickness).max(0.0), y.max(outer[stop].1 + thickness)));
    }
    let last = *profile.last().expect("nonempty profile");
    profile.push((0.0, last.1));
    profile
}

/// Catmull–Rom spline through the knots, `per_segment` points per segment (ends included).
fn spline(knots: &[(f64, f64)], per_segment: usize) -> Vec<(f64, f64)> {
    let n = knots.len();
    let at = |i: isize| knots[i.clamp(0, n as isize - 1) as usize];
    let mut out = Vec::with_capacity(n * per_segment);
    for i in 0..n - 1 {
        let (p0, p1, p2, p3) = (
            at(i as isize - 1),
            at(i as isize),
            at(i as isize + 1),
            at(i as isize + 2),
        );
        for k in 0..per_segment {
            let t = k as f64 / per_segment as f64;
            let (t2, t3) = (t * t, t * t * t);
            let f = |a: f64, b: f64, c: f64, d: f64| {
                0.5 * (2.0 * b
                    + (c - a) * t
                    + (2.0 * a - 5.0 * b + 4.0 * c - d) * t2
                    + (3.0 * b - a - 3.0 * c + d) * t3)
            };
            out.push((
                f(p0.0, p1.0, p2.0, p3.0).max(0.0),
                f(p0.1, p1.1, p2.1, p3.1),
            ));
        }
    }
    out.push(knots[n - 1]);
    out
}

/// Accumulates triangles; turned into a validated, normalised [`Mesh`] by `build`.
#[derive(Default)]
struct Builder {
    vertices: Vec<[f64; 3]>,
    faces: Vec<[usize; 3]>,
}

impl Builder {
    fn build(self, name: String) -> Result<Mesh, MeshError> {
        Mesh::new(name, self.vertices, self.faces)
    }

    /// Revolves a `(radius, height)` profile about the y axis. Points on the axis become
    /// single pole vertices.
    fn lathe(&mut self, profile: &[(f64, f64)], segments: usize) {
        let rings: Vec<Ring> = profile
            .iter()
            .map(|&(r, y)| {
                if r <= 1e-12 {
                    Ring::Pole(self.push([0.0, y, 0.0]))
                } else {
                    let start = self.vertices.len();
                    for k in 0..segments {
                        let phi = 2.0 * PI * k as f64 / segments as f64;
                        self.push([r * phi.cos(), y, r * phi.sin()]);
                    }
                    Ring::Loop(start)
                }
            })
            .collect();
        for pair in rings.windows(2) {
            self.join(pair[0], pair[1], segments);
        }
    }

    /// Part of a torus: centre, the two axes spanning the plane of its centre circle,
    /// major radius `big`, tube radius `small`, angle range along the centre circle.
    #[allow(clippy::too_many_arguments)]
    fn torus(
        &mut self,
        centre: [f64; 3],
        u: [f64; 3],
        v: [f64; 3],
        big: f64,
        small: f64,
        angles: (f64, f64),
        steps: usize,
    ) {
        let path: Vec<([f64; 3], f64)> = (0..=steps)
            .map(|k| {
                let t = angles.0 + (angles.1 - angles.0) * k as f64 / steps as f64;
                let (c, s) = (t.cos() * big, t.sin() * big);
                (
                    [
                        centre[0] + c * u[0] + s * v[0],
                        centre[1] + c * u[1] + s * v[1],
                        centre[2] + c * u[2] + s * v[2],
                    ],
                    small,
                )
            })
            .collect();
        self.tube(&path, 16);
    }

    /// Sweeps a circle of varying radius along a polyline; the ends are capped.
    fn tube(&mut self, path: &[([f64; 3], f64)], sides: usize) {
        let mut previous_normal: Option<[f64; 3]> = None;
        let mut rings = Vec::with_capacity(path.len() + 2);
        for (i, &(p, radius)) in path.iter().enumerate() {
            let a = path[i.saturating_sub(1)].0;
            let b = path[(i + 1).min(path.len() - 1)].0;
            let t = normalised(sub(b, a));
            // A frame carried along the path (projecting the previous normal), so the rings
            // do not twist.
            let seed = previous_normal.unwrap_or(if t[1].abs() < 0.9 {
                [0.0, 1.0, 0.0]
            } else {
                [1.0, 0.0, 0.0]
            });
            let n = normalised(sub(seed, scale(t, dot(seed, t))));
            let m = cross(t, n);
            previous_normal = Some(n);
            let start = self.vertices.len();
            for k in 0..sides {
                let phi = 2.0 * PI * k as f64 / sides as f64;
                let (c, s) = (phi.cos() * radius, phi.sin() * radius);
                self.push([
                    p[0] + c * n[0] + s * m[0],
                    p[1] + c * n[1] + s * m[1],
                    p[2] + c * n[2] + s * m[2],
                ]);
            }
            rings.push(Ring::Loop(start));
        }
        let first = Ring::Pole(self.push(path[0].0));
        let last = Ring::Pole(self.push(path[path.len() - 1].0));
        self.join(first, rings[0], sides);
        for pair in rings.windows(2) {
            self.join(pair[0], pair[1], sides);
        }
        self.join(rings[rings.len() - 1], last, sides);
    }

    fn join(&mut self, a: Ring, b: Ring, segments: usize) {
        for k in 0..segments {
            let k1 = (k + 1) % segments;
            match (a, b) {
                (Ring::Loop(i), Ring::Loop(j)) => {
                    self.faces.push([i + k, i + k1, j + k1]);
                    self.faces.push([i + k, j + k1, j + k]);
                }
                (Ring::Pole(p), Ring::Loop(j)) => self.faces.push([p, j + k1, j + k]),
                (Ring::Loop(i), Ring::Pole(p)) => self.faces.push([i + k, i + k1, p]),
                (Ring::Pole(_), Ring::Pole(_)) => {}
            }
        }
    }

    fn push(&mut self, v: [f64; 3]) -> usize {
        self.vertices.push(v);
        self.vertices.len() - 1
    }
}

#[derive(Clone, Copy)]
enum Ring {
    Pole(usize),
    Loop(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_builds_and_fills_the_unit_cube() {
        for name in NAMES {
            let mesh = by_name(name).unwrap();
            assert!(mesh.faces().len() > 500, "{name}: {}", mesh.faces().len());
            let max = mesh
                .vertices()
                .iter()
                .flat_map(|v| v.iter())
                .fold(0.0f32, |m, &c| m.max(c.abs()));
            assert!((max - 1.0).abs() < 1e-6, "{name}: max |v| = {max}");
        }
    }

    #[test]
    fn unknown_fixture_lists_the_known_ones() {
        let err = by_name("kettle").unwrap_err().to_string();
        assert!(err.contains("kettle") && err.contains("teapot"), "{err}");
    }
}
