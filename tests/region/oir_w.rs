//! OIR_W is the first-order expansion in α of OIR_B (SPEC §3), checked against derivations that
//! do not use SPEC's OIR_W formula (`tests/region_directions.rs` checks the formula's text).
//!
//! The derivation. OIR_B's loss is `L = ∫_{Ω_D} f − 2∫_D f` with the outer box
//! `A = a − (α/2) r`, `B = b + (α/2) r`; by the Leibniz rule
//! `∂L/∂a_k = 2F(a_k) − (1+α/2) F(A_k) − (α/2) F(B_k)` where `F(·)` is a face integral. Each
//! outer face is the inner face pushed out by `(α/2) r_k` along `k` and stretched by `(1+α)`
//! in every other dimension. Integrate the faces by the corner rule, write `f` at an outer
//! corner as `f + (α/2) Σ_i ±r_i ∂_i f` at the inner corner (`−` where the corner takes `a_i`),
//! and keep the terms of order ≤ 1 in α: the result is SPEC's OIR_W direction with β = α,
//! the coefficient `2 − (2n−1)β` coming from `(1+α)^{n−1}(1+α/2) ≈ 1 + (n − 1/2)α` and `s^c`
//! from the stretch of the face in the dimensions `i ≠ k` (a corner at `a_i` moves by
//! `−(α/2) r_i`, one at `b_i` by `+(α/2) r_i`: the sign `M^c[i,j] − M[i,j]`).
//!
//! So, with β = α:
//!
//! * against the same Leibniz gradient with corner-rule faces (computed here from the faces'
//!   corners, for any smooth `f`), OIR_W is off by O(α²): halving α divides the gap by 4;
//! * against the exact Leibniz gradient (closed-form face integrals), for multilinear `f` the
//!   corner rule is exact and the gap is exactly `((1+α)ⁿ − 1 − nα) ∫_{a_k} f` (OIR_W
//!   linearises the outer box's `(1+α)ⁿ`): O(α²), and zero in 1-D;
//! * for smooth `f` and n ≥ 2 the exact gap also holds the corner rule's own error, O(r²) and
//!   independent of α: it falls by 4 when α and the box are halved together.

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector};
use semrob::region::{oir_w_direction, Direction, Region};
use semrob_oracles::Oracle;

/// `f` and `∇f` at the corners of `region` in SPEC §2's corner order (corner `j` takes `b_i`
/// where bit `n−1−i` of `j` is set), from the oracle.
fn corner_data(f: &Oracle, region: &Region) -> (DVector<f64>, DMatrix<f64>) {
    let n = region.dim();
    let corners = region.corners();
    let point = |j: usize| corners.row(j).iter().copied().collect::<Vec<_>>();
    let f_d = DVector::from_fn(1 << n, |j, _| f.value(&point(j)));
    let g_d = DMatrix::from_fn(1 << n, n, |j, i| f.gradient(&point(j))[i]);
    (f_d, g_d)
}

fn oir_w(f: &Oracle, region: &Region, beta: f64) -> Direction {
    let (f_d, g_d) = corner_data(f, region);
    oir_w_direction(region, &f_d, &g_d, beta)
}

/// `∫` of `f` over the face `x_k = at` of the box `[lower, upper]` by the corner rule: the mean
/// of `f` at the face's `2ⁿ⁻¹` corners times the face's measure. Corners enumerated here by
/// counting, independently of the crate's masks.
fn face_trapezoid(f: &Oracle, lower: &[f64], upper: &[f64], k: usize, at: f64) -> f64 {
    let n = lower.len();
    let others: Vec<usize> = (0..n).filter(|&i| i != k).collect();
    let measure: f64 = others.iter().map(|&i| upper[i] - lower[i]).product();
    let count = 1usize << others.len();
    let sum: f64 = (0..count)
        .map(|code| {
            let mut x = vec![at; n];
            for (bit, &i) in others.iter().enumerate() {
                x[i] = if code >> bit & 1 == 1 {
                    upper[i]
                } else {
                    lower[i]
                };
            }
            f.value(&x)
        })
        .sum();
    measure * sum / count as f64
}

