//! `semrob srvr --grids DIR`: SRVR per network and class from tabulated semantic maps.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;
use rayon::prelude::*;
use semrob::analysis::regions::{default_starts, run_all};
use semrob::analysis::srvr::{
    aggregate, default_reference, AcceptBy, Acceptance, RegionRecord, RejectedShape, ShapeScore,
};
use semrob::region::{Region, RegionSearch};
use semrob::semantic::Grid;

use super::common::{parse_domain, parse_point, HyperArgs, MethodChoice};

#[derive(Debug, Args)]
pub struct SrvrArgs {
    /// The benchmark configuration (TOML, see configs/); without it and without `--grids`,
    /// the embedded quick profile (EfficientNet-Lite0/1/2 on procedural fixtures).
    #[arg(value_name = "CONFIG", conflicts_with = "grids")]
    config: Option<PathBuf>,
    #[cfg(feature = "torch")]
    #[command(flatten)]
    bench: super::bench::BenchArgs,
    /// A folder of maps laid out as `<network>/<class>/<shape>.json` (`semrob.grid/1`).
    #[arg(long, value_name = "DIR")]
    grids: Option<PathBuf>,
    /// Which methods enter the mean (the paper: all three).
    #[arg(long, value_enum, default_value = "all")]
    method: MethodChoice,
    /// Initial points `X,Y,...` (repeatable); default as for `semrob regions`.
    #[arg(long, value_name = "X,Y,...", allow_hyphen_values = true)]
    init: Vec<String>,
    /// The domain Ω as `LO:HI,LO:HI,...` for every map (default: each map's span).
    #[arg(long, value_name = "LO:HI,...", allow_hyphen_values = true)]
    domain: Option<String>,
    #[command(flatten)]
    hyper: HyperArgs,
    /// Acceptance rule (SPEC §7), which network's mean map score decides which shapes count.
    /// Default: the paper's rule, with ResNet50 as the reference when it is among the
    /// networks (folder names, any spelling such as resnet50 or ResNet-50), else the first
    /// network in name order: it chooses the shapes once, and every network is scored on
    /// exactly those. NETWORK: that network decides. `each`: every network keeps the shapes it
    /// scores on itself (not the paper's rule: it inflates weak networks). `none`: all shapes.
    #[arg(long, value_name = "NETWORK|each|none")]
    accept_by: Option<AcceptBy>,
    /// The acceptance threshold on the mean map score [default: 0.1, as in the paper].
    #[arg(long, value_name = "SCORE")]
    min_mean_score: Option<f64>,
    /// Print JSON instead of a markdown table.
    #[arg(long)]
    json: bool,
}

