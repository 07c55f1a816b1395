//! What a box holds on a map: the mean and extremes of the map's multilinear interpolant
//! over the box, and the share of its volume that scores low (issue 19, item 7).
//!
//! The interpolant is multilinear inside each cell of the map's grid, so cutting the box at
//! every grid line that crosses it gives sub-boxes on each of which it is multilinear. On
//! such a sub-box the trapezoid rule over its corners is its exact integral, and its
//! extremes sit at its corners: the mean, minimum and maximum below are exact. The share of
//! the volume below a threshold is measured with the midpoint rule, [`SHARE_POINTS`] points
//! per axis in every sub-box, so it is exact to about a quarter of a map cell.

use serde::{Deserialize, Serialize};

use super::Grid;

/// Points per axis in each sub-box for the share below a threshold (midpoint rule).
pub const SHARE_POINTS: usize = 4;

/// The most sub-boxes a box is cut into; a larger box is refused (`None`) rather than
/// taking unbounded time (2-D at the paper's 3° grid has at most 121 × 35 = 4 235).
pub const MAX_SUB_BOXES: usize = 1 << 20;

/// What a box holds for one goal: of `f` (robust regions) or of `1 − f` (adversarial).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoxContents {
    /// The mean of the score over the box.
    pub mean: f64,
    /// The lowest score in the box.
    pub min: f64,
    /// The share of the box's volume scoring below the threshold.
    pub below: f64,
    /// That threshold (the acceptance threshold τ, 0.1 by default).
    pub threshold: f64,
}

impl Grid {
    /// What the box `[lower, upper]` holds on this map, of `f` or (`adversarial`) of `1 − f`
    /// (whose threshold is then crossed where `f > 1 − threshold`). `None` when the box has
    /// the wrong dimension, an empty or non-finite side, or would need more than
    /// [`MAX_SUB_BOXES`] sub-boxes.
    pub fn box_contents(
        &self,
        lower: &[f64],
        upper: &[f64],
        threshold: f64,
        adversarial: bool,
    ) -> Option<BoxContents> {
        let n = self.axes().len();
        if lower.len() != n || upper.len() != n {
            return None;
        }
        if (0..n).any(|k| !(lower[k].is_finite() && upper[k].is_finite() && lower[k] < upper[k])) {
            return None;
        }
        let knots: Vec<Vec<f64>> = (0..n).map(|k| cuts(self, k, lower[k], upper[k])).collect();
        let subs = knots
            .iter()
            .try_fold(1usize, |acc, k| acc.checked_mul(k.len() - 1))
            .filter(|&s| s <= MAX_SUB_BOXES)?;
        let score = |u: &[f64]| {
            let f = self.interpolate(u, None);
            if adversarial {
                1.0 - f
            } else {
                f
            }
        };
        let volume: f64 = (0..n).map(|k| upper[k] - lower[k]).product();
        let (mut integral, mut min, mut below) = (0.0, f64::INFINITY, 0.0);
        let mut u = vec![0.0; n];
        for sub in 0..subs {
            // The sub-box's cell index per axis, last axis fastest.
            let mut rest = sub;
            let mut cell = vec![0usize; n];
            for k in (0..n).rev() {
                let len = knots[k].len() - 1;
                cell[k] = rest % len;
                rest /= len;
            }
            let side = |k: usize| knots[k][cell[k] + 1] - knots[k][cell[k]];
            let sub_volume: f64 = (0..n).map(side).product();
            let mut corner_sum = 0.0;
            for corner in 0..(1usize << n) {
                for k in 0..n {
                    u[k] = knots[k][cell[k] + ((corner >> (n - 1 - k)) & 1)];
                }
                let s = score(&u);
                corner_sum += s;
                min = min.min(s);
            }
            integral += sub_volume * corner_sum / (1usize << n) as f64;
            let points = SHARE_POINTS.pow(n as u32);
            let mut low = 0usize;
            for p in 0..points {
                let mut rest = p;
                for k in (0..n).rev() {
                    let i = rest % SHARE_POINTS;
                    rest /= SHARE_POINTS;
                    u[k] = knots[k][cell[k]] + (i as f64 + 0.5) / SHARE_POINTS as f64 * side(k);
                }
                if score(&u) < threshold {
                    low += 1;
                }
            }
            below += sub_volume * low as f64 / points as f64;
        }
        Some(BoxContents {
            mean: integral / volume,
            min,
            below: (below / volume).clamp(0.0, 1.0),
            threshold,
        })
    }
}

