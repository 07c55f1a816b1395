//! Face quadrature: the Leibniz face integrals of SPEC §2–3 with `m` points per dimension.
//!
//! The corner rule integrates each face `a_i` (an `(n−1)`-box) with its `2ⁿ⁻¹` corners. Here a
//! face is integrated by the composite trapezoid rule on `m` equally spaced points per
//! dimension (`mⁿ⁻¹` points per face, weights `h/2, h, …, h, h/2` with `h = r/(m−1)`). All faces
//! of a box are sampled at once: the points of the box's `mⁿ` grid that lie on its boundary,
//! `mⁿ − (m−2)ⁿ` of them (at `m = 2` exactly the `2ⁿ` corners, in corner order).
//!
//! The face means feed the same combinations as the corner rule
//! ([`super::methods::naive_from_means`], [`super::methods::oir_b_from_means`]); at `m = 2` the
//! weights are powers of two and the points come in corner order, so the directions equal the
//! matrix form of SPEC §3 exactly (bit for bit).
//!
//! OIR_W is corner-only: its β-terms are a first-order expansion of the outer ring written at
//! the corners (the coefficient `2 − (2n−1)β` counts a corner's share of the faces that meet
//! there, and `s`, `s^c` are differences of gradients *between* corners), so there is no face
//! integral to refine; `face_points ≠ 2` with OIR_W is refused
//! ([`super::RegionError::FacePointsUnsupported`]).

use nalgebra::{DMatrix, DVector};

use super::methods::FaceMeans;
use super::Region;

/// The grid coordinates (`t_0, …, t_{n−1}`, each in `0..m`) of grid point `index`, dimension 0
/// most significant (so at `m = 2` the index is the corner index of SPEC §2).
fn grid_coordinates(index: usize, n: usize, m: usize) -> Vec<usize> {
    let mut t = vec![0; n];
    let mut rest = index;
    for i in (0..n).rev() {
        t[i] = rest % m;
        rest /= m;
    }
    t
}

/// The grid coordinates of the boundary points of the `mⁿ` grid, in ascending grid order.
pub fn boundary_grid(n: usize, m: usize) -> Vec<Vec<usize>> {
    (0..m.pow(n as u32))
        .map(|index| grid_coordinates(index, n, m))
        .filter(|t| t.iter().any(|&ti| ti == 0 || ti == m - 1))
        .collect()
}

/// The number of boundary points `mⁿ − (m−2)ⁿ` (saturating: `usize::MAX` when it overflows).
pub fn boundary_point_count(n: usize, m: usize) -> usize {
    match m.checked_pow(n as u32) {
        Some(all) => all - (m - 2).pow(n as u32),
        None => usize::MAX,
    }
}

/// The coordinate of grid index `t` of `m` along `[a, b]`: the bounds themselves at the ends.
fn grid_value(a: f64, b: f64, t: usize, m: usize) -> f64 {
    if t == 0 {
        a
    } else if t == m - 1 {
        b
    } else {
        a + (b - a) * (t as f64 / (m - 1) as f64)
    }
}

/// The points of `region` on its boundary grid (one per row, order of [`boundary_grid`]).
pub fn face_points(region: &Region, grid: &[Vec<usize>], m: usize) -> DMatrix<f64> {
    let n = region.dim();
    let (a, b) = (region.lower(), region.upper());
    DMatrix::from_fn(grid.len(), n, |p, i| grid_value(a[i], b[i], grid[p][i], m))
}

/// The normalised composite-trapezoid weight of grid index `t` of `m` (they sum to 1).
fn weight(t: usize, m: usize) -> f64 {
    let h = 1.0 / (m - 1) as f64;
    if t == 0 || t == m - 1 {
        0.5 * h
    } else {
        h
    }
}

