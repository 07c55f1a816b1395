//! Fuzz harness bodies: one per reader of a file a stranger may hand a user (issue 23).
//!
//! Each `fn(&[u8]) -> bool` feeds the bytes to one reader and asserts its contract: the
//! reader returns `Ok` or its typed error, never panics, and what it accepts is well-formed
//! (the checks below each harness). It returns whether the reader accepted the bytes. A violated contract is a panic, which the fuzzer records as a
//! crash. The harnesses need no libtorch (they build with `--no-default-features`) and touch
//! no file: every reader is called on bytes in memory.
//!
//! The bounds on allocation are the readers' own, stated as constants where they are
//! enforced: [`crate::nets::checkpoint`] (`MAX_TENSOR_DIMS`, `MAX_VIEW_COPIES`,
//! `pickle::MAX_NESTING`, `pickle::MAX_COPIED`), [`crate::semantic::grid::MAX_GRID_POINTS`],
//! [`crate::render::MAX_MESH_VERTICES`], [`crate::render::MAX_MESH_FACES`],
//! [`crate::render::MAX_OBJ_BYTES`] and
//! [`crate::nets::MAX_IMAGE_PIXELS`]. The fuzz targets (`fuzz/`, built with cargo-afl) also
//! install an allocator that aborts past [`FUZZ_MEMORY_LIMIT`] live bytes, and AFL's
//! timeout flags any input slower than its `-t`; `tests/fuzz_replay.rs` replays the seeds
//! and every regression input through these functions in ordinary `cargo test`.

use std::path::Path;

use crate::analysis::benchmark::{JobResult, SrvrConfig, Stamp};
use crate::nets::checkpoint::{read_safetensors_bytes, read_weights_bytes, MAX_VIEW_COPIES};
use crate::nets::decode_image;
use crate::render::Mesh;
use crate::semantic::Grid;

/// The live heap the fuzz targets allow one input (their allocator aborts beyond it).
pub const FUZZ_MEMORY_LIMIT: usize = 1 << 30;

/// The pixels an image may have in the image harness: smaller than the command's
/// [`crate::nets::MAX_IMAGE_PIXELS`] so that an input stays fast; the full limit is tested
/// on headers alone.
pub const FUZZ_IMAGE_PIXELS: u64 = 1 << 22;

/// A harness body: runs one input, panics on a broken contract, returns whether the reader
/// accepted it.
pub type Harness = fn(&[u8]) -> bool;

/// Every harness by name (the names of `fixtures/fuzz/` and of the fuzz targets).
pub const HARNESSES: &[(&str, Harness)] = &[
    ("checkpoint", checkpoint),
    ("safetensors", safetensors),
    ("mesh", mesh),
    ("grid", grid),
    ("config", config),
    ("results", results),
    ("image", image),
];

