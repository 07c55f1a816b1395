//! The largest clean box: the largest box around a start whose share of failing volume on a
//! map's interpolant is at most p (SPEC §8).

use crate::region::Goal;
use crate::semantic::contents::{cuts, SHARE_POINTS};
use crate::semantic::Grid;

/// The largest-volume box inside `[lower, upper]` that contains `start` and in which at most
/// a share `max_share` of the volume fails on `map`'s multilinear interpolant (SPEC §8).
///
/// *Fails* is [`Grid::box_contents`]' "below the threshold": for a robust goal `f <
/// threshold`; for an adversarial goal `1 − f < 1 − threshold` (f above the threshold), by
/// the same midpoint rule ([`SHARE_POINTS`] points per axis in each piece between grid
/// lines). `start` is clamped into `[lower, upper]` first.
///
/// Candidate bounds on each axis: the grid lines strictly inside `[lower, upper]` (on a
/// periodic axis every shifted copy), `lower`, `upper` and the start's coordinate.
///
/// * **n = 2: exact** over those candidates. The failing measure of every piece between
///   candidate lines is tabulated once (by `box_contents` on the piece, so each box's
///   measure is the one `box_contents` gives it, up to rounding; where the start's line
///   splits a grid cell, the whole cell and both halves are tabulated, because a box that
///   spans the start is not cut there), then every candidate box containing the start is
///   scored in O(1) from prefix sums. Ties in volume keep the first found.
/// * **n ≠ 2: greedy.** From the whole box, repeatedly move the one face (to its next
///   candidate toward the start) that removes the most failing measure per volume removed
///   (the first face, in the order lower 0, upper 0, lower 1, …, on ties), until the share
///   is at most `max_share`. A move that would leave a side of width 0 is never taken.
///
/// When no box of positive volume qualifies, the degenerate box `[start, start]` is
/// returned if the start itself does not fail, else `None`. `None` also for bounds or a
/// start of the wrong dimension or not finite, `lower > upper`, or a box `box_contents`
/// refuses (too many sub-boxes).
pub fn clean_box(
    map: &Grid,
    lower: &[f64],
    upper: &[f64],
    start: &[f64],
    threshold: f64,
    max_share: f64,
    goal: Goal,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = map.axes().len();
    if lower.len() != n || upper.len() != n || start.len() != n {
        return None;
    }
    if (0..n).any(|k| {
        !(lower[k].is_finite() && upper[k].is_finite() && start[k].is_finite())
            || lower[k] > upper[k]
    }) {
        return None;
    }
    let s: Vec<f64> = (0..n).map(|k| start[k].clamp(lower[k], upper[k])).collect();
    let probe = Probe {
        map,
        threshold: match goal {
            Goal::Robust => threshold,
            Goal::Adversarial => 1.0 - threshold,
        },
        adversarial: goal.is_adversarial(),
        max_share,
    };
    let found = if (0..n).any(|k| lower[k] == upper[k]) {
        None
    } else {
        let axes: Vec<Lines> = (0..n)
            .map(|k| Lines::new(map, k, lower[k], upper[k], s[k]))
            .collect();
        if n == 2 {
            exact_2d(&probe, &axes[0], &axes[1])
        } else {
            greedy(&probe, &axes)?
        }
    };
    found.or_else(|| probe.point_passes(&s).then(|| (s.clone(), s.clone())))
}

/// How the failing share is measured.
struct Probe<'a> {
    map: &'a Grid,
    /// The threshold as `box_contents` takes it (on `1 − f` for adversarial goals).
    threshold: f64,
    adversarial: bool,
    max_share: f64,
}

impl Probe<'_> {
    /// The failing measure (share × volume) of a box of positive volume, as
    /// `box_contents` gives it.
    fn failing_measure(&self, lower: &[f64], upper: &[f64]) -> Option<f64> {
        let c = self
            .map
            .box_contents(lower, upper, self.threshold, self.adversarial)?;
        Some(c.below * volume(lower, upper))
    }

    fn qualifies(&self, failing: f64, volume: f64) -> bool {
        (failing / volume).clamp(0.0, 1.0) <= self.max_share
    }

    fn point_passes(&self, u: &[f64]) -> bool {
        let f = self.map.interpolate(u, None);
        let score = if self.adversarial { 1.0 - f } else { f };
        score >= self.threshold
    }
}

fn volume(lower: &[f64], upper: &[f64]) -> f64 {
    lower.iter().zip(upper).map(|(a, b)| b - a).product()
}

/// One axis' candidate lines: the grid lines `g` (with the axis' bounds first and last) and
/// the start `s`, which either is one of them or splits the segment `split`.
struct Lines {
    g: Vec<f64>,
    s: f64,
    /// `Ok(m)`: `s == g[m]`; `Err(σ)`: `g[σ] < s < g[σ + 1]`.
    at: Result<usize, usize>,
}

