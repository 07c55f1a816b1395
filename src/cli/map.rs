//! `semrob map MESH --model NAME --label K`: network semantic maps (SPEC §4).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use semrob::analysis::map::sample_map;
use semrob::files::write_atomic;
use semrob::report::plot::{line_plot_png, map_png, Marks, Series};
use semrob::semantic::map_point_count;

use super::network::{axes, load_function, progress, SceneArgs, ScriptArgs};

#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    scene: SceneArgs,
    /// Networks (comma-separated or repeated), each a built-in name or `torchscript:PATH`:
    /// one map each; several 1-D maps also go on one plot (the paper's Figure 1).
    #[arg(long = "model", value_delimiter = ',', required = true)]
    models: Vec<String>,
    #[command(flatten)]
    script: ScriptArgs,
    /// Weights files, one per model in the same order (default: each model's default weights).
    #[arg(long = "weights", value_delimiter = ',')]
    weights: Vec<PathBuf>,
    /// Axes `NAME:LO:HI:STEP,...` from azimuth, elevation, distance, light-azimuth,
    /// light-elevation (default: the paper's azimuth:0:360:3,elevation:-10:90:3).
    #[arg(long, allow_hyphen_values = true)]
    axes: Option<String>,
    /// The largest render and network batch (≥ 1); the next batch renders while the network
    /// scores the current one.
    #[arg(long, default_value_t = semrob::analysis::network_function::DEFAULT_BATCH)]
    batch: usize,
    /// Output folder: `<mesh>-<model>.json` (semrob.grid/1) and `.png` per model, and
    /// `<mesh>-1d.png` with every 1-D map.
    #[arg(long, default_value = "maps")]
    out_dir: PathBuf,
    /// Print a JSON summary (files written, mean scores) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: MapArgs) -> anyhow::Result<()> {
    let specs = axes(args.axes.as_deref())?;
    // Counted before any network loads or any sample is allocated.
    let total = map_point_count(&specs).context("--axes")?;
    if args.batch == 0 {
        anyhow::bail!("--batch 0: the largest network batch must be ≥ 1");
    }
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
    let mut summary = Vec::new();
    let mut curves = Vec::new();
    for (i, model) in models.iter().enumerate() {
        let loaded = load_function(
            &args.scene,
            model,
            args.weights.get(i),
            specs.iter().map(|s| s.param).collect(),
        )?;
        let model = model.name();
        let bar = progress(total as u64, model);
        let mut meta = loaded.meta.clone();
        meta["axes"] = serde_json::to_value(&specs)?;
        let f = loaded.function.with_batch(args.batch)?;
        // Several network batches per call, so that renders overlap the network; the bar
        // moves once per call.
        let grid = sample_map(&f, &specs, args.batch * 8, meta, &mut |d| {
            bar.set_position(d as u64)
        })?;
        bar.finish_and_clear();
        let json_path = args.out_dir.join(format!("{stem}-{model}.json"));
        let png_path = args.out_dir.join(format!("{stem}-{model}.png"));
        grid.write(&json_path)
            .with_context(|| format!("cannot write {}", json_path.display()))?;
        let mut png_written = None;
        if grid.axes().len() <= 2 {
            let title = format!(
                "{model}: p(label {}) on {}",
                args.scene.label, args.scene.mesh
            );
            let png = map_png(&grid, &title, &Marks::default())?;
            write_atomic(&png_path, &png)
                .with_context(|| format!("cannot write {}", png_path.display()))?;
            png_written = Some(png_path.clone());
        }
        if grid.axes().len() == 1 {
            curves.push(Series {
                name: model.to_string(),
                points: grid.axes()[0]
                    .values
                    .iter()
                    .copied()
                    .zip(grid.values().iter().copied())
                    .collect(),
            });
        }
        summary.push(serde_json::json!({
            "model": model,
            "grid": json_path,
            "png": png_written,
            "points": total,
            "mean_score": grid.mean(),
        }));
        if !args.json {
            println!(
                "{model}: {total} points, mean score {:.4} → {}",
                grid.mean(),
                json_path.display()
            );
        }
    }
    if curves.len() > 1 {
        let path = args.out_dir.join(format!("{stem}-1d.png"));
        let axis = &specs[0];
        let png = line_plot_png(
            &format!("p(label {}) on {}", args.scene.label, args.scene.mesh),
            &format!("{} ({})", axis.param, axis.param.unit()),
            "softmax score",
            &curves,
            Some((0.0, 1.0)),
        )?;
        write_atomic(&path, &png).with_context(|| format!("cannot write {}", path.display()))?;
        if !args.json {
            println!("all networks → {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}