/// The Leibniz gradient of OIR_B's loss with face integrals `face(box_lower, box_upper, k, at)`:
/// `∂L/∂a_k = 2F(a_k) − (1+α/2)F(A_k) − (α/2)F(B_k)`,
/// `∂L/∂b_k = −2F(b_k) + (1+α/2)F(B_k) + (α/2)F(A_k)`.
fn leibniz_oir_b(
    region: &Region,
    alpha: f64,
    face: impl Fn(&[f64], &[f64], usize, f64) -> f64,
) -> Direction {
    let n = region.dim();
    let (a, b) = (region.lower().as_slice(), region.upper().as_slice());
    let r = region.sides();
    let outer_a: Vec<f64> = (0..n).map(|i| a[i] - 0.5 * alpha * r[i]).collect();
    let outer_b: Vec<f64> = (0..n).map(|i| b[i] + 0.5 * alpha * r[i]).collect();
    let (near, far) = (1.0 + 0.5 * alpha, 0.5 * alpha);
    let inner = |k: usize, at: f64| face(a, b, k, at);
    let outer = |k: usize, at: f64| face(&outer_a, &outer_b, k, at);
    Direction {
        lower: DVector::from_fn(n, |k, _| {
            2.0 * inner(k, a[k]) - near * outer(k, outer_a[k]) - far * outer(k, outer_b[k])
        }),
        upper: DVector::from_fn(n, |k, _| {
            -2.0 * inner(k, b[k]) + near * outer(k, outer_b[k]) + far * outer(k, outer_a[k])
        }),
    }
}

/// The exact face integral `∫_{x_k = at} f` over `[lower, upper]`, from the oracle's closed-form
/// Leibniz derivative (`∂/∂upper_k ∫ f` is the face integral at `upper_k = at`).
fn face_exact(f: &Oracle, lower: &[f64], upper: &[f64], k: usize, at: f64) -> f64 {
    let mut hi = upper.to_vec();
    hi[k] = at;
    let mut lo = lower.to_vec();
    // Any box with `at` as its upper bound in dimension k and the same other sides will do.
    lo[k] = at - 1.0;
    f.integral_gradient(&lo, &hi).1[k]
}

fn gap(x: &Direction, y: &Direction) -> f64 {
    let d = (&x.lower - &y.lower).norm_squared() + (&x.upper - &y.upper).norm_squared();
    (d / (y.lower.norm_squared() + y.upper.norm_squared())).sqrt()
}

/// A box of `n` dimensions from a seed: sides between `0.6 s` and `1.2 s` about `centre`.
fn seeded_box(n: usize, centre: &[f64], s: f64) -> Region {
    let lower: Vec<f64> = (0..n)
        .map(|i| centre[i] - s * (0.3 + 0.07 * i as f64))
        .collect();
    let upper: Vec<f64> = (0..n)
        .map(|i| centre[i] + s * (0.5 - 0.04 * i as f64))
        .collect();
    Region::new(lower, upper).unwrap()
}

fn multilinear_oracle(n: usize) -> Oracle {
    let pq: Vec<(f64, f64)> = (0..n)
        .map(|i| (1.0 + 0.3 * i as f64, 0.4 - 0.17 * i as f64))
        .collect();
    Oracle::multilinear(0.8, &pq)
}

/// The smooth oracles of the checks, in `n` dimensions: a Gaussian bump, a smooth box seen across
/// its edge, and a trap (a plateau with a hole).
fn smooth_oracles(n: usize) -> Vec<Oracle> {
    vec![
        Oracle::gaussian_bump(
            0.9,
            &(0..n).map(|i| 0.2 - 0.1 * i as f64).collect::<Vec<_>>(),
            &(0..n).map(|i| 0.8 + 0.15 * i as f64).collect::<Vec<_>>(),
        ),
        Oracle::smooth_box(1.0, &vec![-0.2; n], &vec![1.5; n], 3.0),
        Oracle::trap(
            1.0,
            &vec![-2.0; n],
            &vec![2.0; n],
            0.7,
            &vec![0.1; n],
            &vec![0.6; n],
            2.5,
        ),
    ]
}

const ALPHAS: [f64; 5] = [0.01, 0.005, 0.0025, 0.00125, 0.000625];

