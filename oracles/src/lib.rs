//! Analytic test functions with exact values, gradients and box integrals.
//!
//! Every oracle is a finite sum of separable terms `c · Π_i g_i(x_i)` whose one-dimensional
//! factors `g_i` have closed-form values, derivatives and antiderivatives. That single shape
//! covers everything the verification harness of semrob needs:
//!
//! * [`Oracle::constant`]: `f = c`;
//! * [`Oracle::multilinear`]: a product of affine factors `Π_i (p_i + q_i x_i)` (sums of these,
//!   [`Oracle::sum`], give every multilinear function);
//! * [`Oracle::gaussian_bump`]: `h · Π_i exp(−(x_i − μ_i)² / (2σ_i²))`, integrated with `erf`;
//! * [`Oracle::smooth_box`]: `h · Π_i σ(k(x_i − l_i)) σ(k(u_i − x_i))`, a product of logistic
//!   steps whose plateau is the box `[l, u]`;
//! * [`Oracle::trap`]: a smooth box with a smooth-box hole cut out of it (the "semantic trap":
//!   a confident plateau with a hole inside it), in any dimension (the harness uses 1-D and 2-D).
//!
//! Exactness: integrals come from antiderivatives, the derivative of an integral with respect to
//! the box's bounds from the Leibniz rule with exact face integrals ([`Oracle::integral_gradient`]).
//! The crate is plain `f64` on slices and knows nothing about semrob.

use std::fmt;

/// A one-dimensional factor of a separable term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Factor {
    /// `g(x) = 1`.
    One,
    /// `g(x) = p + q x`.
    Affine { p: f64, q: f64 },
    /// `g(x) = exp(−(x − mu)² / (2 sigma²))`, `sigma > 0`.
    Gaussian { mu: f64, sigma: f64 },
    /// `g(x) = σ(k (x − lo)) · σ(k (hi − x))` with the logistic `σ`, `lo < hi`, `k > 0`.
    Window { lo: f64, hi: f64, k: f64 },
}

fn logistic(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^t)` without overflow.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

impl Factor {
    /// `g(x)`.
    pub fn value(&self, x: f64) -> f64 {
        match *self {
            Factor::One => 1.0,
            Factor::Affine { p, q } => p + q * x,
            Factor::Gaussian { mu, sigma } => {
                let z = (x - mu) / sigma;
                (-0.5 * z * z).exp()
            }
            Factor::Window { lo, hi, k } => logistic(k * (x - lo)) * logistic(k * (hi - x)),
        }
    }

    /// `g'(x)`.
    pub fn derivative(&self, x: f64) -> f64 {
        match *self {
            Factor::One => 0.0,
            Factor::Affine { q, .. } => q,
            Factor::Gaussian { mu, sigma } => -(x - mu) / (sigma * sigma) * self.value(x),
            Factor::Window { lo, hi, k } => {
                // g = σ₁σ₂ with σ₁' = kσ₁(1 − σ₁), σ₂' = −kσ₂(1 − σ₂), so g' = k g (σ₂ − σ₁).
                let s1 = logistic(k * (x - lo));
                let s2 = logistic(k * (hi - x));
                k * s1 * s2 * (s2 - s1)
            }
        }
    }

    /// `∫_a^b g(x) dx` from the antiderivative.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        match *self {
            Factor::One => b - a,
            Factor::Affine { p, q } => (b - a) * (p + 0.5 * q * (a + b)),
            Factor::Gaussian { mu, sigma } => {
                let s = sigma * std::f64::consts::SQRT_2;
                let (za, zb) = ((a - mu) / s, (b - mu) / s);
                // erf(zb) − erf(za), written with erfc on the same side to avoid cancellation
                // in the tails.
                let diff = if za >= 0.0 {
                    libm::erfc(za) - libm::erfc(zb)
                } else if zb <= 0.0 {
                    libm::erfc(-zb) - libm::erfc(-za)
                } else {
                    libm::erf(zb) - libm::erf(za)
                };
                0.5 * s * std::f64::consts::PI.sqrt() * diff
            }
            Factor::Window { lo, hi, k } => {
                // σ(p)σ(c − p) = (σ(c − p) − σ(−p)) / (1 − e^{−c}) with p = k(x − lo),
                // c = k(hi − lo); ∫σ(k(h − x)) dx = −softplus(k(h − x))/k.
                let anti = |x: f64| (softplus(k * (lo - x)) - softplus(k * (hi - x))) / k;
                (anti(b) - anti(a)) / -(-k * (hi - lo)).exp_m1()
            }
        }
    }

    /// The factor of `x ↦ g(x − shift)`.
    fn shifted(&self, shift: f64) -> Factor {
        match *self {
            Factor::One => Factor::One,
            Factor::Affine { p, q } => Factor::Affine {
                p: p - q * shift,
                q,
            },
            Factor::Gaussian { mu, sigma } => Factor::Gaussian {
                mu: mu + shift,
                sigma,
            },
            Factor::Window { lo, hi, k } => Factor::Window {
                lo: lo + shift,
                hi: hi + shift,
                k,
            },
        }
    }

    /// The factor of `x ↦ g(−x)`.
    fn mirrored(&self) -> Factor {
        match *self {
            Factor::One => Factor::One,
            Factor::Affine { p, q } => Factor::Affine { p, q: -q },
            Factor::Gaussian { mu, sigma } => Factor::Gaussian { mu: -mu, sigma },
            Factor::Window { lo, hi, k } => Factor::Window {
                lo: -hi,
                hi: -lo,
                k,
            },
        }
    }
}

