//! `semrob regions grid|oracle|mesh`: robust (or adversarial) regions on a tabulated map, an
//! analytic oracle or a mesh under a network.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use semrob::analysis::region_runs::RegionsReport;
use semrob::region::{Goal, Region, RegionSearch};
use semrob::report::maps::write_regions_plot;
use semrob::semantic::oracle::OracleFunction;
use semrob::semantic::{Grid, SemanticFunction};

use super::common::{OutputArgs, SearchArgs};

#[derive(Debug, Args)]
pub struct RegionsArgs {
    #[command(subcommand)]
    source: Source,
}

/// What the regions grow on.
#[derive(Debug, Subcommand)]
enum Source {
    /// On a tabulated semantic map (`semrob.grid/1` JSON, from `semrob map`).
    Grid(GridArgs),
    /// On an analytic oracle (`semrob regions oracle list` lists them).
    Oracle(OracleArgs),
    /// On a mesh under a network: f(u) = the softmax score of `--label`, rendering and
    /// classifying every corner of every step.
    #[cfg(feature = "torch")]
    Mesh(Box<super::mesh_regions::MeshArgs>),
}

#[derive(Debug, Args)]
struct GridArgs {
    /// The map.
    #[arg(value_name = "FILE")]
    path: PathBuf,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Draw the map with the regions found over it (PNG; 2-D maps).
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct OracleArgs {
    /// The oracle's name, or `list`.
    #[arg(value_name = "NAME")]
    name: String,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(args: RegionsArgs) -> anyhow::Result<()> {
    match args.source {
        Source::Grid(a) => grid(a),
        Source::Oracle(a) => oracle(a),
        #[cfg(feature = "torch")]
        Source::Mesh(a) => super::mesh_regions::run(*a),
    }
}

fn grid(args: GridArgs) -> anyhow::Result<()> {
    let path = &args.path;
    let grid = Grid::read(path)?;
    if args.plot.is_some() && grid.axes().len() != 2 {
        bail!(
            "--plot draws regions over 2-D maps; {} has {} axes",
            path.display(),
            grid.axes().len()
        );
    }
    let (lower, upper) = grid.domain();
    let span = Region::new(lower, upper)
        .with_context(|| format!("{}: the grid's span is not a box", path.display()))?;
    let report = regions(&grid, span, &args.search, &args.output)?;
    if let Some(png) = &args.plot {
        let kind = Goal::from_adversarial(args.output.adversarial);
        write_regions_plot(png, &grid, &report.runs, &format!("{kind} regions"))?;
    }
    args.output.emit(&report)
}

fn oracle(args: OracleArgs) -> anyhow::Result<()> {
    let name = &args.name;
    if name == "list" {
        for o in semrob_oracles::examples() {
            println!("{:<12} {}", o.name, o.description);
        }
        return Ok(());
    }
    let Some(o) = semrob_oracles::example(name) else {
        let names: Vec<&str> = semrob_oracles::examples().iter().map(|o| o.name).collect();
        bail!(
            "oracle {name:?} is unknown; known oracles: {}",
            names.join(", ")
        );
    };
    let domain = Region::new(o.domain_lower, o.domain_upper)?;
    let report = regions(
        &OracleFunction(o.oracle),
        domain,
        &args.search,
        &args.output,
    )?;
    args.output.emit(&report)
}

/// Every method from every start on `f`, in `--domain` or `default_domain`.
fn regions(
    f: &dyn SemanticFunction,
    default_domain: Region,
    search: &SearchArgs,
    output: &OutputArgs,
) -> anyhow::Result<RegionsReport> {
    let (domain, starts) = search.domain_and_starts(default_domain, f.dim())?;
    let plan = RegionSearch::new(search.method.methods(), starts, search.hyper.params())
        .with_goal(Goal::from_adversarial(output.adversarial))
        .with_trace(output.trace);
    Ok(RegionsReport::grow(f, &domain, &plan)?)
}
