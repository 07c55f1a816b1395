//! Tabulated semantic maps: the `semrob.grid/1` file format and its multilinear interpolant.
//!
//! A grid holds `f` sampled on the tensor product of its axes' values. Between grid points
//! the function is the multilinear interpolant, wrapped on periodic axes and clamped at the
//! ends of the others; its gradient is the interpolant's gradient. A [`Grid`] is therefore a
//! [`SemanticFunction`] with gradients, and the region methods run on it exactly as on a
//! network.

use std::fmt;
use std::path::{Path, PathBuf};

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{EvalError, Evaluation, SemanticFunction};

/// The format tag of a grid file.
pub const GRID_FORMAT: &str = "semrob.grid/1";

/// One axis of a grid: a semantic parameter and the values it was sampled at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The parameter's name, e.g. `azimuth`.
    pub name: String,
    /// Its unit, e.g. `deg`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Strictly increasing sample positions.
    pub values: Vec<f64>,
    /// The period of a periodic axis (360 for azimuth in degrees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<f64>,
    /// The extent of the semantic domain Ω along this axis, when it differs from the span of
    /// the samples (the paper samples elevation at −10, −7, …, 89 in the domain [−10, 90]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<[f64; 2]>,
}

impl Axis {
    /// The axis' extent in the default domain: its `domain` when given, else one full period
    /// from its first value on a periodic axis, else the span of its values.
    pub fn span(&self) -> (f64, f64) {
        let first = self.values[0];
        match (self.domain, self.period) {
            (Some([lo, hi]), _) => (lo, hi),
            (None, Some(p)) => (first, first + p),
            (None, None) => (first, *self.values.last().expect("validated: non-empty")),
        }
    }

    /// The cell of `x` on this axis: the indices of its two neighbours, the weight of the
    /// upper one and the derivative of that weight with respect to `x`.
    fn cell(&self, x: f64) -> Cell {
        let v = &self.values;
        let n = v.len();
        if n == 1 {
            return Cell {
                lo: 0,
                hi: 0,
                t: 0.0,
                dt: 0.0,
            };
        }
        let (x, clamped) = match self.period {
            Some(p) => (v[0] + (x - v[0]).rem_euclid(p), false),
            None if x <= v[0] => (v[0], x < v[0]),
            None if x >= v[n - 1] => (v[n - 1], x > v[n - 1]),
            None => (x, false),
        };
        if let Some(p) = self.period {
            if x >= v[n - 1] {
                // The wrap-around cell between the last value and the first one plus a period.
                let h = v[0] + p - v[n - 1];
                let t = ((x - v[n - 1]) / h).min(1.0);
                return Cell {
                    lo: n - 1,
                    hi: 0,
                    t,
                    dt: 1.0 / h,
                };
            }
        }
        // The last i with v[i] <= x, kept below n - 1 so that the cell is [v[i], v[i+1]].
        let i = v
            .partition_point(|&vi| vi <= x)
            .saturating_sub(1)
            .min(n - 2);
        let h = v[i + 1] - v[i];
        let dt = if clamped { 0.0 } else { 1.0 / h };
        Cell {
            lo: i,
            hi: i + 1,
            t: ((x - v[i]) / h).clamp(0.0, 1.0),
            dt,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    lo: usize,
    hi: usize,
    t: f64,
    dt: f64,
}

/// A semantic map tabulated on a grid (format `semrob.grid/1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    axes: Vec<Axis>,
    /// Scores in row-major order, axis 0 outermost.
    values: Vec<f64>,
    /// Free-form metadata (network, class, shape, render settings...).
    meta: Value,
}

/// What is wrong with a grid.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {problem}")]
    Invalid { path: PathBuf, problem: GridProblem },
}

/// A defect of a grid's content, with the field it is in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridProblem {
    #[error("field `format` is {0:?}, expected \"semrob.grid/1\"")]
    Format(String),
    #[error("field `{0}` is missing")]
    Missing(&'static str),
    #[error("field `{field}`: {message}")]
    Field { field: String, message: String },
}

