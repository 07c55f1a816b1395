//! What a finished job keeps for the report page besides its numbers: its map, its region
//! runs with their traces and a few renders inside and outside its largest robust region.
//!
//! Inside a results folder, for job `<network>/<class>/<shape>`:
//! * `maps/<network>/<class>/<shape>.json`: the map (`semrob.grid/1`);
//! * `traces/<network>/<class>/<shape>.json`: `{"runs": [...]}`, the region runs as
//!   `semrob regions --trace` prints them;
//! * `renders/<network>/<class>/<shape>/inside-<k>.png`, `outside-<k>.png` and
//!   `renders.json`, the points (and scores) they were rendered at.
//!
//! Every file is written atomically; a job saves its artifacts before its result file, so a
//! finished job has them all. Folders written before artifacts existed simply lack them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::results::{io, JobId, ResultsDir, ResultsError};
use crate::analysis::region_runs::{inside_lattice, RunSummary};
use crate::files::write_atomic;
use crate::semantic::Grid;

/// The index of a job's renders.
const RENDERS_INDEX: &str = "renders.json";

/// One render kept for the page.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderShot {
    /// The semantic parameters it was rendered at.
    pub point: Vec<f64>,
    /// The network's score there, when known.
    pub score: Option<f64>,
    /// The PNG's bytes.
    pub png: Vec<u8>,
}

