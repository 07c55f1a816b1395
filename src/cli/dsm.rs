//! `semrob dsm GRID...`: the data semantic map, the mean of several maps (SPEC §4).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use semrob::analysis::map::mean_map;
use semrob::files::write_atomic;
use semrob::report::plot::{map_png, Marks};
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
    dsm.write(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut png = None;
    if dsm.axes().len() <= 2 {
        let bytes = map_png(
            &dsm,
            &format!("data semantic map (mean of {} maps)", grids.len()),
            &Marks::default(),
        )?;
        write_atomic(&args.png, &bytes)
            .with_context(|| format!("cannot write {}", args.png.display()))?;
        png = Some(&args.png);
    }
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
