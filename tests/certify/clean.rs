//! The largest clean box: in 2-D it is the largest candidate box (grid lines, the bounds
//! and the start on each axis) containing the start whose failing share, as
//! `Grid::box_contents` measures it, is at most p — checked against a brute force over every
//! candidate box on random small maps, robust and adversarial, periodic axes included. In 1-D
//! and 3-D (greedy) the box is inside the bounds, contains the start and has a share ≤ p.

use rand::{RngExt, SeedableRng};
use semrob::certify::{clean_box, ChaCha8Rng};
use semrob::region::Goal;
use semrob::semantic::{Axis, Grid};

fn axis(values: Vec<f64>, period: Option<f64>) -> Axis {
    Axis {
        name: "x".into(),
        unit: String::new(),
        values,
        period,
        domain: None,
    }
}

/// A random map with `sizes` samples per axis: sorted random positions (axis 0 periodic
/// when `periodic`), scores that are mostly high with low patches.
fn random_map(rng: &mut ChaCha8Rng, sizes: &[usize], periodic: bool) -> Grid {
    let axes: Vec<Axis> = sizes
        .iter()
        .enumerate()
        .map(|(k, &m)| {
            if k == 0 && periodic {
                let values = (0..m).map(|i| 360.0 * i as f64 / m as f64).collect();
                axis(values, Some(360.0))
            } else {
                let mut x = 0.0;
                let values = (0..m)
                    .map(|_| {
                        x += 1.0 + 9.0 * rng.random::<f64>();
                        x
                    })
                    .collect();
                axis(values, None)
            }
        })
        .collect();
    let total: usize = sizes.iter().product();
    let values = (0..total)
        .map(|_| {
            let u: f64 = rng.random();
            if u < 0.3 {
                0.3 * rng.random::<f64>()
            } else {
                0.5 + 0.5 * rng.random::<f64>()
            }
        })
        .collect();
    Grid::new(axes, values, serde_json::Value::Null).unwrap()
}

/// Candidate lines on axis `k` of `[lo, hi]`: every grid line strictly inside (shifted by
/// whole periods on a periodic axis, computed as `box_contents` does), `lo`, `hi`, `s`.
fn candidates(map: &Grid, k: usize, lo: f64, hi: f64, s: f64) -> Vec<f64> {
    let a = &map.axes()[k];
    let mut c = vec![lo, hi, s];
    for &v in &a.values {
        match a.period {
            Some(p) => {
                let mut m = ((lo - v) / p).floor();
                loop {
                    let x = v + m * p;
                    if x >= hi {
                        break;
                    }
                    if x > lo {
                        c.push(x);
                    }
                    m += 1.0;
                }
            }
            None => {
                if lo < v && v < hi {
                    c.push(v)
                }
            }
        }
    }
    c.sort_by(f64::total_cmp);
    c.dedup();
    c
}

fn share(map: &Grid, lo: &[f64], hi: &[f64], t: f64, goal: Goal) -> f64 {
    let (t, adv) = match goal {
        Goal::Robust => (t, false),
        Goal::Adversarial => (1.0 - t, true),
    };
    map.box_contents(lo, hi, t, adv).unwrap().below
}

fn volume(lo: &[f64], hi: &[f64]) -> f64 {
    lo.iter().zip(hi).map(|(a, b)| b - a).product()
}

/// The largest volume over every candidate box containing `s` with share ≤ p (0 if none).
fn brute_force_2d(
    map: &Grid,
    lo: &[f64],
    hi: &[f64],
    s: &[f64],
    t: f64,
    p: f64,
    goal: Goal,
) -> f64 {
    let cx = candidates(map, 0, lo[0], hi[0], s[0]);
    let cy = candidates(map, 1, lo[1], hi[1], s[1]);
    let mut best = 0.0f64;
    for &ax in cx.iter().filter(|&&x| x <= s[0]) {
        for &bx in cx.iter().filter(|&&x| x >= s[0] && x > ax) {
            for &ay in cy.iter().filter(|&&y| y <= s[1]) {
                for &by in cy.iter().filter(|&&y| y >= s[1] && y > ay) {
                    let (l, h) = ([ax, ay], [bx, by]);
                    if share(map, &l, &h, t, goal) <= p {
                        best = best.max(volume(&l, &h));
                    }
                }
            }
        }
    }
    best
}

