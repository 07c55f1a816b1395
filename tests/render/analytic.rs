//! Analytic checks of the renderer against exact geometry (issue 4, SPEC §6): silhouettes of
//! a sphere and a cube, the Lambertian shade of a plane, occlusion, and where vertices land.

use crate::support::*;
use semrob::render::{Camera, Mesh, RenderOptions, Renderer, View, DEFAULT_DISTANCE};

const VIEWS: [(f64, f64); 6] = [
    (0.0, 0.0),
    (130.0, 30.0),
    (50.0, 20.0),
    (200.0, -10.0),
    (310.0, 50.0),
    (17.0, 90.0),
];

/// Exact coverage of each output pixel by a region, from its supersampling samples.
fn reference_coverage(size: usize, ss: usize, inside: impl Fn([f64; 2]) -> bool) -> Vec<f32> {
    let n = size * ss;
    let mut out = vec![0.0f32; size * size];
    for row in 0..n {
        for col in 0..n {
            if inside(pixel_ndc(col, row, n)) {
                out[(row / ss) * size + col / ss] += 1.0 / (ss * ss) as f32;
            }
        }
    }
    out
}

#[test]
fn sphere_silhouette_is_the_exact_disc() {
    let mesh = sphere(128, 256);
    // The cone from the eye tangent to the unit sphere has half angle asin(1/d); its image is
    // the centred disc of radius tan(asin(1/d)) / tan 30° in normalised coordinates.
    let rho = (1.0 / DEFAULT_DISTANCE).asin().tan() / 30f64.to_radians().tan();
    // 224² without and with anti-aliasing, and InceptionV3's odd 299² (centre on a pixel).
    for (size, ss) in [(224, 1), (224, 2), (299, 2)] {
        let options = RenderOptions::default()
            .with_size(size)
            .with_supersampling(ss);
        let renderer = Renderer::new(options).unwrap();
        let expected = reference_coverage(size as usize, ss as usize, |p| {
            p[0] * p[0] + p[1] * p[1] <= rho * rho
        });
        for (a, e) in VIEWS {
            let got = plane(&renderer.render(&mesh, &coverage_view(a, e)).unwrap(), 0);
            let iou = soft_iou(&got, &expected);
            assert!(iou >= 0.99, "{size}², ss {ss}, view ({a}, {e}): IoU {iou}");
        }
    }
}

#[test]
fn sphere_silhouette_follows_the_camera_distance() {
    let mesh = sphere(128, 256);
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    for d in [1.6f64, 2.0, 4.0, 10.0] {
        let rho = (1.0 / d).asin().tan() / 30f64.to_radians().tan();
        let expected = reference_coverage(224, 2, |p| p[0] * p[0] + p[1] * p[1] <= rho * rho);
        let view = coverage_view(75.0, 40.0).with_distance(d);
        let got = plane(&renderer.render(&mesh, &view).unwrap(), 0);
        let iou = soft_iou(&got, &expected);
        assert!(iou >= 0.99, "distance {d}: IoU {iou}");
    }
}

#[test]
fn cube_silhouette_is_the_projection_of_its_faces() {
    let mesh = cube();
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    for (a, e) in VIEWS.iter().copied().chain([(45.0, 35.26), (90.0, 0.0)]) {
        let tris: Vec<[[f64; 2]; 3]> = mesh
            .faces()
            .iter()
            .map(|f| {
                f.map(|i| {
                    spec_ndc(
                        mesh.vertices()[i as usize].map(|c| c as f64),
                        a,
                        e,
                        DEFAULT_DISTANCE,
                    )
                })
            })
            .collect();
        let expected = reference_coverage(224, 2, |p| tris.iter().any(|t| in_triangle(p, t)));
        let got = plane(&renderer.render(&mesh, &coverage_view(a, e)).unwrap(), 0);
        let iou = soft_iou(&got, &expected);
        assert!(iou >= 0.99, "view ({a}, {e}): IoU {iou}");
    }
}