/// The composite-trapezoid mean of `f` over every face, from `f` at the boundary grid points.
pub fn face_means(grid: &[Vec<usize>], m: usize, values: &DVector<f64>) -> FaceMeans {
    assert_eq!(grid.len(), values.len(), "one value per boundary point");
    let n = grid.first().map_or(0, Vec::len);
    let mut lower = DVector::zeros(n);
    let mut upper = DVector::zeros(n);
    for (t, &v) in grid.iter().zip(values.iter()) {
        for k in 0..n {
            let on_lower = t[k] == 0;
            let on_upper = t[k] == m - 1;
            if !(on_lower || on_upper) {
                continue;
            }
            let w: f64 = (0..n)
                .filter(|&i| i != k)
                .map(|i| weight(t[i], m))
                .product();
            if on_lower {
                lower[k] += w * v;
            }
            if on_upper {
                upper[k] += w * v;
            }
        }
    }
    FaceMeans { lower, upper }
}

/// The indices (into the boundary grid) of the box's `2ⁿ` corners, in corner order.
pub fn corner_indices(grid: &[Vec<usize>], m: usize) -> Vec<usize> {
    // Ascending grid order with dimension 0 most significant keeps corner order.
    grid.iter()
        .enumerate()
        .filter(|(_, t)| t.iter().all(|&ti| ti == 0 || ti == m - 1))
        .map(|(p, _)| p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_points_per_dimension_are_the_corners_in_corner_order() {
        let r = Region::new(vec![0.5, -2.0, 3.0], vec![1.5, 7.0, 3.25]).unwrap();
        let grid = boundary_grid(3, 2);
        assert_eq!(face_points(&r, &grid, 2), r.corners());
        assert_eq!(corner_indices(&grid, 2), (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn the_ends_of_every_face_grid_are_the_bounds_bit_for_bit() {
        // Bounds where `a + (b − a)` is not `b` in floating point (−3.3 + 4.4 =
        // 1.1000000000000005): the ends must be the bounds themselves, so that the corners
        // of the m-point rule are the corners the driver and the other methods evaluate.
        let r = Region::new(vec![-3.3, 0.1, 130.0], vec![1.1, 0.3, 130.00002]).unwrap();
        assert_ne!(-3.3 + (1.1 - -3.3), 1.1);
        for m in 2..=4 {
            let grid = boundary_grid(3, m);
            let points = face_points(&r, &grid, m);
            for (p, t) in grid.iter().enumerate() {
                for i in 0..3 {
                    let x = points[(p, i)];
                    if t[i] == 0 {
                        assert_eq!(x.to_bits(), r.lower()[i].to_bits(), "m={m} {t:?}");
                    } else if t[i] == m - 1 {
                        assert_eq!(x.to_bits(), r.upper()[i].to_bits(), "m={m} {t:?}");
                    } else {
                        assert!(r.lower()[i] < x && x < r.upper()[i], "m={m} {t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn boundary_counts_match_the_formula() {
        for n in 1..=4 {
            for m in 2..=5 {
                assert_eq!(
                    boundary_grid(n, m).len(),
                    boundary_point_count(n, m),
                    "n={n} m={m}"
                );
            }
        }
        assert_eq!(boundary_point_count(2, 3), 8);
        assert_eq!(boundary_point_count(64, 3), usize::MAX);
    }

    #[test]
    fn face_means_of_a_linear_function_are_its_face_centre_values() {
        // f(x, y) = 1 + 2x + 3y on [0, 1] × [0, 2]: the trapezoid rule is exact for it.
        let r = Region::new(vec![0.0, 0.0], vec![1.0, 2.0]).unwrap();
        for m in 2..=5 {
            let grid = boundary_grid(2, m);
            let p = face_points(&r, &grid, m);
            let v = DVector::from_fn(p.nrows(), |j, _| 1.0 + 2.0 * p[(j, 0)] + 3.0 * p[(j, 1)]);
            let means = face_means(&grid, m, &v);
            let expect_lower = [1.0 + 3.0, 1.0 + 1.0]; // x = 0, mean y = 1; y = 0, mean x = 0.5
            let expect_upper = [3.0 + 3.0, 1.0 + 1.0 + 6.0];
            for k in 0..2 {
                assert!((means.lower[k] - expect_lower[k]).abs() < 1e-12, "m={m}");
                assert!((means.upper[k] - expect_upper[k]).abs() < 1e-12, "m={m}");
            }
        }
    }
}
