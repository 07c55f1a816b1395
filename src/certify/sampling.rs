//! The certificate's random samples: a seed derived from what is certified, and uniform
//! points in a box from a portable generator (SPEC §8).
//!
//! The generator is ChaCha with 8 rounds (`rand`'s `ChaCha8Rng`, from the `chacha20`
//! crate): its stream is specified bit for bit, independent of platform and word size, so
//! a seed gives the same points everywhere. Region growth never draws from it (growth is
//! deterministic).

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};

/// The generator (re-exported so that callers need no `rand` of their own).
pub use rand::rngs::ChaCha8Rng;

/// The tag that opens every seed's hashed bytes; a new tag gives new seeds.
pub const SEED_TAG: &[u8] = b"semrob.certificate-seed/1";

/// The seed of a certificate: the first 8 bytes, little-endian, of the SHA-256 of
///
/// ```text
/// "semrob.certificate-seed/1"
/// ‖ len(fingerprint) as u64 LE ‖ fingerprint (UTF-8)
/// ‖ len(job_key) as u64 LE ‖ job_key (UTF-8)
/// ‖ run_index as u64 LE
/// ```
///
/// (the lengths keep `("ab", "c")` and `("a", "bc")` apart). The fingerprint is the results
/// folder's, the job key names the job (network, shape, …) and the run index the region
/// within it, so a rerun of the same folder draws the same samples.
pub fn certificate_seed(fingerprint: &str, job_key: &str, run_index: usize) -> u64 {
    let mut h = Sha256::new();
    h.update(SEED_TAG);
    for part in [fingerprint, job_key] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update((run_index as u64).to_le_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The generator for `seed` (`ChaCha8Rng::seed_from_u64`).
pub fn certificate_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `count` points drawn uniformly in the box `[lower, upper]`, one per row.
///
/// Each coordinate is `lower + U (upper − lower)` with `U` uniform in `[0, 1)` (53 random
/// bits), drawn point by point, axis by axis: the `j`-th point depends only on the seed and
/// `j`, not on how the draws are split into batches.
pub fn uniform_points(
    lower: &[f64],
    upper: &[f64],
    count: usize,
    rng: &mut ChaCha8Rng,
) -> DMatrix<f64> {
    assert_eq!(lower.len(), upper.len(), "box bounds of different lengths");
    let n = lower.len();
    let mut points = DMatrix::zeros(count, n);
    for j in 0..count {
        for k in 0..n {
            let u: f64 = rng.random();
            // Rounding can never carry a point past its upper bound.
            points[(j, k)] = (lower[k] + u * (upper[k] - lower[k])).min(upper[k]);
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_every_part_and_repeat() {
        let s = certificate_seed("abc", "resnet50/vase/3", 0);
        assert_eq!(s, certificate_seed("abc", "resnet50/vase/3", 0));
        assert_ne!(s, certificate_seed("abd", "resnet50/vase/3", 0));
        assert_ne!(s, certificate_seed("abc", "resnet50/vase/4", 0));
        assert_ne!(s, certificate_seed("abc", "resnet50/vase/3", 1));
        assert_ne!(
            certificate_seed("ab", "c", 0),
            certificate_seed("a", "bc", 0)
        );
    }

    #[test]
    fn the_seed_is_the_documented_hash() {
        let mut bytes = SEED_TAG.to_vec();
        bytes.extend(2u64.to_le_bytes());
        bytes.extend(b"fp");
        bytes.extend(3u64.to_le_bytes());
        bytes.extend(b"job");
        bytes.extend(7u64.to_le_bytes());
        let digest = Sha256::digest(&bytes);
        let expected = u64::from_le_bytes(digest[..8].try_into().unwrap());
        assert_eq!(certificate_seed("fp", "job", 7), expected);
    }

    #[test]
    fn points_are_inside_the_box_and_split_freely_into_batches() {
        let (lo, hi) = ([0.0, -10.0, 5.0], [360.0, 90.0, 5.5]);
        let all = uniform_points(&lo, &hi, 50, &mut certificate_rng(9));
        for j in 0..50 {
            for k in 0..3 {
                assert!(all[(j, k)] >= lo[k] && all[(j, k)] <= hi[k]);
            }
        }
        let mut rng = certificate_rng(9);
        let first = uniform_points(&lo, &hi, 20, &mut rng);
        let rest = uniform_points(&lo, &hi, 30, &mut rng);
        assert_eq!(first, all.rows(0, 20));
        assert_eq!(rest, all.rows(20, 30));
        assert_ne!(all, uniform_points(&lo, &hi, 50, &mut certificate_rng(10)));
    }

    /// The law of the points, not only their range: on every axis of a box away from 0 and
    /// of width other than 1, each tenth of the side holds about a tenth of the points (a
    /// binomial count of mean N/10, checked to 5σ) and their mean is the side's midpoint
    /// (to 5σ of a uniform mean, `width / √(12 N)`).
    #[test]
    fn points_are_uniform_over_each_side_of_the_box() {
        let (lo, hi) = ([-10.0, 5.0, 200.0], [90.0, 5.5, 360.0]);
        let count = 4000;
        let points = uniform_points(&lo, &hi, count, &mut certificate_rng(3));
        let n = count as f64;
        for k in 0..3 {
            let width = hi[k] - lo[k];
            let mut bins = [0usize; 10];
            let mut sum = 0.0;
            for j in 0..count {
                let x = points[(j, k)];
                sum += x;
                let b = ((x - lo[k]) / width * 10.0).floor() as usize;
                bins[b.min(9)] += 1;
            }
            let sigma = (n * 0.1 * 0.9).sqrt();
            for (b, &c) in bins.iter().enumerate() {
                assert!(
                    (c as f64 - n / 10.0).abs() < 5.0 * sigma,
                    "axis {k}: tenth {b} holds {c} of {count} points"
                );
            }
            let mean = sum / n;
            let mid = 0.5 * (lo[k] + hi[k]);
            assert!(
                (mean - mid).abs() < 5.0 * width / (12.0 * n).sqrt(),
                "axis {k}: mean {mean}, midpoint {mid}"
            );
        }
    }
}