/// One end of an interval on an axis: a grid line (by index) or the start.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Line(usize),
    Start,
}

impl Lines {
    fn new(map: &Grid, k: usize, lo: f64, hi: f64, s: f64) -> Lines {
        let g = cuts(map, k, lo, hi);
        let at = match g.iter().position(|&x| x == s) {
            Some(m) => Ok(m),
            None => Err(g.partition_point(|&x| x < s) - 1),
        };
        Lines { g, s, at }
    }

    /// The number of segments between grid lines.
    fn segments(&self) -> usize {
        self.g.len() - 1
    }

    fn coord(&self, e: End) -> f64 {
        match e {
            End::Line(i) => self.g[i],
            End::Start => self.s,
        }
    }

    /// The lower ends of intervals containing the start, outermost first.
    fn lower_ends(&self) -> Vec<End> {
        match self.at {
            Ok(m) => (0..=m).map(End::Line).collect(),
            Err(sigma) => (0..=sigma).map(End::Line).chain([End::Start]).collect(),
        }
    }

    /// The upper ends of intervals containing the start, outermost first.
    fn upper_ends(&self) -> Vec<End> {
        let last = self.g.len() - 1;
        match self.at {
            Ok(m) => (m..=last).rev().map(End::Line).collect(),
            Err(sigma) => (sigma + 1..=last)
                .rev()
                .map(End::Line)
                .chain([End::Start])
                .collect(),
        }
    }

    /// The pieces `box_contents` cuts the interval `[a, b]` into, as at most two runs of
    /// piece indices (inclusive): segments `0..G` (the split segment whole), then `G` for
    /// `[g[σ], s]` and `G + 1` for `[s, g[σ + 1]]`. Empty for a zero-width interval.
    fn pieces(&self, a: End, b: End) -> Vec<(usize, usize)> {
        let big = self.segments();
        match (a, b) {
            (End::Line(i), End::Line(j)) if i < j => vec![(i, j - 1)],
            (End::Line(_), End::Line(_)) | (End::Start, End::Start) => vec![],
            (End::Start, End::Line(j)) => {
                let sigma = self.at.expect_err("the start ends only a split segment");
                let mut v = vec![(big + 1, big + 1)];
                if j > sigma + 1 {
                    v.push((sigma + 1, j - 1));
                }
                v
            }
            (End::Line(i), End::Start) => {
                let sigma = self.at.expect_err("the start ends only a split segment");
                let mut v = vec![(big, big)];
                if i < sigma {
                    v.push((i, sigma - 1));
                }
                v
            }
        }
    }

    /// The extent of piece `p` (see [`Lines::pieces`]); `None` for a half that does not
    /// exist (the start is on a line).
    fn piece(&self, p: usize) -> Option<(f64, f64)> {
        let big = self.segments();
        match (p, self.at) {
            (p, _) if p < big => Some((self.g[p], self.g[p + 1])),
            (p, Err(sigma)) if p == big => Some((self.g[sigma], self.s)),
            (_, Err(sigma)) => Some((self.s, self.g[sigma + 1])),
            (_, Ok(_)) => None,
        }
    }

    /// Every interval of positive width containing the start.
    fn intervals(&self) -> Vec<Interval> {
        let mut out = Vec::new();
        for a in self.lower_ends() {
            for b in self.upper_ends() {
                let width = self.coord(b) - self.coord(a);
                if width > 0.0 {
                    out.push(Interval {
                        lower: self.coord(a),
                        upper: self.coord(b),
                        width,
                        pieces: self.pieces(a, b),
                    });
                }
            }
        }
        out
    }
}

/// An interval of one axis containing the start, with the pieces `box_contents` cuts it
/// into (see [`Lines::pieces`]).
struct Interval {
    lower: f64,
    upper: f64,
    width: f64,
    pieces: Vec<(usize, usize)>,
}

/// Two-dimensional prefix sums of the failing measure over the pieces of two axes.
struct Prefix {
    cols: usize,
    sums: Vec<f64>,
}

impl Prefix {
    fn new(probe: &Probe, x: &Lines, y: &Lines) -> Option<Prefix> {
        let (rows, cols) = (x.segments() + 2, y.segments() + 2);
        let mut sums = vec![0.0; (rows + 1) * (cols + 1)];
        let w = cols + 1;
        for i in 0..rows {
            for j in 0..cols {
                let m = match (x.piece(i), y.piece(j)) {
                    (Some((x0, x1)), Some((y0, y1))) => piece_measure(probe, [x0, y0], [x1, y1])?,
                    _ => 0.0,
                };
                sums[(i + 1) * w + j + 1] =
                    m + sums[i * w + j + 1] + sums[(i + 1) * w + j] - sums[i * w + j];
            }
        }
        Some(Prefix { cols, sums })
    }

