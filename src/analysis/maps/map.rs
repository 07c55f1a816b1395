//! Semantic maps (SPEC §4): the network map (NSM) sampled on a grid of Ω, and the data map
//! (DSM), the mean of several maps.

use std::fmt;
use std::path::PathBuf;

use nalgebra::DMatrix;
use serde::Serialize;
use serde_json::Value;

use crate::semantic::AxisSpec;
use crate::semantic::{grid_point, Axis, EvalError, Grid, GridProblem, SemanticFunction};

/// Why a map could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error("the map is invalid: {0}")]
    Grid(#[from] GridProblem),
    #[error("a data semantic map needs at least one map")]
    NoMaps,
    #[error(
        "map {index} has other axes than map 0 (a DSM averages maps of the same grid): {detail}"
    )]
    AxesDiffer { index: usize, detail: String },
}

/// Every sample point of `axes`, one per row, in grid order (axis 0 outermost).
pub fn grid_points(axes: &[Axis]) -> DMatrix<f64> {
    let sizes: Vec<usize> = axes.iter().map(|a| a.values.len()).collect();
    let total: usize = sizes.iter().product();
    let n = axes.len();
    let mut points = DMatrix::zeros(total, n);
    let mut u = vec![0.0; n];
    for flat in 0..total {
        grid_point(axes, flat, &mut u);
        points.row_mut(flat).copy_from_slice(&u);
    }
    points
}

/// Samples `f` on the grid of `specs` in batches of `batch` points (each batch is one call of
/// `f`, i.e. one render batch and one network batch), calling `progress(done)` after each.
pub fn sample_map(
    f: &dyn SemanticFunction,
    specs: &[AxisSpec],
    batch: usize,
    meta: Value,
    progress: &mut dyn FnMut(usize),
) -> Result<Grid, MapError> {
    sample_grid(specs, batch, meta, progress, |chunk| {
        Ok(f.evaluate(chunk, 0)?.values.iter().copied().collect())
    })
}

/// The one sampling loop of every map: the grid's points of `specs` go to `evaluate` in
/// chunks of at most `chunk` rows, in grid order; a value that is not finite is refused with
/// the point it came from.
fn sample_grid<F>(
    specs: &[AxisSpec],
    chunk: usize,
    meta: Value,
    progress: &mut dyn FnMut(usize),
    mut evaluate: F,
) -> Result<Grid, MapError>
where
    F: FnMut(&DMatrix<f64>) -> Result<Vec<f64>, MapError>,
{
    let axes: Vec<Axis> = specs.iter().map(AxisSpec::grid_axis).collect();
    let points = grid_points(&axes);
    let mut values = Vec::with_capacity(points.nrows());
    let chunk = chunk.max(1);
    let mut start = 0;
    while start < points.nrows() {
        let rows = chunk.min(points.nrows() - start);
        let part = points.rows(start, rows).into_owned();
        let v = evaluate(&part)?;
        if let Some(j) = v.iter().position(|v| !v.is_finite()) {
            return Err(EvalError::NonFinite {
                value: v[j],
                point: part.row(j).iter().copied().collect(),
            }
            .into());
        }
        values.extend(v);
        start += rows;
        progress(start);
    }
    Ok(Grid::new(axes, values, meta)?)
}

/// What `semrob map` says of one network's map: its files, its size, its mean score and
/// its top-1 rate; an element of `semrob map --json`. The fields are in alphabetical order,
/// the keys' order in that JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapSummary {
    /// The map's grid file (`semrob.grid/1`).
    pub grid: PathBuf,
    pub mean_score: f64,
    pub model: String,
    /// Its picture (none for a map of more than two axes).
    pub png: Option<PathBuf>,
    pub points: usize,
    /// The share of the map's points whose top-1 class is the label.
    pub top1_rate: f64,
}

impl fmt::Display for MapSummary {
    /// `MODEL: N points, mean score S, top-1 on P % → GRID`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} points, mean score {:.4}, top-1 on {:.1} % → {}",
            self.model,
            self.points,
            self.mean_score,
            100.0 * self.top1_rate,
            self.grid.display()
        )
    }
}

#[cfg(feature = "torch")]
pub use network::{network_map, NetworkMap};

#[cfg(feature = "torch")]
mod network {
    use serde_json::Value;

    use super::{sample_grid, MapError};
    use crate::analysis::network_function::ClassifierFunction;
    use crate::semantic::{AxisSpec, EvalError, Grid};

    /// A network semantic map and how often the network ranked the label first on it.
    pub struct NetworkMap {
        pub grid: Grid,
        /// The share of the map's points whose top-1 class is the label.
        pub top1_rate: f64,
    }