/// One separable term `coefficient · Π_i factors[i](x_i)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub coefficient: f64,
    pub factors: Vec<Factor>,
}

impl Term {
    fn value(&self, x: &[f64]) -> f64 {
        self.coefficient
            * self
                .factors
                .iter()
                .zip(x)
                .map(|(g, &xi)| g.value(xi))
                .product::<f64>()
    }

    /// Adds this term's gradient at `x` to `out`.
    fn add_gradient(&self, x: &[f64], out: &mut [f64]) {
        let values: Vec<f64> = self
            .factors
            .iter()
            .zip(x)
            .map(|(g, &xi)| g.value(xi))
            .collect();
        for (i, g) in self.factors.iter().enumerate() {
            let others: f64 = values
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != i)
                .map(|(_, v)| v)
                .product();
            out[i] += self.coefficient * g.derivative(x[i]) * others;
        }
    }

    fn integrals(&self, lower: &[f64], upper: &[f64]) -> Vec<f64> {
        self.factors
            .iter()
            .zip(lower.iter().zip(upper))
            .map(|(g, (&a, &b))| g.integral(a, b))
            .collect()
    }
}

/// An analytic function on `Rⁿ`: a sum of separable terms (see the crate docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Oracle {
    name: String,
    dim: usize,
    terms: Vec<Term>,
    plateau: Option<(Vec<f64>, Vec<f64>)>,
}

impl fmt::Display for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (n = {})", self.name, self.dim)
    }
}

fn assert_box(lower: &[f64], upper: &[f64]) {
    assert_eq!(
        lower.len(),
        upper.len(),
        "lower and upper bounds differ in length"
    );
    assert!(!lower.is_empty(), "an oracle needs n ≥ 1");
}

impl Oracle {
    /// An oracle from its terms. Panics if the terms disagree on the dimension or there are none.
    pub fn from_terms(name: impl Into<String>, terms: Vec<Term>) -> Oracle {
        let dim = terms
            .first()
            .map(|t| t.factors.len())
            .expect("at least one term");
        assert!(dim >= 1, "an oracle needs n ≥ 1");
        assert!(
            terms.iter().all(|t| t.factors.len() == dim),
            "all terms must have the same dimension"
        );
        Oracle {
            name: name.into(),
            dim,
            terms,
            plateau: None,
        }
    }

    /// `f(x) = c` on `Rⁿ`.
    pub fn constant(dim: usize, c: f64) -> Oracle {
        Oracle::from_terms(
            "constant",
            vec![Term {
                coefficient: c,
                factors: vec![Factor::One; dim],
            }],
        )
    }

    /// `f(x) = c · Π_i (p_i + q_i x_i)`, one `(p_i, q_i)` per dimension.
    pub fn multilinear(c: f64, affine: &[(f64, f64)]) -> Oracle {
        Oracle::from_terms(
            "multilinear",
            vec![Term {
                coefficient: c,
                factors: affine
                    .iter()
                    .map(|&(p, q)| Factor::Affine { p, q })
                    .collect(),
            }],
        )
    }

