//! The results folder of a benchmark run: a stamp naming the configuration, one file per
//! finished (network, shape) job written atomically, shards and merging.

use std::path::{Path, PathBuf};

use super::config::SrvrConfig;
use crate::analysis::network_function::inputs::WeightsId;
use crate::analysis::region_runs::RunSummary;
use crate::files::write_atomic;
use crate::render::RenderBackend;
use serde::{Deserialize, Serialize};

/// The stamp's format tag.
pub const RESULTS_FORMAT: &str = "semrob.srvr-results/2";

/// The format of results folders written before fingerprints were SHA-256 (FNV-1a 64).
pub const FNV_RESULTS_FORMAT: &str = "semrob.srvr-results/1";
const STAMP: &str = "stamp.json";

/// Why a results folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid file of this kind: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path} holds results of another configuration (stamp {found}, this run {expected}); nothing was changed: pick another results folder or remove it")]
    OtherConfiguration {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("{path} holds no results stamp ({STAMP}): not a semrob results folder")]
    NoStamp { path: PathBuf },
    #[error("{path} was written by an older semrob ({FNV_RESULTS_FORMAT}), whose fingerprints of weights and configuration were FNV-1a 64, not SHA-256: its results cannot be matched to a configuration or weights any more, and are not read; nothing was changed: rerun into a new folder (or move this one aside)")]
    FnvFingerprints { path: PathBuf },
    #[error("job {job} has different results in {a} and {b}")]
    Conflict { job: String, a: PathBuf, b: PathBuf },
    #[error("--shard {0:?}: expected K/N with 1 ≤ K ≤ N")]
    Shard(String),
}

pub use crate::analysis::srvr::JobId;

/// The stamp of a results folder: which configuration wrote it and which jobs it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    pub format: String,
    /// Fingerprint of the configuration and the weights it names.
    pub config_hash: String,
    /// The configuration. Stamps written before a field existed read with that field's
    /// default, which is what those runs did (e.g. `regions = "network"`, the only mode
    /// before map mode).
    pub config: SrvrConfig,
    /// Every job of the run (all shards), in order.
    pub jobs: Vec<JobId>,
}

/// What one finished job found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub job: JobId,
    pub weights: WeightsId,
    pub label: usize,
    /// Points of the acceptance map.
    pub map_points: usize,
    /// Mean score of the acceptance map (SPEC §7).
    pub mean_score: f64,
    /// Fraction of the acceptance map's renders whose top-1 class is the label.
    pub top1_rate: f64,
    /// Whether the job's own map scores at least the acceptance threshold τ (its network's
    /// own pass; whether the shape counts is the acceptance rule's, which may ask another
    /// network). Saved as `accepted`, as job files have always named it.
    #[serde(rename = "accepted")]
    pub own_pass: bool,
    /// The region runs (none when the shape was not accepted).
    pub runs: Vec<RunSummary>,
    /// Renders classified by the region runs (finite-difference neighbours included).
    pub region_renders: usize,
    /// Wall-clock seconds the job took (not part of the report).
    pub seconds: f64,
    /// Where the job's time went (absent in results written before it was recorded; not part
    /// of the report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<JobTelemetry>,
    /// What the job's last certification pass cost (absent where none ran; not part of the
    /// report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification: Option<CertifyTelemetry>,
}

/// What certifying a job's regions cost (SPEC §8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CertifyTelemetry {
    /// Runs holding a sampled certificate.
    pub certificates: usize,
    /// Wall-clock seconds of the job's share of its certification wave.
    pub seconds: f64,
}

