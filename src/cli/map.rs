//! `semrob map MESH --model NAME --label K`: network semantic maps (SPEC §4).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use semrob::report::maps::{write_curves, write_network_map, MapFiles};
use semrob::semantic::{map_point_count, Grid};

use super::network::{axes, load_function, progress, BatchArgs, SceneArgs, ScriptArgs};

#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    scene: SceneArgs,
    /// Networks (comma-separated or repeated), each a built-in name, `torchscript:PATH` or
    /// `onnx:PATH`:
    /// one map each; several 1-D maps also go on one plot (the paper's Figure 1).
    #[arg(long = "model", value_delimiter = ',', required = true)]
    models: Vec<String>,
    #[command(flatten)]
    script: ScriptArgs,
    /// Weights files, one per model in the same order (default: each model's default weights).
    #[arg(long = "weights", value_delimiter = ',')]
    weights: Vec<PathBuf>,
    /// The map's axes `NAME:LO:HI:STEP,...` from azimuth, elevation, distance,
    /// light-azimuth, light-elevation (a configuration's `map_axes`; default: the paper's
    /// azimuth:0:360:3,elevation:-10:90:3).
    #[arg(
        long,
        value_name = "NAME:LO:HI:STEP,...",
        alias = "axes",
        allow_hyphen_values = true
    )]
    map_axes: Option<String>,
    #[command(flatten)]
    batch: BatchArgs,
    /// Output folder: `<mesh>-<model>.json` (semrob.grid/1) and `.png` per model, and
    /// `<mesh>-1d.png` with every 1-D map.
    #[arg(long, default_value = "maps")]
    out_dir: PathBuf,
    /// Print a JSON summary (files written, mean scores, top-1 rates) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: MapArgs) -> anyhow::Result<()> {
    let specs = axes(args.map_axes.as_deref())?;
    // Counted before any network loads or any sample is allocated.
    let total = map_point_count(&specs).context("--map-axes")?;
    if !args.weights.is_empty() && args.weights.len() != args.models.len() {
        anyhow::bail!(
            "{} --weights for {} --model: give one per model or none",
            args.weights.len(),
            args.models.len()
        );
    }
    let models = args.script.models(&args.models)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let stem = args.scene.mesh.stem();
    let what = format!("p(label {}) on {}", args.scene.label, args.scene.mesh);
    let files = MapFiles {
        out_dir: &args.out_dir,
        stem: &stem,
        what: &what,
    };
    let mut summary = Vec::new();
    let mut maps = Vec::new();
    for (i, model) in models.iter().enumerate() {
        let params = specs.iter().map(|s| s.param).collect();
        let loaded = load_function(&args.scene, model, args.weights.get(i), params)?;
        let model = model.name();
        let bar = progress(total as u64, model);
        let (line, grid) =
            write_network_map(loaded, model, &specs, args.batch.batch, &files, &mut |d| {
                bar.set_position(d as u64)
            })?;
        bar.finish_and_clear();
        if !args.json {
            println!("{line}");
        }
        summary.push(line);
        maps.push((model, grid));
    }
    let path = args.out_dir.join(format!("{stem}-1d.png"));
    let named: Vec<(&str, &Grid)> = maps.iter().map(|(m, g)| (*m, g)).collect();
    if write_curves(&path, &what, &named)? && !args.json {
        println!("all networks → {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}