impl GridProblem {
    fn field(field: impl fmt::Display, message: impl fmt::Display) -> Self {
        GridProblem::Field {
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

/// Writes into `u` the grid point of `axes` at flat index `flat`, in the one order semrob
/// stores maps in: row-major, axis 0 outermost, the last axis fastest.
pub fn grid_point(axes: &[Axis], flat: usize, u: &mut [f64]) {
    let mut rest = flat;
    for k in (0..axes.len()).rev() {
        let len = axes[k].values.len();
        u[k] = axes[k].values[rest % len];
        rest /= len;
    }
}

impl Grid {
    /// A grid from its axes and its scores in row-major order (axis 0 outermost), validated.
    pub fn new(axes: Vec<Axis>, values: Vec<f64>, meta: Value) -> Result<Grid, GridProblem> {
        validate_axes(&axes)?;
        let expected: usize = axes.iter().map(|a| a.values.len()).product();
        if values.len() != expected {
            return Err(GridProblem::field(
                "values",
                format!("has {} scores, the axes need {expected}", values.len()),
            ));
        }
        let grid = Grid { axes, values, meta };
        for (flat, &v) in grid.values.iter().enumerate() {
            if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                return Err(GridProblem::field(
                    grid.index_path(flat),
                    format!("score {v} is not a number in [0, 1]"),
                ));
            }
        }
        Ok(grid)
    }

    /// Tabulates `f` at every grid point of `axes` (row-major, axis 0 outermost), validated
    /// like [`Grid::new`].
    pub fn tabulate(
        axes: Vec<Axis>,
        meta: Value,
        f: impl Fn(&[f64]) -> f64,
    ) -> Result<Grid, GridProblem> {
        validate_axes(&axes)?;
        let sizes: Vec<usize> = axes.iter().map(|a| a.values.len()).collect();
        let total: usize = sizes.iter().product();
        let mut u = vec![0.0; axes.len()];
        let values = (0..total)
            .map(|flat| {
                grid_point(&axes, flat, &mut u);
                f(&u)
            })
            .collect();
        Grid::new(axes, values, meta)
    }

    /// The point of flat index `flat` (row-major, axis 0 outermost).
    pub fn point(&self, flat: usize) -> Vec<f64> {
        let mut u = vec![0.0; self.axes.len()];
        grid_point(&self.axes, flat, &mut u);
        u
    }

    /// Parses and validates the JSON text of a grid file.
    pub fn from_json_str(text: &str) -> Result<Grid, GridProblem> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| GridProblem::field("(document)", format!("not valid JSON: {e}")))?;
        Grid::from_json_value(doc)
    }