    /// The network semantic map of `f` on the grid of `specs` (SPEC §4), sampled in chunks of
    /// `chunk` points (a multiple of `f`'s batch keeps the network's batches those of one
    /// call), calling `progress(done)` after each.
    pub fn network_map(
        f: &ClassifierFunction,
        specs: &[AxisSpec],
        chunk: usize,
        meta: Value,
        progress: &mut dyn FnMut(usize),
    ) -> Result<NetworkMap, MapError> {
        let mut top1 = 0usize;
        let grid = sample_grid(specs, chunk, meta, progress, |part| {
            let s = f.scores(part).map_err(EvalError::backend)?;
            top1 += s.top1.iter().filter(|t| **t).count();
            Ok(s.probability)
        })?;
        let top1_rate = top1 as f64 / grid.values().len() as f64;
        Ok(NetworkMap { grid, top1_rate })
    }
}

/// The data semantic map: the mean, point by point, of maps on the same grid (SPEC §4).
/// Its metadata lists the maps' metadata under `"maps"`.
pub fn mean_map(maps: &[Grid]) -> Result<Grid, MapError> {
    let first = maps.first().ok_or(MapError::NoMaps)?;
    for (index, g) in maps.iter().enumerate().skip(1) {
        if g.axes() != first.axes() {
            let detail = first
                .axes()
                .iter()
                .zip(g.axes())
                .find(|(a, b)| a != b)
                .map(|(a, b)| {
                    format!(
                        "axis {} ({} samples) vs {} ({} samples)",
                        a.name,
                        a.values.len(),
                        b.name,
                        b.values.len()
                    )
                })
                .unwrap_or_else(|| format!("{} axes vs {}", first.axes().len(), g.axes().len()));
            return Err(MapError::AxesDiffer { index, detail });
        }
    }
    let k = maps.len() as f64;
    let values: Vec<f64> = (0..first.values().len())
        .map(|i| (maps.iter().map(|g| g.values()[i]).sum::<f64>() / k).clamp(0.0, 1.0))
        .collect();
    let meta = serde_json::json!({
        "kind": "dsm",
        "maps": maps.iter().map(|g| g.meta().clone()).collect::<Vec<_>>(),
    });
    Ok(Grid::new(first.axes().to_vec(), values, meta)?)
}

#[cfg(test)]
mod tests {
    use semrob_oracles::Oracle;

    use super::*;
    use crate::semantic::oracle::OracleFunction;
    use crate::semantic::SemanticParam;

    #[test]
    fn a_sampled_map_holds_f_at_every_grid_point_in_row_major_order() {
        let f = OracleFunction(Oracle::gaussian_bump(0.9, &[180.0, 40.0], &[40.0, 20.0]));
        let specs = [
            AxisSpec::parse("azimuth:0:360:30").unwrap(),
            AxisSpec::parse("elevation:-10:90:25").unwrap(),
        ];
        let mut calls = Vec::new();
        let grid = sample_map(&f, &specs, 7, Value::Null, &mut |d| calls.push(d)).unwrap();
        assert_eq!(grid.sizes(), vec![12, 5]);
        // 60 points in batches of 7: 9 batches, the last one of 4.
        assert_eq!(calls.len(), 9);
        assert_eq!(*calls.last().unwrap(), 60);
        for (ia, &az) in grid.axes()[0].values.iter().enumerate() {
            for (ie, &el) in grid.axes()[1].values.iter().enumerate() {
                let want = f.0.value(&[az, el]);
                assert_eq!(grid.values()[ia * 5 + ie], want, "({az}, {el})");
            }
        }
        assert_eq!(grid.axes()[0].period, Some(360.0));
        assert_eq!(grid.domain(), (vec![0.0, -10.0], vec![360.0, 90.0]));
        assert_eq!(specs[0].param, SemanticParam::Azimuth);
    }

    #[test]
    fn the_dsm_is_the_pointwise_mean_and_refuses_other_grids() {
        let specs = [AxisSpec::parse("azimuth:0:360:90").unwrap()];
        let a = sample_map(
            &OracleFunction(Oracle::constant(1, 0.2)),
            &specs,
            16,
            Value::from("a"),
            &mut |_| {},
        )
        .unwrap();
        let b = sample_map(
            &OracleFunction(Oracle::constant(1, 0.6)),
            &specs,
            16,
            Value::from("b"),
            &mut |_| {},
        )
        .unwrap();
        let d = mean_map(&[a.clone(), b]).unwrap();
        assert!(d.values().iter().all(|v| (v - 0.4).abs() < 1e-12));
        assert_eq!(d.meta()["maps"][1], Value::from("b"));
        let other = sample_map(
            &OracleFunction(Oracle::constant(1, 0.6)),
            &[AxisSpec::parse("azimuth:0:360:30").unwrap()],
            16,
            Value::Null,
            &mut |_| {},
        )
        .unwrap();
        assert!(matches!(
            mean_map(&[a, other]),
            Err(MapError::AxesDiffer { index: 1, .. })
        ));
        assert!(matches!(mean_map(&[]), Err(MapError::NoMaps)));
    }
}
