//! `semrob srvr [CONFIG]` (runs networks, `bench`) and `semrob srvr grids DIR`: SRVR per
//! network and class from tabulated semantic maps.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};
use semrob::analysis::map_folder::{read_map_folder, MapSearch, MapSearchError};
use semrob::analysis::srvr::AcceptBy;
use semrob::analysis::srvr_report::SrvrReport;

use super::common::{FormatArgs, GoldenArgs, SearchArgs};

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
    #[command(flatten)]
    format: FormatArgs,
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
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    golden: GoldenArgs,
}

pub fn run(args: SrvrArgs) -> anyhow::Result<()> {
    match args.grids {
        Some(SrvrCommand::Grids(grids)) => from_grids(grids),
        #[cfg(feature = "torch")]
        None => super::bench::run(args.config.as_deref(), &args.bench, args.format.format()),
        #[cfg(not(feature = "torch"))]
        None => {
            let _ = (args.config, args.format);
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
    let folder = read_map_folder(&args.dir)?;
    let search = MapSearch {
        accept_by: args.accept_by.clone(),
        threshold: min_mean_score,
        domain: args.search.domain.clone(),
        starts: args.search.starts(),
        methods: args.search.method.methods(),
        hyper: args.search.hyper.params(),
    };
    let report =
        SrvrReport::from_grids(&folder.name, &folder.maps, &search).map_err(|e| match e {
            MapSearchError::Acceptance(e) => anyhow::Error::new(e).context("--accept-by"),
            e => e.into(),
        })?;
    print!("{}", args.format.format().exporter().export(&report)?);
    args.golden.check(
        &report,
        "compare: semrob srvr grids DIR --golden FILE (same options); regenerate: add --bless",
    )
}
