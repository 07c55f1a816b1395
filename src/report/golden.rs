//! Golden results: one rule for comparing computed numbers with stored ones.
//!
//! A number that comes out of floating-point work is never compared by its printed digits:
//! libtorch picks different CPU kernels on different machines (`ATEN_CPU_CAPABILITY`
//! reproduces that anywhere), and a rounded digit flips for a change of 1e-12. Every golden
//! comparison of semrob, the `--golden` check of `semrob srvr` and the test suite's golden
//! files alike, goes through [`compare_json`] with one stated [`Tolerance`],
//! [`GOLDEN_TOLERANCE`]: a number passes when `|got − golden| ≤ 1e-6 + 1e-4·|golden|`.
//! Strings, booleans, `null`, keys, array lengths and integers (counts, labels) must match
//! exactly. A number stored as the difference of two of its siblings (the budget
//! sensitivity, `srvr − srvr_at_80`) is allowed the sum of their tolerances: a difference of
//! two toleranced numbers carries both errors, whatever its own size ([`DIFFERENCES`]).
//!
//! Golden files of the test suite ([`GoldenFile`]) are JSON a reviewer can read: the value,
//! its numbers rounded to [`STORED_DIGITS`] significant digits (far below the tolerance),
//! with the tolerance and the test that wrote it stated beside it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::files::write_atomic;

/// A number passes when `|got − want| ≤ abs + rel·|want|`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    pub abs: f64,
    pub rel: f64,
}

impl Tolerance {
    /// The largest difference allowed from `want`.
    pub fn allowed(&self, want: f64) -> f64 {
        self.abs + self.rel * want.abs()
    }

    /// Whether `got` is within tolerance of `want` (NaN never is).
    pub fn accepts(&self, want: f64, got: f64) -> bool {
        within(want, got, self.allowed(want))
    }
}

/// The one tolerance of every golden comparison: 1e-6 absolute plus 1e-4 relative.
///
/// Why these numbers: renders are bit-identical across thread counts and machines' vector
/// widths up to a few 8-bit levels on edge pixels; the networks' scores then differ between
/// libtorch's CPU kernels (`default`, `avx2`, `avx512`) by about 1e-7 relative (summation
/// order), and SRVR, a mean of region volumes grown on those scores, by about 1e-6 relative
/// after a few steps. 1e-4 relative leaves two orders of magnitude of room for that noise,
/// while any change to the method (a formula, a default, a render convention) moves
/// results by far more. The absolute 1e-6 covers numbers that are zero in the golden file.
pub const GOLDEN_TOLERANCE: Tolerance = Tolerance {
    abs: 1e-6,
    rel: 1e-4,
};

/// Significant digits of the numbers stored in a golden file: readable, and rounding
/// moves a number by at most 5e-10 relative, far below [`GOLDEN_TOLERANCE`].
pub const STORED_DIGITS: i32 = 10;

/// Keys whose number is the difference of two sibling numbers (`key = a − b`), compared
/// within `tol.allowed(a) + tol.allowed(b)` of the golden value.
pub const DIFFERENCES: [(&str, &str, &str); 1] = [("budget_sensitivity", "srvr", "srvr_at_80")];

/// The tolerance of `obj[key]` when it is a difference of two of its golden siblings.
fn difference_allowed(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    tol: Tolerance,
) -> Option<f64> {
    let (_, a, b) = DIFFERENCES.iter().find(|(k, _, _)| *k == key)?;
    let (a, b) = (obj.get(*a)?.as_f64()?, obj.get(*b)?.as_f64()?);
    Some(tol.allowed(a) + tol.allowed(b))
}

/// `|got − want| ≤ allowed`; NaN never is (an unordered comparison is false).
fn within(want: f64, got: f64, allowed: f64) -> bool {
    (got - want).abs() <= allowed
}

fn compare_floats(path: &str, x: f64, y: f64, allowed: f64, out: &mut Vec<String>) {
    if !within(x, y, allowed) {
        out.push(format!(
            "{path}: golden {x}, got {y} (differs by {:.3e}, allowed {:.3e})",
            (y - x).abs(),
            allowed
        ));
    }
}

/// Every difference between `want` (golden) and `got`, as `path: what`; floats within
/// `tol` are equal, everything else must match exactly.
pub fn compare_json(want: &Value, got: &Value, tol: Tolerance) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", want, got, tol, &mut out);
    out
}

fn is_integer(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64()
}

