//! Semantic traps (the paper's §5): places where the network fails although every way out
//! of them leads through confident views.
//!
//! On a tabulated map, a trap is a connected set of samples scoring below `low` (0.1 by
//! default) inside a *basin*, a connected set of samples scoring below `high` (0.5), that
//! does not touch the domain's edge: the basin is then enclosed by samples scoring at least
//! `high`. Samples are connected to their neighbours along each axis; a periodic axis
//! (azimuth) wraps, so its first and last samples are neighbours and a hole split by the
//! wrap is one trap. A basin that fills the whole map is enclosed by nothing and holds no
//! trap.

use serde::{Deserialize, Serialize};

use crate::semantic::{Axis, Grid};

/// The score thresholds of the trap rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrapThresholds {
    /// A trap's samples score below this.
    pub low: f64,
    /// Its enclosure scores at least this.
    pub high: f64,
}

impl Default for TrapThresholds {
    fn default() -> Self {
        TrapThresholds {
            low: 0.1,
            high: 0.5,
        }
    }
}

/// One semantic trap on a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trap {
    /// Samples in the trap.
    pub samples: usize,
    /// The measure of the samples' cells (deg² on an azimuth × elevation map): each sample
    /// owns the cell halfway to its neighbours, edge cells reaching the domain's bound.
    pub area: f64,
    /// The area-weighted centre; on a periodic axis the circular mean, within one period
    /// from the axis' first value.
    pub centre: Vec<f64>,
    /// The lowest score in the trap.
    pub min_score: f64,
    /// Row-major indices of the trap's samples (for drawing), in increasing order.
    #[serde(skip)]
    pub indices: Vec<usize>,
}

/// The width of every sample's cell along one axis.
fn cell_widths(axis: &Axis) -> Vec<f64> {
    let v = &axis.values;
    let n = v.len();
    if let Some(p) = axis.period {
        if n == 1 {
            return vec![p];
        }
        return (0..n)
            .map(|i| {
                let before = if i == 0 {
                    v[0] + p - v[n - 1]
                } else {
                    v[i] - v[i - 1]
                };
                let after = if i + 1 == n {
                    v[0] + p - v[n - 1]
                } else {
                    v[i + 1] - v[i]
                };
                (before + after) / 2.0
            })
            .collect();
    }
    let (lo, hi) = axis.span();
    (0..n)
        .map(|i| {
            let left = if i == 0 {
                lo.min(v[0])
            } else {
                (v[i - 1] + v[i]) / 2.0
            };
            let right = if i + 1 == n {
                hi.max(v[i])
            } else {
                (v[i] + v[i + 1]) / 2.0
            };
            right - left
        })
        .collect()
}

/// Sample positions and neighbourhoods of a grid.
struct Lattice<'a> {
    axes: &'a [Axis],
    sizes: Vec<usize>,
    strides: Vec<usize>,
}

impl<'a> Lattice<'a> {
    fn new(grid: &'a Grid) -> Self {
        let sizes = grid.sizes();
        let mut strides = vec![1; sizes.len()];
        for k in (0..sizes.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * sizes[k + 1];
        }
        Lattice {
            axes: grid.axes(),
            sizes,
            strides,
        }
    }

    fn index(&self, flat: usize, k: usize) -> usize {
        flat / self.strides[k] % self.sizes[k]
    }

    /// Whether the sample lies on the edge of a non-periodic axis.
    fn on_edge(&self, flat: usize) -> bool {
        (0..self.sizes.len()).any(|k| {
            let i = self.index(flat, k);
            self.axes[k].period.is_none() && (i == 0 || i + 1 == self.sizes[k])
        })
    }

    fn neighbours(&self, flat: usize, out: &mut Vec<usize>) {
        out.clear();
        for k in 0..self.sizes.len() {
            let (i, n, s) = (self.index(flat, k), self.sizes[k], self.strides[k]);
            if n == 1 {
                continue;
            }
            let periodic = self.axes[k].period.is_some();
            if i > 0 {
                out.push(flat - s);
            } else if periodic {
                out.push(flat + (n - 1) * s);
            }
            if i + 1 < n {
                out.push(flat + s);
            } else if periodic {
                out.push(flat - (n - 1) * s);
            }
        }
    }

