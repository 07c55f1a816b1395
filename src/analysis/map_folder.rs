//! A folder of maps laid out as `<network>/<class>/<shape>.json` (`semrob srvr grids`, the
//! report page of such a folder): reading it, and its SRVR report, with regions grown on the
//! maps' interpolants (map mode; no network runs).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::benchmark::JobId;
use super::region_runs::{default_starts, run_all, RegionMode, RunSummary};
use super::srvr::{default_reference, AcceptBy, Acceptance, AcceptanceError, ShapeScore};
use super::srvr_report::{ReportHeader, ShapeOutcome, SrvrReport};
use crate::files::file_name;
use crate::region::lockstep::SearchError;
use crate::region::{HyperParams, Method, Region, RegionError, RegionSearch};
use crate::semantic::{Grid, GridError};

/// One map of a folder of maps.
#[derive(Debug, Clone)]
pub struct MapEntry {
    pub job: JobId,
    pub path: PathBuf,
    pub map: Grid,
}

/// How `srvr grids` grows regions on every accepted map.
#[derive(Debug, Clone)]
pub struct MapSearch {
    /// The acceptance rule (`None`: the paper's, with the default reference network).
    pub accept_by: Option<AcceptBy>,
    /// The acceptance threshold τ (`--min-mean-score`).
    pub threshold: f64,
    /// The domain Ω (`None`: each map's own extent).
    pub domain: Option<Region>,
    /// The starts (`None`: [`default_starts`] of the domain).
    pub starts: Option<Vec<Vec<f64>>>,
    pub methods: Vec<Method>,
    pub hyper: HyperParams,
}

/// Why a folder of maps gives no report.
#[derive(Debug, thiserror::Error)]
pub enum MapSearchError {
    #[error("no maps")]
    Empty,
    #[error(transparent)]
    Acceptance(#[from] AcceptanceError),
    #[error("{}: {source}", .path.display())]
    Domain {
        path: PathBuf,
        #[source]
        source: RegionError,
    },
    #[error("{}: {source}", .path.display())]
    Search {
        path: PathBuf,
        #[source]
        source: SearchError,
    },
}

impl SrvrReport {
    /// The report of a folder of maps named `name`: the acceptance rule picks the shapes by
    /// the maps' mean scores, and regions grow on the multilinear interpolant of every kept
    /// map (map mode), in parallel over maps.
    pub fn from_grids(
        name: &str,
        maps: &[MapEntry],
        search: &MapSearch,
    ) -> Result<SrvrReport, MapSearchError> {
        let mut networks: Vec<String> = maps.iter().map(|m| m.job.network.clone()).collect();
        networks.dedup();
        let accept_by = match &search.accept_by {
            Some(by) => by.clone(),
            None => AcceptBy::Network(default_reference(&networks).ok_or(MapSearchError::Empty)?),
        };
        Acceptance::check_network(&accept_by, &networks)?;
        let scores: Vec<ShapeScore> = maps
            .iter()
            .map(|m| ShapeScore {
                job: m.job.clone(),
                mean_score: m.map.mean(),
            })
            .collect();
        let acceptance = Acceptance::new(accept_by, search.threshold, &scores)?;
        let shapes: Vec<ShapeOutcome> = maps
            .par_iter()
            .zip(scores.par_iter())
            .map(|(m, score)| -> Result<ShapeOutcome, MapSearchError> {
                let runs = if acceptance.keeps(score) {
                    grow_on_map(m, search)?
                } else {
                    Vec::new()
                };
                Ok(ShapeOutcome {
                    job: m.job.clone(),
                    label: None,
                    weights: None,
                    mean_score: score.mean_score,
                    top1_rate: None,
                    evaluations: None,
                    runs,
                })
            })
            .collect::<Result<_, _>>()?;
        let header = ReportHeader {
            name: name.to_string(),
            config_hash: None,
            jobs_total: maps.len(),
            mode: RegionMode::Map,
            refine_steps: None,
        };
        Ok(SrvrReport::build(header, &acceptance, &shapes))
    }
}

/// A folder that cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read folder {}: {source}", .path.display())]
pub struct FolderError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn sorted_paths(dir: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let err = |source| FolderError {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    paths.sort();
    Ok(paths)
}

/// Every `<network>/<class>/<shape>.json` of a folder of maps, in name order, as the job it
/// stands for. Hidden files and folders (an interrupted atomic write, say) are skipped.
pub fn find_map_files(root: &Path) -> Result<Vec<(JobId, PathBuf)>, FolderError> {
    let mut out = Vec::new();
    let visible = |p: &Path| !file_name(p).starts_with('.');
    for net in sorted_paths(root)? {
        if !net.is_dir() || !visible(&net) {
            continue;
        }
        for class in sorted_paths(&net)? {
            if !class.is_dir() || !visible(&class) {
                continue;
            }
            for shape in sorted_paths(&class)? {
                if shape.is_file()
                    && visible(&shape)
                    && shape.extension().is_some_and(|e| e == "json")
                {
                    let job = JobId {
                        network: file_name(&net),
                        class: file_name(&class),
                        shape: shape
                            .file_stem()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                    };
                    out.push((job, shape));
                }
            }
        }
    }
    Ok(out)
}

/// A folder of maps, read and checked: its name and every map in it.
#[derive(Debug, Clone)]
pub struct MapFolder {
    /// The folder's own name (of its canonical path), as a report names it.
    pub name: String,
    pub maps: Vec<MapEntry>,
}

/// Why a folder of maps cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MapFolderError {
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error("{}: no maps found (expected <network>/<class>/<shape>.json)", .0.display())]
    Empty(PathBuf),
    #[error(transparent)]
    Grid(#[from] GridError),
}

/// Reads every map of the folder `root` ([`find_map_files`]) before anything runs on them,
/// so that a bad file stops a run at once.
pub fn read_map_folder(root: &Path) -> Result<MapFolder, MapFolderError> {
    let files = find_map_files(root)?;
    if files.is_empty() {
        return Err(MapFolderError::Empty(root.to_path_buf()));
    }
    let maps = files
        .into_iter()
        .map(|(job, path)| {
            let grid = Grid::read(&path)?;
            Ok(MapEntry {
                job,
                path,
                map: grid,
            })
        })
        .collect::<Result<_, GridError>>()?;
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| root.display().to_string());
    Ok(MapFolder { name, maps })
}

/// Every method from every start of `search` on the interpolant of one map.
fn grow_on_map(m: &MapEntry, search: &MapSearch) -> Result<Vec<RunSummary>, MapSearchError> {
    let domain = match &search.domain {
        Some(d) => d.clone(),
        None => {
            let (lower, upper) = m.map.domain();
            Region::new(lower, upper).map_err(|source| MapSearchError::Domain {
                path: m.path.clone(),
                source,
            })?
        }
    };
    let starts = search
        .starts
        .clone()
        .unwrap_or_else(|| default_starts(&domain));
    let region_search = RegionSearch::new(search.methods.clone(), starts, search.hyper);
    let (runs, _) = run_all(&m.map, &domain, &region_search, &mut []).map_err(|source| {
        MapSearchError::Search {
            path: m.path.clone(),
            source,
        }
    })?;
    Ok(runs)
}
