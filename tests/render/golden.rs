//! Golden images: every procedural fixture at the paper's four initial views (SPEC §3),
//! 224², 2× supersampling, stored as PNGs in `golden/render/` and compared by the one image
//! rule (`semrob::report::golden::IMAGE_TOLERANCE`: a pixel differs when a channel moved by
//! more than 2 levels of 255; at most 0.1 % of the pixels may differ). The rule holds on any
//! CPU and maths library, and a real rendering change (a 1° turn, another light) fails it,
//! as the last two tests show.
//!
//! Regenerate after an intended change, and look at the images before committing them:
//!
//!     SEMROB_BLESS=1 cargo test --no-default-features --test render golden::
//!     git status golden/render

use std::path::{Path, PathBuf};

use image::RgbImage;
use semrob::render::{fixtures, RenderOptions, Renderer, View};
use semrob::report::golden::{bless_requested, compare_images, ImageDiff, IMAGE_TOLERANCE};

const VIEWS: [(f64, f64); 4] = [(130.0, 30.0), (50.0, 20.0), (200.0, 15.0), (310.0, 50.0)];

fn golden_path(name: &str, azimuth: f64, elevation: f64) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("golden/render/{name}_{azimuth}_{elevation}.png"))
}

fn render(name: &str, views: &[View]) -> Vec<RgbImage> {
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let mesh = fixtures::by_name(name).unwrap();
    let batch = renderer.render_batch(&mesh, views).unwrap();
    (0..views.len())
        .map(|k| batch.to_rgb8(k).unwrap())
        .collect()
}

fn diff_with_golden(name: &str, azimuth: f64, elevation: f64, got: &RgbImage) -> ImageDiff {
    let path = golden_path(name, azimuth, elevation);
    let want = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (regenerate with SEMROB_BLESS=1)", path.display()))
        .to_rgb8();
    compare_images(&want, got, IMAGE_TOLERANCE)
        .unwrap_or_else(|| panic!("{}: the golden image has another size", path.display()))
}

#[test]
fn fixtures_render_as_recorded() {
    let bless = bless_requested();
    let views: Vec<View> = VIEWS.iter().map(|&(a, e)| View::new(a, e)).collect();
    let mut failures = Vec::new();
    for name in fixtures::NAMES {
        for (img, &(a, e)) in render(name, &views).iter().zip(&VIEWS) {
            if bless {
                let path = golden_path(name, a, e);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                img.save(&path).unwrap();
                continue;
            }
            let d = diff_with_golden(name, a, e, img);
            if !d.passes(IMAGE_TOLERANCE) {
                failures.push(format!(
                    "{name} at ({a}, {e}): {} of {} pixels differ ({:.3} %, allowed {} %), max {} levels",
                    d.differing,
                    d.pixels,
                    100.0 * d.share(),
                    100.0 * IMAGE_TOLERANCE.share,
                    d.max_levels
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "renders moved from golden/render (regenerate with SEMROB_BLESS=1 after a deliberate change):\n{}",
        failures.join("\n")
    );
}

#[test]
fn a_render_turned_by_one_degree_fails_the_golden_rule() {
    // Not the vase or the barrel: a body of revolution barely changes when it turns.
    for name in ["teapot", "mug"] {
        let (a, e) = VIEWS[0];
        let turned = &render(name, &[View::new(a + 1.0, e)])[0];
        let d = diff_with_golden(name, a, e, turned);
        assert!(!d.passes(IMAGE_TOLERANCE), "{name}: {d:?}");
    }
}

#[test]
fn a_render_with_another_light_fails_the_golden_rule() {
    let (a, e) = VIEWS[1];
    let mut view = View::new(a, e);
    view.light_direction = [0.0, 1.0, 0.2];
    let lit = &render("mug", &[view])[0];
    let d = diff_with_golden("mug", a, e, lit);
    assert!(!d.passes(IMAGE_TOLERANCE), "{d:?}");
}