    fn from_json_value(doc: Value) -> Result<Grid, GridProblem> {
        let Value::Object(mut doc) = doc else {
            return Err(GridProblem::field("(document)", "is not a JSON object"));
        };
        match doc.get("format") {
            None => return Err(GridProblem::Missing("format")),
            Some(Value::String(s)) if s == GRID_FORMAT => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_string);
                return Err(GridProblem::Format(shown));
            }
        }
        let axes_json = doc.remove("axes").ok_or(GridProblem::Missing("axes"))?;
        let axes: Vec<Axis> =
            serde_json::from_value(axes_json).map_err(|e| GridProblem::field("axes", e))?;
        validate_axes(&axes)?;
        let values_json = doc.remove("values").ok_or(GridProblem::Missing("values"))?;
        let sizes: Vec<usize> = axes.iter().map(|a| a.values.len()).collect();
        // Grows with the scores the file holds, not with what its axes claim.
        let mut values = Vec::new();
        flatten(&values_json, &sizes, "values".to_string(), &mut values)?;
        let meta = doc.remove("meta").unwrap_or(Value::Null);
        Grid::new(axes, values, meta)
    }

    /// Reads and validates a grid file; errors name the file and the field.
    pub fn read(path: &Path) -> Result<Grid, GridError> {
        let text = std::fs::read_to_string(path).map_err(|source| GridError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let doc: Value = serde_json::from_str(&text).map_err(|source| GridError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        Grid::from_json_value(doc).map_err(|problem| GridError::Invalid {
            path: path.to_path_buf(),
            problem,
        })
    }

    /// Writes the grid's file ([`Grid::file_text`]) at `path`, atomically
    /// ([`crate::files::write_atomic`]): a reader never sees half a map.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::files::write_atomic(path, self.file_text().as_bytes())
    }

    /// The text of the grid's `semrob.grid/1` file: its JSON document, indented, with a final
    /// newline. Every map file semrob writes is this text.
    pub fn file_text(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).expect("a grid serialises") + "\n"
    }

    /// The grid as a `semrob.grid/1` JSON document.
    pub fn to_json(&self) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert("format".into(), GRID_FORMAT.into());
        doc.insert(
            "axes".into(),
            serde_json::to_value(&self.axes).expect("axes serialise"),
        );
        doc.insert("values".into(), nest(&self.values, &self.sizes()));
        if !self.meta.is_null() {
            doc.insert("meta".into(), self.meta.clone());
        }
        Value::Object(doc)
    }

    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// Scores in row-major order, axis 0 outermost.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    pub fn meta(&self) -> &Value {
        &self.meta
    }

    /// The number of samples along each axis.
    pub fn sizes(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.values.len()).collect()
    }

    /// The default domain: each axis' span (one period for a periodic axis).
    pub fn domain(&self) -> (Vec<f64>, Vec<f64>) {
        self.axes.iter().map(Axis::span).unzip()
    }

    /// The mean of the tabulated scores (the acceptance rule of SPEC §7 uses it).
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }

    /// The 2-D map of axes `i` and `j` (in that order) through the point `at`: at each pair of
    /// their samples, this map's multilinear interpolant with every other coordinate taken
    /// from `at` (exact where `at` lies on those axes' samples). How an n-D map is drawn in
    /// one pair of its axes.
    pub fn slice(&self, i: usize, j: usize, at: &[f64]) -> Result<Grid, GridProblem> {
        let n = self.axes.len();
        if i >= n || j >= n || i == j || at.len() != n {
            return Err(GridProblem::field(
                "axes",
                format!(
                    "cannot slice axes ({i}, {j}) through a point of {} coordinates of a map \
                     with {n} axes",
                    at.len()
                ),
            ));
        }
        let axes = vec![self.axes[i].clone(), self.axes[j].clone()];
        Grid::tabulate(axes, Value::Null, |p| {
            let mut u = at.to_vec();
            u[i] = p[0];
            u[j] = p[1];
            // Rounding can push an interpolated score a hair outside [0, 1].
            self.interpolate(&u, None).clamp(0.0, 1.0)
        })
    }

    /// The interpolated value at `u` and, when asked, its gradient.
    pub fn interpolate(&self, u: &[f64], gradient: Option<&mut [f64]>) -> f64 {
        let n = self.axes.len();
        let cells: Vec<Cell> = self.axes.iter().zip(u).map(|(a, &x)| a.cell(x)).collect();
        let strides = self.strides();
        let mut value = 0.0;
        let mut grad = vec![0.0; n];
        for corner in 0..(1usize << n) {
            let mut flat = 0;
            let mut weight = 1.0;
            // Partial weights: the product of every factor but one, for the gradient.
            let mut factors = [0.0f64; 16];
            let mut dfactors = [0.0f64; 16];
            for (k, cell) in cells.iter().enumerate() {
                let upper = (corner >> (n - 1 - k)) & 1 == 1;
                let (idx, w, dw) = if upper {
                    (cell.hi, cell.t, cell.dt)
                } else {
                    (cell.lo, 1.0 - cell.t, -cell.dt)
                };
                flat += idx * strides[k];
                weight *= w;
                factors[k] = w;
                dfactors[k] = dw;
            }
            if weight == 0.0 && gradient.is_none() {
                continue;
            }
            let f = self.values[flat];
            value += weight * f;
            if gradient.is_some() {
                for k in 0..n {
                    let others: f64 = (0..n).filter(|&m| m != k).map(|m| factors[m]).product();
                    grad[k] += dfactors[k] * others * f;
                }
            }
        }
        if let Some(g) = gradient {
            g.copy_from_slice(&grad);
        }
        value
    }

    fn strides(&self) -> Vec<usize> {
        let sizes = self.sizes();
        let mut strides = vec![1; sizes.len()];
        for k in (0..sizes.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * sizes[k + 1];
        }
        strides
    }

    /// `values[i][j]...` for a flat index, for error messages.
    fn index_path(&self, mut flat: usize) -> String {
        let strides = self.strides();
        let mut path = String::from("values");
        for s in strides {
            path.push_str(&format!("[{}]", flat / s));
            flat %= s;
        }
        path
    }
}

/// The most axes a grid may have (the interpolant visits 2ⁿ cell corners).
pub const MAX_AXES: usize = 16;

/// The most points a grid may have (the product of its axes' lengths): 16 777 216, e.g.
/// 4096 × 4096, 128 MiB of scores.
pub const MAX_GRID_POINTS: usize = 1 << 24;

