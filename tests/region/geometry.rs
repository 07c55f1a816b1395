//! Corners, masks and the trapezoid rule (SPEC §2): the corner matrix and masks equal a
//! brute-force enumeration in SPEC's bit order, and the trapezoid rule is exact for every
//! multilinear function.

use approx::abs_diff_eq;
use nalgebra::DVector;
use proptest::prelude::*;
use semrob::region::{mask, mask_complement, Region};
use semrob_oracles::Oracle;

use crate::support::boxes;

/// Brute force: the corners of `[a, b]` listed with dimension 0 varying slowest, `a_i` before
/// `b_i` (a recursion, no bit arithmetic).
fn enumerate_corners(a: &[f64], b: &[f64]) -> Vec<Vec<f64>> {
    if a.is_empty() {
        return vec![vec![]];
    }
    let rest = enumerate_corners(&a[1..], &b[1..]);
    let mut out = Vec::new();
    for first in [a[0], b[0]] {
        for tail in &rest {
            let mut c = vec![first];
            c.extend(tail);
            out.push(c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For every box, the corner matrix lists exactly the brute-force corners in
    /// order, `M[i, j] = 1` exactly where corner `j` takes `b_i`, and `M^c = 1 − M`.
    #[test]
    fn corners_and_masks_equal_brute_force(region in boxes(6, 1e6, -6.0..6.0)) {
        let n = region.dim();
        let (a, b) = (region.lower().as_slice(), region.upper().as_slice());
        let expected = enumerate_corners(a, b);
        let corners = region.corners();
        let (m, mc) = (mask(n), mask_complement(n));
        prop_assert_eq!(corners.shape(), (1 << n, n));
        prop_assert_eq!(m.shape(), (n, 1 << n));
        for (j, corner) in expected.iter().enumerate() {
            for i in 0..n {
                prop_assert_eq!(corners[(j, i)], corner[i]);
                let takes_upper = corner[i] == b[i];
                prop_assert_eq!(m[(i, j)], if takes_upper { 1.0 } else { 0.0 });
                prop_assert_eq!(mc[(i, j)], 1.0 - m[(i, j)]);
            }
        }
        // The SPEC's formula C_D = 1 aᵀ + Mᵀ ⊙ (1 rᵀ), up to the rounding of a + r.
        let r = region.sides();
        for j in 0..(1 << n) {
            for i in 0..n {
                let formula = a[i] + m[(i, j)] * r[i];
                prop_assert!(abs_diff_eq!(formula, corners[(j, i)], epsilon = 1e-15 * (a[i].abs() + b[i].abs())));
            }
        }
    }

    /// For every multilinear f (a sum of products of affine factors, coefficients
    /// down to 1e-12: f near 0) and every box, the trapezoid rule equals the exact integral.
    #[test]
    fn trapezoid_is_exact_for_multilinear_functions(
        region in boxes(6, 1e6, -6.0..6.0),
        terms in prop::collection::vec((-2f64..2.0, -12i32..=0, prop::collection::vec((-2f64..2.0, -2f64..2.0), 6)), 1..=3),
    ) {
        let n = region.dim();
        let (a, b) = (region.lower().as_slice(), region.upper().as_slice());
        let parts: Vec<Oracle> = terms
            .iter()
            .map(|(c, e, pq)| Oracle::multilinear(c * 10f64.powi(*e), &pq[..n]))
            .collect();
        let f = Oracle::sum("multilinear-sum", &parts);
        let corners = region.corners();
        let f_d = DVector::from_fn(1 << n, |j, _| {
            f.value(&corners.row(j).iter().copied().collect::<Vec<_>>())
        });
        let exact = f.integral(a, b);
        // Rounding scale: the integral of the sum of the terms' absolute bounds on the box.
        let bound: f64 = terms
            .iter()
            .map(|(c, e, pq)| {
                (c * 10f64.powi(*e)).abs()
                    * (0..n).map(|i| pq[i].0.abs() + pq[i].1.abs() * a[i].abs().max(b[i].abs())).product::<f64>()
            })
            .sum::<f64>()
            * region.volume();
        let trap = region.trapezoid(&f_d);
        prop_assert!(abs_diff_eq!(trap, exact, epsilon = 1e-9 * bound), "trapezoid {} vs exact {} (scale {})", trap, exact, bound);
    }
}

#[test]
fn trapezoid_is_not_exact_for_a_curved_function() {
    // The rule is exact for multilinear f only: it must miss ∫_0^1 x² = 1/3 (it gives 1/2).
    let r = Region::new(vec![0.0], vec![1.0]).unwrap();
    let f_d = DVector::from_vec(vec![0.0, 1.0]);
    assert_eq!(r.trapezoid(&f_d), 0.5);
}