/// The box's side `[a, b]` on axis `k` cut at every grid line inside it (every sample, and
/// on a periodic axis every sample shifted by whole periods): sorted, `a` first, `b` last.
pub(crate) fn cuts(grid: &Grid, k: usize, a: f64, b: f64) -> Vec<f64> {
    let axis = &grid.axes()[k];
    let mut knots = vec![a, b];
    for &v in &axis.values {
        match axis.period {
            Some(p) => {
                let mut m = ((a - v) / p).floor();
                loop {
                    let x = v + m * p;
                    if x >= b {
                        break;
                    }
                    if x > a {
                        knots.push(x);
                    }
                    m += 1.0;
                }
            }
            None => {
                if a < v && v < b {
                    knots.push(v);
                }
            }
        }
    }
    knots.sort_by(f64::total_cmp);
    knots.dedup();
    knots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::Axis;

    fn axis(name: &str, values: Vec<f64>, period: Option<f64>) -> Axis {
        Axis {
            name: name.into(),
            unit: String::new(),
            values,
            period,
            domain: None,
        }
    }

    fn grid2(f: impl Fn(f64, f64) -> f64) -> Grid {
        let az = (0..120).map(|i| 3.0 * i as f64).collect();
        let el = (0..34).map(|i| -10.0 + 3.0 * i as f64).collect();
        Grid::tabulate(
            vec![
                axis("azimuth", az, Some(360.0)),
                axis("elevation", el, None),
            ],
            serde_json::Value::Null,
            |u| f(u[0], u[1]),
        )
        .unwrap()
    }

    #[test]
    fn a_bilinear_map_gives_its_exact_mean_and_minimum_over_any_box() {
        // f = (a/360)(e + 10)/100 is bilinear, so its interpolant is f itself off the wrap
        // cell: mean over [a0, a1] × [e0, e1] is the product of the means.
        let g = grid2(|a, e| (a / 360.0) * (e + 10.0) / 100.0);
        let (a0, a1, e0, e1) = (10.3, 200.7, 1.1, 50.9);
        let c = g.box_contents(&[a0, e0], &[a1, e1], 0.1, false).unwrap();
        let mean = ((a0 + a1) / 2.0 / 360.0) * ((e0 + e1) / 2.0 + 10.0) / 100.0;
        assert!((c.mean - mean).abs() < 1e-12, "{} vs {mean}", c.mean);
        let min = (a0 / 360.0) * (e0 + 10.0) / 100.0;
        assert!((c.min - min).abs() < 1e-12, "{} vs {min}", c.min);
        // The share below 0.1: the area under the hyperbola (a/360)(e+10)/100 = 0.1.
        let exact = {
            let k = 0.1 * 360.0 * 100.0; // a (e + 10) < k
            let steps = 200_000;
            let h = (a1 - a0) / steps as f64;
            (0..steps)
                .map(|i| {
                    let a = a0 + (i as f64 + 0.5) * h;
                    ((k / a - 10.0).clamp(e0, e1) - e0) * h
                })
                .sum::<f64>()
                / ((a1 - a0) * (e1 - e0))
        };
        assert!((c.below - exact).abs() < 0.01, "{} vs {exact}", c.below);
        // Adversarial: of 1 − f, whose minimum is at the other corner.
        let adv = g.box_contents(&[a0, e0], &[a1, e1], 0.1, true).unwrap();
        assert!((adv.mean - (1.0 - mean)).abs() < 1e-12);
        let max = (a1 / 360.0) * (e1 + 10.0) / 100.0;
        assert!((adv.min - (1.0 - max)).abs() < 1e-12);
    }

    #[test]
    fn a_dark_band_inside_a_bright_box_shows_in_its_minimum_and_share() {
        // 1 everywhere except azimuth 99–111 (0 on the samples 102–108): a box over it has
        // a high mean but a minimum of 0.
        let g = grid2(|a, _| {
            if (102.0..=108.0).contains(&a) {
                0.0
            } else {
                1.0
            }
        });
        let c = g
            .box_contents(&[60.0, 0.0], &[160.0, 40.0], 0.1, false)
            .unwrap();
        assert_eq!(c.min, 0.0);
        // Below 0.1 where the ramp 99→102 (and 108→111) is below 0.1, plus the band: 6 +
        // 2 × 0.3 degrees of 100; the midpoint rule (4 points per 3° cell) sees the band.
        assert!((c.below - 0.066).abs() <= 0.0061, "{}", c.below);
        assert!((c.mean - (1.0 - 9.0 / 100.0)).abs() < 1e-12, "{}", c.mean);
        // A box beside the band is clean.
        let clean = g
            .box_contents(&[120.0, 0.0], &[200.0, 40.0], 0.1, false)
            .unwrap();
        assert_eq!((clean.min, clean.below, clean.mean), (1.0, 0.0, 1.0));
    }

    #[test]
    fn a_box_across_the_wrap_reads_the_cell_between_357_and_360() {
        // f = 1 at azimuth 0 only: the wrap cell ramps 357 → 360 from 0 to 1.
        let g = grid2(|a, _| if a == 0.0 { 1.0 } else { 0.0 });
        let c = g
            .box_contents(&[357.0, 0.0], &[360.0, 10.0], 0.1, false)
            .unwrap();
        assert!((c.mean - 0.5).abs() < 1e-12, "{}", c.mean);
        // Exactly 0.1 (357–357.3); the midpoint rule is exact to a quarter cell per edge.
        assert!((c.below - 0.1).abs() <= 0.25, "{}", c.below);
        let wrapped = g
            .box_contents(&[-3.0, 0.0], &[0.0, 10.0], 0.1, false)
            .unwrap();
        assert_eq!(wrapped, c);
    }

    /// The share below is the midpoint rule on a 4 × 4 lattice of every sub-box, over both
    /// axes: on one cell with f = xy (bilinear, so the interpolant is f) the share below t is
    /// the count of lattice points `((i + ½)/4, (j + ½)/4)` with `xy < t`, out of 16.
    #[test]
    fn the_share_below_counts_the_whole_midpoint_lattice_of_a_cell() {
        let unit = || axis("x", vec![0.0, 1.0], None);
        let g = Grid::tabulate(vec![unit(), unit()], serde_json::Value::Null, |u| {
            u[0] * u[1]
        })
        .unwrap();
        let mid = |i: usize| (i as f64 + 0.5) / SHARE_POINTS as f64;
        for t in [0.05, 0.1, 0.2, 0.3, 0.5] {
            let count = (0..SHARE_POINTS)
                .flat_map(|i| (0..SHARE_POINTS).map(move |j| (i, j)))
                .filter(|&(i, j)| mid(i) * mid(j) < t)
                .count();
            let c = g.box_contents(&[0.0, 0.0], &[1.0, 1.0], t, false).unwrap();
            assert_eq!(c.below, count as f64 / 16.0, "t = {t}");
            assert_eq!((c.mean, c.min), (0.25, 0.0));
        }
    }

    /// Below means strictly below: a score equal to the threshold is not counted (as a
    /// certificate's sample at the threshold passes), one just under it is. On a map of
    /// zeros the interpolant is exactly 0 everywhere, so f = 0 meets t = 0 and 1 − f = 1
    /// meets t = 1 exactly.
    #[test]
    fn a_score_equal_to_the_threshold_is_not_below_it() {
        let g = grid2(|_, _| 0.0);
        let (lo, hi) = ([10.0, 0.0], [100.0, 30.0]);
        for (adversarial, t, above) in [
            (false, 0.0, f64::from_bits(1)),
            (true, 1.0, 1.0 + f64::EPSILON),
        ] {
            let at = g.box_contents(&lo, &hi, t, adversarial).unwrap();
            assert_eq!(at.below, 0.0, "adversarial {adversarial}");
            let under = g.box_contents(&lo, &hi, above, adversarial).unwrap();
            assert_eq!(under.below, 1.0, "adversarial {adversarial}");
        }
    }

    #[test]
    fn bad_boxes_give_none() {
        let g = grid2(|_, _| 0.5);
        assert!(g.box_contents(&[1.0], &[2.0], 0.1, false).is_none());
        // A side of width 0 is empty: no volume to share.
        assert!(g
            .box_contents(&[1.0, 5.0], &[2.0, 5.0], 0.1, false)
            .is_none());
        // Either bound of the wrong dimension on its own (short or long).
        for (lo, hi) in [
            (&[1.0][..], &[2.0, 1.0][..]),
            (&[1.0, 0.0, 0.0][..], &[2.0, 1.0][..]),
            (&[1.0, 0.0][..], &[2.0][..]),
            (&[1.0, 0.0][..], &[2.0, 1.0, 1.0][..]),
        ] {
            assert!(
                g.box_contents(lo, hi, 0.1, false).is_none(),
                "{lo:?} {hi:?}"
            );
        }
        assert!(g
            .box_contents(&[2.0, 0.0], &[1.0, 1.0], 0.1, false)
            .is_none());
        assert!(g
            .box_contents(&[f64::NAN, 0.0], &[1.0, 1.0], 0.1, false)
            .is_none());
        let c = g
            .box_contents(&[0.0, -10.0], &[360.0, 90.0], 0.1, false)
            .unwrap();
        assert!((c.mean - 0.5).abs() < 1e-12 && c.min == 0.5 && c.below == 0.0);
    }
}
