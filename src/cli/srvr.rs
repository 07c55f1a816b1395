//! `semrob srvr [CONFIG]` (runs networks, `bench`) and `semrob srvr grids DIR`: SRVR per
//! network and class from tabulated semantic maps.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use rayon::prelude::*;
use semrob::analysis::regions::{default_starts, run_all};
use semrob::analysis::srvr::{
    aggregate, default_reference, AcceptBy, Acceptance, RegionRecord, RejectedShape, ShapeScore,
};
use semrob::region::{Region, RegionSearch};
use semrob::semantic::Grid;

use super::common::SearchArgs;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SrvrArgs {
    #[command(subcommand)]
    grids: Option<SrvrCommand>,
    /// The benchmark configuration (TOML, see configs/); without it, the embedded quick
    /// profile (EfficientNet-Lite0/1/2 on procedural fixtures).
    #[arg(value_name = "CONFIG")]
    config: Option<PathBuf>,
    #[cfg(feature = "torch")]
    #[command(flatten)]
    bench: super::bench::BenchArgs,
    /// Print JSON instead of a markdown table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum SrvrCommand {
    /// SRVR per network and class from a folder of maps (no network is run).
    Grids(GridsArgs),
}

#[derive(Debug, Args)]
struct GridsArgs {
    /// A folder of maps laid out as `<network>/<class>/<shape>.json` (`semrob.grid/1`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    search: SearchArgs,
    /// Acceptance rule (SPEC §7), which network's mean map score decides which shapes count.
    /// Default: the paper's rule, with ResNet50 as the reference when it is among the
    /// networks (folder names, any spelling such as resnet50 or ResNet-50), else the first
    /// network in name order: it chooses the shapes once, and every network is scored on
    /// exactly those. NETWORK: that network decides. `each`: every network keeps the shapes it
    /// scores on itself (not the paper's rule: it inflates weak networks). `none`: all shapes.
    #[arg(long, value_name = "NETWORK|each|none")]
    accept_by: Option<AcceptBy>,
    /// The acceptance threshold on the mean map score.
    #[arg(long, value_name = "SCORE", default_value_t = 0.1)]
    min_mean_score: f64,
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
    match args.grids {
        Some(SrvrCommand::Grids(grids)) => from_grids(grids),
        #[cfg(feature = "torch")]
        None => super::bench::run(args.config.as_deref(), &args.bench, args.json),
        #[cfg(not(feature = "torch"))]
        None => {
            let _ = (args.config, args.json);
            bail!("running networks needs the `torch` feature; without it only `srvr grids DIR` works")
        }
    }
}

/// `semrob srvr grids DIR`.
fn from_grids(args: GridsArgs) -> anyhow::Result<()> {
    let min_mean_score = args.min_mean_score;
    if !(0.0..=1.0).contains(&min_mean_score) {
        bail!("--min-mean-score {min_mean_score} is not in [0, 1]");
    }
    let grids = &args.dir;
    let maps = find_maps(grids)?;
    let domain_override = args.search.domain.clone();
    let starts = args.search.starts();
    let methods = args.search.method.methods();
    let hyper = args.search.hyper.params();
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