fn in_triangle(p: [f64; 2], t: &[[f64; 2]; 3]) -> bool {
    let side =
        |a: [f64; 2], b: [f64; 2]| (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    let s = [side(t[0], t[1]), side(t[1], t[2]), side(t[2], t[0])];
    s.iter().all(|&x| x >= 0.0) || s.iter().all(|&x| x <= 0.0)
}

/// A 2 × 2 square through the origin whose normal makes angle θ with +y (the light).
fn tilted_plane(theta: f64) -> Mesh {
    let u = [theta.cos(), -theta.sin(), 0.0];
    let w = [0.0, 0.0, 1.0];
    let corner = |s: f64, t: f64| {
        [
            s * u[0] + t * w[0],
            s * u[1] + t * w[1],
            s * u[2] + t * w[2],
        ]
    };
    Mesh::new(
        "plane",
        vec![
            corner(-1.0, -1.0),
            corner(1.0, -1.0),
            corner(1.0, 1.0),
            corner(-1.0, 1.0),
        ],
        vec![[0, 1, 2], [0, 2, 3]],
    )
    .unwrap()
}

#[test]
fn plane_shade_is_half_plus_half_cosine() {
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    for step in 0..=17 {
        let theta = (10.0 * step as f64).to_radians();
        let mesh = tilted_plane(theta);
        // The normal (sin θ, cos θ, 0) points to azimuth 90°, elevation 90° − θ. Seen 20° off
        // it, and from behind, where fill-back lights the face with the opposite normal.
        let e = 90.0 - 10.0 * step as f64;
        for (view, cos) in [
            (View::new(90.0, e - 20.0), theta.cos()),
            (View::new(270.0, -e + 20.0), -theta.cos()),
        ] {
            let img = renderer.render(&mesh, &view).unwrap();
            let centre = img.image(0).unwrap()[111 * 224 + 111];
            let expected = 0.5 + 0.5 * cos.max(0.0);
            assert!(
                (centre as f64 - expected).abs() <= 1.0 / 255.0,
                "θ = {}°, view {view:?}: {centre} vs {expected}",
                10 * step
            );
        }
        // Another light direction and intensities: ambient 0.2 + 0.7 (n · l), l = +x.
        let view = View::new(90.0, e - 20.0)
            .with_light_direction([3.0, 0.0, 0.0])
            .with_light_intensities(0.2, 0.7);
        let img = renderer.render(&mesh, &view).unwrap();
        let expected = 0.2 + 0.7 * theta.sin().max(0.0);
        let centre = img.image(0).unwrap()[111 * 224 + 111] as f64;
        assert!(
            (centre - expected).abs() <= 1.0 / 255.0,
            "θ = {}°: {centre} vs {expected}",
            10 * step
        );
    }
}

/// A big triangle facing the camera at azimuth 0 (z = 0.5) and a small one in front of it
/// (z ≤ 0.44) tilted 60° from it.
fn two_triangles(near_first: bool) -> Mesh {
    let dz = 0.6 * 60f64.to_radians().tan();
    let far = [[-1.0, -1.0, 0.5], [1.0, -1.0, 0.5], [0.0, 1.0, 0.5]];
    let near = [[-0.3, -0.3, -0.6], [0.3, -0.3, -0.6], [0.0, 0.3, -0.6 + dz]];
    let (first, second) = if near_first { (near, far) } else { (far, near) };
    let vertices = first.iter().chain(second.iter()).copied().collect();
    Mesh::new("two triangles", vertices, vec![[0, 1, 2], [3, 4, 5]]).unwrap()
}

#[test]
fn nearer_triangle_occludes_the_farther_in_either_order() {
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let size = 224;
    let pixel = |mesh: &Mesh, view: &View, p: [f64; 3]| {
        let q = spec_ndc(p, view.azimuth_deg, view.elevation_deg, view.distance);
        let col = ((q[0] * 224.0 + 223.0) / 2.0).round() as usize;
        let row = ((223.0 - q[1] * 224.0) / 2.0).round() as usize;
        renderer.render(mesh, view).unwrap().image(0).unwrap()[row * size + col]
    };
    for near_first in [true, false] {
        let mesh = two_triangles(near_first);
        let v = mesh.vertices();
        let (near, far) = if near_first { (0, 3) } else { (3, 0) };
        let centroid = |k: usize| -> [f64; 3] {
            std::array::from_fn(|c| (0..3).map(|i| v[k + i][c] as f64).sum::<f64>() / 3.0)
        };
        // Lit from the camera's side: the far face gets 0.5 + 0.5 = 1, the tilted near one
        // 0.5 + 0.5 cos 60° = 0.75.
        let front = View::new(0.0, 0.0).with_light_direction([0.0, 0.0, -1.0]);
        assert_eq!(pixel(&mesh, &front, centroid(near)), 0.75);
        let far_only = [0.7, -0.8, v[far][2] as f64];
        assert_eq!(pixel(&mesh, &front, far_only), 1.0);
        // From behind, the big triangle hides the small one; lit from the other side it gets
        // the ambient term only.
        let back = View::new(180.0, 0.0).with_light_direction([0.0, 0.0, -1.0]);
        assert_eq!(pixel(&mesh, &back, centroid(near)), 0.5);
    }
}

/// Small octahedra (radius 0.02) centred on chosen points.
fn markers(points: &[[f64; 3]]) -> Mesh {
    let mut v = Vec::new();
    let mut f = Vec::new();
    for p in points {
        let b = v.len();
        for axis in 0..3 {
            for s in [-0.02, 0.02] {
                let mut q = *p;
                q[axis] += s;
                v.push(q);
            }
        }
        // Vertices: b+0 −x, b+1 +x, b+2 −y, b+3 +y, b+4 −z, b+5 +z.
        for (x, y, z) in [
            (0, 2, 4),
            (1, 2, 4),
            (0, 3, 4),
            (1, 3, 4),
            (0, 2, 5),
            (1, 2, 5),
            (0, 3, 5),
            (1, 3, 5),
        ] {
            f.push([b + x, b + y, b + z]);
        }
    }
    Mesh::new("markers", v, f).unwrap()
}

#[test]
fn vertices_land_on_the_pixel_the_camera_maths_predicts() {
    let points = [
        [0.8, 0.5, 0.0],
        [-0.5, -0.7, 0.3],
        [0.1, 0.9, -0.6],
        [-0.9, 0.2, 0.9],
        [0.0, 0.0, 0.0],
        [0.6, -0.9, -0.9],
    ];
    let mesh = markers(&points);
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let centres: Vec<[f64; 3]> = (0..points.len())
        .map(|k| {
            let v = &mesh.vertices()[6 * k..6 * k + 6];
            std::array::from_fn(|c| v.iter().map(|p| p[c] as f64).sum::<f64>() / 6.0)
        })
        .collect();
    // The views, and one past the pole (the camera of (220°, 60°), SPEC §6's formula).
    for (a, e) in VIEWS.into_iter().chain([(40.0, 120.0)]) {
        let view = coverage_view(a, e);
        let img = plane(&renderer.render(&mesh, &view).unwrap(), 0);
        let camera = Camera::look_at(&view);
        let mut checked = 0;
        for (k, c) in centres.iter().enumerate() {
            let q = spec_ndc(*c, a, e, DEFAULT_DISTANCE);
            let (col, row) = ((q[0] * 224.0 + 223.0) / 2.0, (223.0 - q[1] * 224.0) / 2.0);
            // `Camera::project`, the library's own answer, is the SPEC's projection.
            let p = camera
                .project(*c, 224)
                .expect("every marker is in front of the camera");
            assert!(
                (p[0] - col).abs() < 1e-9 && (p[1] - row).abs() < 1e-9,
                "view ({a}, {e}) marker {k}: Camera::project {p:?} vs ({col}, {row})"
            );
            let (pc, pr) = (col.round() as usize, row.round() as usize);
            if !(6..218).contains(&pc) || !(6..218).contains(&pr) {
                continue; // too close to the border for a centroid window
            }
            checked += 1;
            assert!(
                img[pr * 224 + pc] > 0.0,
                "view ({a}, {e}) marker {k}: pixel ({pc}, {pr}) not lit"
            );
            // Centroid of the marker's coverage in a window around the prediction.
            let (mut sum, mut sx, mut sy) = (0.0f64, 0.0, 0.0);
            for r in pr - 5..=pr + 5 {
                for cc in pc - 5..=pc + 5 {
                    let w = img[r * 224 + cc] as f64;
                    sum += w;
                    sx += w * cc as f64;
                    sy += w * r as f64;
                }
            }
            let (mx, my) = (sx / sum, sy / sum);
            assert!(
                (mx - col).abs() < 0.3 && (my - row).abs() < 0.3,
                "view ({a}, {e}) marker {k}: centroid ({mx:.2}, {my:.2}) vs predicted ({col:.2}, {row:.2})"
            );
        }
        assert!(
            checked >= 4,
            "view ({a}, {e}): only {checked} markers inside the image"
        );
    }
}

#[test]
fn images_are_upright_and_not_mirrored() {
    // From azimuth 0, elevation 0 the camera looks along +z: world +x is on the right and +y
    // at the top (row 0).
    let mesh = markers(&[[0.9, 0.0, 0.0], [0.0, 0.9, 0.0], [-0.9, -0.9, -0.9]]);
    let img = plane(
        &Renderer::new(RenderOptions::default())
            .unwrap()
            .render(&mesh, &coverage_view(0.0, 0.0))
            .unwrap(),
        0,
    );
    let lit = |col: std::ops::Range<usize>, row: std::ops::Range<usize>| {
        row.flat_map(|r| col.clone().map(move |c| (r, c)))
            .any(|(r, c)| img[r * 224 + c] > 0.0)
    };
    assert!(
        lit(150..224, 100..124),
        "+x marker should be right of centre"
    );
    assert!(lit(100..124, 0..80), "+y marker should be above centre");
    assert!(
        !lit(0..100, 100..124),
        "nothing left of centre on the x axis"
    );
}