fn passes_at(map: &Grid, u: &[f64], t: f64, goal: Goal) -> bool {
    let f = map.interpolate(u, None);
    match goal {
        Goal::Robust => f >= t,
        Goal::Adversarial => 1.0 - f >= 1.0 - t,
    }
}

/// A random box around (part of) the map and a start inside or outside it.
fn random_box(rng: &mut ChaCha8Rng, map: &Grid) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (dlo, dhi) = map.domain();
    let n = dlo.len();
    let (mut lo, mut hi, mut s) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for k in 0..n {
        let w = dhi[k] - dlo[k];
        let a = dlo[k] - 0.1 * w + 0.5 * w * rng.random::<f64>();
        let b = a + (0.2 + 0.9 * rng.random::<f64>()) * w;
        lo[k] = a;
        hi[k] = b;
        // Mostly inside; sometimes outside (clamped), sometimes on a grid line.
        s[k] = match rng.random_range(0..6) {
            0 => a - 1.0,
            1 => map.axes()[k].values[rng.random_range(0..map.axes()[k].values.len())],
            _ => a + (b - a) * rng.random::<f64>(),
        };
    }
    (lo, hi, s)
}

#[test]
fn in_two_dimensions_the_clean_box_is_the_largest_candidate_box() {
    let mut rng = ChaCha8Rng::seed_from_u64(20261207);
    let mut found = 0;
    for case in 0..240 {
        let periodic = case % 3 == 0;
        let map = random_map(&mut rng, &[6, 5], periodic);
        let (lo, hi, s) = random_box(&mut rng, &map);
        let t = 0.2 + 0.4 * rng.random::<f64>();
        let p = [0.013, 0.1234, 0.3071][case % 3];
        let goal = if case % 2 == 0 {
            Goal::Robust
        } else {
            Goal::Adversarial
        };
        let clamped: Vec<f64> = (0..2).map(|k| s[k].clamp(lo[k], hi[k])).collect();
        let best = brute_force_2d(&map, &lo, &hi, &clamped, t, p, goal);
        let got = clean_box(&map, &lo, &hi, &s, t, p, goal);
        let what = format!("case {case}: box {lo:?}–{hi:?} start {s:?} t {t} p {p} {goal}");
        if best == 0.0 {
            match got {
                Some((a, b)) => {
                    assert_eq!((&a, &b), (&clamped, &clamped), "{what}");
                    assert!(passes_at(&map, &clamped, t, goal), "{what}");
                }
                None => assert!(!passes_at(&map, &clamped, t, goal), "{what}"),
            }
            continue;
        }
        found += 1;
        let (a, b) = got.unwrap_or_else(|| panic!("{what}: none, brute force {best}"));
        let v = volume(&a, &b);
        assert!((v - best).abs() <= 1e-9 * best, "{what}: {v} vs {best}");
        for k in 0..2 {
            assert!(lo[k] <= a[k] && a[k] <= clamped[k] && clamped[k] <= b[k] && b[k] <= hi[k]);
        }
        assert!(share(&map, &a, &b, t, goal) <= p, "{what}");
    }
    assert!(found > 100, "only {found} cases with a clean box");
}

#[test]
fn in_one_and_three_dimensions_the_greedy_box_is_clean_and_around_the_start() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut proper = 0;
    for case in 0..60 {
        let sizes: &[usize] = if case % 2 == 0 { &[9] } else { &[5, 4, 4] };
        let map = random_map(&mut rng, sizes, case % 4 == 1);
        let (lo, hi, s) = random_box(&mut rng, &map);
        let n = sizes.len();
        let t = 0.2 + 0.4 * rng.random::<f64>();
        let p = 0.1;
        let goal = if case % 3 == 0 {
            Goal::Adversarial
        } else {
            Goal::Robust
        };
        let clamped: Vec<f64> = (0..n).map(|k| s[k].clamp(lo[k], hi[k])).collect();
        let what = format!("case {case}: box {lo:?}–{hi:?} start {s:?} t {t} {goal}");
        match clean_box(&map, &lo, &hi, &s, t, p, goal) {
            Some((a, b)) if a == b => {
                assert_eq!(a, clamped, "{what}");
                assert!(passes_at(&map, &a, t, goal), "{what}");
            }
            Some((a, b)) => {
                proper += 1;
                for k in 0..n {
                    assert!(lo[k] <= a[k] && a[k] <= clamped[k], "{what}");
                    assert!(clamped[k] <= b[k] && b[k] <= hi[k], "{what}");
                    assert!(a[k] < b[k], "{what}");
                }
                assert!(share(&map, &a, &b, t, goal) <= p, "{what}");
            }
            None => assert!(!passes_at(&map, &clamped, t, goal), "{what}"),
        }
    }
    assert!(proper > 30, "only {proper} proper boxes");
}

