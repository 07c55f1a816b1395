//! A map's files: its grid (`semrob.grid/1`) and its picture, as `semrob map` and
//! `semrob dsm` write them; and several 1-D maps on one plot (the paper's Figure 1).

use std::path::{Path, PathBuf};

use crate::analysis::region_runs::RunSummary;
use crate::files::{write_file, WriteError};
use crate::report::plot::{line_plot_png, map_png, Marks, PlotError, Series};
use crate::report::runs::region_marks;
use crate::report::OutputError;
use crate::semantic::Grid;

/// Writes `grid` to `json` and, for a 1-D or 2-D map, its picture titled `title` to `png`
/// (each atomically). Returns the picture's path when it was written.
pub fn write_map(
    grid: &Grid,
    json: &Path,
    png: &Path,
    title: &str,
) -> Result<Option<PathBuf>, OutputError> {
    grid.write(json).map_err(|source| WriteError {
        path: json.to_path_buf(),
        source,
    })?;
    if grid.axes().len() > 2 {
        return Ok(None);
    }
    write_file(png, &map_png(grid, title, &Marks::default())?)?;
    Ok(Some(png.to_path_buf()))
}

/// Draws the regions of `runs` over the 2-D map `grid` into `png`, each box in its method's
/// colour (as on the report page).
pub fn write_regions_plot(
    png: &Path,
    grid: &Grid,
    runs: &[RunSummary],
    title: &str,
) -> Result<(), OutputError> {
    let dims = runs.iter().map(|r| r.lower.len()).find(|&n| n != 2);
    if grid.axes().len() != 2 || dims.is_some() {
        return Err(PlotError::Unsupported(format!(
            "2-D regions are drawn over 2-D maps; the map has {} axes, the regions {}",
            grid.axes().len(),
            dims.unwrap_or(2)
        ))
        .into());
    }
    write_file(png, &map_png(grid, title, &region_marks(runs, (0, 1)))?)?;
    Ok(())
}

/// Draws 1-D maps on one axis, each a named curve of scores in [0, 1], into `png`. Maps of
/// more than one axis are left out; nothing is written when fewer than two curves remain.
/// Returns whether the plot was written.
pub fn write_curves(png: &Path, title: &str, maps: &[(&str, &Grid)]) -> Result<bool, OutputError> {
    let one_d: Vec<&(&str, &Grid)> = maps.iter().filter(|(_, g)| g.axes().len() == 1).collect();
    if one_d.len() < 2 {
        return Ok(false);
    }
    let curves: Vec<Series> = one_d
        .iter()
        .map(|(name, g)| Series {
            name: name.to_string(),
            points: g.axes()[0]
                .values
                .iter()
                .copied()
                .zip(g.values().iter().copied())
                .collect(),
        })
        .collect();
    let axis = &one_d[0].1.axes()[0];
    let x = match axis.unit.as_str() {
        "" => axis.name.clone(),
        unit => format!("{} ({unit})", axis.name),
    };
    let png_bytes = line_plot_png(title, &x, "softmax score", &curves, Some((0.0, 1.0)))?;
    write_file(png, &png_bytes)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::Axis;

    fn grid(axes: Vec<Axis>, f: impl Fn(usize) -> f64) -> Grid {
        let n: usize = axes.iter().map(|a| a.values.len()).product();
        Grid::new(axes, (0..n).map(f).collect(), serde_json::Value::Null).unwrap()
    }

    fn azimuth(step: f64) -> Axis {
        crate::semantic::AxisSpec::parse(&format!("azimuth:0:360:{step}"))
            .unwrap()
            .grid_axis()
    }

    #[test]
    fn a_map_writes_its_grid_and_a_picture_up_to_two_axes() {
        let dir = tempfile::tempdir().unwrap();
        let (json, png) = (dir.path().join("m.json"), dir.path().join("m.png"));
        let one = grid(vec![azimuth(30.0)], |i| i as f64 / 16.0);
        assert_eq!(
            write_map(&one, &json, &png, "t").unwrap(),
            Some(png.clone())
        );
        assert_eq!(Grid::read(&json).unwrap(), one);
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

        let el = crate::semantic::AxisSpec::parse("elevation:0:90:45")
            .unwrap()
            .grid_axis();
        let d = crate::semantic::AxisSpec::parse("distance:2:3:0.5")
            .unwrap()
            .grid_axis();
        let three = grid(vec![azimuth(90.0), el, d], |_| 0.5);
        let png3 = dir.path().join("m3.png");
        assert_eq!(write_map(&three, &json, &png3, "t").unwrap(), None);
        assert!(!png3.exists());
        assert_eq!(Grid::read(&json).unwrap(), three);
    }

    #[test]
    fn curves_need_two_one_dimensional_maps() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("c.png");
        let a = grid(vec![azimuth(30.0)], |_| 0.2);
        let b = grid(vec![azimuth(30.0)], |_| 0.7);
        assert!(!write_curves(&png, "t", &[("a", &a)]).unwrap());
        assert!(!png.exists());
        assert!(write_curves(&png, "t", &[("a", &a), ("b", &b)]).unwrap());
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn an_unwritable_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("no-such-folder").join("m.json");
        let a = grid(vec![azimuth(30.0)], |_| 0.2);
        let e = write_map(&a, &json, &dir.path().join("m.png"), "t").unwrap_err();
        assert!(e.to_string().contains("no-such-folder/m.json"), "{e}");
    }
}

