//! Golden images: every procedural fixture at the paper's four initial views (SPEC §3),
//! 224², 2× supersampling. The snapshot stores, per image, the FNV-1a hash of its 8-bit
//! RGB pixels, its mean value and its coverage, so a change shows both that and how much
//! an image moved.
//!
//! Regenerate after an intended change (and look at the images first):
//!
//!     INSTA_UPDATE=always cargo test --no-default-features --test render_golden
//!     SEMROB_GOLDEN_PNG=/tmp/golden cargo test --no-default-features --test render_golden
//!
//! (the second writes the PNGs for inspection). Hashes are of this platform's arithmetic
//! (x86-64, glibc libm); another libm may move a pixel by one 8-bit step.

use semrob::render::{fixtures, RenderOptions, Renderer, View};
use serde::Serialize;

const VIEWS: [(f64, f64); 4] = [(130.0, 30.0), (50.0, 20.0), (200.0, 15.0), (310.0, 50.0)];

#[derive(Serialize)]
struct Golden {
    fixture: &'static str,
    faces: usize,
    azimuth: f64,
    elevation: f64,
    rgb8_fnv1a: String,
    mean: String,
    coverage: String,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn fixtures_render_as_recorded() {
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let png_dir = std::env::var_os("SEMROB_GOLDEN_PNG");
    let mut goldens = Vec::new();
    for name in fixtures::NAMES {
        let mesh = fixtures::by_name(name).unwrap();
        let views: Vec<View> = VIEWS.iter().map(|&(a, e)| View::new(a, e)).collect();
        let batch = renderer.render_batch(&mesh, &views).unwrap();
        for (k, &(a, e)) in VIEWS.iter().enumerate() {
            let rgb = batch.to_rgb8(k).unwrap();
            let values = batch.image(k).unwrap();
            let mean = values.iter().map(|&x| x as f64).sum::<f64>() / values.len() as f64;
            let covered = values.iter().filter(|&&x| x > 0.0).count() as f64 / values.len() as f64;
            if let Some(dir) = &png_dir {
                std::fs::create_dir_all(dir).unwrap();
                let file = std::path::Path::new(dir).join(format!("{name}_{a}_{e}.png"));
                batch.save_png(k, file).unwrap();
            }
            goldens.push(Golden {
                fixture: name,
                faces: mesh.faces().len(),
                azimuth: a,
                elevation: e,
                rgb8_fnv1a: format!("{:016x}", fnv1a(rgb.as_raw())),
                mean: format!("{mean:.4}"),
                coverage: format!("{covered:.4}"),
            });
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../golden/render");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_json_snapshot!("fixtures", goldens));
}