    /// Connected components of the samples where `member` holds, each in increasing order.
    fn components(&self, member: &[bool]) -> Vec<Vec<usize>> {
        let mut seen = vec![false; member.len()];
        let mut out = Vec::new();
        let mut stack = Vec::new();
        let mut next = Vec::new();
        for start in 0..member.len() {
            if !member[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            let mut component = Vec::new();
            while let Some(c) = stack.pop() {
                component.push(c);
                self.neighbours(c, &mut next);
                for &m in &next {
                    if member[m] && !seen[m] {
                        seen[m] = true;
                        stack.push(m);
                    }
                }
            }
            component.sort_unstable();
            out.push(component);
        }
        out
    }
}

/// The area-weighted centre of samples along one axis.
fn axis_centre(axis: &Axis, positions: impl Iterator<Item = (f64, f64)>) -> f64 {
    match axis.period {
        Some(p) => {
            let origin = axis.values[0];
            let (mut s, mut c) = (0.0, 0.0);
            for (x, w) in positions {
                let angle = std::f64::consts::TAU * (x - origin) / p;
                s += w * angle.sin();
                c += w * angle.cos();
            }
            let angle = s.atan2(c).rem_euclid(std::f64::consts::TAU);
            origin + (angle / std::f64::consts::TAU * p) % p
        }
        None => {
            let (sum, weight) = positions.fold((0.0, 0.0), |(s, t), (x, w)| (s + w * x, t + w));
            sum / weight
        }
    }
}

/// The semantic traps of a map, largest area first.
pub fn find_traps(grid: &Grid, thresholds: TrapThresholds) -> Vec<Trap> {
    let lattice = Lattice::new(grid);
    let values = grid.values();
    let widths: Vec<Vec<f64>> = grid.axes().iter().map(cell_widths).collect();
    let cell_area = |flat: usize| -> f64 {
        (0..widths.len())
            .map(|k| widths[k][lattice.index(flat, k)])
            .product()
    };
    let in_basin: Vec<bool> = values.iter().map(|&v| v < thresholds.high).collect();
    let mut enclosed = vec![false; values.len()];
    for basin in lattice.components(&in_basin) {
        if basin.len() < values.len() && !basin.iter().any(|&c| lattice.on_edge(c)) {
            for c in basin {
                enclosed[c] = true;
            }
        }
    }
    let low: Vec<bool> = values
        .iter()
        .zip(&enclosed)
        .map(|(&v, &e)| e && v < thresholds.low)
        .collect();
    let mut traps: Vec<Trap> = lattice
        .components(&low)
        .into_iter()
        .map(|indices| {
            let areas: Vec<f64> = indices.iter().map(|&c| cell_area(c)).collect();
            let centre = (0..grid.axes().len())
                .map(|k| {
                    let axis = &grid.axes()[k];
                    axis_centre(
                        axis,
                        indices
                            .iter()
                            .zip(&areas)
                            .map(|(&c, &w)| (axis.values[lattice.index(c, k)], w)),
                    )
                })
                .collect();
            Trap {
                samples: indices.len(),
                area: areas.iter().sum(),
                centre,
                min_score: indices
                    .iter()
                    .map(|&c| values[c])
                    .fold(f64::INFINITY, f64::min),
                indices,
            }
        })
        .collect();
    traps.sort_by(|a, b| b.area.total_cmp(&a.area));
    traps
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Azimuth 0, 10, …, 350 (periodic) × elevation −10, 0, …, 90: every cell is 10° × 10°
    /// but the elevation edges' half cells.
    fn map(score: impl Fn(f64, f64) -> f64) -> Grid {
        let axes = vec![
            Axis {
                name: "azimuth".into(),
                unit: "deg".into(),
                values: (0..36).map(|i| 10.0 * i as f64).collect(),
                period: Some(360.0),
                domain: None,
            },
            Axis {
                name: "elevation".into(),
                unit: "deg".into(),
                values: (0..11).map(|i| -10.0 + 10.0 * i as f64).collect(),
                period: None,
                domain: None,
            },
        ];
        Grid::tabulate(axes, Value::Null, |u| score(u[0], u[1])).unwrap()
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_hole_ringed_by_confident_views_is_one_trap() {
        // 3 × 3 samples at 0 around (180, 40), a ring of 0.3 around them, 0.9 elsewhere.
        let g = map(|az, el| {
            let d = ((az - 180.0).abs()).max((el - 40.0).abs());
            if d <= 10.0 {
                0.0
            } else if d <= 20.0 {
                0.3
            } else {
                0.9
            }
        });
        let traps = find_traps(&g, TrapThresholds::default());
        assert_eq!(traps.len(), 1, "{traps:?}");
        let t = &traps[0];
        assert_eq!(t.samples, 9);
        assert!(near(t.area, 900.0), "area {}", t.area);
        assert!(
            near(t.centre[0], 180.0) && near(t.centre[1], 40.0),
            "{:?}",
            t.centre
        );
        assert_eq!(t.min_score, 0.0);
    }

    #[test]
    fn a_hole_touching_the_edge_is_no_trap() {
        // The low area reaches elevation −10, the domain's lower edge.
        let g = map(|az, el| {
            if (az - 100.0).abs() <= 10.0 && el <= 10.0 {
                0.0
            } else {
                0.9
            }
        });
        assert!(find_traps(&g, TrapThresholds::default()).is_empty());
        // The same hole lifted off the edge is a trap.
        let g = map(|az, el| {
            if (az - 100.0).abs() <= 10.0 && (10.0..=30.0).contains(&el) {
                0.0
            } else {
                0.9
            }
        });
        assert_eq!(find_traps(&g, TrapThresholds::default()).len(), 1);
    }

    #[test]
    fn a_hole_reaching_the_edge_through_middling_scores_is_no_trap() {
        // The low samples are ringed by 0.3, which runs down to the edge: no confident
        // enclosure.
        let g = map(|az, el| {
            if (az - 100.0).abs() <= 10.0 && (el - 40.0).abs() <= 10.0 {
                0.0
            } else if (az - 100.0).abs() <= 20.0 && el <= 50.0 {
                0.3
            } else {
                0.9
            }
        });
        assert!(find_traps(&g, TrapThresholds::default()).is_empty());
    }

    #[test]
    fn a_hole_split_by_the_azimuth_wrap_is_one_trap() {
        // Azimuths 340, 350, 0, 10, 20 at elevation 40: both ends of the axis.
        let g = map(|az, el| {
            let d = az.min(360.0 - az);
            if d <= 20.0 && el == 40.0 {
                0.05
            } else {
                0.8
            }
        });
        let traps = find_traps(&g, TrapThresholds::default());
        assert_eq!(traps.len(), 1, "{traps:?}");
        let t = &traps[0];
        assert_eq!(t.samples, 5);
        assert!(near(t.area, 500.0), "area {}", t.area);
        let az = t.centre[0];
        assert!(near(az, 0.0) || near(az, 360.0), "centre azimuth {az}");
        assert!(near(t.centre[1], 40.0));
    }

    #[test]
    fn a_map_without_confident_views_has_no_trap() {
        assert!(find_traps(&map(|_, _| 0.0), TrapThresholds::default()).is_empty());
        // A band all around the azimuth circle, confident above and below, is enclosed.
        let g = map(|_, el| if el == 40.0 { 0.0 } else { 0.9 });
        let traps = find_traps(&g, TrapThresholds::default());
        assert_eq!(traps.len(), 1);
        assert!(near(traps[0].area, 3600.0));
    }

    #[test]
    fn thresholds_are_honoured_and_traps_come_largest_first() {
        let g = map(|az, el| {
            if az == 60.0 && el == 40.0 {
                0.15
            } else if (az - 200.0).abs() <= 10.0 && el == 40.0 {
                0.02
            } else {
                0.9
            }
        });
        let default = find_traps(&g, TrapThresholds::default());
        assert_eq!(default.len(), 1, "0.15 is not below 0.1");
        let loose = find_traps(
            &g,
            TrapThresholds {
                low: 0.2,
                high: 0.5,
            },
        );
        assert_eq!(loose.len(), 2);
        assert!(loose[0].area > loose[1].area);
        assert!(near(loose[0].centre[0], 200.0));
    }

    #[test]
    fn one_dimensional_maps_wrap_too() {
        let axes = vec![Axis {
            name: "azimuth".into(),
            unit: "deg".into(),
            values: (0..12).map(|i| 30.0 * i as f64).collect(),
            period: Some(360.0),
            domain: None,
        }];
        let g = Grid::tabulate(axes, Value::Null, |u| {
            if u[0] == 0.0 || u[0] == 330.0 {
                0.0
            } else {
                1.0
            }
        })
        .unwrap();
        let traps = find_traps(&g, TrapThresholds::default());
        assert_eq!(traps.len(), 1);
        assert!(near(traps[0].area, 60.0));
        assert!(near(traps[0].centre[0], 345.0), "{:?}", traps[0].centre);
    }
}
