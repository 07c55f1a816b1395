//! Properties of the renderer (issue 4), stated as sentences:
//! * azimuth a and a + 360° give the same image;
//! * a mesh symmetric about the plane x = 0 renders at −a as the mirror image of a;
//! * rendering is deterministic and does not depend on the number of threads;
//! * every pixel is finite and in [0, 1], whatever the view, light and distance.

use crate::support::*;
use proptest::prelude::*;
use semrob::render::{fixtures, ImageBatch, Mesh, RenderOptions, Renderer, View};

const SIZE: u32 = 64;

fn renderer() -> Renderer {
    Renderer::new(RenderOptions::default().with_size(SIZE)).unwrap()
}

/// Random triangles in [−1, 1]³ plus their mirror images in x = 0 (appended in the same
/// order), so the mesh is exactly symmetric.
fn symmetric_soup() -> impl Strategy<Value = Mesh> {
    prop::collection::vec(prop::array::uniform9(-1.0f64..1.0), 1..24).prop_map(|tris| {
        let mut v = Vec::new();
        for mirror in [false, true] {
            for t in &tris {
                for k in 0..3 {
                    let x = if mirror { -t[3 * k] } else { t[3 * k] };
                    v.push([x, t[3 * k + 1], t[3 * k + 2]]);
                }
            }
        }
        let f = (0..v.len() / 3)
            .map(|i| [3 * i, 3 * i + 1, 3 * i + 2])
            .collect();
        Mesh::new("soup", v, f).unwrap()
    })
}

/// Angles on a 1/64° grid, so that a + 360 is exact in f64.
fn angle() -> impl Strategy<Value = f64> {
    (-360 * 64..360 * 64i32).prop_map(|k| k as f64 / 64.0)
}

fn mirrored(batch: &ImageBatch) -> Vec<f32> {
    let s = batch.shape();
    let img = batch.image(0).unwrap();
    let mut out = vec![0.0; img.len()];
    for c in 0..3 {
        for r in 0..s.height {
            for x in 0..s.width {
                let i = (c * s.height + r) * s.width;
                out[i + x] = img[i + s.width - 1 - x];
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn azimuth_is_periodic(mesh in symmetric_soup(), a in angle(), e in angle()) {
        let r = renderer();
        let one = r.render(&mesh, &View::new(a, e)).unwrap();
        let other = r.render(&mesh, &View::new(a + 360.0, e)).unwrap();
        prop_assert_eq!(one.data(), other.data());
    }

    #[test]
    fn symmetric_mesh_at_minus_a_is_the_mirror_image(
        mesh in symmetric_soup(),
        a in angle(),
        e in -90.0f64..90.0,
        light_y in 0.1f64..1.0,
        light_z in -1.0f64..1.0,
    ) {
        let r = renderer();
        // A light in the plane of symmetry keeps the scene symmetric.
        let view = |az: f64| View::new(az, e).with_light_direction([0.0, light_y, light_z]);
        let left = r.render(&mesh, &view(a)).unwrap();
        let right = r.render(&mesh, &view(-a)).unwrap();
        let flipped = mirrored(&right);
        // Shades agree to rounding and coverage exactly, except at samples where a triangle
        // and its own mirror image (which intersect on x = 0) are at the same depth to within
        // rounding: there the one drawn first wins, and draw order is not mirror-symmetric.
        // A 3 000-case run found cases with up to 3 such pixels; allow 8 of 4 096.
        let differing = left.data().iter().zip(&flipped).filter(|(x, y)| (*x - *y).abs() > 1e-5).count();
        prop_assert!(differing <= 8, "{differing} pixels differ");
    }

    #[test]
    fn deterministic_and_thread_count_independent(
        a in angle(),
        e in -90.0f64..90.0,
        fixture in 0..fixtures::NAMES.len(),
        batch in 1usize..5,
    ) {
        let mesh = fixtures::by_name(fixtures::NAMES[fixture]).unwrap();
        let views: Vec<View> = (0..batch).map(|k| View::new(a + 37.0 * k as f64, e)).collect();
        let r = Renderer::new(RenderOptions::default().with_size(96)).unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
                .install(|| r.render_batch(&mesh, &views).unwrap())
        };
        let reference = run(1);
        prop_assert_eq!(&reference, &run(1));
        prop_assert_eq!(&reference, &run(3));
        prop_assert_eq!(&reference, &run(8));
        // And one image at a time gives the same images as the batch.
        for (k, view) in views.iter().enumerate() {
            let single = run(4);
            let alone = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap()
                .install(|| r.render(&mesh, view).unwrap());
            prop_assert_eq!(alone.image(0).unwrap(), single.image(k).unwrap());
        }
    }

    #[test]
    fn pixels_are_finite_and_in_unit_range(
        mesh in symmetric_soup(),
        a in angle(),
        e in angle(),
        distance in 0.05f64..20.0,
        light in prop::array::uniform3(-1.0f64..1.0),
        ambient in 0.0f64..1.5,
        directional in 0.0f64..1.5,
        background in prop::array::uniform3(0.0f32..1.0),
    ) {
        prop_assume!(light.iter().any(|c| c.abs() > 1e-3));
        let view = View::new(a, e)
            .with_distance(distance)
            .with_light_direction(light)
            .with_light_intensities(ambient, directional)
            .with_background(background);
        let img = renderer().render(&mesh, &view).unwrap();
        prop_assert!(img.data().iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
    }
}

#[test]
fn camera_inside_the_mesh_renders_without_panicking() {
    // Distances below the mesh's extent put the camera inside the sphere: faces crossing the
    // near plane are clipped, and the inside walls fill the view.
    let mesh = sphere(16, 32);
    for d in [0.0001, 0.2, 0.99, 1.05] {
        let img = renderer()
            .render(&mesh, &coverage_view(30.0, 20.0).with_distance(d))
            .unwrap();
        let covered = img.data().iter().filter(|&&x| x > 0.0).count();
        assert_eq!(
            covered,
            img.data().len(),
            "distance {d}: the inside should cover the view"
        );
    }
}