#[test]
fn a_clean_map_gives_the_whole_box_and_a_failing_one_nothing() {
    let axes = || vec![axis(vec![0.0, 1.0, 2.0], None), axis(vec![0.0, 1.0], None)];
    let high = Grid::new(axes(), vec![0.9; 6], serde_json::Value::Null).unwrap();
    let low = Grid::new(axes(), vec![0.05; 6], serde_json::Value::Null).unwrap();
    let (lo, hi) = ([0.0, 0.0], [2.0, 1.0]);
    let whole = Some((lo.to_vec(), hi.to_vec()));
    assert_eq!(
        clean_box(&high, &lo, &hi, &[0.5, 0.5], 0.5, 0.01, Goal::Robust),
        whole
    );
    assert_eq!(
        clean_box(&high, &lo, &hi, &[0.5, 0.5], 0.5, 0.01, Goal::Adversarial),
        None
    );
    assert_eq!(
        clean_box(&low, &lo, &hi, &[0.5, 0.5], 0.5, 0.01, Goal::Robust),
        None
    );
    assert_eq!(
        clean_box(&low, &lo, &hi, &[0.5, 0.5], 0.5, 0.01, Goal::Adversarial),
        whole
    );
    // Bad inputs give None.
    assert_eq!(
        clean_box(&high, &[0.0], &[1.0], &[0.5], 0.5, 0.01, Goal::Robust),
        None
    );
    // A side of width 0 is a box (lower ≤ upper) of no volume: the degenerate box at the
    // start, clamped into it, when the start passes; nothing when it fails.
    let (fl, fh) = ([0.0, 0.25], [2.0, 0.25]);
    assert_eq!(
        clean_box(&high, &fl, &fh, &[0.5, 0.9], 0.5, 0.01, Goal::Robust),
        Some((vec![0.5, 0.25], vec![0.5, 0.25]))
    );
    assert_eq!(
        clean_box(&low, &fl, &fh, &[0.5, 0.9], 0.5, 0.01, Goal::Robust),
        None
    );
    // Each of the three of the wrong dimension on its own: one coordinate short or extra.
    let (s, short, long) = ([0.5, 0.5], [0.0], [0.0, 0.0, 0.0]);
    let (long_hi, long_s) = ([2.0, 1.0, 1.0], [0.5, 0.5, 0.5]);
    for (l, h, st) in [
        (&short[..], &hi[..], &s[..]),
        (&long[..], &hi[..], &s[..]),
        (&lo[..], &[2.0][..], &s[..]),
        (&lo[..], &long_hi[..], &s[..]),
        (&lo[..], &hi[..], &[0.5][..]),
        (&lo[..], &hi[..], &long_s[..]),
    ] {
        assert_eq!(
            clean_box(&high, l, h, st, 0.5, 0.01, Goal::Robust),
            None,
            "{l:?} {h:?} {st:?}"
        );
    }
    assert_eq!(
        clean_box(&high, &hi, &lo, &[0.5, 0.5], 0.5, 0.01, Goal::Robust),
        None
    );
    assert_eq!(
        clean_box(&high, &lo, &hi, &[f64::NAN, 0.5], 0.5, 0.01, Goal::Robust),
        None
    );
}