#[cfg(feature = "torch")]
pub use network::{write_network_map, MapFiles, NetworkMapError};

/// `semrob map`'s work for one network, from a loaded function to its files and summary.
#[cfg(feature = "torch")]
mod network {
    use std::path::{Path, PathBuf};

    use super::write_map;
    use crate::analysis::maps::map::{network_map, MapError, MapSummary};
    use crate::analysis::network_function::{BatchSize, LoadedFunction};
    use crate::report::OutputError;
    use crate::semantic::{AxisSpec, Grid};

    /// Where and how a mesh's maps are written: `<stem>-<model>.json` (`semrob.grid/1`) and
    /// `.png` in `out_dir`, titled `<model>: <what>`.
    #[derive(Debug, Clone)]
    pub struct MapFiles<'a> {
        pub out_dir: &'a Path,
        pub stem: &'a str,
        pub what: &'a str,
    }

    impl MapFiles<'_> {
        fn path(&self, model: &str, extension: &str) -> PathBuf {
            self.out_dir
                .join(format!("{}-{model}.{extension}", self.stem))
        }
    }

    /// Why one network's map was not made or written.
    #[derive(Debug, thiserror::Error)]
    pub enum NetworkMapError {
        #[error(transparent)]
        Map(#[from] MapError),
        #[error(transparent)]
        Output(#[from] OutputError),
    }

    /// The map of `loaded` (the network `model`) on `specs`, in batches of `batch` images,
    /// several batches per call so that renders overlap the network (`progress` gets the
    /// points done after each call); written as `files` says, with its summary line.
    pub fn write_network_map(
        loaded: LoadedFunction,
        model: &str,
        specs: &[AxisSpec],
        batch: BatchSize,
        files: &MapFiles,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(MapSummary, Grid), NetworkMapError> {
        let mut meta = loaded.meta;
        meta.axes = Some(specs.to_vec());
        let f = loaded.function.with_batch(batch);
        let map = network_map(&f, specs, batch.get() * 8, meta.to_value(), progress)?;
        let json = files.path(model, "json");
        let png = write_map(
            &map.grid,
            &json,
            &files.path(model, "png"),
            &format!("{model}: {}", files.what),
        )?;
        let summary = MapSummary {
            grid: json,
            mean_score: map.grid.mean(),
            model: model.to_string(),
            png,
            points: map.grid.values().len(),
            top1_rate: map.top1_rate,
        };
        Ok((summary, map.grid))
    }
}
