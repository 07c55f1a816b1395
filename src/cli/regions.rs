//! `semrob regions`: robust (or adversarial) regions on a tabulated map or an oracle.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use semrob::analysis::regions::{run_all, RunSummary};
use semrob::region::{Goal, Region, RegionSearch};
use semrob::report::plot::map_png;
use semrob::report::write_atomic;
use semrob::semantic::oracle::OracleFunction;
use semrob::semantic::{Grid, SemanticFunction};
use serde::Serialize;

use super::common::{domain_and_starts, region_overlays, HyperArgs, MethodChoice};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["grid", "oracle", "mesh"])))]
pub struct RegionsArgs {
    /// A mesh (OBJ file or `fixture:NAME`): regions on the real function f(u) = softmax
    /// score of `--label` under `--model` (needs the `torch` feature).
    #[arg(value_name = "MESH")]
    mesh: Option<String>,
    #[cfg(feature = "torch")]
    #[command(flatten)]
    pub(super) net: super::mesh_regions::NetRegionArgs,
    /// A tabulated semantic map (`semrob.grid/1` JSON).
    #[arg(long, value_name = "FILE")]
    grid: Option<PathBuf>,
    /// An analytic oracle instead of a map (`--oracle list` lists them).
    #[arg(long, value_name = "NAME")]
    oracle: Option<String>,
    /// Which method to run.
    #[arg(long, value_enum, default_value = "all")]
    pub(super) method: MethodChoice,
    /// Initial points `X,Y,...` (repeatable). Default: the paper's four starts (130,30),
    /// (50,20), (200,15), (310,50) (azimuth only in 1-D) when the domain holds them, else the
    /// domain's centre.
    #[arg(long, value_name = "X,Y,...", allow_hyphen_values = true)]
    pub(super) init: Vec<String>,
    /// The domain Ω as `LO:HI,LO:HI,...` (default: the grid's span, one period on periodic
    /// axes; the oracle's own domain).
    #[arg(long, value_name = "LO:HI,...", allow_hyphen_values = true)]
    pub(super) domain: Option<String>,
    #[command(flatten)]
    pub(super) hyper: HyperArgs,
    /// Adversarial regions: run the methods on 1 − f.
    #[arg(long)]
    pub(super) adversarial: bool,
    /// Include the bounds and loss of every step in the output.
    #[arg(long)]
    pub(super) trace: bool,
    /// Also write the JSON to this file (atomically).
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// Draw the map with the regions found over it (PNG; 2-D maps; with `--grid`, or with
    /// a mesh and `--map`).
    #[arg(long, value_name = "FILE.png")]
    pub(super) plot: Option<PathBuf>,
}

#[derive(Serialize)]
pub(super) struct DomainJson {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

#[derive(Serialize)]
pub(super) struct RegionsJson {
    domain: DomainJson,
    adversarial: bool,
    runs: Vec<RunSummary>,
}

pub fn run(args: RegionsArgs) -> anyhow::Result<()> {
    if let Some(mesh) = &args.mesh {
        #[cfg(feature = "torch")]
        return super::mesh_regions::run(mesh, &args);
        #[cfg(not(feature = "torch"))]
        bail!("regions on a mesh ({mesh}) need the `torch` feature");
    }
    if args.plot.is_some() && args.grid.is_none() {
        bail!("--plot draws over a map: give --grid (or a mesh with --map)");
    }
    let mut map: Option<Grid> = None;
    let (function, default_domain): (Box<dyn SemanticFunction>, Region) =
        match (&args.grid, &args.oracle) {
            (Some(path), _) => {
                let grid = Grid::read(path)?;
                if args.plot.is_some() && grid.axes().len() != 2 {
                    bail!(
                        "--plot draws regions over 2-D maps; {} has {} axes",
                        path.display(),
                        grid.axes().len()
                    );
                }
                map = Some(grid.clone());
                let (lower, upper) = grid.domain();
                let domain = Region::new(lower, upper)
                    .with_context(|| format!("{}: the grid's span is not a box", path.display()))?;
                (Box::new(grid), domain)
            }
            (None, Some(name)) if name == "list" => {
                for o in semrob_oracles::examples() {
                    println!("{:<12} {}", o.name, o.description);
                }
                return Ok(());
            }
            (None, Some(name)) => {
                let Some(o) = semrob_oracles::example(name) else {
                    let names: Vec<&str> =
                        semrob_oracles::examples().iter().map(|o| o.name).collect();
                    bail!(
                        "--oracle {name:?} is unknown; known oracles: {}",
                        names.join(", ")
                    );
                };
                let domain = Region::new(o.domain_lower, o.domain_upper)?;
                (Box::new(OracleFunction(o.oracle)), domain)
            }
            (None, None) => unreachable!("clap requires --grid, --oracle or a mesh"),
        };
    let (domain, starts) = domain_and_starts(
        args.domain.as_deref(),
        default_domain,
        function.dim(),
        &args.init,
    )?;
    let search = RegionSearch::new(args.method.methods(), starts, args.hyper.params())
        .with_goal(Goal::from_adversarial(args.adversarial))
        .with_trace(args.trace);
    let (runs, _) = run_all(function.as_ref(), &domain, &search, &mut [])?;
    let report = RegionsJson {
        domain: DomainJson {
            lower: domain.lower().iter().copied().collect(),
            upper: domain.upper().iter().copied().collect(),
        },
        adversarial: args.adversarial,
        runs,
    };
    if let (Some(path), Some(grid)) = (&args.plot, &map) {
        let overlays = region_overlays(&report.runs);
        let kind = if args.adversarial {
            "adversarial"
        } else {
            "robust"
        };
        let png = map_png(grid, &format!("{kind} regions"), &overlays)?;
        write_atomic(path, &png).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let text = serde_json::to_string_pretty(&report)? + "\n";
    if let Some(path) = &args.out {
        write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print!("{text}");
    Ok(())
}