#[test]
fn the_greedy_rule_moves_the_face_that_removes_the_most_failing_measure() {
    // 1-D, samples 0..=10, f = 1 except f(9) = f(10) = 0: the midpoint rule finds half of
    // [8, 9] and all of [9, 10] below 0.5. From [0, 10] (share 0.15) the upper face removes
    // failing measure and the lower face none, so the upper face moves: to 9 (share 0.5/9),
    // then to 8 (share 0).
    let values: Vec<f64> = (0..=10).map(|i| if i >= 9 { 0.0 } else { 1.0 }).collect();
    let map = Grid::new(
        vec![axis((0..=10).map(f64::from).collect(), None)],
        values,
        serde_json::Value::Null,
    )
    .unwrap();
    let got = clean_box(&map, &[0.0], &[10.0], &[2.0], 0.5, 0.01, Goal::Robust);
    assert_eq!(got, Some((vec![0.0], vec![8.0])));
    // Allowing a share of 0.06 keeps [0, 9] (0.5 / 9 = 0.056).
    let got = clean_box(&map, &[0.0], &[10.0], &[2.0], 0.5, 0.06, Goal::Robust);
    assert_eq!(got, Some((vec![0.0], vec![9.0])));
    // A start in the hole: every box around 9.5 holds failing [9, 9.5] or [9.5, 10] (a
    // share above 0.01), and the start itself fails: none.
    assert_eq!(
        clean_box(&map, &[0.0], &[10.0], &[9.5], 0.5, 0.01, Goal::Robust),
        None
    );
}

/// The greedy rule as documented, written out on the candidate lines: from the whole box,
/// move the face (lower 0, upper 0, lower 1, …) whose next candidate toward the start
/// removes the most failing measure (`box_contents`' share × volume) per volume removed, the
/// first on ties, never to a side of width 0, until the share is at most `p`.
fn greedy_reference(
    map: &Grid,
    lo: &[f64],
    hi: &[f64],
    s: &[f64],
    t: f64,
    p: f64,
    goal: Goal,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = lo.len();
    let c: Vec<Vec<f64>> = (0..n)
        .map(|k| candidates(map, k, lo[k], hi[k], s[k]))
        .collect();
    let mut at: Vec<(usize, usize)> = c.iter().map(|ck| (0, ck.len() - 1)).collect();
    let bounds = |at: &[(usize, usize)]| -> (Vec<f64>, Vec<f64>) {
        (0..n).map(|k| (c[k][at[k].0], c[k][at[k].1])).unzip()
    };
    let failing = |l: &[f64], h: &[f64]| share(map, l, h, t, goal) * volume(l, h);
    loop {
        let (l, h) = bounds(&at);
        let (f, v) = (failing(&l, &h), volume(&l, &h));
        if (f / v).clamp(0.0, 1.0) <= p {
            return Some((l, h));
        }
        let mut best: Option<(f64, Vec<(usize, usize)>)> = None;
        for k in 0..n {
            for upper in [false, true] {
                let mut next = at.clone();
                let moved = if upper {
                    next[k].1 -= 1;
                    c[k][next[k].1] >= s[k]
                } else {
                    next[k].0 += 1;
                    c[k][next[k].0] <= s[k]
                };
                if !moved || c[k][next[k].1] <= c[k][next[k].0] {
                    continue;
                }
                let (nl, nh) = bounds(&next);
                let rate = (f - failing(&nl, &nh)) / (v - volume(&nl, &nh));
                if best.as_ref().is_none_or(|(r, _)| rate > *r) {
                    best = Some((rate, next));
                }
            }
        }
        at = best?.1;
    }
}

#[test]
fn in_one_and_three_dimensions_the_box_is_the_documented_greedy_rules() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut moved = 0;
    for case in 0..120 {
        let sizes: &[usize] = if case % 2 == 0 { &[9] } else { &[5, 4, 4] };
        let map = random_map(&mut rng, sizes, case % 4 == 1);
        let (lo, hi, s) = random_box(&mut rng, &map);
        let n = sizes.len();
        let s: Vec<f64> = (0..n).map(|k| s[k].clamp(lo[k], hi[k])).collect();
        let t = 0.2 + 0.4 * rng.random::<f64>();
        let p = [0.0, 0.05, 0.1][case % 3];
        let goal = if case % 5 == 0 {
            Goal::Adversarial
        } else {
            Goal::Robust
        };
        let what = format!("case {case}: box {lo:?}–{hi:?} start {s:?} t {t} p {p} {goal}");
        let want = greedy_reference(&map, &lo, &hi, &s, t, p, goal);
        let got = clean_box(&map, &lo, &hi, &s, t, p, goal);
        match want {
            Some(w) => {
                moved += usize::from(w != (lo.clone(), hi.clone()));
                assert_eq!(got, Some(w), "{what}");
            }
            // No proper box: the degenerate one at the start, if it passes.
            None => assert!(
                got.as_ref().is_none_or(|(a, b)| *a == s && *b == s),
                "{what}: {got:?}"
            ),
        }
    }
    assert!(moved > 40, "only {moved} cases moved a face");
}
