//! `semrob render`: draw a mesh at one view, or a contact sheet of several, into a PNG.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use semrob::analysis::network_function::inputs::MeshSource;
use semrob::render::{
    AnglePairs, Direction, Numbers, RenderOptions, Renderer, View, DEFAULT_DISTANCE,
};

#[derive(Args)]
#[command(after_help = "\
MESH is an OBJ file, or `fixture:NAME` for a procedural mesh built by semrob \
(NAME one of: vase, bottle, wine-bottle, bowl, mug, teapot, bucket, goblet, lampshade, barrel).

Several views go on one contact sheet: either `--views 0:30,90:30,180:30` (azimuth:elevation \
pairs, one tile each, `--columns` per row), or a grid with `--azimuths 0,90,180,270 \
--elevations 10,40` (one row per elevation). Angles are in degrees.

Conventions (SPEC §6, the Neural Mesh Renderer's): camera looking at the origin from \
distance 2.732, 30° half view angle, white material, ambient 0.5 + directional 0.5 light from \
+y, black background, 2× supersampling.")]
pub struct RenderArgs {
    /// OBJ file, or `fixture:NAME` (see below).
    mesh: MeshSource,
    /// Camera azimuth in degrees (single view).
    #[arg(
        long,
        short = 'a',
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    azimuth: f64,
    /// Camera elevation in degrees (single view).
    #[arg(
        long,
        short = 'e',
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    elevation: f64,
    /// Several views `a:e,a:e,...` drawn on one contact sheet.
    #[arg(long, conflicts_with_all = ["azimuths", "elevations"], allow_hyphen_values = true)]
    views: Option<AnglePairs>,
    /// Grid of views: azimuths (comma-separated), one column each.
    #[arg(long, requires = "elevations", allow_hyphen_values = true)]
    azimuths: Option<Numbers>,
    /// Grid of views: elevations (comma-separated), one row each.
    #[arg(long, requires = "azimuths", allow_hyphen_values = true)]
    elevations: Option<Numbers>,
    /// Tiles per row of a `--views` sheet.
    #[arg(long, default_value_t = 4)]
    columns: usize,
    /// Image side in pixels (299 for InceptionV3).
    #[arg(long, default_value_t = 224)]
    size: u32,
    /// Supersampling factor (1 turns anti-aliasing off).
    #[arg(long, default_value_t = 2)]
    supersampling: u32,
    /// Camera distance from the origin.
    #[arg(long, default_value_t = DEFAULT_DISTANCE, allow_negative_numbers = true)]
    distance: f64,
    /// Direction towards the light, world space, `x,y,z`.
    #[arg(long, default_value = "0,1,0", allow_hyphen_values = true)]
    light: Direction,
    /// Ambient light intensity.
    #[arg(long, default_value_t = 0.5)]
    ambient: f64,
    /// Directional light intensity.
    #[arg(long, default_value_t = 0.5)]
    directional: f64,
    /// Output PNG file.
    #[arg(long, short = 'o', default_value = "render.png")]
    out: PathBuf,
}

pub fn run(args: RenderArgs) -> anyhow::Result<()> {
    let mesh = args.mesh.load()?;
    let base = View::new(args.azimuth, args.elevation)
        .with_distance(args.distance)
        .with_light_direction(args.light.0)
        .with_light_intensities(args.ambient, args.directional);
    let (angles, columns) = match (args.views, &args.azimuths, &args.elevations) {
        (Some(pairs), _, _) => (pairs, args.columns),
        (None, Some(az), Some(el)) => (AnglePairs::grid(&az.0, &el.0), az.0.len()),
        _ => (AnglePairs(vec![(args.azimuth, args.elevation)]), 1),
    };
    let views = angles.views(base);
    let renderer = Renderer::new(RenderOptions {
        size: args.size,
        supersampling: args.supersampling,
    })?;
    let batch = renderer
        .render_batch(&mesh, &views)
        .with_context(|| format!("rendering {}", args.mesh))?;
    if views.len() == 1 {
        batch.save_png(0, &args.out)?;
    } else {
        let sheet = batch.contact_sheet(columns, 2)?;
        sheet
            .save(&args.out)
            .with_context(|| format!("{}: cannot write PNG", args.out.display()))?;
    }
    eprintln!(
        "semrob: {} ({} faces) → {} ({} view{})",
        args.mesh,
        mesh.faces().len(),
        args.out.display(),
        views.len(),
        if views.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