/// Renders inside the largest robust region and outside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Renders {
    pub inside: Vec<RenderShot>,
    pub outside: Vec<RenderShot>,
    /// The witnesses of the job's certificates (SPEC §8): `(file, png)`, the file named by
    /// `crate::analysis::certificates::witness_file`.
    pub witnesses: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ShotEntry {
    file: String,
    point: Vec<f64>,
    #[serde(default)]
    score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RendersIndex {
    inside: Vec<ShotEntry>,
    outside: Vec<ShotEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TracesFile {
    runs: Vec<RunSummary>,
}

fn invalid(path: &Path, message: impl ToString) -> ResultsError {
    ResultsError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn put(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let dir = path.parent().expect("an artifact lies in a folder");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    write_atomic(path, bytes).map_err(io(path))
}

/// Reads a file that may be absent: `Ok(None)` when it is.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, ResultsError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

impl ResultsDir {
    /// `maps/<network>/<class>/<shape>.json`.
    pub fn map_path(&self, job: &JobId) -> PathBuf {
        self.root().join("maps").join(format!("{}.json", job.key()))
    }

    /// `traces/<network>/<class>/<shape>.json`.
    pub fn traces_path(&self, job: &JobId) -> PathBuf {
        self.root()
            .join("traces")
            .join(format!("{}.json", job.key()))
    }

    /// `renders/<network>/<class>/<shape>/`.
    pub fn renders_dir(&self, job: &JobId) -> PathBuf {
        self.root().join("renders").join(job.key())
    }

    /// Saves a job's map, region runs (with their traces, when kept) and renders (no
    /// renders folder when there are none). Call it before [`ResultsDir::save`], so that a
    /// finished job has its artifacts.
    pub fn save_artifacts(
        &self,
        job: &JobId,
        map: &Grid,
        runs: &[RunSummary],
        renders: &Renders,
    ) -> Result<(), ResultsError> {
        put(&self.map_path(job), map.file_text().as_bytes())?;
        let traces = TracesFile {
            runs: runs.to_vec(),
        };
        let text = serde_json::to_string(&traces).expect("serialisable") + "\n";
        put(&self.traces_path(job), text.as_bytes())?;
        if renders.inside.is_empty() && renders.outside.is_empty() {
            // No region, no contact sheet: the page says so.
            return Ok(());
        }
        let dir = self.renders_dir(job);
        let mut index = RendersIndex {
            inside: Vec::new(),
            outside: Vec::new(),
        };
        for (kind, shots, entries) in [
            ("inside", &renders.inside, &mut index.inside),
            ("outside", &renders.outside, &mut index.outside),
        ] {
            for (k, shot) in shots.iter().enumerate() {
                let file = format!("{kind}-{k}.png");
                put(&dir.join(&file), &shot.png)?;
                entries.push(ShotEntry {
                    file,
                    point: shot.point.clone(),
                    score: shot.score,
                });
            }
        }
        let text = serde_json::to_string_pretty(&index).expect("serialisable") + "\n";
        put(&dir.join(RENDERS_INDEX), text.as_bytes())
    }

    /// Saves a job's witness renders (`(file, png)`) in its renders folder.
    pub fn save_witnesses(
        &self,
        job: &JobId,
        pictures: &[(String, Vec<u8>)],
    ) -> Result<(), ResultsError> {
        let dir = self.renders_dir(job);
        for (file, png) in pictures {
            put(&dir.join(file), png)?;
        }
        Ok(())
    }

    /// Rewrites a job's saved region runs (with their traces).
    pub fn save_traces(&self, job: &JobId, runs: &[RunSummary]) -> Result<(), ResultsError> {
        let traces = TracesFile {
            runs: runs.to_vec(),
        };
        let text = serde_json::to_string(&traces).expect("serialisable") + "\n";
        put(&self.traces_path(job), text.as_bytes())
    }

    /// The job's saved map; `Ok(None)` when the folder has none for it.
    pub fn read_map(&self, job: &JobId) -> Result<Option<Grid>, ResultsError> {
        let path = self.map_path(job);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|e| invalid(&path, e))?;
        Grid::from_json_str(&text)
            .map(Some)
            .map_err(|e| invalid(&path, e))
    }

    /// The job's saved region runs with their traces; `Ok(None)` when absent.
    pub fn read_traces(&self, job: &JobId) -> Result<Option<Vec<RunSummary>>, ResultsError> {
        let path = self.traces_path(job);
        let Some(bytes) = read_optional(&path)? else {
            return Ok(None);
        };
        let file: TracesFile = serde_json::from_slice(&bytes).map_err(|e| invalid(&path, e))?;
        Ok(Some(file.runs))
    }

    /// The job's saved renders: from `renders.json` when present, else every
    /// `inside-<k>.png` / `outside-<k>.png` (k = 0, 1, …) without their points; `Ok(None)`
    /// when the job has no renders folder.
    pub fn read_renders(&self, job: &JobId) -> Result<Option<Renders>, ResultsError> {
        let dir = self.renders_dir(job);
        if !dir.is_dir() {
            return Ok(None);
        }
        let index_path = dir.join(RENDERS_INDEX);
        let index: Option<RendersIndex> = read_optional(&index_path)?
            .map(|bytes| serde_json::from_slice(&bytes).map_err(|e| invalid(&index_path, e)))
            .transpose()?;
        let load = |entries: &[ShotEntry]| -> Result<Vec<RenderShot>, ResultsError> {
            entries
                .iter()
                .map(|e| {
                    if e.file.contains(['/', '\\']) || e.file.starts_with('.') {
                        return Err(invalid(&index_path, format!("file {:?}", e.file)));
                    }
                    let path = dir.join(&e.file);
                    Ok(RenderShot {
                        point: e.point.clone(),
                        score: e.score,
                        png: std::fs::read(&path).map_err(io(&path))?,
                    })
                })
                .collect()
        };
        let scan = |kind: &str| -> Result<Vec<RenderShot>, ResultsError> {
            let mut shots = Vec::new();
            for k in 0.. {
                let path = dir.join(format!("{kind}-{k}.png"));
                match read_optional(&path)? {
                    Some(png) => shots.push(RenderShot {
                        point: Vec::new(),
                        score: None,
                        png,
                    }),
                    None => break,
                }
            }
            Ok(shots)
        };
        let mut witnesses = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .collect::<Result<_, _>>()
            .map_err(io(&dir))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("witness-") && name.ends_with(".png") {
                let path = e.path();
                witnesses.push((name, std::fs::read(&path).map_err(io(&path))?));
            }
        }
        Ok(Some(match index {
            Some(index) => Renders {
                inside: load(&index.inside)?,
                outside: load(&index.outside)?,
                witnesses,
            },
            None => Renders {
                inside: scan("inside")?,
                outside: scan("outside")?,
                witnesses,
            },
        }))
    }

    /// Copies a job's artifacts from another folder (merging shards); absent ones are
    /// skipped.
    pub fn copy_artifacts(&self, from: &ResultsDir, job: &JobId) -> Result<(), ResultsError> {
        for (src, dst) in [
            (from.map_path(job), self.map_path(job)),
            (from.traces_path(job), self.traces_path(job)),
        ] {
            if let Some(bytes) = read_optional(&src)? {
                put(&dst, &bytes)?;
            }
        }
        let (src, dst) = (from.renders_dir(job), self.renders_dir(job));
        if src.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&src)
                .map_err(io(&src))?
                .collect::<Result<_, _>>()
                .map_err(io(&src))?;
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let name = e.file_name();
                // Temporary files of an interrupted write start with a dot.
                if name.to_string_lossy().starts_with('.') || !e.path().is_file() {
                    continue;
                }
                let bytes = std::fs::read(e.path()).map_err(io(&e.path()))?;
                put(&dst.join(&name), &bytes)?;
            }
        }
        Ok(())
    }
}

