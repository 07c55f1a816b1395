//! Shared by the tests of tests/nets/: the parity fixtures written by PyTorch itself
//! (tests/python/make_fixtures.py, run once per version of the script with the pinned
//! Python torch that scripts/setup-test-python.sh installs into .venv-torch/).
#![allow(dead_code)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use semrob::nets::checkpoint::{read_weights, RawTensor, StateDict};

#[path = "../support/binary.rs"]
mod binary;
// The tests that run the binary classify: they need libtorch.
#[cfg(feature = "torch")]
pub use binary::{semrob, semrob_in};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The fixture folder, generated on first use (about a minute, 700 MB under target/tmp).
pub fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let script = Path::new(ROOT).join("tests/python/make_fixtures.py");
        let text = std::fs::read(&script).expect("tests/python/make_fixtures.py");
        let mut h = DefaultHasher::new();
        text.hash(&mut h);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("nets-fixtures-{:016x}", h.finish()));
        if !dir.join("complete").exists() {
            let python = Path::new(ROOT).join(".venv-torch/bin/python");
            assert!(
                python.exists(),
                "the parity tests need the pinned Python torch in .venv-torch: run scripts/test.sh \
                 (or scripts/setup-test-python.sh), and scripts/setup.sh for the Lite weights"
            );
            let status = Command::new(python)
                .arg(&script)
                .arg(&dir)
                .arg(Path::new(ROOT).join(".cache/weights"))
                .status()
                .expect("running make_fixtures.py");
            assert!(status.success(), "make_fixtures.py failed");
        }
        dir
    })
}

pub fn load(rel: &str) -> StateDict {
    let path = fixtures().join(rel);
    read_weights(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn f32s(t: &RawTensor) -> Vec<f32> {
    t.to_f32().expect("a numeric tensor")
}

pub fn shape4(t: &RawTensor) -> [usize; 4] {
    t.shape.clone().try_into().expect("a 4-d tensor")
}

/// `max |a − b| / max |b|`: the difference relative to the scale of the reference (per-element
/// relative differences are meaningless for values near zero).
pub fn max_rel_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    diff / scale
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

/// A one-job benchmark configuration for a network given by one `networks` entry (e.g.
/// `{ onnx = "PATH", name = "NAME" }`): the vase fixture, azimuth only, a 4-point acceptance
/// map at 112², map mode with 4 steps — the smallest `srvr` run end to end.
pub fn one_network_config(name: &str, network: &str) -> String {
    format!(
        r#"
name = "{name}"
networks = [{network}]
axes = ["azimuth"]
starts = [[130.0]]
batch = 8
regions = "map"

[dataset]
fixtures = [{{ fixture = "vase", class = "vase", label = 883 }}]

[hyper]
iterations = 4
eta = 2.0

[render]
size = 112
supersampling = 1

[acceptance]
map_axes = ["azimuth:0:360:90"]
min_mean_score = 0.0
"#
    )
}