fn validate_axes(axes: &[Axis]) -> Result<(), GridProblem> {
    if axes.is_empty() {
        return Err(GridProblem::field(
            "axes",
            "is empty: a grid needs at least one axis",
        ));
    }
    if axes.len() > MAX_AXES {
        return Err(GridProblem::field(
            "axes",
            format!("has {} axes, at most {MAX_AXES} are supported", axes.len()),
        ));
    }
    for (k, axis) in axes.iter().enumerate() {
        let field = format!("axes[{k}] ({})", axis.name);
        if axis.values.is_empty() {
            return Err(GridProblem::field(format!("{field}.values"), "is empty"));
        }
        for (i, v) in axis.values.iter().enumerate() {
            if !v.is_finite() {
                return Err(GridProblem::field(
                    format!("{field}.values[{i}]"),
                    format!("{v} is not finite"),
                ));
            }
        }
        for (i, w) in axis.values.windows(2).enumerate() {
            if w[1] <= w[0] {
                let what = if w[1] == w[0] {
                    "duplicates"
                } else {
                    "is below"
                };
                return Err(GridProblem::field(
                    format!("{field}.values[{}]", i + 1),
                    format!(
                        "{} {what} the previous value {}: values must increase strictly",
                        w[1], w[0]
                    ),
                ));
            }
        }
        if let Some([lo, hi]) = axis.domain {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(GridProblem::field(
                    format!("{field}.domain"),
                    format!("[{lo}, {hi}] is not an interval with lower < upper"),
                ));
            }
        }
        if let Some(p) = axis.period {
            if !(p.is_finite() && p > 0.0) {
                return Err(GridProblem::field(
                    format!("{field}.period"),
                    format!("{p} is not a positive number"),
                ));
            }
            let spread = axis.values[axis.values.len() - 1] - axis.values[0];
            if spread >= p {
                return Err(GridProblem::field(
                    format!("{field}.values"),
                    format!("span {spread} reaches the period {p}: a periodic axis holds each angle once"),
                ));
            }
        }
    }
    // Checked before anything is allocated for the scores: a file's axes may claim far more
    // points than its `values` hold.
    let points = axes
        .iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_GRID_POINTS);
    if points.is_none() {
        let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        return Err(GridProblem::field(
            "axes",
            format!(
                "{} points, more than the {MAX_GRID_POINTS} a grid may have",
                sizes.join(" × ")
            ),
        ));
    }
    Ok(())
}

