//! `semrob dsm GRID...`: the data semantic map, the mean of several maps (SPEC §4).

use std::path::PathBuf;

use clap::Args;
use semrob::analysis::maps::map::mean_map;
use semrob::report::maps::write_map;
use semrob::semantic::Grid;

#[derive(Debug, Args)]
pub struct DsmArgs {
    /// Maps on the same grid (`semrob.grid/1`).
    #[arg(value_name = "GRID", required = true)]
    grids: Vec<PathBuf>,
    /// The mean map (semrob.grid/1).
    #[arg(long, default_value = "dsm.json")]
    out: PathBuf,
    /// Its heatmap (2-D) or line plot (1-D).
    #[arg(long, default_value = "dsm.png")]
    png: PathBuf,
    /// Print a JSON summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DsmArgs) -> anyhow::Result<()> {
    let grids = args
        .grids
        .iter()
        .map(|p| Grid::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let dsm = mean_map(&grids)?;
    let title = format!("data semantic map (mean of {} maps)", grids.len());
    let png = write_map(&dsm, &args.out, &args.png, &title)?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"maps": grids.len(), "mean_score": dsm.mean(), "grid": args.out, "png": png})
        );
    } else {
        println!(
            "DSM of {} maps: mean score {:.4} → {}",
            grids.len(),
            dsm.mean(),
            args.out.display()
        );
    }
    Ok(())
}