/// Where a job's time went: its network batches and the split between rendering, the network
/// and the region math. Rendering overlaps the network, so the three need not add up to the
/// job's seconds; `render_wait_seconds` is the rendering the network waited for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct JobTelemetry {
    /// Network batches (acceptance map and region runs).
    pub batches: usize,
    /// Images rendered and classified.
    pub images: usize,
    /// Images in the network batches the job took part in, other jobs' included (jobs in
    /// lockstep share batches); `images` when it shared none. Absent in older results.
    #[serde(default)]
    pub batch_images: usize,
    /// The mean network batch the job's images were in: `batch_images / batches`.
    pub mean_batch: f64,
    pub render_seconds: f64,
    pub render_wait_seconds: f64,
    pub network_seconds: f64,
    /// Asking, splitting and stepping the region runs.
    pub region_seconds: f64,
    /// Lockstep rounds of the region runs (one function call each).
    pub rounds: usize,
    /// Which renderer drew the images (absent in older results; in a total, absent when the
    /// jobs used different ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renderer: Option<RenderBackend>,
}

impl JobTelemetry {
    /// The sum over several jobs (`mean_batch` recomputed).
    pub fn total<'a>(all: impl IntoIterator<Item = &'a JobTelemetry>) -> JobTelemetry {
        let mut t = JobTelemetry::default();
        let mut renderers = Vec::new();
        for x in all {
            renderers.push(x.renderer);
            t.batches += x.batches;
            t.images += x.images;
            t.batch_images += x.batch_images.max(x.images);
            t.render_seconds += x.render_seconds;
            t.render_wait_seconds += x.render_wait_seconds;
            t.network_seconds += x.network_seconds;
            t.region_seconds += x.region_seconds;
            t.rounds += x.rounds;
        }
        t.renderer = match renderers.split_first() {
            Some((first, rest)) if rest.iter().all(|r| r == first) => *first,
            _ => None,
        };
        t.mean_batch = if t.batches == 0 {
            0.0
        } else {
            t.batch_images as f64 / t.batches as f64
        };
        t
    }
}

/// A slice `K/N` of the jobs: job `i` (0-based) belongs to shard `i mod N + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

/// `K/N` (the command line's `--shard`).
impl std::str::FromStr for Shard {
    type Err = ResultsError;

    fn from_str(text: &str) -> Result<Shard, ResultsError> {
        Shard::parse(text)
    }
}