    /// `f(x) = h · Π_i exp(−(x_i − centre_i)² / (2 sigma_i²))`.
    pub fn gaussian_bump(height: f64, centre: &[f64], sigma: &[f64]) -> Oracle {
        assert_box(centre, sigma);
        assert!(sigma.iter().all(|&s| s > 0.0), "sigma must be positive");
        Oracle::from_terms(
            "gaussian-bump",
            vec![Term {
                coefficient: height,
                factors: centre
                    .iter()
                    .zip(sigma)
                    .map(|(&mu, &sigma)| Factor::Gaussian { mu, sigma })
                    .collect(),
            }],
        )
    }

    /// `f(x) = h · Π_i σ(k (x_i − lower_i)) σ(k (upper_i − x_i))`: about `h` on the plateau
    /// `[lower, upper]`, about 0 outside, logistic edges of rate `k` per unit.
    pub fn smooth_box(height: f64, lower: &[f64], upper: &[f64], k: f64) -> Oracle {
        assert_box(lower, upper);
        assert!(k > 0.0, "the edge rate k must be positive");
        assert!(
            lower.iter().zip(upper).all(|(l, u)| l < u),
            "plateau bounds must increase"
        );
        let mut oracle = Oracle::from_terms(
            "smooth-box",
            vec![Term {
                coefficient: height,
                factors: lower
                    .iter()
                    .zip(upper)
                    .map(|(&lo, &hi)| Factor::Window { lo, hi, k })
                    .collect(),
            }],
        );
        oracle.plateau = Some((lower.to_vec(), upper.to_vec()));
        oracle
    }

    /// The semantic trap: a smooth box of height `height` on `[lower, upper]` minus a smooth box
    /// of height `depth ≤ height` on `[hole_lower, hole_upper]` inside it (same edge rate `k`).
    /// Both windows share `k` and the hole lies inside the plateau, so `0 ≤ f ≤ height`.
    pub fn trap(
        height: f64,
        lower: &[f64],
        upper: &[f64],
        depth: f64,
        hole_lower: &[f64],
        hole_upper: &[f64],
        k: f64,
    ) -> Oracle {
        assert_box(hole_lower, hole_upper);
        assert!(
            depth <= height,
            "the hole cannot be deeper than the plateau is high"
        );
        assert!(
            (0..lower.len()).all(|i| lower[i] <= hole_lower[i] && hole_upper[i] <= upper[i]),
            "the hole must lie inside the plateau"
        );
        let plateau = Oracle::smooth_box(height, lower, upper, k);
        let hole = Oracle::smooth_box(-depth, hole_lower, hole_upper, k);
        let mut oracle = Oracle::sum("trap", &[plateau, hole]);
        oracle.plateau = Some((lower.to_vec(), upper.to_vec()));
        oracle
    }

    /// The sum of oracles of the same dimension.
    pub fn sum(name: impl Into<String>, parts: &[Oracle]) -> Oracle {
        Oracle::from_terms(
            name,
            parts.iter().flat_map(|o| o.terms.iter().cloned()).collect(),
        )
    }

    /// The oracle of `c · f`.
    pub fn scaled(&self, c: f64) -> Oracle {
        let mut out = self.clone();
        for t in &mut out.terms {
            t.coefficient *= c;
        }
        out
    }

    /// The name of the oracle's family (`constant`, `multilinear`, `smooth-box`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimension `n`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The terms of the sum.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The plateau `[lower, upper]` of a smooth box or trap (where it was built with one).
    pub fn plateau(&self) -> Option<(&[f64], &[f64])> {
        self.plateau
            .as_ref()
            .map(|(l, u)| (l.as_slice(), u.as_slice()))
    }

    /// Whether every term is a product of affine (or constant) factors: then `f` is multilinear.
    pub fn is_multilinear(&self) -> bool {
        self.terms.iter().all(|t| {
            t.factors
                .iter()
                .all(|g| matches!(g, Factor::One | Factor::Affine { .. }))
        })
    }

