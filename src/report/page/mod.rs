//! The report page of a benchmark: one self-contained HTML file a person reads (summary,
//! SRVR table, a section per job with its map, regions, traps, renders and traces, the DSM).
//!
//! [`Page::load`] reads a results folder (`semrob srvr`, merged shards included) or a
//! folder of maps (`semrob srvr grids`); [`Page::to_html`] writes the page, [`write_page`]
//! does both into a file. Nothing is recomputed but the report's aggregates, the traps and
//! the mean maps: no network runs.

mod encode;
mod html;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::analysis::benchmark::{
    ConfigError, JobId, JobResult, Renders, ResultsDir, ResultsError,
};
use crate::analysis::map_folder::{find_map_files, FolderError};
use crate::analysis::maps::traps::{find_traps, Trap, TrapThresholds};
use crate::analysis::network_function::inputs::WeightsId;
use crate::analysis::region_runs::{RegionMode, RunSummary};
use crate::analysis::srvr::AcceptanceSummary;
use crate::analysis::srvr_report::{mean, SrvrReport};
use crate::files::{file_name, write_file};
use crate::report::plot::PlotError;
use crate::report::OutputError;
use crate::semantic::{Grid, GridError};

/// Why a folder gives no page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}: no such folder")]
    Missing(PathBuf),
    #[error("{0}: not a folder")]
    NotAFolder(PathBuf),
    #[error("{0}: not a semrob results folder (no stamp.json) nor a folder of maps <network>/<class>/<shape>.json")]
    Unknown(PathBuf),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The stamp's configuration cannot be read (another version's format).
    #[error("{path}: {source}")]
    Config { path: PathBuf, source: ConfigError },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What kind of folder the page reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// A results folder of `semrob srvr` or `semrob merge`.
    Results,
    /// A folder of maps, as `semrob srvr grids` reads.
    Grids,
}

/// The page's summary.
#[derive(Debug, Clone)]
pub struct Summary {
    pub name: String,
    pub config_hash: Option<String>,
    /// The configuration, as the stamp holds it.
    pub config: Option<Value>,
    /// Each network's weights, in table order.
    pub weights: Vec<(String, WeightsId)>,
    /// How regions were grown; `None`: no stamp says (a folder of maps).
    pub mode: Option<RegionMode>,
    /// Refine mode's budget of network steps per run.
    pub refine_steps: Option<usize>,
    /// The acceptance rule the page's SRVR figures use (SPEC §7).
    pub acceptance: Option<AcceptanceSummary>,
    /// Seconds the finished jobs took, added up.
    pub seconds: Option<f64>,
    /// When the newest job (or map) was written.
    pub written: Option<SystemTime>,
}

/// One row of the SRVR table: a network on a class (the report's table model).
pub use crate::report::table::{Figures as Row, RowSrvr};

/// Something loaded for a section: present, absent (and why), or unreadable.
#[derive(Debug, Clone)]
pub enum Part<T> {
    Present(T),
    Absent(String),
    Unreadable(String),
}

impl<T> Part<T> {
    fn from_read(
        read: Result<Option<T>, ResultsError>,
        absent: &str,
        warnings: &mut Vec<String>,
    ) -> Part<T> {
        match read {
            Ok(Some(t)) => Part::Present(t),
            Ok(None) => Part::Absent(absent.to_string()),
            Err(e) => {
                warnings.push(e.to_string());
                Part::Unreadable(e.to_string())
            }
        }
    }

    pub fn present(&self) -> Option<&T> {
        match self {
            Part::Present(t) => Some(t),
            _ => None,
        }
    }
}

/// One (network, shape) job's section.
#[derive(Debug, Clone)]
pub struct ShapeSection {
    pub job: JobId,
    /// The job's numbers (`None` in a maps-only folder).
    pub result: Option<JobResult>,
    /// Whether the acceptance rule keeps the shape (`None`: unknown, e.g. the reference
    /// network's job is missing, or a maps-only folder).
    pub counted: Option<bool>,
    pub map: Part<Grid>,
    /// Traps of the map (empty without a map).
    pub traps: Vec<Trap>,
    /// The region runs with their traces.
    pub traces: Part<Vec<RunSummary>>,
    pub renders: Part<Renders>,
}