fn walk(path: &str, want: &Value, got: &Value, tol: Tolerance, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) if is_integer(a) && is_integer(b) => {
            if a != b {
                out.push(format!("{path}: golden {a}, got {b}"));
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            compare_floats(path, x, y, tol.allowed(x), out);
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let here = format!("{path}.{k}");
                match (b.get(k), difference_allowed(a, k, tol)) {
                    (Some(vb), Some(allowed)) if va.is_f64() && vb.is_f64() => {
                        let (x, y) = (
                            va.as_f64().unwrap_or(f64::NAN),
                            vb.as_f64().unwrap_or(f64::NAN),
                        );
                        compare_floats(&here, x, y, allowed, out);
                    }
                    (Some(vb), _) => walk(&here, va, vb, tol, out),
                    (None, _) => out.push(format!("{here}: missing from this run")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: not in the golden file"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: golden has {} entries, got {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), va, vb, tol, out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: golden {a}, got {b}")),
    }
}

/// `x` rounded to `digits` significant digits (`-0` becomes `0`).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return if x == 0.0 { 0.0 } else { x };
    }
    // Through the decimal formatter, which rounds correctly, rather than by scaling.
    let r: f64 = format!("{:.*e}", (digits - 1).max(0) as usize, x)
        .parse()
        .expect("a formatted float parses");
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// `v` with every non-integer number rounded to [`STORED_DIGITS`] significant digits: what a
/// golden file stores. Integers, strings and structure are kept as they are.
pub fn readable(v: &Value) -> Value {
    match v {
        Value::Number(n) if !is_integer(n) => n
            .as_f64()
            .map(|x| serde_json::json!(round_significant(x, STORED_DIGITS)))
            .unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(readable).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), readable(v))).collect())
        }
        _ => v.clone(),
    }
}

/// A golden file of the test suite: a JSON value with the rule it is compared by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenFile {
    /// What this file is, and how to regenerate it.
    pub about: String,
    /// The comparison rule (always [`GOLDEN_TOLERANCE`]; stated for the reader).
    pub tolerance: Tolerance,
    pub value: Value,
}

/// Why a golden check failed.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    #[error("golden file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("golden file {path} is not a golden file: {source}")]
    Format {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("golden file {path} states tolerance {found:?}, the rule is {rule:?}: regenerate it")]
    OtherTolerance {
        path: PathBuf,
        found: Tolerance,
        rule: Tolerance,
    },
    #[error(
        "{} drifted from golden file {path} (|got − golden| > {} + {}·|golden|):\n  {}\n\
         After a deliberate change, regenerate with SEMROB_BLESS=1 and review the diff.",
        .drifts.len(), GOLDEN_TOLERANCE.abs, GOLDEN_TOLERANCE.rel, .drifts.join("\n  ")
    )]
    Drift { path: PathBuf, drifts: Vec<String> },
}