/// The harness called `name`.
pub fn harness(name: &str) -> Option<Harness> {
    HARNESSES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

const ORIGIN: &str = "fuzz-input";

/// PyTorch checkpoints (zip, legacy `torch.save`) and safetensors, recognised by content as
/// `read_weights` does. Accepted tensors hold exactly `numel × dtype size` bytes, and all of
/// them together at most `MAX_VIEW_COPIES` times the input.
pub fn checkpoint(data: &[u8]) -> bool {
    let read = read_weights_bytes(data, Path::new(ORIGIN));
    read.map(|tensors| check_tensors(&tensors, data.len()))
        .is_ok()
}

/// `.safetensors`, whatever the bytes look like.
pub fn safetensors(data: &[u8]) -> bool {
    let read = read_safetensors_bytes(data, Path::new(ORIGIN));
    read.map(|tensors| check_tensors(&tensors, data.len()))
        .is_ok()
}

fn check_tensors(tensors: &crate::nets::checkpoint::StateDict, input: usize) {
    let mut total = 0usize;
    for (name, t) in tensors {
        let numel = t
            .shape
            .iter()
            .try_fold(1usize, |a, &n| a.checked_mul(n))
            .expect("an accepted tensor's element count fits");
        assert_eq!(t.data.len(), numel * t.dtype.size(), "tensor {name}");
        total += t.data.len();
    }
    assert!(
        total <= input * MAX_VIEW_COPIES,
        "{total} bytes from {input}"
    );
}

/// OBJ text through parsing, validation and the SPEC §6 normalisation. An accepted mesh
/// lies in [−1, 1]³, indexes only its vertices and has unit normals.
pub fn mesh(data: &[u8]) -> bool {
    let Ok(mesh) = Mesh::parse_obj(ORIGIN, data) else {
        return false;
    };
    for v in mesh.vertices() {
        assert!(
            v.iter().all(|c| c.is_finite() && c.abs() <= 1.0 + 1e-5),
            "vertex {v:?} outside [-1, 1]³"
        );
    }
    let n = mesh.vertices().len();
    for f in mesh.faces() {
        assert!(f.iter().all(|&i| (i as usize) < n), "face {f:?} of {n}");
    }
    assert_eq!(mesh.faces().len(), mesh.normals().len());
    for normal in mesh.normals() {
        let len = normal.iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!((len - 1.0).abs() < 1e-3, "normal {normal:?}");
    }
    true
}

/// A `semrob.grid/1` map through validation. An accepted map holds one score per grid
/// point, and its interpolant stays in [0, 1] at its domain's corners and centre.
pub fn grid(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(grid) = Grid::from_json_str(text) else {
        return false;
    };
    let points: usize = grid.sizes().iter().product();
    assert_eq!(grid.values().len(), points);
    let (lo, hi) = grid.domain();
    // Six axes already make 64 corners; beyond that, the two opposite corners only.
    let corners = if lo.len() <= 6 { 1usize << lo.len() } else { 2 };
    let mut u = vec![0.0; lo.len()];
    for corner in 0..corners {
        for (k, x) in u.iter_mut().enumerate() {
            let upper = if corners == 2 {
                corner == 1
            } else {
                corner >> k & 1 == 1
            };
            *x = if upper { hi[k] } else { lo[k] };
        }
        check_interpolant(&grid, &u);
    }
    let centre: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| a / 2.0 + b / 2.0).collect();
    check_interpolant(&grid, &centre);
    true
}

fn check_interpolant(grid: &Grid, u: &[f64]) {
    if u.iter().any(|x| !x.is_finite()) {
        return;
    }
    let value = grid.interpolate(u, None);
    assert!(
        (-1e-9..=1.0 + 1e-9).contains(&value),
        "interpolant {value} at {u:?}"
    );
}

/// A benchmark configuration (TOML) through `SrvrConfig::from_toml`'s validation.
pub fn config(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    SrvrConfig::from_toml(text, ORIGIN).is_ok()
}

/// A results folder's stamp (with its configuration checked, as the report does) and job
/// file: the same bytes through both parsers; accepted when either accepts them.
pub fn results(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let path = Path::new(ORIGIN);
    let stamp = Stamp::from_json(text, path).is_ok_and(|s| s.config.check(ORIGIN).is_ok());
    let job = JobResult::from_json(text, path).is_ok();
    stamp || job
}

/// A PNG or JPEG image as `classify` decodes it (at most [`FUZZ_IMAGE_PIXELS`] pixels). An
/// accepted image is a `[1, 3, H, W]` batch of values in [0, 1].
pub fn image(data: &[u8]) -> bool {
    let Ok(img) = decode_image(data, Path::new(ORIGIN), FUZZ_IMAGE_PIXELS) else {
        return false;
    };
    let [b, c, h, w] = img.shape;
    assert_eq!((b, c), (1, 3));
    assert!((h * w) as u64 <= FUZZ_IMAGE_PIXELS);
    assert_eq!(img.data.len(), 3 * h * w);
    assert!(img.data.iter().all(|x| (0.0..=1.0).contains(x)));
    true
}