impl Shard {
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    pub fn parse(text: &str) -> Result<Shard, ResultsError> {
        let bad = || ResultsError::Shard(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    pub fn holds(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

/// A results folder whose stamp matches the run.
#[derive(Debug, Clone)]
pub struct ResultsDir {
    root: PathBuf,
    stamp: Stamp,
}

/// The error of an I/O failure on `path` in a results folder.
pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ResultsError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    parse_json(&text, path)
}

fn parse_json<T: for<'de> Deserialize<'de>>(text: &str, path: &Path) -> Result<T, ResultsError> {
    serde_json::from_str(text).map_err(|e| ResultsError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Stamp {
    /// Parses the text of a stamp file and checks its format tag (`path` names it in
    /// errors). The configuration it holds is not checked here: [`SrvrConfig::check`] does.
    pub fn from_json(text: &str, path: &Path) -> Result<Stamp, ResultsError> {
        let stamp: Stamp = parse_json(text, path)?;
        if stamp.format == FNV_RESULTS_FORMAT {
            return Err(ResultsError::FnvFingerprints {
                path: path.parent().unwrap_or(path).to_path_buf(),
            });
        }
        if stamp.format != RESULTS_FORMAT {
            return Err(ResultsError::Invalid {
                path: path.to_path_buf(),
                message: format!("format {:?}, expected {RESULTS_FORMAT:?}", stamp.format),
            });
        }
        Ok(stamp)
    }
}

impl JobResult {
    /// Parses the text of a job file (`path` names it in errors).
    pub fn from_json(text: &str, path: &Path) -> Result<JobResult, ResultsError> {
        parse_json(text, path)
    }
}

impl ResultsDir {
    /// Opens (or creates) `root` for `stamp`; refuses a folder stamped by another
    /// configuration, and a non-empty folder without a stamp, changing nothing.
    pub fn open_or_create(root: &Path, stamp: Stamp) -> Result<ResultsDir, ResultsError> {
        let stamp_path = root.join(STAMP);
        if stamp_path.exists() {
            let found: Stamp = read_json(&stamp_path)?;
            if found.format == FNV_RESULTS_FORMAT {
                return Err(ResultsError::FnvFingerprints {
                    path: root.to_path_buf(),
                });
            }
            if found.config_hash != stamp.config_hash || found.format != stamp.format {
                return Err(ResultsError::OtherConfiguration {
                    path: root.to_path_buf(),
                    found: found.config_hash,
                    expected: stamp.config_hash,
                });
            }
        } else {
            if root.is_dir() && std::fs::read_dir(root).map_err(io(root))?.next().is_some() {
                return Err(ResultsError::NoStamp {
                    path: root.to_path_buf(),
                });
            }
            std::fs::create_dir_all(root).map_err(io(root))?;
            let text = serde_json::to_string_pretty(&stamp).expect("serialisable") + "\n";
            write_atomic(&stamp_path, text.as_bytes()).map_err(io(&stamp_path))?;
        }
        Ok(ResultsDir {
            root: root.to_path_buf(),
            stamp,
        })
    }

    /// Opens an existing results folder (for merging and reports).
    pub fn open(root: &Path) -> Result<ResultsDir, ResultsError> {
        let stamp_path = root.join(STAMP);
        if !stamp_path.is_file() {
            return Err(ResultsError::NoStamp {
                path: root.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(&stamp_path).map_err(io(&stamp_path))?;
        let stamp = Stamp::from_json(&text, &stamp_path)?;
        Ok(ResultsDir {
            root: root.to_path_buf(),
            stamp,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    pub fn job_path(&self, job: &JobId) -> PathBuf {
        self.root.join("jobs").join(format!("{}.json", job.key()))
    }

    /// The job's result if a previous run finished it (a file that does not parse, or that
    /// belongs to another job, counts as unfinished and will be redone).
    pub fn finished(&self, job: &JobId) -> Option<JobResult> {
        let r: JobResult = read_json(&self.job_path(job)).ok()?;
        (r.job == *job).then_some(r)
    }

    /// Writes a finished job atomically.
    pub fn save(&self, result: &JobResult) -> Result<(), ResultsError> {
        let path = self.job_path(&result.job);
        let dir = path.parent().expect("jobs/<net>/<class>");
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let text = serde_json::to_string_pretty(result).expect("serialisable") + "\n";
        write_atomic(&path, text.as_bytes()).map_err(io(&path))
    }

    /// Every finished job, in the stamp's job order.
    pub fn results(&self) -> Vec<JobResult> {
        self.stamp
            .jobs
            .iter()
            .filter_map(|j| self.finished(j))
            .collect()
    }

    /// Joins shard folders into `out` (created with their common stamp): every finished job
    /// is copied; the same job with different results in two folders is an error, and
    /// folders of another configuration are refused before anything is written.
    pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<ResultsDir, ResultsError> {
        let dirs = shards
            .iter()
            .map(|p| ResultsDir::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = dirs.first() else {
            return Err(ResultsError::NoStamp {
                path: PathBuf::from("(no folders given)"),
            });
        };
        for d in &dirs[1..] {
            if d.stamp.config_hash != first.stamp.config_hash {
                return Err(ResultsError::OtherConfiguration {
                    path: d.root.clone(),
                    found: d.stamp.config_hash.clone(),
                    expected: first.stamp.config_hash.clone(),
                });
            }
        }
        let mut chosen: Vec<(JobResult, PathBuf)> = Vec::new();
        for d in &dirs {
            for r in d.results() {
                match chosen.iter().find(|(c, _)| c.job == r.job) {
                    Some((c, from)) => {
                        let same = JobResult {
                            seconds: 0.0,
                            telemetry: None,
                            certification: None,
                            ..c.clone()
                        } == JobResult {
                            seconds: 0.0,
                            telemetry: None,
                            certification: None,
                            ..r.clone()
                        };
                        if !same {
                            return Err(ResultsError::Conflict {
                                job: r.job.key(),
                                a: from.clone(),
                                b: d.root.clone(),
                            });
                        }
                    }
                    None => chosen.push((r, d.root.clone())),
                }
            }
        }
        let merged = ResultsDir::open_or_create(out, first.stamp.clone())?;
        for (r, from) in &chosen {
            if merged.finished(&r.job).is_none() {
                let from = dirs
                    .iter()
                    .find(|d| &d.root == from)
                    .expect("chosen from dirs");
                // Artifacts first: a job whose result file exists has them all.
                merged.copy_artifacts(from, &r.job)?;
                merged.save(r)?;
            }
        }
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(hash: &str) -> Stamp {
        Stamp {
            format: RESULTS_FORMAT.into(),
            config_hash: hash.into(),
            config: crate::analysis::benchmark::SrvrConfig::from_toml(
                crate::analysis::benchmark::EMBEDDED_DEFAULT,
                "test",
            )
            .unwrap()
            .config,
            jobs: (0..3)
                .map(|i| JobId {
                    network: "net".into(),
                    class: "vase".into(),
                    shape: format!("s{i}"),
                })
                .collect(),
        }
    }

    fn result(job: &JobId, score: f64) -> JobResult {
        JobResult {
            job: job.clone(),
            weights: WeightsId {
                file: "w".into(),
                sha256: "0".into(),
            },
            label: 883,
            map_points: 4,
            mean_score: score,
            top1_rate: 0.5,
            own_pass: true,
            runs: vec![],
            region_renders: 10,
            seconds: 1.0,
            telemetry: None,
            certification: None,
        }
    }

    #[test]
    fn job_results_without_telemetry_still_read_and_merge_ignores_it() {
        let job = JobId {
            network: "n".into(),
            class: "c".into(),
            shape: "s".into(),
        };
        let old = result(&job, 0.5);
        let mut text = serde_json::to_value(&old).unwrap();
        assert!(text.get("telemetry").is_none(), "None is not written");
        text.as_object_mut().unwrap().remove("telemetry");
        let back: JobResult = serde_json::from_value(text).unwrap();
        assert_eq!(back, old);
        let t = JobTelemetry {
            batches: 3,
            images: 90,
            batch_images: 90,
            mean_batch: 30.0,
            render_seconds: 1.0,
            render_wait_seconds: 0.25,
            network_seconds: 4.0,
            region_seconds: 0.1,
            rounds: 2,
            renderer: Some(RenderBackend::Cpu),
        };
        let new = JobResult {
            telemetry: Some(t),
            ..old
        };
        let back: JobResult = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back, new);
        let sum = JobTelemetry::total([&t, &t]);
        assert_eq!((sum.batches, sum.images, sum.mean_batch), (6, 180, 30.0));
        // The total names the renderer only when every job used the same one.
        assert_eq!(sum.renderer, Some(RenderBackend::Cpu));
        let device = JobTelemetry {
            renderer: Some(RenderBackend::Device),
            ..t
        };
        assert_eq!(JobTelemetry::total([&t, &device]).renderer, None);
        assert_eq!(
            JobTelemetry::total([&device]).renderer,
            Some(RenderBackend::Device)
        );
        // A job that shared its 3 batches of 120 images with another job (its 90 images in
        // them); and one written before `batch_images` existed (read as 0: its own images).
        let shared = JobTelemetry {
            batch_images: 360,
            ..t
        };
        let mut older = serde_json::to_value(t).unwrap();
        older.as_object_mut().unwrap().remove("batch_images");
        let older: JobTelemetry = serde_json::from_value(older).unwrap();
        assert_eq!(older.batch_images, 0);
        let sum = JobTelemetry::total([&shared, &older]);
        assert_eq!((sum.batches, sum.images, sum.mean_batch), (6, 180, 75.0));
    }

    #[test]
    fn shards_partition_the_jobs() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for i in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.holds(i)).count(), 1);
        }
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            assert!(
                matches!(Shard::parse(bad), Err(ResultsError::Shard(ref t)) if t == bad),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_folder_of_another_configuration_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("r");
        let d = ResultsDir::open_or_create(&root, stamp("aaa")).unwrap();
        let job = &d.stamp().jobs[0].clone();
        d.save(&result(job, 0.3)).unwrap();
        let e = ResultsDir::open_or_create(&root, stamp("bbb")).unwrap_err();
        assert!(matches!(e, ResultsError::OtherConfiguration { .. }), "{e}");
        // Nothing lost: the first configuration still finds its job.
        let d = ResultsDir::open_or_create(&root, stamp("aaa")).unwrap();
        assert_eq!(d.finished(job).unwrap().mean_score, 0.3);
        // A non-empty folder without a stamp is not taken over either.
        let other = tmp.path().join("o");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("precious.txt"), "x").unwrap();
        assert!(matches!(
            ResultsDir::open_or_create(&other, stamp("aaa")),
            Err(ResultsError::NoStamp { .. })
        ));
    }

    #[test]
    fn a_folder_with_fnv_fingerprints_is_refused_for_resuming_and_reading() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("old");
        let mut old = stamp("5abd219489715003");
        old.format = FNV_RESULTS_FORMAT.into();
        std::fs::create_dir_all(&root).unwrap();
        let text = serde_json::to_string_pretty(&old).unwrap();
        std::fs::write(root.join(STAMP), &text).unwrap();
        for e in [
            ResultsDir::open_or_create(&root, stamp("aaa")).unwrap_err(),
            ResultsDir::open(&root).unwrap_err(),
        ] {
            assert!(matches!(e, ResultsError::FnvFingerprints { .. }), "{e}");
            let message = e.to_string();
            assert!(
                message.contains("old") && message.contains("FNV-1a") && message.contains("rerun"),
                "{message}"
            );
        }
        // Nothing changed.
        assert_eq!(std::fs::read_to_string(root.join(STAMP)).unwrap(), text);
    }

    #[test]
    fn a_corrupt_job_file_counts_as_unfinished() {
        let tmp = tempfile::tempdir().unwrap();
        let d = ResultsDir::open_or_create(tmp.path(), stamp("aaa")).unwrap();
        let job = d.stamp().jobs[1].clone();
        std::fs::create_dir_all(d.job_path(&job).parent().unwrap()).unwrap();
        std::fs::write(d.job_path(&job), "{ half a fi").unwrap();
        assert!(d.finished(&job).is_none());
    }

    #[test]
    fn merging_shards_joins_their_jobs_and_refuses_conflicts() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let da = ResultsDir::open_or_create(&a, stamp("h")).unwrap();
        let db = ResultsDir::open_or_create(&b, stamp("h")).unwrap();
        let jobs = da.stamp().jobs.clone();
        da.save(&result(&jobs[0], 0.1)).unwrap();
        db.save(&result(&jobs[1], 0.2)).unwrap();
        db.save(&result(&jobs[0], 0.1)).unwrap(); // the same job, the same result: fine
        let m = ResultsDir::merge(&tmp.path().join("m"), &[a.clone(), b.clone()]).unwrap();
        assert_eq!(m.results().len(), 2);
        db.save(&result(&jobs[0], 0.9)).unwrap();
        let e = ResultsDir::merge(&tmp.path().join("m2"), &[a, b.clone()]).unwrap_err();
        assert!(matches!(e, ResultsError::Conflict { .. }), "{e}");
        let c = tmp.path().join("c");
        ResultsDir::open_or_create(&c, stamp("other")).unwrap();
        let e = ResultsDir::merge(&tmp.path().join("m3"), &[b, c]).unwrap_err();
        assert!(matches!(e, ResultsError::OtherConfiguration { .. }), "{e}");
    }
}