/// Multilinear f, n = 1..5, exact (closed-form) face integrals: OIR_W(β = α) differs from the
/// exact OIR_B gradient by exactly `((1+α)ⁿ − 1 − nα) ∫_{a_k} f` on `a_k` (and
/// `−((1+α)ⁿ − 1 − nα) ∫_{b_k} f` on `b_k`): O(α²), the gap falling 4× per halving of α, and
/// zero (to rounding) in 1-D.
#[test]
fn oir_w_is_oir_b_to_second_order_in_alpha_for_multilinear_f() {
    for n in 1..=5 {
        let f = multilinear_oracle(n);
        let region = seeded_box(n, &[0.3, -0.5, 1.1, 0.0, 2.0], 1.7);
        let (a, b) = (region.lower().as_slice(), region.upper().as_slice());
        let exact_face = |lo: &[f64], hi: &[f64], k: usize, at: f64| face_exact(&f, lo, hi, k, at);
        let mut gaps = Vec::new();
        for alpha in ALPHAS {
            let w = oir_w(&f, &region, alpha);
            let exact = leibniz_oir_b(&region, alpha, exact_face);
            let c = (1.0 + alpha).powi(n as i32) - 1.0 - n as f64 * alpha;
            for k in 0..n {
                let (fa, fb) = (exact_face(a, b, k, a[k]), exact_face(a, b, k, b[k]));
                // The gap is c · F with |c| ≤ 1e-2: compare it against the size of the terms.
                let scale = fa.abs() + fb.abs();
                assert_relative_eq!(
                    w.lower[k] - exact.lower[k],
                    c * fa,
                    epsilon = 1e-13 * scale,
                    max_relative = 1e-6
                );
                assert_relative_eq!(
                    w.upper[k] - exact.upper[k],
                    -c * fb,
                    epsilon = 1e-13 * scale,
                    max_relative = 1e-6
                );
            }
            gaps.push(gap(&w, &exact));
        }
        if n == 1 {
            assert!(gaps.iter().all(|&g| g <= 1e-15), "1-D: {gaps:?}");
            continue;
        }
        for pair in gaps.windows(2) {
            let order = (pair[0] / pair[1]).log2();
            assert!(
                (1.9..=2.1).contains(&order),
                "n = {n}: gaps {gaps:?}, order {order}"
            );
        }
    }
}

/// Smooth f (bump, smooth box, trap), n = 1..5: OIR_W(β = α) differs from the Leibniz gradient
/// of OIR_B with corner-rule faces by O(α²): each halving of α divides the gap by about 4. A
/// wrong `2 − (2n−1)β` coefficient or a wrong `s^c`/`s` term would leave an O(α) gap (order 1).
#[test]
fn oir_w_is_the_first_order_expansion_of_corner_rule_oir_b_for_smooth_f() {
    for n in 1..=5 {
        for (o, f) in smooth_oracles(n).iter().enumerate() {
            let region = seeded_box(n, &[0.1, 0.4, -0.3, 0.7, 0.2], 1.0);
            let corner_face =
                |lo: &[f64], hi: &[f64], k: usize, at: f64| face_trapezoid(f, lo, hi, k, at);
            let gaps: Vec<f64> = ALPHAS
                .iter()
                .map(|&alpha| {
                    gap(
                        &oir_w(f, &region, alpha),
                        &leibniz_oir_b(&region, alpha, corner_face),
                    )
                })
                .collect();
            assert!(gaps[0] < 1e-2, "n = {n}, {f}: {gaps:?}");
            for pair in gaps.windows(2) {
                let order = (pair[0] / pair[1]).log2();
                assert!(
                    (1.9..=2.1).contains(&order),
                    "n = {n}, oracle {o} ({f}): gaps {gaps:?}, order {order}"
                );
            }
        }
    }
}

/// Smooth f, n = 1..5, exact (closed-form) face integrals: the gap is O(α²) + O(r²) (the corner
/// rule's error does not depend on α), so it falls about 4× when α and the box are halved
/// together; in 1-D the faces are points, the corner rule is exact and halving α alone does it.
#[test]
fn oir_w_meets_the_exact_oir_b_gradient_as_alpha_and_the_box_shrink() {
    for n in 1..=5 {
        for (o, f) in smooth_oracles(n).iter().enumerate() {
            let centre = [0.1, 0.4, -0.3, 0.7, 0.2];
            let exact_face =
                |lo: &[f64], hi: &[f64], k: usize, at: f64| face_exact(f, lo, hi, k, at);
            let gap_at = |alpha: f64, size: f64| {
                let region = seeded_box(n, &centre, size);
                gap(
                    &oir_w(f, &region, alpha),
                    &leibniz_oir_b(&region, alpha, exact_face),
                )
            };
            // α = 0.01 and sides of about 0.1 (σ and edge widths are about 1), halved 3 times.
            let gaps: Vec<f64> = (0..4)
                .map(|h| {
                    let shrink = 0.5f64.powi(h);
                    gap_at(0.01 * shrink, if n == 1 { 1.0 } else { 0.1 * shrink })
                })
                .collect();
            if n >= 2 {
                // With the box fixed, the corner rule's error stays: an 8× smaller α does not
                // even halve the gap.
                let (coarse, fine) = (gap_at(0.01, 0.8), gap_at(0.00125, 0.8));
                assert!(
                    fine > 0.5 * coarse,
                    "n = {n}, oracle {o} ({f}): {coarse} → {fine}"
                );
            }
            for pair in gaps.windows(2) {
                let order = (pair[0] / pair[1]).log2();
                assert!(
                    (1.85..=2.15).contains(&order),
                    "n = {n}, oracle {o} ({f}): gaps {gaps:?}, order {order}"
                );
            }
        }
    }
}