/// One map of the folder: (network, class, shape, path).
struct MapFile {
    network: String,
    class: String,
    shape: String,
    path: PathBuf,
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<std::fs::DirEntry>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read folder {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    Ok(entries)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every `<network>/<class>/<shape>.json` under `root`, in name order.
fn find_maps(root: &Path) -> anyhow::Result<Vec<MapFile>> {
    let mut maps = Vec::new();
    for net in sorted_entries(root)? {
        if !net.path().is_dir() {
            continue;
        }
        for class in sorted_entries(&net.path())? {
            if !class.path().is_dir() {
                continue;
            }
            for shape in sorted_entries(&class.path())? {
                let path = shape.path();
                if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                    maps.push(MapFile {
                        network: name_of(&net.path()),
                        class: name_of(&class.path()),
                        shape: path
                            .file_stem()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        path,
                    });
                }
            }
        }
    }
    if maps.is_empty() {
        bail!(
            "{}: no maps found (expected <network>/<class>/<shape>.json)",
            root.display()
        );
    }
    Ok(maps)
}

enum Outcome {
    Accepted(Vec<RegionRecord>),
    Rejected(RejectedShape),
}

pub fn run(args: SrvrArgs) -> anyhow::Result<()> {
    let Some(grids) = &args.grids else {
        // The map-folder options would be silently ignored by a configuration run.
        let grid_only = args.method != MethodChoice::All
            || !args.init.is_empty()
            || args.domain.is_some()
            || args.hyper.params() != semrob::region::HyperParams::default()
            || args.min_mean_score.is_some()
            || args.accept_by.is_some();
        if grid_only {
            bail!(
                "--method, --init, --domain, the hyper-parameter options, --accept-by and \
                 --min-mean-score belong to `--grids DIR`; a configuration run takes them from \
                 its TOML file"
            );
        }
        #[cfg(feature = "torch")]
        return super::bench::run(args.config.as_deref(), &args.bench, args.json);
        #[cfg(not(feature = "torch"))]
        bail!("running networks needs the `torch` feature; without it only `--grids DIR` works");
    };
    let min_mean_score = args.min_mean_score.unwrap_or(0.1);
    if !(0.0..=1.0).contains(&min_mean_score) {
        bail!("--min-mean-score {min_mean_score} is not in [0, 1]");
    }
    let maps = find_maps(grids)?;
    let domain_override = args.domain.as_deref().map(parse_domain).transpose()?;
    let starts: Option<Vec<Vec<f64>>> = if args.init.is_empty() {
        None
    } else {
        Some(
            args.init
                .iter()
                .map(|s| parse_point(s))
                .collect::<anyhow::Result<_>>()?,
        )
    };
    let methods = args.method.methods();
    let hyper = args.hyper.params();
    // Read and check every map before running anything: a bad file stops the run at once.
    let grids: Vec<Grid> = maps
        .iter()
        .map(|m| Grid::read(&m.path))
        .collect::<Result<_, _>>()?;
    let scores: Vec<ShapeScore> = maps
        .iter()
        .zip(&grids)
        .map(|(m, g)| ShapeScore {
            network: m.network.clone(),
            class: m.class.clone(),
            shape: m.shape.clone(),
            mean_score: g.mean(),
        })
        .collect();
    let mut networks: Vec<String> = maps.iter().map(|m| m.network.clone()).collect();
    networks.dedup();
    let accept_by = match &args.accept_by {
        Some(by) => by.clone(),
        None => AcceptBy::Network(default_reference(&networks).expect("at least one map")),
    };
    Acceptance::check_network(&accept_by, &networks).context("--accept-by")?;
    let acceptance = Acceptance::new(accept_by, min_mean_score, &scores)?;
    let outcomes: Vec<Outcome> = maps
        .par_iter()
        .zip(grids.par_iter())
        .zip(scores.par_iter())
        .map(|((m, grid), score)| -> anyhow::Result<Outcome> {
            if !acceptance.keeps(score) {
                return Ok(Outcome::Rejected(RejectedShape {
                    network: m.network.clone(),
                    class: m.class.clone(),
                    shape: m.shape.clone(),
                    mean_score: score.mean_score,
                }));
            }
            let domain = match &domain_override {
                Some(d) => d.clone(),
                None => {
                    let (lower, upper) = grid.domain();
                    Region::new(lower, upper)?
                }
            };
            let starts = starts.clone().unwrap_or_else(|| default_starts(&domain));
            let search = RegionSearch::new(methods.clone(), starts, hyper);
            let (runs, _) = run_all(grid, &domain, &search, &mut [])
                .with_context(|| format!("{}", m.path.display()))?;
            Ok(Outcome::Accepted(
                runs.into_iter()
                    .map(|r| RegionRecord {
                        network: m.network.clone(),
                        class: m.class.clone(),
                        shape: m.shape.clone(),
                        method: r.method.to_string(),
                        init: r.init,
                        volume_ratio: r.volume_ratio,
                    })
                    .collect(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Accepted(r) => records.extend(r),
            Outcome::Rejected(r) => rejected.push(r),
        }
    }
    let mut report = aggregate(&records, &rejected);
    report.set_own_pass(&scores, min_mean_score);
    report.acceptance = Some(acceptance.summary());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_markdown());
    }
    Ok(())
}
