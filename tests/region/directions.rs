//! The update directions of SPEC §3 against exact loss gradients and against SPEC's formulas:
//! naive and OIR_B are the exact Leibniz gradients of their losses for multilinear f (any box,
//! n = 1..6, closed-form integrals) and second-order close for smooth f; OIR_W at β = 0 is naive
//! at λ = 0 bit for bit; OIR_W is SPEC's 1-D closed form and its matrix form; face quadrature
//! at m = 2 is the matrix form exactly. (OIR_W against a derivation: `region_oir_w.rs`.)

use approx::abs_diff_eq;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use semrob::region::faces::{boundary_grid, face_means, face_points};
use semrob::region::methods::{naive_from_means, oir_b_from_means};
use semrob::region::{
    mask, mask_complement, naive_direction, oir_b_direction, oir_w_direction, Direction, FaceMeans,
    Region,
};
use semrob_oracles::Oracle;

use crate::support::{boxes, values_at};

/// `(∇_a L, ∇_b L)` of the naive loss with exact integrals: `L = −∫_D f + (λ/2)‖r‖²`.
fn exact_naive(f: &Oracle, region: &Region, lambda: f64) -> Direction {
    let (dl, du) = f.integral_gradient(region.lower().as_slice(), region.upper().as_slice());
    let r = region.sides();
    Direction {
        lower: -DVector::from_vec(dl) - &r * lambda,
        upper: -DVector::from_vec(du) + &r * lambda,
    }
}

/// `(∇_a L, ∇_b L)` of the OIR_B loss with exact integrals: `L = ∫_{Ω_D} f − 2∫_D f`, where
/// `A = a − (α/2) r` and `B = b + (α/2) r` (chain rule: ∂A/∂a = 1 + α/2, ∂B/∂a = −α/2).
fn exact_oir_b(f: &Oracle, region: &Region, alpha: f64) -> Direction {
    let outer = region.outer(alpha);
    let (dl, du) = f.integral_gradient(region.lower().as_slice(), region.upper().as_slice());
    let (ol, ou) = f.integral_gradient(outer.lower().as_slice(), outer.upper().as_slice());
    let (near, far) = (1.0 + alpha / 2.0, alpha / 2.0);
    let n = region.dim();
    Direction {
        lower: DVector::from_fn(n, |i, _| near * ol[i] - far * ou[i] - 2.0 * dl[i]),
        upper: DVector::from_fn(n, |i, _| -far * ol[i] + near * ou[i] - 2.0 * du[i]),
    }
}

/// Whether every component of `x` is within `epsilon` of `y`'s.
fn directions_close(x: &Direction, y: &Direction, epsilon: f64) -> bool {
    abs_diff_eq!(x.lower, y.lower, epsilon = epsilon)
        && abs_diff_eq!(x.upper, y.upper, epsilon = epsilon)
}

fn max_abs_diff(x: &Direction, y: &Direction) -> f64 {
    (&x.lower - &y.lower)
        .amax()
        .max((&x.upper - &y.upper).amax())
}

fn norm(x: &Direction) -> f64 {
    (x.lower.norm_squared() + x.upper.norm_squared()).sqrt()
}

/// A multilinear oracle: `c · Π (p_i + q_i x_i)` with `p_i ∈ [1, 3]` and slopes small enough
/// for the box, so the factors keep their sign and the scale is `|c| Π (|p_i| + |q_i x_i|)`.
fn multilinear() -> impl Strategy<Value = (f64, Vec<(f64, f64)>)> {
    (
        (-1f64..1.0, -12i32..=0).prop_map(|(c, e)| c * 10f64.powi(e)),
        prop::collection::vec((1f64..3.0, -1f64..1.0), 6),
    )
}