    /// `f(x)`.
    pub fn value(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.dim, "point has the wrong dimension");
        self.terms.iter().map(|t| t.value(x)).sum()
    }

    /// `∇f(x)`.
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.dim, "point has the wrong dimension");
        let mut out = vec![0.0; self.dim];
        for t in &self.terms {
            t.add_gradient(x, &mut out);
        }
        out
    }

    /// `∫_{[lower, upper]} f`, exact (closed form).
    pub fn integral(&self, lower: &[f64], upper: &[f64]) -> f64 {
        assert_box(lower, upper);
        assert_eq!(lower.len(), self.dim, "box has the wrong dimension");
        self.terms
            .iter()
            .map(|t| t.coefficient * t.integrals(lower, upper).iter().product::<f64>())
            .sum()
    }

    /// The derivatives of `∫_{[lower, upper]} f` with respect to `lower_i` and `upper_i`, by the
    /// Leibniz rule with exact face integrals: `−∫_{face lower_i} f` and `+∫_{face upper_i} f`.
    pub fn integral_gradient(&self, lower: &[f64], upper: &[f64]) -> (Vec<f64>, Vec<f64>) {
        assert_box(lower, upper);
        assert_eq!(lower.len(), self.dim, "box has the wrong dimension");
        let (mut d_lower, mut d_upper) = (vec![0.0; self.dim], vec![0.0; self.dim]);
        for t in &self.terms {
            let integrals = t.integrals(lower, upper);
            for i in 0..self.dim {
                let others: f64 = integrals
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != i)
                    .map(|(_, v)| v)
                    .product();
                d_lower[i] -= t.coefficient * t.factors[i].value(lower[i]) * others;
                d_upper[i] += t.coefficient * t.factors[i].value(upper[i]) * others;
            }
        }
        (d_lower, d_upper)
    }

    /// The oracle of `x ↦ f(x − shift)`.
    pub fn shifted(&self, shift: &[f64]) -> Oracle {
        assert_eq!(shift.len(), self.dim, "shift has the wrong dimension");
        let mut out = self.clone();
        for t in &mut out.terms {
            for (g, &s) in t.factors.iter_mut().zip(shift) {
                *g = g.shifted(s);
            }
        }
        if let Some((l, u)) = &mut out.plateau {
            for i in 0..shift.len() {
                l[i] += shift[i];
                u[i] += shift[i];
            }
        }
        out
    }

    /// The oracle of `x ↦ f(y)` with `y_{perm[i]} = x_i`: dimension `perm[i]` of `f` becomes
    /// dimension `i`.
    pub fn permuted(&self, perm: &[usize]) -> Oracle {
        assert_eq!(perm.len(), self.dim, "permutation has the wrong length");
        let mut seen = vec![false; self.dim];
        for &p in perm {
            assert!(p < self.dim && !seen[p], "not a permutation: {perm:?}");
            seen[p] = true;
        }
        let mut out = self.clone();
        for (t, orig) in out.terms.iter_mut().zip(&self.terms) {
            t.factors = perm.iter().map(|&p| orig.factors[p]).collect();
        }
        if let Some((l, u)) = &mut out.plateau {
            let (l0, u0) = (l.clone(), u.clone());
            *l = perm.iter().map(|&p| l0[p]).collect();
            *u = perm.iter().map(|&p| u0[p]).collect();
        }
        out
    }

    /// The oracle of `x ↦ f(x')` where `x'` is `x` with coordinate `dim` negated.
    pub fn mirrored(&self, dim: usize) -> Oracle {
        assert!(dim < self.dim, "dimension {dim} out of range");
        let mut out = self.clone();
        for t in &mut out.terms {
            t.factors[dim] = t.factors[dim].mirrored();
        }
        if let Some((l, u)) = &mut out.plateau {
            let (lo, hi) = (l[dim], u[dim]);
            l[dim] = -hi;
            u[dim] = -lo;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Simpson's rule with `n` (even) intervals.
    fn simpson(g: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
        let h = (b - a) / n as f64;
        let inner: f64 = (1..n)
            .map(|i| if i % 2 == 1 { 4.0 } else { 2.0 } * g(a + h * i as f64))
            .sum();
        (g(a) + g(b) + inner) * h / 3.0
    }

    fn factors() -> Vec<Factor> {
        vec![
            Factor::One,
            Factor::Affine { p: 0.3, q: -1.7 },
            Factor::Gaussian {
                mu: 0.4,
                sigma: 0.7,
            },
            Factor::Window {
                lo: -0.5,
                hi: 1.5,
                k: 3.0,
            },
            Factor::Window {
                lo: 100.0,
                hi: 200.0,
                k: 2.0,
            },
        ]
    }

    #[test]
    fn factor_integrals_match_simpson() {
        for g in factors() {
            for &(a, b) in &[
                (-1.0, 2.0),
                (0.1, 0.2),
                (-3.0, -2.5),
                (90.0, 210.0),
                (150.0, 151.0),
            ] {
                let exact = g.integral(a, b);
                let numeric = simpson(|x| g.value(x), a, b, 20_000);
                assert!(
                    (exact - numeric).abs() <= 1e-9 * (1.0 + numeric.abs()),
                    "{g:?} on [{a}, {b}]: {exact} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn factor_derivatives_match_central_differences() {
        for g in factors() {
            for &x in &[-1.3, 0.0, 0.45, 1.2, 99.0, 100.5, 199.7] {
                let h = 1e-6;
                let numeric = (g.value(x + h) - g.value(x - h)) / (2.0 * h);
                let exact = g.derivative(x);
                assert!(
                    (exact - numeric).abs() <= 1e-7 * (1.0 + exact.abs()),
                    "{g:?} at {x}"
                );
            }
        }
    }

    #[test]
    fn gaussian_tail_integral_keeps_precision() {
        let g = Factor::Gaussian {
            mu: 0.0,
            sigma: 1.0,
        };
        // ∫_8^9 e^{−x²/2} dx ≈ 5.0e−16: a plain erf difference would return 0 or noise.
        let exact = g.integral(8.0, 9.0);
        let numeric = simpson(|x| g.value(x), 8.0, 9.0, 2000);
        assert!(
            (exact - numeric).abs() <= 1e-9 * numeric,
            "{exact} vs {numeric}"
        );
    }

    fn sample_oracles() -> Vec<Oracle> {
        vec![
            Oracle::constant(3, 0.7),
            Oracle::multilinear(0.5, &[(1.0, 0.2), (0.3, -0.1), (2.0, 0.5)]),
            Oracle::gaussian_bump(0.9, &[0.1, -0.2, 0.3], &[0.8, 1.1, 0.6]),
            Oracle::smooth_box(1.0, &[-1.0, -0.5, 0.0], &[1.0, 0.5, 2.0], 4.0),
            Oracle::trap(
                1.0,
                &[-1.0, -1.0, -1.0],
                &[1.0, 1.0, 1.0],
                1.0,
                &[-0.2; 3],
                &[0.2; 3],
                6.0,
            ),
        ]
    }

    #[test]
    fn gradients_match_central_differences() {
        let x = [0.3, -0.4, 0.9];
        for o in sample_oracles() {
            let g = o.gradient(&x);
            for i in 0..3 {
                let h = 1e-6;
                let (mut xp, mut xm) = (x, x);
                xp[i] += h;
                xm[i] -= h;
                let numeric = (o.value(&xp) - o.value(&xm)) / (2.0 * h);
                assert!(
                    (g[i] - numeric).abs() <= 1e-7,
                    "{o} dim {i}: {} vs {numeric}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn integral_gradient_matches_differences_of_the_closed_form() {
        let (lower, upper) = ([-0.7, -0.3, 0.2], [0.4, 0.8, 1.9]);
        for o in sample_oracles() {
            let (dl, du) = o.integral_gradient(&lower, &upper);
            for i in 0..3 {
                let h = 1e-6;
                let bump = |v: [f64; 3], s: f64| {
                    let mut w = v;
                    w[i] += s;
                    w
                };
                let nl = (o.integral(&bump(lower, h), &upper)
                    - o.integral(&bump(lower, -h), &upper))
                    / (2.0 * h);
                let nu = (o.integral(&lower, &bump(upper, h))
                    - o.integral(&lower, &bump(upper, -h)))
                    / (2.0 * h);
                assert!(
                    (dl[i] - nl).abs() <= 1e-7,
                    "{o} lower {i}: {} vs {nl}",
                    dl[i]
                );
                assert!(
                    (du[i] - nu).abs() <= 1e-7,
                    "{o} upper {i}: {} vs {nu}",
                    du[i]
                );
            }
        }
    }

    #[test]
    fn smooth_box_has_its_plateau_and_trap_its_hole() {
        let b = Oracle::smooth_box(1.0, &[100.0], &[200.0], 2.0);
        assert!(b.value(&[150.0]) > 1.0 - 1e-12);
        assert!(b.value(&[90.0]) < 1e-8 && b.value(&[210.0]) < 1e-8);
        assert_eq!(b.plateau(), Some((&[100.0][..], &[200.0][..])));
        let t = Oracle::trap(1.0, &[100.0], &[200.0], 1.0, &[140.0], &[160.0], 2.0);
        assert!(t.value(&[150.0]) < 1e-8, "the hole is deep");
        assert!(
            t.value(&[120.0]) > 1.0 - 1e-8,
            "the plateau is confident beside the hole"
        );
        assert!(t.value(&[139.0]) >= 0.0);
    }

    #[test]
    fn shift_permute_and_mirror_transform_values_and_integrals() {
        let o = Oracle::trap(
            0.9,
            &[-1.0, 0.0],
            &[2.0, 3.0],
            0.5,
            &[0.0, 1.0],
            &[1.0, 2.0],
            3.0,
        );
        let x = [0.3, 1.7];
        let s = o.shifted(&[5.0, -2.0]);
        assert!((s.value(&[5.3, -0.3]) - o.value(&x)).abs() < 1e-12);
        let p = o.permuted(&[1, 0]);
        assert!((p.value(&[1.7, 0.3]) - o.value(&x)).abs() < 1e-15);
        assert_eq!(p.plateau(), Some((&[0.0, -1.0][..], &[3.0, 2.0][..])));
        let m = o.mirrored(0);
        assert!((m.value(&[-0.3, 1.7]) - o.value(&x)).abs() < 1e-15);
        let (i, im) = (
            o.integral(&[-0.5, 0.5], &[1.5, 2.5]),
            m.integral(&[-1.5, 0.5], &[0.5, 2.5]),
        );
        assert!((i - im).abs() < 1e-12);
    }
}

/// A named oracle with the domain it is meant for: the configurations the verification harness
/// checks (SPEC §3's observed behaviour), for command lines and examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub name: &'static str,
    pub description: &'static str,
    pub oracle: Oracle,
    pub domain_lower: Vec<f64>,
    pub domain_upper: Vec<f64>,
}

/// The catalogue of named oracles (azimuth in [0, 360], elevation in [−10, 90], as the paper).
pub fn examples() -> Vec<Example> {
    let (d1l, d1u) = (vec![0.0], vec![360.0]);
    let (d2l, d2u) = (vec![0.0, -10.0], vec![360.0, 90.0]);
    vec![
        Example {
            name: "plateau-1d",
            description: "smooth box, plateau [100, 200], logistic edges of rate 2 per unit",
            oracle: Oracle::smooth_box(1.0, &[100.0], &[200.0], 2.0),
            domain_lower: d1l.clone(),
            domain_upper: d1u.clone(),
        },
        Example {
            name: "plateau-2d",
            description: "smooth box, plateau [100, 200] × [20, 70] (100 × 50), edges of rate 2",
            oracle: Oracle::smooth_box(1.0, &[100.0, 20.0], &[200.0, 70.0], 2.0),
            domain_lower: d2l.clone(),
            domain_upper: d2u.clone(),
        },
        Example {
            name: "trap-1d",
            description: "plateau [100, 200] with a hole [140, 160] of full depth, edges of rate 2",
            oracle: Oracle::trap(1.0, &[100.0], &[200.0], 1.0, &[140.0], &[160.0], 2.0),
            domain_lower: d1l,
            domain_upper: d1u,
        },
        Example {
            name: "trap-2d",
            description:
                "plateau [100, 200] × [20, 70] with a hole [140, 160] × [35, 55], edges of rate 2",
            oracle: Oracle::trap(
                1.0,
                &[100.0, 20.0],
                &[200.0, 70.0],
                1.0,
                &[140.0, 35.0],
                &[160.0, 55.0],
                2.0,
            ),
            domain_lower: d2l.clone(),
            domain_upper: d2u.clone(),
        },
        Example {
            name: "bump-2d",
            description: "Gaussian bump of height 0.9 at (180, 40), σ = (40, 20)",
            oracle: Oracle::gaussian_bump(0.9, &[180.0, 40.0], &[40.0, 20.0]),
            domain_lower: d2l.clone(),
            domain_upper: d2u.clone(),
        },
        Example {
            name: "constant-2d",
            description: "f = 0.8 everywhere",
            oracle: Oracle::constant(2, 0.8),
            domain_lower: d2l,
            domain_upper: d2u,
        },
    ]
}

/// The named oracle of [`examples`], if there is one.
pub fn example(name: &str) -> Option<Example> {
    examples().into_iter().find(|e| e.name == name)
}

#[cfg(test)]
mod transform_tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    /// Every factor kind with parameters where each term of each transform matters: affine
    /// with a slope, a Gaussian off the origin, a window with its plateau.
    fn mixed() -> Oracle {
        Oracle::sum(
            "mixed",
            &[
                Oracle::multilinear(0.7, &[(0.2, 0.01), (1.0, -0.02)]),
                Oracle::gaussian_bump(0.5, &[120.0, 30.0], &[40.0, 20.0]),
                Oracle::smooth_box(0.3, &[100.0, 10.0], &[200.0, 60.0], 0.5),
            ],
        )
    }

    #[test]
    fn shifted_mirrored_and_scaled_oracles_are_those_functions() {
        let f = mixed();
        let (shift, c) = ([7.5, -3.0], -1.7);
        let (g, m, s) = (f.shifted(&shift), f.mirrored(1), f.scaled(c));
        for x in [[0.0, 0.0], [130.0, 30.0], [250.0, -8.0], [101.0, 59.0]] {
            let back = [x[0] - shift[0], x[1] - shift[1]];
            assert!(close(g.value(&x), f.value(&back)), "shifted at {x:?}");
            assert!(
                close(m.value(&x), f.value(&[x[0], -x[1]])),
                "mirrored at {x:?}"
            );
            assert!(close(s.value(&x), c * f.value(&x)), "scaled at {x:?}");
        }
        // The plateau moves with the function.
        let b = Oracle::smooth_box(1.0, &[100.0, 10.0], &[200.0, 60.0], 0.5);
        let shifted = b.shifted(&shift);
        assert_eq!(
            shifted.plateau(),
            Some((&[107.5, 7.0][..], &[207.5, 57.0][..]))
        );
        let mirrored = b.mirrored(1);
        assert_eq!(
            mirrored.plateau(),
            Some((&[100.0, -60.0][..], &[200.0, -10.0][..]))
        );
    }

    #[test]
    fn names_terms_and_multilinearity_describe_the_oracle() {
        let f = mixed();
        assert_eq!(f.name(), "mixed");
        assert_eq!(f.to_string(), "mixed (n = 2)");
        assert_eq!(f.terms().len(), 3);
        assert!(Oracle::multilinear(0.7, &[(0.2, 0.01)]).is_multilinear());
        assert!(Oracle::constant(2, 0.5).is_multilinear());
        assert!(!f.is_multilinear());
    }

    #[test]
    #[should_panic(expected = "lower and upper bounds differ in length")]
    fn a_box_with_bounds_of_two_lengths_is_refused() {
        Oracle::smooth_box(1.0, &[0.0, 0.0], &[1.0], 1.0);
    }

    #[test]
    fn far_tails_keep_their_digits() {
        // A window deep inside its plateau: σ(5000) must be 1, not inf / inf.
        let w = Factor::Window {
            lo: 0.0,
            hi: 1000.0,
            k: 10.0,
        };
        assert_eq!(w.value(500.0), 1.0);
        // A Gaussian integral in the left tail equals its mirror in the right one; written as
        // erf(b) − erf(a) it would cancel to 0.
        let g = Factor::Gaussian {
            mu: 0.0,
            sigma: 1.0,
        };
        let (left, right) = (g.integral(-10.0, -9.0), g.integral(9.0, 10.0));
        assert!(right > 0.0, "{right}");
        assert!((left - right).abs() <= 1e-12 * right, "{left} vs {right}");
    }
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    #[test]
    fn names_are_unique_and_domains_fit_the_oracles() {
        let all = examples();
        assert!(all.len() >= 5, "the catalogue has its examples");
        for (i, e) in all.iter().enumerate() {
            assert!(
                all[i + 1..].iter().all(|o| o.name != e.name),
                "duplicate {}",
                e.name
            );
            assert_eq!(e.domain_lower.len(), e.oracle.dim(), "{}", e.name);
            assert_eq!(e.domain_upper.len(), e.oracle.dim(), "{}", e.name);
            assert!(e
                .domain_lower
                .iter()
                .zip(&e.domain_upper)
                .all(|(l, u)| l < u));
            assert_eq!(example(e.name).as_ref(), Some(e));
        }
        assert!(example("nope").is_none());
    }
}