/// Where to render a job's contact sheet: `side²` points inside the region `[lower, upper]`
/// ([`inside_lattice`]) and up to `side²` of the map's samples outside it, lowest score first
/// and kept apart by at least a sixth of the domain's diagonal (measured in units of each
/// axis' span), so they show distinct failures.
pub fn render_points(
    map: &Grid,
    lower: &[f64],
    upper: &[f64],
    side: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = lower.len();
    let k = side * side;
    let lattice = inside_lattice(lower, upper, side);
    let inside: Vec<Vec<f64>> = lattice
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .collect();
    let (dlo, dhi) = map.domain();
    let spans: Vec<f64> = dlo
        .iter()
        .zip(&dhi)
        .map(|(l, h)| (h - l).max(1e-12))
        .collect();
    let mut samples: Vec<(f64, Vec<f64>)> = (0..map.values().len())
        .map(|flat| (map.values()[flat], map.point(flat)))
        .filter(|(_, u)| (0..n).any(|a| u[a] < lower[a] || u[a] > upper[a]))
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let apart = (n as f64).sqrt() / 6.0;
    let mut outside: Vec<Vec<f64>> = Vec::new();
    for (_, u) in samples {
        if outside.len() == k {
            break;
        }
        let far = outside.iter().all(|o| {
            let d2: f64 = (0..n)
                .map(|a| {
                    let mut d = (u[a] - o[a]).abs();
                    if let Some(p) = map.axes()[a].period {
                        d = d.min(p - d);
                    }
                    (d / spans[a]).powi(2)
                })
                .sum();
            d2.sqrt() >= apart
        });
        if far {
            outside.push(u);
        }
    }
    (inside, outside)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::analysis::benchmark::{Stamp, RESULTS_FORMAT};
    use crate::analysis::region_runs::largest_region;
    use crate::region::{Method, StopReason, TraceStep};
    use crate::semantic::Axis;

    fn grid() -> Grid {
        let axes = vec![
            Axis {
                name: "azimuth".into(),
                unit: "deg".into(),
                values: (0..12).map(|i| 30.0 * i as f64).collect(),
                period: Some(360.0),
                domain: None,
            },
            Axis {
                name: "elevation".into(),
                unit: "deg".into(),
                values: vec![0.0, 30.0, 60.0],
                period: None,
                domain: None,
            },
        ];
        Grid::tabulate(axes, Value::Null, |u| (u[0] / 360.0).min(1.0)).unwrap()
    }

    fn dir(root: &Path) -> (ResultsDir, JobId) {
        let job = JobId {
            network: "net".into(),
            class: "vase".into(),
            shape: "s0".into(),
        };
        let stamp = Stamp {
            format: RESULTS_FORMAT.into(),
            config_hash: "h".into(),
            config: crate::analysis::benchmark::SrvrConfig::from_toml(
                crate::analysis::benchmark::EMBEDDED_DEFAULT,
                "test",
            )
            .unwrap()
            .config,
            jobs: vec![job.clone()],
        };
        (ResultsDir::open_or_create(root, stamp).unwrap(), job)
    }

    fn run() -> RunSummary {
        RunSummary {
            method: Method::OirB,
            init: vec![130.0, 30.0],
            lower: vec![100.0, 10.0],
            upper: vec![160.0, 50.0],
            volume: 2400.0,
            volume_ratio: 2400.0 / 36000.0,
            stop: StopReason::Converged,
            iterations: 2,
            evaluations: 16,
            gradient_evaluations: 0,
            final_loss: Some(-0.5),
            hit_cap: false,
            at_80: None,
            trace: Some(vec![
                TraceStep {
                    lower: vec![129.0, 29.0],
                    upper: vec![131.0, 31.0],
                    loss: Some(0.1),
                },
                TraceStep {
                    lower: vec![100.0, 10.0],
                    upper: vec![160.0, 50.0],
                    loss: None,
                },
            ]),
            map_stage: None,
            contents: None,
            certificate: None,
            clean: None,
        }
    }

    #[test]
    fn artifacts_round_trip_and_merge_copies_them() {
        let tmp = tempfile::tempdir().unwrap();
        let (d, job) = dir(&tmp.path().join("a"));
        assert_eq!(d.read_map(&job).unwrap(), None);
        assert_eq!(d.read_traces(&job).unwrap(), None);
        assert_eq!(d.read_renders(&job).unwrap(), None);
        let shot = |b: u8| RenderShot {
            point: vec![b as f64, 1.0],
            score: Some(0.5),
            png: vec![b; 4],
        };
        let renders = Renders {
            inside: vec![shot(1), shot(2)],
            outside: vec![shot(3)],
            witnesses: Vec::new(),
        };
        d.save_artifacts(&job, &grid(), &[run()], &renders).unwrap();
        assert!(d.renders_dir(&job).join("outside-0.png").is_file());
        assert_eq!(d.read_map(&job).unwrap(), Some(grid()));
        assert_eq!(d.read_traces(&job).unwrap(), Some(vec![run()]));
        assert_eq!(d.read_renders(&job).unwrap(), Some(renders.clone()));
        let (m, _) = dir(&tmp.path().join("m"));
        m.copy_artifacts(&d, &job).unwrap();
        assert_eq!(m.read_map(&job).unwrap(), Some(grid()));
        assert_eq!(m.read_renders(&job).unwrap(), Some(renders.clone()));
        // Without the index, the PNGs are found by name, without their points.
        std::fs::remove_file(m.renders_dir(&job).join(RENDERS_INDEX)).unwrap();
        let scanned = m.read_renders(&job).unwrap().unwrap();
        assert_eq!(scanned.inside.len(), 2);
        assert_eq!(scanned.outside[0].png, vec![3; 4]);
        assert!(scanned.inside[0].point.is_empty());
        // A damaged map is an error naming the file.
        std::fs::write(m.map_path(&job), "{\"format\": \"other\"}").unwrap();
        let e = m.read_map(&job).unwrap_err().to_string();
        assert!(
            e.contains("maps/net/vase/s0.json") && e.contains("other"),
            "{e}"
        );
    }

    #[test]
    fn the_largest_region_is_the_one_of_largest_volume() {
        assert!(largest_region(&[]).is_none());
        let small = RunSummary {
            volume: 10.0,
            ..run()
        };
        let runs = [small.clone(), run(), small];
        assert_eq!(largest_region(&runs).unwrap().volume, 2400.0);
    }

    #[test]
    fn render_points_fall_inside_and_outside_the_region() {
        let g = grid();
        let (lower, upper) = ([90.0, 0.0], [180.0, 30.0]);
        let (inside, outside) = render_points(&g, &lower, &upper, 2);
        assert_eq!(inside.len(), 4);
        assert_eq!(inside[0], vec![112.5, 7.5]);
        assert_eq!(inside[3], vec![157.5, 22.5]);
        for p in &inside {
            assert!(
                (0..2).all(|a| lower[a] <= p[a] && p[a] <= upper[a]),
                "{p:?}"
            );
        }
        assert_eq!(outside.len(), 4);
        for p in &outside {
            assert!((0..2).any(|a| p[a] < lower[a] || p[a] > upper[a]), "{p:?}");
        }
        // The lowest score outside the region (azimuth 0) comes first.
        assert_eq!(outside[0][0], 0.0);
    }
}