/// Flattens nested JSON arrays of the given sizes (outermost first), checking their shape.
fn flatten(
    v: &Value,
    sizes: &[usize],
    path: String,
    out: &mut Vec<f64>,
) -> Result<(), GridProblem> {
    match sizes.split_first() {
        None => match v {
            Value::Number(x) => {
                out.push(x.as_f64().unwrap_or(f64::NAN));
                Ok(())
            }
            other => Err(GridProblem::field(path, format!("{other} is not a number"))),
        },
        Some((&len, rest)) => {
            let Value::Array(items) = v else {
                return Err(GridProblem::field(
                    path,
                    format!("expected an array of {len} entries"),
                ));
            };
            if items.len() != len {
                return Err(GridProblem::field(
                    path,
                    format!("has {} entries, the axis has {len} values", items.len()),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                flatten(item, rest, format!("{path}[{i}]"), out)?;
            }
            Ok(())
        }
    }
}

/// Nests row-major scores into JSON arrays of the given sizes.
fn nest(values: &[f64], sizes: &[usize]) -> Value {
    match sizes.split_first() {
        None => Value::from(values[0]),
        Some((&len, rest)) => {
            let chunk = rest.iter().product::<usize>();
            Value::Array(
                (0..len)
                    .map(|i| nest(&values[i * chunk..(i + 1) * chunk], rest))
                    .collect(),
            )
        }
    }
}

impl SemanticFunction for Grid {
    fn dim(&self) -> usize {
        self.axes.len()
    }

    fn provides_gradients(&self) -> bool {
        true
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        let n = self.dim();
        EvalError::check_dimension(n, points)?;
        let m = points.nrows();
        let mut values = DVector::zeros(m);
        let gradient_rows = gradient_rows.min(m);
        let mut gradients = (gradient_rows > 0).then(|| DMatrix::zeros(gradient_rows, n));
        let mut u = vec![0.0; n];
        let mut g = vec![0.0; n];
        for j in 0..m {
            for (k, uk) in u.iter_mut().enumerate() {
                *uk = points[(j, k)];
            }
            if u.iter().any(|x| !x.is_finite()) {
                return Err(EvalError::backend(format!(
                    "grid evaluated at a non-finite point {u:?}"
                )));
            }
            match gradients.as_mut().filter(|_| j < gradient_rows) {
                Some(grads) => {
                    values[j] = self.interpolate(&u, Some(&mut g));
                    for k in 0..n {
                        grads[(j, k)] = g[k];
                    }
                }
                None => values[j] = self.interpolate(&u, None),
            }
        }
        Ok(Evaluation { values, gradients })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A periodic axis whose samples do not start at 0 (azimuths 10, 130, 250 with period
    /// 360): the interpolant reproduces every sample, also whole periods away, and is
    /// periodic between them.
    #[test]
    fn a_periodic_axis_starting_away_from_zero_reproduces_its_samples() {
        let values = vec![10.0, 130.0, 250.0];
        let axis = Axis {
            name: "azimuth".into(),
            unit: String::new(),
            values: values.clone(),
            period: Some(360.0),
            domain: None,
        };
        let g = Grid::tabulate(vec![axis], serde_json::Value::Null, |u| {
            (u[0] / 360.0).fract()
        })
        .unwrap();
        for &v in &values {
            for shift in [-360.0, 0.0, 360.0, 720.0] {
                let got = g.interpolate(&[v + shift], None);
                assert!((got - v / 360.0).abs() < 1e-12, "{v} + {shift}: {got}");
            }
        }
        for x in [0.0, 50.0, 200.0, 300.0, 359.0] {
            let (a, b) = (g.interpolate(&[x], None), g.interpolate(&[x + 360.0], None));
            assert!((a - b).abs() < 1e-12, "{x}: {a} against {b}");
        }
    }

    fn line(values: Vec<f64>, period: Option<f64>, scores: Vec<f64>) -> Grid {
        let axis = Axis {
            name: "a".into(),
            unit: String::new(),
            values,
            period,
            domain: None,
        };
        Grid::new(vec![axis], scores, serde_json::Value::Null).unwrap()
    }

    /// The value and the derivative of a 1-D grid's interpolant at `x`.
    fn value_and_slope(g: &Grid, x: f64) -> (f64, f64) {
        let mut d = [f64::NAN];
        let v = g.interpolate(&[x], Some(&mut d));
        (v, d[0])
    }

    /// On a bounded axis the interpolant is each cell's line, with that cell's slope also at
    /// the end values (one-sided); beyond them it keeps the end value with slope 0: the map
    /// says nothing outside its samples, so a gradient must not pull a box there.
    #[test]
    fn a_bounded_axis_is_piecewise_linear_inside_and_flat_outside() {
        let g = line(vec![10.0, 20.0, 40.0], None, vec![0.2, 0.6, 0.1]);
        let (up, down) = (0.4 / 10.0, -0.5 / 20.0);
        for (x, value, slope) in [
            (10.0, 0.2, up),
            (15.0, 0.4, up),
            (20.0, 0.6, down),
            (30.0, 0.35, down),
            (40.0, 0.1, down),
            (9.5, 0.2, 0.0),
            (-100.0, 0.2, 0.0),
            (40.5, 0.1, 0.0),
            (1e9, 0.1, 0.0),
        ] {
            let (v, d) = value_and_slope(&g, x);
            assert!((v - value).abs() < 1e-12, "f({x}) = {v}, not {value}");
            assert!((d - slope).abs() < 1e-12, "f'({x}) = {d}, not {slope}");
        }
    }

    /// On a periodic axis the cell after the last value wraps to the first value one period
    /// on: a line across it, of the width `first + period − last`.
    #[test]
    fn a_periodic_axis_interpolates_across_the_wrap_around_cell() {
        // Values 10, 100, 190, 280 of period 360: the wrap cell is [280, 370], 90 wide.
        let g = line(
            vec![10.0, 100.0, 190.0, 280.0],
            Some(360.0),
            vec![0.1, 0.3, 0.5, 0.9],
        );
        let slope = (0.1 - 0.9) / 90.0;
        for (x, value) in [
            (280.0, 0.9),
            (302.5, 0.7),
            (325.0, 0.5),
            (355.0, 0.9 + 75.0 * slope),
        ] {
            for shift in [-720.0, 0.0, 360.0] {
                let (v, d) = value_and_slope(&g, x + shift);
                assert!(
                    (v - value).abs() < 1e-12,
                    "f({x} + {shift}) = {v}, not {value}"
                );
                assert!(
                    (d - slope).abs() < 1e-12,
                    "f'({x} + {shift}) = {d}, not {slope}"
                );
            }
        }
        // Past the wrap cell the first cell starts again.
        let (v, d) = value_and_slope(&g, 370.0);
        assert!(
            (v - 0.1).abs() < 1e-12 && (d - 0.2 / 90.0).abs() < 1e-12,
            "{v} {d}"
        );
    }

    /// A grid document whose `n` axes have `len` values each, and `values` as given.
    fn doc(n: usize, len: usize, values: &str) -> String {
        let axis = (0..len)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let axes = (0..n)
            .map(|k| format!(r#"{{"name":"a{k}","values":[{axis}]}}"#))
            .collect::<Vec<_>>()
            .join(",");
        format!(r#"{{"format":"semrob.grid/1","axes":[{axes}],"values":{values}}}"#)
    }

    /// Flat indices in the one order maps are stored in: row-major, the last axis fastest.
    #[test]
    fn a_flat_index_is_the_point_of_row_major_order() {
        let axis = |name: &str, values: Vec<f64>| Axis {
            name: name.into(),
            unit: String::new(),
            values,
            period: None,
            domain: None,
        };
        let axes = vec![axis("a", vec![1.0, 2.0, 3.0]), axis("b", vec![10.0, 20.0])];
        let g = Grid::tabulate(axes, serde_json::Value::Null, |u| {
            u[0] / 10.0 + u[1] / 100.0
        })
        .unwrap();
        let expected = [
            [1.0, 10.0],
            [1.0, 20.0],
            [2.0, 10.0],
            [2.0, 20.0],
            [3.0, 10.0],
            [3.0, 20.0],
        ];
        for (flat, want) in expected.iter().enumerate() {
            assert_eq!(g.point(flat), want.to_vec(), "point {flat}");
            let score = want[0] / 10.0 + want[1] / 100.0;
            assert!((g.values()[flat] - score).abs() < 1e-15, "score {flat}");
        }
    }

    fn bounded(name: &str, values: Vec<f64>) -> Axis {
        Axis {
            name: name.into(),
            unit: String::new(),
            values,
            period: None,
            domain: None,
        }
    }

    /// A multilinear function is its own multilinear interpolant on any grid.
    fn trilinear(u: &[f64]) -> f64 {
        let (x, y, z) = (u[0], u[1], u.get(2).copied().unwrap_or(0.0));
        0.1 + 0.02 * x + 0.01 * y + 0.001 * x * y + 0.03 * z - 0.002 * x * z
    }

    /// On an uneven 2-D grid a bilinear function is reproduced with its gradient anywhere in
    /// the domain, and the map's mean is the mean of its samples.
    #[test]
    fn a_bilinear_function_is_its_own_interpolant_with_its_gradient() {
        let axes = vec![
            bounded("x", vec![0.0, 1.0, 3.0]),
            bounded("y", vec![0.0, 2.0, 5.0, 6.0]),
        ];
        let g = Grid::tabulate(axes, serde_json::Value::Null, trilinear).unwrap();
        for u in [
            [0.5, 1.0],
            [2.2, 4.1],
            [3.0, 6.0],
            [0.0, 0.0],
            [1.0, 5.5],
            [2.9, 0.1],
        ] {
            let mut grad = [f64::NAN; 2];
            let v = g.interpolate(&u, Some(&mut grad));
            assert!((v - trilinear(&u)).abs() < 1e-12, "f({u:?}) = {v}");
            let want = [0.02 + 0.001 * u[1], 0.01 + 0.001 * u[0]];
            for k in 0..2 {
                assert!(
                    (grad[k] - want[k]).abs() < 1e-12,
                    "∂{k} f({u:?}) = {}",
                    grad[k]
                );
            }
            assert_eq!(g.interpolate(&u, None), v, "the value without the gradient");
        }
        let samples: Vec<f64> = [0.0, 1.0, 3.0]
            .iter()
            .flat_map(|&x| [0.0, 2.0, 5.0, 6.0].map(|y| trilinear(&[x, y])))
            .collect();
        assert_eq!(g.values(), &samples[..]);
        let mean = samples.iter().sum::<f64>() / 12.0;
        assert!((g.mean() - mean).abs() < 1e-15, "{}", g.mean());
    }

    /// As a semantic function a grid evaluates every row of a batch and the gradients of the
    /// first rows asked for, and refuses a non-finite point.
    #[test]
    fn as_a_semantic_function_a_grid_evaluates_rows_and_the_gradients_asked() {
        use crate::semantic::SemanticFunction;
        let axes = vec![
            bounded("x", vec![0.0, 1.0, 3.0]),
            bounded("y", vec![0.0, 2.0, 5.0, 6.0]),
        ];
        let g = Grid::tabulate(axes, serde_json::Value::Null, trilinear).unwrap();
        assert_eq!(g.dim(), 2);
        assert!(g.provides_gradients());
        let rows = [[0.5, 1.0], [2.2, 4.1], [3.0, 6.0]];
        let points = nalgebra::DMatrix::from_fn(3, 2, |j, k| rows[j][k]);
        for asked in [0, 1, 2, 3, 7] {
            let e = g.evaluate(&points, asked).unwrap();
            assert_eq!(
                e.gradients.is_none(),
                asked == 0,
                "no gradient asked, none given"
            );
            for (j, u) in rows.iter().enumerate() {
                assert_eq!(e.values[j], g.interpolate(u, None), "row {j}");
            }
            match e.gradients {
                None => assert_eq!(asked, 0),
                Some(grads) => {
                    assert_eq!((grads.nrows(), grads.ncols()), (asked.min(3), 2));
                    for (j, u) in rows.iter().enumerate().take(asked) {
                        let mut want = [0.0; 2];
                        g.interpolate(u, Some(&mut want));
                        assert_eq!([grads[(j, 0)], grads[(j, 1)]], want, "row {j}");
                    }
                }
            }
        }
        let bad = nalgebra::DMatrix::from_row_slice(2, 2, &[0.5, 1.0, f64::NAN, 1.0]);
        let e = g.evaluate(&bad, 0).unwrap_err();
        assert!(e.to_string().contains("non-finite point"), "{e}");
    }

    /// A slice of a 3-D map in two of its axes is the interpolant with the third coordinate
    /// fixed; slices that do not name two different axes of the map are refused.
    #[test]
    fn a_slice_is_the_interpolant_through_a_point_and_bad_slices_are_refused() {
        let axes = vec![
            bounded("x", vec![0.0, 1.0, 3.0]),
            bounded("y", vec![0.0, 2.0]),
            bounded("z", vec![-1.0, 0.5, 1.0, 2.0]),
        ];
        let g = Grid::tabulate(axes, serde_json::Value::Null, trilinear).unwrap();
        let at = [0.7, 1.3, 0.2];
        let s = g.slice(2, 0, &at).unwrap();
        assert_eq!(s.sizes(), vec![4, 3]);
        assert_eq!(s.axes()[0].name, "z");
        for (flat, &v) in s.values().iter().enumerate() {
            let p = s.point(flat);
            let want = trilinear(&[p[1], at[1], p[0]]);
            assert!((v - want).abs() < 1e-12, "{p:?}: {v} against {want}");
        }
        for (i, j, at) in [
            (0, 0, &at[..]),
            (3, 0, &at[..]),
            (0, 3, &at[..]),
            (0, 1, &at[..2]),
            (0, 1, &[0.0, 0.0, 0.0, 0.0][..]),
        ] {
            let e = g.slice(i, j, at).unwrap_err().to_string();
            assert!(e.contains("cannot slice axes"), "({i}, {j}): {e}");
        }
    }

    /// A map's file holds its axes, scores and meta, and reads back as the same map; a map
    /// without meta writes none.
    #[test]
    fn a_grid_file_reads_back_as_the_same_grid() {
        let axes = vec![
            bounded("x", vec![0.0, 1.0, 3.0]),
            bounded("y", vec![0.0, 2.0]),
        ];
        let meta = serde_json::json!({ "network": "n", "label": 3 });
        let g = Grid::tabulate(axes.clone(), meta.clone(), trilinear).unwrap();
        let text = g.file_text();
        assert!(text.starts_with('{') && text.ends_with("}\n"), "{text}");
        let back = Grid::from_json_str(&text).unwrap();
        assert_eq!(back, g);
        assert_eq!(back.meta(), &meta);
        assert_eq!(
            g.to_json()["values"][2][1],
            serde_json::json!(trilinear(&[3.0, 2.0]))
        );
        let bare = Grid::tabulate(axes, serde_json::Value::Null, trilinear).unwrap();
        assert!(bare.to_json().get("meta").is_none());
        assert_eq!(Grid::from_json_str(&bare.file_text()).unwrap(), bare);
        let path = std::env::temp_dir().join(format!("semrob-grid-{}.json", std::process::id()));
        g.write(&path).unwrap();
        let read = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read, text);
    }

    /// Every refusal names the field at fault: a score by its index path, an axis value by
    /// its index, a domain, a period.
    #[test]
    fn bad_scores_and_axes_are_refused_naming_the_field() {
        let xy = || {
            vec![
                bounded("x", vec![0.0, 1.0]),
                bounded("y", vec![0.0, 1.0, 2.0]),
            ]
        };
        let scores = |flat: usize, bad: f64| {
            let mut v = vec![0.5; 6];
            v[flat] = bad;
            v
        };
        for (flat, field) in [
            (4, "values[1][1]"),
            (5, "values[1][2]"),
            (2, "values[0][2]"),
        ] {
            for bad in [f64::NAN, -0.1, 1.5] {
                let e = Grid::new(xy(), scores(flat, bad), serde_json::Value::Null).unwrap_err();
                assert!(
                    e.to_string().contains(&format!("field `{field}`")),
                    "{bad}: {e}"
                );
            }
        }
        let refused = |axis: Axis, field: &str, words: &str| {
            let e = Grid::new(vec![axis], vec![0.5; 3], serde_json::Value::Null)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(field) && e.contains(words),
                "{field}, {words}: {e}"
            );
        };
        refused(
            bounded("x", vec![0.0, 1.0, 1.0]),
            "axes[0] (x).values[2]",
            "duplicates",
        );
        refused(
            bounded("x", vec![0.0, 2.0, 1.0]),
            "axes[0] (x).values[2]",
            "is below",
        );
        for domain in [
            [1.0, 0.0],
            [0.0, f64::INFINITY],
            [f64::NAN, 1.0],
            [1.0, 1.0],
        ] {
            let mut a = bounded("x", vec![0.0, 1.0, 2.0]);
            a.domain = Some(domain);
            refused(a, "axes[0] (x).domain", "not an interval");
        }
        let mut a = bounded("x", vec![0.0, 1.0, 2.0]);
        a.domain = Some([-1.0, 3.0]);
        assert!(Grid::new(vec![a], vec![0.5; 3], serde_json::Value::Null).is_ok());
        for period in [0.0, -1.0, f64::NAN] {
            let mut a = bounded("x", vec![0.0, 1.0, 2.0]);
            a.period = Some(period);
            refused(a, "axes[0] (x).period", "not a positive number");
        }
        let mut a = bounded("x", vec![0.0, 1.0, 2.0]);
        a.period = Some(2.0);
        refused(a, "axes[0] (x).values", "reaches the period");
        // The span is last − first: azimuths 200..300 fit in a period of 360.
        let mut a = bounded("x", vec![200.0, 250.0, 300.0]);
        a.period = Some(360.0);
        assert!(Grid::new(vec![a], vec![0.5; 3], serde_json::Value::Null).is_ok());
    }

    #[test]
    fn a_grid_of_another_format_is_refused_by_its_name() {
        let good = doc(1, 2, "[0.5, 0.25]");
        assert!(Grid::from_json_str(&good).is_ok());
        for other in ["semrob.grid/2", "semrob.map/1", ""] {
            let text = good.replace(GRID_FORMAT, other);
            match Grid::from_json_str(&text) {
                Err(GridProblem::Format(shown)) => assert_eq!(shown, other),
                got => panic!("{other:?}: {got:?}"),
            }
        }
        let number = good.replace(&format!("\"{GRID_FORMAT}\""), "1");
        assert!(matches!(
            Grid::from_json_str(&number),
            Err(GridProblem::Format(shown)) if shown == "1"
        ));
    }

    #[test]
    fn axes_that_claim_more_points_than_the_limit_are_refused_before_allocating() {
        // 5000⁴ points: the scores' buffer was allocated from the axes' claim before (a
        // 5 PB request), and 20¹⁶ overflowed the product.
        for (n, len, shown) in [(4, 5000, "5000 × 5000 × 5000 × 5000"), (16, 20, "20 × 20")] {
            let e = Grid::from_json_str(&doc(n, len, "[]")).unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains(shown) && text.contains("more than the 16777216"),
                "{text}"
            );
        }
        let e = Grid::from_json_str(&doc(MAX_AXES + 1, 1, "[]")).unwrap_err();
        assert!(e.to_string().contains("has 17 axes, at most 16"), "{e}");
        // At the limit the axes are fine and the scores are checked against them.
        let e = Grid::from_json_str(&doc(2, 4096, "[]")).unwrap_err();
        assert!(e.to_string().contains("has 0 entries"), "{e}");
    }
}