/// The data semantic map of one class: the mean of its maps over networks and shapes.
#[derive(Debug, Clone)]
pub struct DsmSection {
    pub class: String,
    pub maps: usize,
    pub networks: Vec<String>,
    pub mean: Result<Grid, String>,
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Page {
    pub root: PathBuf,
    pub kind: FolderKind,
    pub summary: Summary,
    pub jobs_total: usize,
    /// Jobs of the stamp without a result: the folder is partial when any.
    pub missing: Vec<JobId>,
    pub report: Option<SrvrReport>,
    pub rows: Vec<Row>,
    pub sections: Vec<ShapeSection>,
    pub dsm: Vec<DsmSection>,
    pub thresholds: TrapThresholds,
    /// Artifacts that could not be read (also shown in their sections).
    pub warnings: Vec<String>,
    /// When the page was made.
    pub generated: SystemTime,
}

const NO_MAP: &str = "this job saved no map (the folder was written before jobs kept their maps)";
const NO_TRACES: &str =
    "this job saved no traces (the folder was written before jobs kept their traces)";
const NO_RENDERS: &str =
    "this job saved no renders (the folder was written before jobs kept renders)";
const MAPS_ONLY: &str = "a folder of maps (srvr grids) holds no region runs";
const NO_REGIONS: &str = "no region was grown for this job";

impl From<FolderError> for PageError {
    fn from(e: FolderError) -> PageError {
        PageError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Page {
    /// Reads a results folder or a folder of maps. Errors: the folder is missing, is
    /// neither kind, has a stamp of another format, or (maps folder) holds a bad map.
    /// Artifacts of a results folder that cannot be read are noted in their sections.
    pub fn load(root: &Path) -> Result<Page, PageError> {
        if !root.exists() {
            return Err(PageError::Missing(root.to_path_buf()));
        }
        if !root.is_dir() {
            return Err(PageError::NotAFolder(root.to_path_buf()));
        }
        if root.join("stamp.json").exists() {
            return Page::load_results(root);
        }
        let maps = find_map_files(root)?;
        if maps.is_empty() {
            return Err(PageError::Unknown(root.to_path_buf()));
        }
        Page::load_grids(root, maps)
    }

    fn load_results(root: &Path) -> Result<Page, PageError> {
        let dir = ResultsDir::open(root)?;
        let stamp = dir.stamp();
        let thresholds = TrapThresholds::default();
        let mut warnings = Vec::new();
        let mut sections = Vec::new();
        let mut missing = Vec::new();
        let mut results = Vec::new();
        let mut written = modified(&root.join("stamp.json"));
        for job in &stamp.jobs {
            let Some(result) = dir.finished(job) else {
                missing.push(job.clone());
                continue;
            };
            written = written.max(modified(&dir.job_path(job)));
            results.push(result.clone());
            sections.push(result_section(&dir, job, result, thresholds, &mut warnings));
        }
        let report =
            SrvrReport::from_results(stamp, &results).map_err(|source| PageError::Config {
                path: root.join("stamp.json"),
                source,
            })?;
        for s in &mut sections {
            s.counted = counted(&report.acceptance, &results, &s.job);
        }
        let rows = report
            .networks
            .iter()
            .flat_map(|n| {
                n.classes.iter().map(|c| Row {
                    traps: Some(count_traps(&sections, &n.network, &c.class)),
                    ..Row::of_class(&n.network, c)
                })
            })
            .collect();
        let mode = Some(stamp.config.regions);
        let summary = Summary {
            name: report.name.clone(),
            config_hash: Some(stamp.config_hash.clone()),
            config: serde_json::to_value(&stamp.config).ok(),
            weights: report
                .networks
                .iter()
                .filter_map(|n| Some((n.network.clone(), n.weights.clone()?)))
                .collect(),
            mode,
            refine_steps: stamp.config.refine_steps,
            acceptance: Some(report.acceptance.clone()),
            seconds: (!results.is_empty()).then(|| results.iter().map(|r| r.seconds).sum()),
            written,
        };
        let dsm = dsm_sections(&sections);
        Ok(Page {
            root: root.to_path_buf(),
            kind: FolderKind::Results,
            summary,
            jobs_total: stamp.jobs.len(),
            missing,
            report: Some(report),
            rows,
            sections,
            dsm,
            thresholds,
            warnings,
            generated: SystemTime::now(),
        })
    }

    fn load_grids(root: &Path, maps: Vec<(JobId, PathBuf)>) -> Result<Page, PageError> {
        let thresholds = TrapThresholds::default();
        let mut sections = Vec::new();
        let mut written = None;
        for (job, path) in maps {
            let grid = Grid::read(&path)?;
            written = written.max(modified(&path));
            sections.push(ShapeSection {
                traps: find_traps(&grid, thresholds),
                job,
                result: None,
                counted: None,
                map: Part::Present(grid),
                traces: Part::Absent(MAPS_ONLY.into()),
                renders: Part::Absent(MAPS_ONLY.into()),
            });
        }
        let mut groups: BTreeMap<(String, String), Vec<&ShapeSection>> = BTreeMap::new();
        for s in &sections {
            groups
                .entry((s.job.network.clone(), s.job.class.clone()))
                .or_default()
                .push(s);
        }
        let rows = groups
            .iter()
            .map(|((network, class), shapes)| Row {
                network: network.clone(),
                class: Some(class.clone()),
                label: None,
                shapes: shapes.len(),
                shapes_accepted: None,
                own_pass: None,
                mean_score: mean(
                    shapes
                        .iter()
                        .filter_map(|s| s.map.present())
                        .map(Grid::mean),
                ),
                top1_rate: None,
                srvr: RowSrvr::NotComputed,
                certified_srvr: None,
                clean_srvr: None,
                evaluations: None,
                traps: Some(shapes.iter().map(|s| s.traps.len()).sum()),
                settling: None,
            })
            .collect();
        let dsm = dsm_sections(&sections);
        Ok(Page {
            root: root.to_path_buf(),
            kind: FolderKind::Grids,
            summary: Summary {
                name: file_name(root),
                config_hash: None,
                config: None,
                weights: Vec::new(),
                mode: None,
                refine_steps: None,
                acceptance: None,
                seconds: None,
                written,
            },
            jobs_total: sections.len(),
            missing: Vec::new(),
            report: None,
            rows,
            sections,
            dsm,
            thresholds,
            warnings: Vec::new(),
            generated: SystemTime::now(),
        })
    }

    /// Whether jobs of the run are missing.
    pub fn is_partial(&self) -> bool {
        !self.missing.is_empty()
    }

    /// The page as one self-contained HTML document.
    pub fn to_html(&self) -> Result<String, PlotError> {
        html::render(self)
    }

    /// How much of the run the page covers: `6 jobs`, or `partial: 4 of 6 jobs`.
    pub fn coverage(&self) -> String {
        if self.is_partial() {
            format!(
                "partial: {} of {} jobs",
                self.jobs_total - self.missing.len(),
                self.jobs_total
            )
        } else {
            format!("{} jobs", self.sections.len())
        }
    }
}

/// What [`write_page`] wrote.
#[derive(Debug, Clone)]
pub struct WrittenPage {
    pub path: PathBuf,
    /// The page's size in bytes.
    pub bytes: usize,
    /// [`Page::coverage`].
    pub coverage: String,
    /// Saved files that could not be read ([`Page::warnings`]).
    pub warnings: Vec<String>,
}

/// Writes the page of the folder `dir` (a results folder or a folder of maps) to `out`,
/// atomically.
pub fn write_page(dir: &Path, out: &Path) -> Result<WrittenPage, PageError> {
    let page = Page::load(dir)?;
    let html = page.to_html().map_err(OutputError::from)?;
    write_file(out, html.as_bytes()).map_err(OutputError::from)?;
    Ok(WrittenPage {
        path: out.to_path_buf(),
        bytes: html.len(),
        coverage: page.coverage(),
        warnings: page.warnings,
    })
}

/// Whether the acceptance rule keeps a job's shape (`AcceptBy::decides` on the folder's
/// job results); `None` when the deciding job is missing or the rule unreadable.
fn counted(rule: &AcceptanceSummary, results: &[JobResult], job: &JobId) -> Option<bool> {
    rule.by()?.decides(rule.threshold, &job.network, |network| {
        let there = job.on(network);
        results
            .iter()
            .find(|r| r.job == there)
            .map(|r| r.mean_score)
    })
}

fn count_traps(sections: &[ShapeSection], network: &str, class: &str) -> usize {
    sections
        .iter()
        .filter(|s| s.job.network == network && s.job.class == class)
        .map(|s| s.traps.len())
        .sum()
}

/// The mean map of each class over every network and shape that has a map.
fn dsm_sections(sections: &[ShapeSection]) -> Vec<DsmSection> {
    let mut by_class: BTreeMap<&str, Vec<&ShapeSection>> = BTreeMap::new();
    for s in sections {
        if s.map.present().is_some() {
            by_class.entry(&s.job.class).or_default().push(s);
        }
    }
    by_class
        .into_iter()
        .map(|(class, shapes)| {
            let grids: Vec<Grid> = shapes
                .iter()
                .filter_map(|s| s.map.present().cloned())
                .collect();
            let mut networks: Vec<String> = shapes.iter().map(|s| s.job.network.clone()).collect();
            networks.dedup();
            DsmSection {
                class: class.to_string(),
                maps: grids.len(),
                networks,
                mean: crate::analysis::maps::map::mean_map(&grids).map_err(|e| e.to_string()),
            }
        })
        .collect()
}

/// A finished job's section: its result with the map, traps, traces and renders it saved.
fn result_section(
    dir: &ResultsDir,
    job: &JobId,
    result: JobResult,
    thresholds: TrapThresholds,
    warnings: &mut Vec<String>,
) -> ShapeSection {
    let map = Part::from_read(dir.read_map(job), NO_MAP, warnings);
    let traps = map
        .present()
        .map(|g| find_traps(g, thresholds))
        .unwrap_or_default();
    let (traces_absent, renders_absent) = if result.runs.is_empty() {
        (NO_REGIONS, NO_REGIONS)
    } else {
        (NO_TRACES, NO_RENDERS)
    };
    let traces = Part::from_read(dir.read_traces(job), traces_absent, warnings);
    let renders = Part::from_read(dir.read_renders(job), renders_absent, warnings);
    ShapeSection {
        job: job.clone(),
        result: Some(result),
        counted: None,
        map,
        traps,
        traces,
        renders,
    }
}