    /// The measure over pieces `i0..=i1` × `j0..=j1`.
    fn rect(&self, (i0, i1): (usize, usize), (j0, j1): (usize, usize)) -> f64 {
        let w = self.cols + 1;
        let s = &self.sums;
        s[(i1 + 1) * w + j1 + 1] - s[i0 * w + j1 + 1] - s[(i1 + 1) * w + j0] + s[i0 * w + j0]
    }
}

/// The failing measure of one piece, exactly as `box_contents` adds it up for a sub-box:
/// `volume × low / points`, with `low` the midpoints below the threshold.
fn piece_measure(probe: &Probe, lower: [f64; 2], upper: [f64; 2]) -> Option<f64> {
    let c = probe
        .map
        .box_contents(&lower, &upper, probe.threshold, probe.adversarial)?;
    let points = SHARE_POINTS.pow(2);
    let low = (c.below * points as f64).round() as usize;
    Some(volume(&lower, &upper) * low as f64 / points as f64)
}

/// The exact search of [`clean_box`] in two dimensions.
fn exact_2d(probe: &Probe, x: &Lines, y: &Lines) -> Option<(Vec<f64>, Vec<f64>)> {
    let prefix = Prefix::new(probe, x, y)?;
    let (xs, ys) = (x.intervals(), y.intervals());
    let mut best: Option<(f64, usize, usize)> = None;
    for (ix, x) in xs.iter().enumerate() {
        for (iy, y) in ys.iter().enumerate() {
            let vol = x.width * y.width;
            if best.is_some_and(|(v, _, _)| vol <= v) {
                continue;
            }
            let mut failing = 0.0;
            for &rx in &x.pieces {
                for &ry in &y.pieces {
                    failing += prefix.rect(rx, ry);
                }
            }
            if probe.qualifies(failing.max(0.0), vol) {
                best = Some((vol, ix, iy));
            }
        }
    }
    best.map(|(_, ix, iy)| {
        let (x, y) = (&xs[ix], &ys[iy]);
        (vec![x.lower, y.lower], vec![x.upper, y.upper])
    })
}

/// Each axis' ends in the greedy search, as indices into its lower and upper ends.
type Ends = Vec<(usize, usize)>;

/// The greedy search of [`clean_box`] in n ≠ 2 dimensions: `Some(None)` when no box of
/// positive volume qualifies, `None` when `box_contents` refuses a box.
#[allow(clippy::option_option)]
fn greedy(probe: &Probe, axes: &[Lines]) -> Option<Option<(Vec<f64>, Vec<f64>)>> {
    let n = axes.len();
    // Each axis' ends, outermost first; `at[k] = (index into lower ends, into upper ends)`.
    let lows: Vec<Vec<End>> = axes.iter().map(Lines::lower_ends).collect();
    let highs: Vec<Vec<End>> = axes.iter().map(Lines::upper_ends).collect();
    let mut at = vec![(0usize, 0usize); n];
    let bounds = |at: &[(usize, usize)]| -> (Vec<f64>, Vec<f64>) {
        (0..n)
            .map(|k| {
                let (i, j) = at[k];
                (axes[k].coord(lows[k][i]), axes[k].coord(highs[k][j]))
            })
            .unzip()
    };
    let (mut lo, mut hi) = bounds(&at);
    let mut failing = probe.failing_measure(&lo, &hi)?;
    loop {
        let vol = volume(&lo, &hi);
        if probe.qualifies(failing, vol) {
            return Some(Some((lo, hi)));
        }
        // (failing measure removed per volume removed, the ends after the move, the
        // failing measure after it)
        let mut best: Option<(f64, Ends, f64)> = None;
        for k in 0..n {
            for upper_face in [false, true] {
                let mut next = at.clone();
                if upper_face {
                    next[k].1 += 1;
                } else {
                    next[k].0 += 1;
                }
                if next[k].0 >= lows[k].len() || next[k].1 >= highs[k].len() {
                    continue;
                }
                let (l, h) = bounds(&next);
                if h[k] <= l[k] {
                    continue;
                }
                let f = probe.failing_measure(&l, &h)?;
                let rate = (failing - f) / (vol - volume(&l, &h));
                if best.as_ref().is_none_or(|(r, _, _)| rate > *r) {
                    best = Some((rate, next, f));
                }
            }
        }
        let Some((_, next, f)) = best else {
            return Some(None);
        };
        at = next;
        (lo, hi) = bounds(&at);
        failing = f;
    }
}
