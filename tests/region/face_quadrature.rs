//! Face quadrature (beyond the paper): more face points give directions closer to the exact
//! loss gradient. The table of accuracy gained against evaluations spent that BENCHMARKS.md
//! records ("Region methods") is printed by an example:
//!
//!     cargo run --release --no-default-features --example face_quadrature

use crate::support::direction_errors;

/// The composite trapezoid rule on the faces converges at second order in the spacing
/// `r/(m−1)`: doubling the intervals (m = 3 → 5) divides the direction error by about 4.
#[test]
fn more_face_points_shrink_the_direction_error_at_second_order() {
    for n in [2, 3] {
        let e: Vec<(f64, f64)> = (2..=5).map(|m| direction_errors(n, m)).collect();
        for k in 1..e.len() {
            assert!(e[k].0 < e[k - 1].0 && e[k].1 < e[k - 1].1, "n = {n}: {e:?}");
        }
        for (coarse, fine) in [
            (e[0].0, e[2].0),
            (e[0].1, e[2].1),
            (e[1].0, e[3].0),
            (e[1].1, e[3].1),
        ] {
            // m = 2 → 4 is 1 → 3 intervals (÷ 9), m = 3 → 5 is 2 → 4 intervals (÷ 4).
            let order = (coarse / fine).ln();
            assert!(order > 4f64.ln() * 0.9, "n = {n}: {e:?}");
        }
    }
}
