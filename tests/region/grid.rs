//! The `semrob.grid/1` format and its multilinear interpolant.

use nalgebra::DMatrix;
use proptest::prelude::*;
use semrob::semantic::{Axis, Grid, GridError, GridProblem, SemanticFunction};
use serde_json::json;

fn axis(name: &str, values: Vec<f64>, period: Option<f64>) -> Axis {
    Axis {
        name: name.into(),
        unit: "deg".into(),
        values,
        period,
        domain: None,
    }
}

/// A multilinear function with values in [0, 1] on the generated axes (x in [-0.5, 1.5],
/// |d_k| <= 0.25): the product of the affine factors 0.5 + d_k (x_k - 0.5).
fn factor(d: f64, x: f64) -> f64 {
    0.5 + d * (x - 0.5)
}

fn multilinear(d: &[f64], x: &[f64]) -> f64 {
    d.iter().zip(x).map(|(&d, &x)| factor(d, x)).product()
}

/// Axis values: strictly increasing, from random positive gaps.
fn axis_values(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.05f64..0.5, 1..max_len).prop_map(|gaps| {
        let mut v = vec![-0.5];
        for g in gaps {
            let last = *v.last().unwrap();
            v.push(last + g);
        }
        v
    })
}

fn eval(grid: &Grid, u: &[f64]) -> (f64, Vec<f64>) {
    let points = DMatrix::from_row_slice(1, u.len(), u);
    let e = grid.evaluate(&points, 1).unwrap();
    let g = e.gradients.unwrap();
    (e.values[0], g.row(0).iter().copied().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// For every multilinear f on every non-periodic grid (n = 1..4), the interpolant is f
    /// itself inside the grid's span, and its gradient is ∇f.
    #[test]
    fn interpolant_reproduces_multilinear_functions(
        raw in prop::collection::vec((axis_values(5), -0.25f64..=0.25), 1..5),
        ts in prop::collection::vec(0.0f64..=1.0, 4),
    ) {
        let axes: Vec<Axis> = raw.iter().enumerate()
            .map(|(k, (v, _))| axis(&format!("x{k}"), v.clone(), None)).collect();
        let d: Vec<f64> = raw.iter().map(|r| r.1).collect();
        let f = |x: &[f64]| multilinear(&d, x);
        let grid = Grid::tabulate(axes.clone(), json!(null), f).unwrap();
        let u: Vec<f64> = axes.iter().zip(&ts).map(|(a, t)| {
            let (lo, hi) = a.span();
            lo + t * (hi - lo)
        }).collect();
        let (value, grad) = eval(&grid, &u);
        prop_assert!((value - f(&u)).abs() <= 1e-12, "value {value} vs {}", f(&u));
        for k in 0..u.len() {
            let others: f64 = (0..u.len()).filter(|&m| m != k).map(|m| factor(d[m], u[m])).product();
            let exact = d[k] * others;
            prop_assert!((grad[k] - exact).abs() <= 1e-9, "grad[{k}] {} vs {exact}", grad[k]);
        }
    }

    /// At every grid point the interpolant returns the tabulated score, and `Grid::point`
    /// maps the flat index back to the point (row-major, the last axis fastest).
    #[test]
    fn interpolant_hits_every_grid_point(
        v0 in axis_values(6), v1 in axis_values(6), seed in any::<u64>(),
    ) {
        let axes = vec![axis("a", v0, None), axis("b", v1, None)];
        let n = axes[0].values.len() * axes[1].values.len();
        let scores: Vec<f64> = (0..n).map(|i| ((seed.wrapping_mul(i as u64 + 1) >> 11) as f64) / (1u64 << 53) as f64).collect();
        let grid = Grid::new(axes.clone(), scores.clone(), json!(null)).unwrap();
        for (i, &x) in axes[0].values.iter().enumerate() {
            for (j, &y) in axes[1].values.iter().enumerate() {
                let flat = i * axes[1].values.len() + j;
                let (value, _) = eval(&grid, &[x, y]);
                prop_assert_eq!(value, scores[flat]);
                prop_assert_eq!(grid.point(flat), vec![x, y], "the point of flat index {}", flat);
            }
        }
    }

    /// The gradient of the interpolant is its derivative: central differences inside a cell
    /// agree with it.
    #[test]
    fn gradient_matches_finite_differences_inside_cells(
        v0 in axis_values(6), v1 in axis_values(6), seed in any::<u64>(),
        t0 in 0.05f64..0.95, t1 in 0.05f64..0.95,
    ) {
        let axes = vec![axis("a", v0, Some(100.0)), axis("b", v1, None)];
        let n = axes[0].values.len() * axes[1].values.len();
        let scores: Vec<f64> = (0..n).map(|i| ((seed.rotate_left(i as u32 * 7) >> 11) as f64) / (1u64 << 53) as f64).collect();
        let grid = Grid::new(axes.clone(), scores, json!(null)).unwrap();
        // A point inside the first cell of each axis, away from its edges.
        let u = [
            axes[0].values[0] + t0 * (axes[0].values.get(1).copied().unwrap_or(axes[0].values[0] + 100.0) - axes[0].values[0]),
            axes[1].values[0] + t1 * (axes[1].values.get(1).copied().unwrap_or(axes[1].values[0]) - axes[1].values[0]),
        ];
        let (_, grad) = eval(&grid, &u);
        for k in 0..2 {
            let h = 1e-6;
            let mut up = u;
            let mut dn = u;
            up[k] += h;
            dn[k] -= h;
            let fd = (eval(&grid, &up).0 - eval(&grid, &dn).0) / (2.0 * h);
            prop_assert!((grad[k] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "k={k}: {} vs {fd}", grad[k]);
        }
    }

    /// A periodic axis wraps: u and u + period give the same value and gradient.
    #[test]
    fn periodic_axis_wraps(x in -720.0f64..720.0, turns in -3i32..3, seed in any::<u64>()) {
        let values: Vec<f64> = (0..12).map(|i| 30.0 * i as f64).collect();
        let scores: Vec<f64> = (0..12).map(|i| ((seed.rotate_left(5 * i) >> 11) as f64) / (1u64 << 53) as f64).collect();
        let grid = Grid::new(vec![axis("azimuth", values, Some(360.0))], scores, json!(null)).unwrap();
        let (a, ga) = eval(&grid, &[x]);
        let (b, gb) = eval(&grid, &[x + 360.0 * turns as f64]);
        prop_assert!((a - b).abs() <= 1e-9);
        prop_assert!((ga[0] - gb[0]).abs() <= 1e-9);
    }
}

#[test]
fn wrap_around_cell_joins_the_last_and_first_values() {
    // Samples at 0, 90, 180, 270; the cell [270, 360) interpolates toward the value at 0.
    let grid = Grid::new(
        vec![axis("azimuth", vec![0.0, 90.0, 180.0, 270.0], Some(360.0))],
        vec![1.0, 0.0, 0.0, 0.0],
        json!(null),
    )
    .unwrap();
    let (v, g) = eval(&grid, &[315.0]);
    assert!((v - 0.5).abs() < 1e-15);
    assert!((g[0] - 1.0 / 90.0).abs() < 1e-15);
    let (v, _) = eval(&grid, &[-45.0]);
    assert!((v - 0.5).abs() < 1e-15);
    assert_eq!(grid.domain(), (vec![0.0], vec![360.0]));
}

#[test]
fn non_periodic_axis_clamps_with_zero_gradient_outside() {
    let grid = Grid::new(
        vec![axis("elevation", vec![-10.0, 0.0, 10.0], None)],
        vec![0.2, 0.4, 0.9],
        json!(null),
    )
    .unwrap();
    assert_eq!(eval(&grid, &[-50.0]), (0.2, vec![0.0]));
    assert_eq!(eval(&grid, &[99.0]), (0.9, vec![0.0]));
    assert_eq!(grid.domain(), (vec![-10.0], vec![10.0]));
}

#[test]
fn an_axis_domain_overrides_the_span() {
    let mut el = axis(
        "elevation",
        (0..34).map(|j| -10.0 + 3.0 * j as f64).collect(),
        None,
    );
    let grid = Grid::new(vec![el.clone()], vec![0.5; 34], json!(null)).unwrap();
    assert_eq!(grid.domain(), (vec![-10.0], vec![89.0]));
    el.domain = Some([-10.0, 90.0]);
    let grid = Grid::new(vec![el.clone()], vec![0.5; 34], json!(null)).unwrap();
    assert_eq!(grid.domain(), (vec![-10.0], vec![90.0]));
    el.domain = Some([5.0, 5.0]);
    let err = Grid::new(vec![el], vec![0.5; 34], json!(null)).unwrap_err();
    assert!(
        err.to_string().contains("axes[0] (elevation).domain"),
        "{err}"
    );
}

#[test]
fn json_round_trip_keeps_axes_values_and_meta() {
    let text = json!({
        "format": "semrob.grid/1",
        "axes": [
            {"name": "azimuth", "unit": "deg", "values": [0, 120, 240], "period": 360},
            {"name": "elevation", "unit": "deg", "values": [-10, 40]}
        ],
        "values": [[0.1, 0.2], [0.3, 0.4], [0.5, 1]],
        "meta": {"network": "resnet50", "class": "cup"}
    })
    .to_string();
    let grid = Grid::from_json_str(&text).unwrap();
    assert_eq!(grid.values(), &[0.1, 0.2, 0.3, 0.4, 0.5, 1.0]);
    assert_eq!(grid.meta()["network"], "resnet50");
    let again = Grid::from_json_str(&grid.to_json().to_string()).unwrap();
    assert_eq!(again, grid);
}

fn problem(doc: serde_json::Value) -> String {
    Grid::from_json_str(&doc.to_string())
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_grids_are_refused_naming_the_field() {
    let ax = json!([{"name": "azimuth", "values": [0, 180], "period": 360}]);
    let cases = [
        (
            json!({"format": "semrob.grid/2", "axes": ax, "values": [0.1, 0.2]}),
            "field `format` is \"semrob.grid/2\"",
        ),
        (
            json!({"axes": ax, "values": [0.1, 0.2]}),
            "field `format` is missing",
        ),
        (
            json!({"format": "semrob.grid/1", "values": [0.1, 0.2]}),
            "field `axes` is missing",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": ax}),
            "field `values` is missing",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": ax, "values": [0.1]}),
            "field `values`: has 1 entries, the axis has 2 values",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": ax, "values": [0.1, "x"]}),
            "field `values[1]`: \"x\" is not a number",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": ax, "values": [0.1, 1.5]}),
            "field `values[1]`: score 1.5 is not a number in [0, 1]",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": ax, "values": [-0.1, 0.5]}),
            "field `values[0]`: score -0.1",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": [{"name": "a", "values": [0, 1, 1]}], "values": [0, 0, 0]}),
            "field `axes[0] (a).values[2]`: 1 duplicates the previous value 1",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": [{"name": "a", "values": [0, 2, 1]}], "values": [0, 0, 0]}),
            "field `axes[0] (a).values[2]`: 1 is below the previous value 2",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": [{"name": "a", "values": [0, 360], "period": 360}], "values": [0, 0]}),
            "reaches the period 360",
        ),
        (
            json!({"format": "semrob.grid/1", "axes": [], "values": []}),
            "field `axes`: is empty",
        ),
        (
            json!({"format": "semrob.grid/1",
                "axes": [{"name": "a", "values": [0, 1]}, {"name": "b", "values": [0, 1, 2]}],
                "values": [[0, 0, 0], [0, 0]]}),
            "field `values[1]`: has 2 entries, the axis has 3 values",
        ),
    ];
    for (doc, expected) in cases {
        let message = problem(doc.clone());
        assert!(
            message.contains(expected),
            "for {doc}\n got: {message}\n want: {expected}"
        );
    }
}

#[test]
fn non_finite_scores_are_refused() {
    let axes = vec![axis("a", vec![0.0, 1.0], None)];
    let err = Grid::new(axes, vec![0.5, f64::NAN], json!(null)).unwrap_err();
    assert_eq!(
        err,
        GridProblem::Field {
            field: "values[1]".into(),
            message: "score NaN is not a number in [0, 1]".into()
        }
    );
}

#[test]
fn read_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"format\": \"semrob.grid/1\", \"axes\": 3}").unwrap();
    let err = Grid::read(&path).unwrap_err();
    assert!(matches!(err, GridError::Invalid { .. }));
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
    let missing = dir.path().join("missing.json");
    assert!(Grid::read(&missing)
        .unwrap_err()
        .to_string()
        .contains("missing.json"));
    std::fs::write(&path, "{not json").unwrap();
    assert!(Grid::read(&path)
        .unwrap_err()
        .to_string()
        .contains("not valid JSON"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A slice of a tabulated multilinear f in any pair of its axes, through any point inside
    /// the span, holds f itself at that pair's samples with the other coordinates fixed.
    #[test]
    fn a_slice_holds_the_function_through_the_point(
        a in axis_values(4),
        b in axis_values(4),
        c in axis_values(4),
        d in prop::collection::vec(-0.25f64..0.25, 3),
        t in prop::collection::vec(0.0f64..1.0, 3),
        (i, j) in prop::sample::select(vec![(0usize, 1usize), (0, 2), (1, 2), (2, 0)]),
    ) {
        let axes = vec![
            axis("a", a, None),
            axis("b", b, None),
            axis("c", c, None),
        ];
        // A point inside the span of every axis.
        let at: Vec<f64> = axes
            .iter()
            .zip(&t)
            .map(|(ax, &t)| {
                let (lo, hi) = ax.span();
                lo + t * (hi - lo)
            })
            .collect();
        let grid = Grid::tabulate(axes.clone(), json!(null), |x| multilinear(&d, x)).unwrap();
        let slice = grid.slice(i, j, &at).unwrap();
        prop_assert_eq!(slice.axes().len(), 2);
        prop_assert_eq!(&slice.axes()[0].name, &axes[i].name);
        prop_assert_eq!(&slice.axes()[1].name, &axes[j].name);
        for flat in 0..slice.values().len() {
            let p = slice.point(flat);
            let mut u = at.clone();
            u[i] = p[0];
            u[j] = p[1];
            prop_assert!((slice.values()[flat] - multilinear(&d, &u)).abs() < 1e-12);
        }
    }
}

#[test]
fn a_slice_needs_two_distinct_axes_and_a_full_point() {
    let axes = vec![
        axis("a", vec![0.0, 1.0], None),
        axis("b", vec![0.0, 1.0], None),
        axis("c", vec![0.0, 1.0], None),
    ];
    let grid = Grid::tabulate(axes, json!(null), |x| x[0] * 0.5).unwrap();
    let e = |i, j, at: &[f64]| grid.slice(i, j, at).unwrap_err().to_string();
    let same = e(0, 0, &[0.5; 3]);
    assert!(
        same.contains("axes (0, 0)") && same.contains("3 axes"),
        "{same}"
    );
    let outside = e(0, 3, &[0.5; 3]);
    assert!(outside.contains("axes (0, 3)"), "{outside}");
    let short = e(0, 1, &[0.5; 2]);
    assert_eq!(
        short,
        "field `axes`: cannot slice axes (0, 1) through a point of 2 coordinates of a map with \
         3 axes"
    );
}