fn scale_of(c: f64, pq: &[(f64, f64)], region: &Region, box_factor: f64) -> f64 {
    let (a, b) = (region.lower(), region.upper());
    let per_dim: Vec<f64> = (0..region.dim())
        .map(|i| pq[i].0.abs() + pq[i].1.abs() * a[i].abs().max(b[i].abs()) * box_factor)
        .collect();
    // Every component is a face integral: bounded by the face measure times the factors' bound.
    let faces = region.face_measures();
    let sides = region.sides();
    let max_face = (0..region.dim())
        .map(|i| faces[i] * box_factor.powi(region.dim() as i32 - 1) + sides[i])
        .fold(0.0, f64::max);
    c.abs() * per_dim.iter().product::<f64>() * max_face
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Naive, multilinear f: for every multilinear f, box and λ, the naive direction equals
    /// the exact gradient of `−∫_D f + (λ/2)‖r‖²` to 1e-9 relative; with face quadrature
    /// (m = 3, 4) too, the composite trapezoid rule being exact on multilinear faces.
    #[test]
    fn naive_direction_is_the_exact_loss_gradient_for_multilinear_f(
        region in boxes(6, 1e3, -4.0..3.0), (c, pq) in multilinear(), lambda in 0f64..1.0,
    ) {
        let n = region.dim();
        let f = Oracle::multilinear(c, &pq[..n]);
        let exact = exact_naive(&f, &region, lambda);
        let scale = scale_of(c, &pq, &region, 1.0) + lambda * region.sides().amax();
        let corners = naive_direction(&region, &values_at(&f, &region.corners()), lambda);
        prop_assert!(directions_close(&corners, &exact, 1e-9 * scale),
            "corner rule off by {} (scale {})", max_abs_diff(&corners, &exact), scale);
        if n <= 4 {
            for m in [3, 4] {
                let grid = boundary_grid(n, m);
                let values = values_at(&f, &face_points(&region, &grid, m));
                let faces = naive_from_means(&region, &face_means(&grid, m, &values), lambda);
                prop_assert!(directions_close(&faces, &exact, 1e-9 * scale), "m = {}", m);
            }
        }
    }

    /// OIR_B, multilinear f: the OIR_B direction equals the exact gradient of
    /// `∫_{Ω_D} f − 2∫_D f` to 1e-9 relative, for every multilinear f, box and α.
    #[test]
    fn oir_b_direction_is_the_exact_loss_gradient_for_multilinear_f(
        region in boxes(6, 1e3, -4.0..3.0), (c, pq) in multilinear(), alpha in 0.001f64..1.0,
    ) {
        let n = region.dim();
        let f = Oracle::multilinear(c, &pq[..n]);
        let exact = exact_oir_b(&f, &region, alpha);
        let scale = scale_of(c, &pq, &region, (1.0 + alpha) * 2.0);
        let outer = region.outer(alpha);
        let dir = oir_b_direction(
            &region,
            &values_at(&f, &region.corners()),
            &values_at(&f, &outer.corners()),
            alpha,
        );
        prop_assert!(directions_close(&dir, &exact, 1e-9 * scale),
            "off by {} (scale {})", max_abs_diff(&dir, &exact), scale);
        if n <= 4 {
            let m = 3;
            let grid = boundary_grid(n, m);
            let inner = face_means(&grid, m, &values_at(&f, &face_points(&region, &grid, m)));
            let outer_means = face_means(&grid, m, &values_at(&f, &face_points(&outer, &grid, m)));
            let faces = oir_b_from_means(&region, &inner, &outer_means, alpha);
            prop_assert!(directions_close(&faces, &exact, 1e-9 * scale));
        }
    }

    /// Smooth f: on a Gaussian bump (n = 2..4) the gap between the corner-rule
    /// direction and the exact loss gradient is second order: halving the box divides the
    /// relative gap by 4 (observed order log₂ ∈ [1.8, 2.2]), for naive and OIR_B.
    #[test]
    fn corner_rule_gap_shrinks_like_r_squared_on_smooth_f(
        n in 2usize..=4,
        offsets in prop::collection::vec(-0.6f64..0.6, 4),
        shape in prop::collection::vec(0.5f64..1.0, 4),
    ) {
        let sigma = vec![1.0; n];
        let f = Oracle::gaussian_bump(0.9, &vec![0.0; n], &sigma);
        let gap = |r: f64, oir: bool| {
            let lower: Vec<f64> = (0..n).map(|i| offsets[i] - 0.5 * r * shape[i]).collect();
            let upper: Vec<f64> = (0..n).map(|i| offsets[i] + 0.5 * r * shape[i]).collect();
            let region = Region::new(lower, upper).unwrap();
            let f_d = values_at(&f, &region.corners());
            let (approx, exact) = if oir {
                let f_c = values_at(&f, &region.outer(0.05).corners());
                (oir_b_direction(&region, &f_d, &f_c, 0.05), exact_oir_b(&f, &region, 0.05))
            } else {
                (naive_direction(&region, &f_d, 0.0), exact_naive(&f, &region, 0.0))
            };
            max_abs_diff(&approx, &exact) / norm(&exact)
        };
        for oir in [false, true] {
            let (g1, g2, g3) = (gap(0.1, oir), gap(0.05, oir), gap(0.025, oir));
            prop_assert!(g1 > g2 && g2 > g3 && g1 < 1e-2, "gaps {} {} {}", g1, g2, g3);
            let order = (g2 / g3).log2();
            prop_assert!((1.8..=2.2).contains(&order), "oir = {}: observed order {} (gaps {} {} {})", oir, order, g1, g2, g3);
        }
    }

    /// OIR_W at β = 0 equals naive at λ = 0, bit for bit, for any f_D, G_D, n.
    #[test]
    fn oir_w_at_zero_beta_is_naive_without_regulariser(
        region in boxes(6, 1e3, -4.0..3.0),
        f in prop::collection::vec(prop_oneof![0f64..1.0, 0f64..1e-12], 64),
        g in prop::collection::vec(-1e3f64..1e3, 64 * 6),
    ) {
        let n = region.dim();
        let f_d = DVector::from_vec(f[..1 << n].to_vec());
        let g_d = DMatrix::from_fn(1 << n, n, |j, i| g[j * 6 + i]);
        let w = oir_w_direction(&region, &f_d, &g_d, 0.0);
        let naive = naive_direction(&region, &f_d, 0.0);
        prop_assert_eq!(w, naive);
    }

    /// In 1-D, OIR_W is SPEC §3's closed form
    /// `∂L/∂a = ((2−β) f(a) − β f(b))/2 + (β r/2) f'(a)`,
    /// `∂L/∂b = −((2−β) f(b) − β f(a))/2 + (β r/2) f'(b)`.
    #[test]
    fn one_dimensional_oir_w_is_the_closed_form(
        a in -1e3f64..1e3, r in 1e-6f64..1e3,
        fa in 0f64..1.0, fb in 0f64..1.0, ga in -10f64..10.0, gb in -10f64..10.0,
        beta in 0f64..1.999,
    ) {
        let region = Region::new(vec![a], vec![a + r]).unwrap();
        let r = region.sides()[0];
        let d = oir_w_direction(
            &region,
            &DVector::from_vec(vec![fa, fb]),
            &DMatrix::from_vec(2, 1, vec![ga, gb]),
            beta,
        );
        let da = ((2.0 - beta) * fa - beta * fb) / 2.0 + beta * r / 2.0 * ga;
        let db = -((2.0 - beta) * fb - beta * fa) / 2.0 + beta * r / 2.0 * gb;
        let tol = 1e-13 * (1.0 + r * 10.0);
        prop_assert!(abs_diff_eq!(d.lower[0], da, epsilon = tol), "{} vs {}", d.lower[0], da);
        prop_assert!(abs_diff_eq!(d.upper[0], db, epsilon = tol), "{} vs {}", d.upper[0], db);
    }

    /// OIR_W's per-dimension loop equals a literal matrix transcription of SPEC §3:
    /// `(|D|/2ⁿ)(R M_D^c f_D + β diag(M^c G_D) + β s^c)` and the `b` counterpart.
    #[test]
    fn oir_w_equals_the_spec_matrix_form(
        region in boxes(5, 1e3, -4.0..3.0),
        f in prop::collection::vec(0f64..1.0, 32),
        g in prop::collection::vec(-1f64..1.0, 32 * 5),
        beta_frac in 0f64..1.0,
    ) {
        let n = region.dim();
        let beta = beta_frac * 2.0 / (2 * n - 1) as f64 * 0.999;
        let f_d = DVector::from_vec(f[..1 << n].to_vec());
        let g_d = DMatrix::from_fn(1 << n, n, |j, i| g[j * 5 + i]);
        let (m, mc) = (mask(n), mask_complement(n));
        let main = 2.0 - (2 * n - 1) as f64 * beta;
        let md_c = &mc * main - &m * beta;
        let md = &m * main - &mc * beta;
        let r = region.sides();
        let rinv = DMatrix::from_diagonal(&r.map(|x| 1.0 / x));
        let diag_c = DVector::from_fn(n, |i, _| (0..1 << n).map(|j| mc[(i, j)] * g_d[(j, i)]).sum());
        let diag = DVector::from_fn(n, |i, _| (0..1 << n).map(|j| m[(i, j)] * g_d[(j, i)]).sum());
        let s_c = DVector::from_fn(n, |k, _| {
            (0..n).filter(|&i| i != k).map(|i| r[i] * (0..1 << n).map(|j| (mc[(i, j)] - m[(i, j)]) * mc[(k, j)] * g_d[(j, i)]).sum::<f64>()).sum::<f64>() / r[k]
        });
        let s = DVector::from_fn(n, |k, _| {
            (0..n).filter(|&i| i != k).map(|i| r[i] * (0..1 << n).map(|j| (m[(i, j)] - mc[(i, j)]) * m[(k, j)] * g_d[(j, i)]).sum::<f64>()).sum::<f64>() / r[k]
        });
        let scale = region.volume() / (1 << n) as f64;
        let da = (&rinv * (&md_c * &f_d) + &diag_c * beta + &s_c * beta) * scale;
        let db = (-(&rinv * (&md * &f_d)) + &diag * beta + &s * beta) * scale;
        let d = oir_w_direction(&region, &f_d, &g_d, beta);
        let tol = 1e-10 * (region.face_measures().amax() * (2.0 + r.amax() * n as f64));
        prop_assert!(abs_diff_eq!(d.lower, da, epsilon = tol), "{} vs {}", d.lower, da);
        prop_assert!(abs_diff_eq!(d.upper, db, epsilon = tol), "{} vs {}", d.upper, db);
    }

    /// Face quadrature at m = 2 is the matrix form exactly (bit for bit), naive and OIR_B.
    #[test]
    fn two_face_points_equal_the_matrix_form_exactly(
        region in boxes(6, 1e3, -4.0..3.0),
        f in prop::collection::vec(prop_oneof![0f64..1.0, 0f64..1e-9], 128),
        lambda in 0f64..1.0, alpha in 0.001f64..1.0,
    ) {
        let n = region.dim();
        let grid = boundary_grid(n, 2);
        let f_d = DVector::from_vec(f[..1 << n].to_vec());
        let f_c = DVector::from_vec(f[64..64 + (1 << n)].to_vec());
        let inner = face_means(&grid, 2, &f_d);
        let outer = face_means(&grid, 2, &f_c);
        prop_assert_eq!(&inner, &FaceMeans::from_corners(n, &f_d));
        prop_assert_eq!(naive_from_means(&region, &inner, lambda), naive_direction(&region, &f_d, lambda));
        prop_assert_eq!(
            oir_b_from_means(&region, &inner, &outer, alpha),
            oir_b_direction(&region, &f_d, &f_c, alpha)
        );
    }
}

#[test]
#[should_panic(expected = "f_D has 3 entries, expected 4")]
fn a_corner_vector_of_the_wrong_length_is_refused_by_name() {
    let region = Region::new(vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
    naive_direction(&region, &DVector::from_vec(vec![0.1, 0.2, 0.3]), 0.1);
}

#[test]
#[should_panic(expected = "f_C has 8 entries, expected 4")]
fn outer_corner_values_of_the_wrong_length_are_refused_by_name() {
    let region = Region::new(vec![0.0, 0.0], vec![1.0, 1.0]).unwrap();
    oir_b_direction(
        &region,
        &DVector::from_element(4, 0.5),
        &DVector::from_element(8, 0.5),
        0.05,
    );
}