/// Compares `got` with the golden file at `path` by [`GOLDEN_TOLERANCE`]; with `bless`,
/// (re)writes the file from `got` instead. `about` says what the file is.
pub fn check_golden(path: &Path, about: &str, got: &Value, bless: bool) -> Result<(), GoldenError> {
    if bless {
        let file = GoldenFile {
            about: about.to_string(),
            tolerance: GOLDEN_TOLERANCE,
            value: readable(got),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("serialisable");
        text.push('\n');
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| GoldenError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        return write_atomic(path, text.as_bytes()).map_err(|source| GoldenError::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    read_golden(path)?.check(got, path)
}

/// Reads a golden file, refusing one that states another rule.
pub fn read_golden(path: &Path) -> Result<GoldenFile, GoldenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GoldenError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    GoldenFile::parse(&text, path)
}

impl GoldenFile {
    /// A golden file from its text (`origin` names it in errors), refusing one that states
    /// another rule.
    pub fn parse(text: &str, origin: &Path) -> Result<GoldenFile, GoldenError> {
        let file: GoldenFile =
            serde_json::from_str(text).map_err(|source| GoldenError::Format {
                path: origin.to_path_buf(),
                source,
            })?;
        if file.tolerance != GOLDEN_TOLERANCE {
            return Err(GoldenError::OtherTolerance {
                path: origin.to_path_buf(),
                found: file.tolerance,
                rule: GOLDEN_TOLERANCE,
            });
        }
        Ok(file)
    }

    /// Compares `got` with this file's value by [`GOLDEN_TOLERANCE`]; `origin` names the
    /// file in the error.
    pub fn check(&self, got: &Value, origin: &Path) -> Result<(), GoldenError> {
        let drifts = compare_json(&self.value, got, GOLDEN_TOLERANCE);
        if drifts.is_empty() {
            Ok(())
        } else {
            Err(GoldenError::Drift {
                path: origin.to_path_buf(),
                drifts,
            })
        }
    }
}

/// Whether the test suite was asked to rewrite golden files (`SEMROB_BLESS=1`).
pub fn bless_requested() -> bool {
    std::env::var("SEMROB_BLESS").is_ok_and(|v| v == "1")
}

/// The rule for golden images: a pixel differs when one of its 8-bit channels moved by more
/// than `levels`, and an image passes while at most `share` of its pixels differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageTolerance {
    pub levels: u8,
    pub share: f64,
}

/// The one rule of every golden image: a pixel differs when a channel moved by more than 2
/// levels of 255, and at most 0.1 % of the pixels may differ.
///
/// Why: the renderer is plain Rust arithmetic, the same on every x86-64 vector width, but
/// `sin`/`cos` of the system maths library may differ by an ulp between builds, which can
/// flip one of the 2×2 sub-samples of an edge pixel (a jump of up to 64 levels) here and
/// there, never along a whole edge. Any real change of the renderer (a camera convention,
/// the light, the shading, a 1° turn) moves whole silhouettes or surfaces: percents of
/// the pixels.
pub const IMAGE_TOLERANCE: ImageTolerance = ImageTolerance {
    levels: 2,
    share: 0.001,
};

/// How two images of the same size differ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageDiff {
    /// Pixels with a channel moved by more than the tolerance's levels.
    pub differing: usize,
    pub pixels: usize,
    /// The largest move of any channel, in levels of 255.
    pub max_levels: u8,
}

impl ImageDiff {
    pub fn share(&self) -> f64 {
        self.differing as f64 / self.pixels.max(1) as f64
    }

    pub fn passes(&self, tol: ImageTolerance) -> bool {
        self.share() <= tol.share
    }
}

/// Compares two RGB images of the same size by `tol`; `None` when their sizes differ.
pub fn compare_images(
    want: &image::RgbImage,
    got: &image::RgbImage,
    tol: ImageTolerance,
) -> Option<ImageDiff> {
    if want.dimensions() != got.dimensions() {
        return None;
    }
    let (mut differing, mut max_levels) = (0, 0u8);
    for (a, b) in want.pixels().zip(got.pixels()) {
        let moved =
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| x.abs_diff(y))
                .max()
                .unwrap_or(0);
        max_levels = max_levels.max(moved);
        if moved > tol.levels {
            differing += 1;
        }
    }
    Some(ImageDiff {
        differing,
        pixels: want.pixels().len(),
        max_levels,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_within_tolerance_pass_and_drifts_are_named_by_path() {
        let want = json!({"a": 1.0, "b": [0.5, {"c": "x"}], "d": null, "n": 3});
        let ok = json!({"a": 1.00005, "b": [0.5000001, {"c": "x"}], "d": null, "n": 3});
        assert!(compare_json(&want, &ok, GOLDEN_TOLERANCE).is_empty());
        let bad = json!({"a": 1.01, "b": [0.5, {"c": "y"}, 3], "e": 1, "n": 4});
        let d = compare_json(&want, &bad, GOLDEN_TOLERANCE);
        let text = d.join("\n");
        for needle in [
            "$.a: golden 1, got 1.01",
            "$.b[1].c",
            "$.b: golden has 2 entries, got 3",
            "$.d: missing",
            "$.e: not in the golden file",
            "$.n: golden 3, got 4",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
    }

    #[test]
    fn a_difference_of_two_numbers_is_allowed_both_of_their_tolerances() {
        // SRVR 0.1 at the cap and 0.0975 at 80 % of it: each within 1e-6 + 1e-5; their
        // difference, 0.0025, carries both errors, far more than its own 1e-4 · 0.0025.
        let golden = serde_json::json!({
            "srvr": 0.1, "srvr_at_80": 0.0975, "budget_sensitivity": 0.0025
        });
        let allowed = GOLDEN_TOLERANCE.allowed(0.1) + GOLDEN_TOLERANCE.allowed(0.0975);
        let run = |d: f64| {
            serde_json::json!({
                "srvr": 0.1, "srvr_at_80": 0.0975, "budget_sensitivity": 0.0025 + d
            })
        };
        assert!(compare_json(&golden, &run(0.9 * allowed), GOLDEN_TOLERANCE).is_empty());
        let drift = compare_json(&golden, &run(1.1 * allowed), GOLDEN_TOLERANCE);
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert!(
            drift[0].starts_with("$.budget_sensitivity: golden 0.0025"),
            "{drift:?}"
        );
        // Without its operands beside it, the key has the one tolerance of every number.
        let alone = serde_json::json!({ "budget_sensitivity": 0.0025 });
        let got = serde_json::json!({ "budget_sensitivity": 0.0025 + 2e-6 });
        assert_eq!(compare_json(&alone, &got, GOLDEN_TOLERANCE).len(), 1);
        // Other keys beside the operands keep the one rule.
        let want = serde_json::json!({ "srvr": 0.1, "srvr_at_80": 0.0975, "x": 0.0025 });
        let got = serde_json::json!({ "srvr": 0.1, "srvr_at_80": 0.0975, "x": 0.0025 + 2e-6 });
        assert_eq!(compare_json(&want, &got, GOLDEN_TOLERANCE).len(), 1);
    }

    #[test]
    fn the_tolerance_is_inclusive_and_scales_with_the_golden_value() {
        let t = GOLDEN_TOLERANCE;
        for want in [0.0, 1e-9, 0.00701568, 0.5, 3.0, 360.0, -27.5, 1e6] {
            let allowed = t.allowed(want);
            assert!(t.accepts(want, want + 0.5 * allowed));
            assert!(t.accepts(want, want - 0.5 * allowed));
            assert!(!t.accepts(want, want + 2.0 * allowed));
            assert!(!t.accepts(want, want - 2.0 * allowed));
        }
        assert!(!t.accepts(1.0, f64::NAN));
        assert!(!t.accepts(f64::NAN, f64::NAN));
    }

    #[test]
    fn stored_rounding_is_far_below_the_tolerance() {
        for x in [
            0.00701568499999,
            1.0 / 3.0,
            -123.456789012345,
            6.02e23,
            1e-300,
        ] {
            let r = round_significant(x, STORED_DIGITS);
            assert!((r - x).abs() <= 1e-9 * x.abs(), "{x} -> {r}");
            assert!((r - x).abs() < 0.01 * GOLDEN_TOLERANCE.allowed(x));
        }
        assert_eq!(
            round_significant(-0.0, STORED_DIGITS).to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(round_significant(0.00701568499999, 6), 0.00701568);
    }

    #[test]
    fn a_golden_file_round_trips_and_a_drift_fails_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.json");
        let value = json!({"srvr": 0.007015684999, "count": 2, "name": "lite0"});
        check_golden(&path, "test", &value, true).unwrap();
        check_golden(&path, "test", &value, false).unwrap();
        let moved = json!({"srvr": 0.0071, "count": 2, "name": "lite0"});
        let e = check_golden(&path, "test", &moved, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("$.srvr: golden 0.007015684999, got 0.0071"),
            "{e}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"about\": \"test\""), "{text}");
    }

    #[test]
    fn images_pass_below_the_share_of_differing_pixels_and_fail_above() {
        let want = image::RgbImage::from_fn(100, 100, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let same = compare_images(&want, &want, IMAGE_TOLERANCE).unwrap();
        assert_eq!((same.differing, same.max_levels), (0, 0));
        // Every pixel moved by the tolerated levels: passes.
        let noisy =
            image::RgbImage::from_fn(100, 100, |x, y| image::Rgb([x as u8 + 2, y as u8, 5]));
        assert!(compare_images(&want, &noisy, IMAGE_TOLERANCE)
            .unwrap()
            .passes(IMAGE_TOLERANCE));
        // 10 pixels of 10 000 jump (0.1 %): passes; 20 (0.2 %): fails.
        for (jumps, pass) in [(10, true), (20, false)] {
            let mut got = want.clone();
            for k in 0..jumps {
                got.put_pixel(k, 50, image::Rgb([255, 255, 255]));
            }
            let d = compare_images(&want, &got, IMAGE_TOLERANCE).unwrap();
            assert_eq!(d.differing, jumps as usize);
            assert_eq!(d.passes(IMAGE_TOLERANCE), pass, "{d:?}");
        }
        let smaller = image::RgbImage::new(99, 100);
        assert!(compare_images(&want, &smaller, IMAGE_TOLERANCE).is_none());
    }
}
