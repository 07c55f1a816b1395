//! `semrob regions mesh MESH --model NAME --label K`: regions on the real function (SPEC §1–3).

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use semrob::analysis::benchmark::CertifyConfig;
use semrob::analysis::certificates::{certify_jobs, Certification, CertifyJob};
use semrob::analysis::network_function::inputs::Fingerprint;
use semrob::analysis::network_function::ClassifierFunction;
use semrob::analysis::region_runs::{
    inside_lattice, largest_region, run_all, DomainJson, RegionsReport, RunSummary,
};
use semrob::files::write_file;
use semrob::region::{Goal, Region, RegionSearch};
use semrob::report::maps::write_regions_plot;
use semrob::report::runs::bounds_png;
use semrob::semantic::finite_difference::FiniteDifference;
use semrob::semantic::{Grid, SemanticParam};

use super::common::{OutputArgs, SearchArgs};
use super::network::{axes, load_function, BatchArgs, SceneArgs, ScriptArgs, StepProgress};

/// `semrob regions mesh MESH --model NAME --label K`.
#[derive(Debug, Args)]
pub struct MeshArgs {
    #[command(flatten)]
    scene: SceneArgs,
    /// The network: a built-in name, `torchscript:PATH` or `onnx:PATH`.
    #[arg(long)]
    model: String,
    #[command(flatten)]
    script: ScriptArgs,
    /// Its weights file (default: the model's default weights).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// The search space `NAME[:LO:HI],...` (a configuration's `axes`; default: the paper's
    /// azimuth × elevation); its domain is Ω unless `--domain` is given.
    #[arg(
        long,
        value_name = "NAME[:LO:HI],...",
        alias = "axes",
        allow_hyphen_values = true
    )]
    search_axes: Option<String>,
    /// Central finite-difference step for OIR_W's gradients, in each axis' unit (default
    /// 0.5° for angles, 0.01 for distance).
    #[arg(long)]
    fd_step: Option<f64>,
    #[command(flatten)]
    batch: BatchArgs,
    /// A map of this function (from `semrob map`) to draw the regions over with `--plot`.
    #[arg(long, value_name = "GRID")]
    map: Option<PathBuf>,
    /// Plot every run's bounds over the iterations (PNG).
    #[arg(long, value_name = "FILE.png")]
    trace_plot: Option<PathBuf>,
    /// A contact sheet of 4 × 4 renders from inside the largest region found (PNG).
    #[arg(long, value_name = "FILE.png")]
    contact_sheet: Option<PathBuf>,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Draw the regions over the map given with `--map` (PNG; 2-D).
    #[arg(long, value_name = "FILE.png", requires = "map")]
    plot: Option<PathBuf>,
    /// Certify every region on the network with fresh samples (SPEC §8): each run gets its
    /// certificate in the JSON. `--clean` needs `--map`.
    #[arg(long)]
    certify: bool,
    #[command(flatten)]
    certify_settings: CertifyConfig,
    /// With `--certify`: write each certificate's witness render (`witness-<seed>.png`)
    /// into this folder.
    #[arg(long, value_name = "DIR", requires = "certify")]
    witnesses: Option<PathBuf>,
}

/// The score threshold of certificates without `--threshold`: the acceptance threshold's
/// default (SPEC §7).
const DEFAULT_THRESHOLD: f64 = 0.1;

pub fn run(args: MeshArgs) -> anyhow::Result<()> {
    let model = &args.script.model(&args.model)?;
    let specs = axes(args.search_axes.as_deref())?;
    let params: Vec<SemanticParam> = specs.iter().map(|s| s.param).collect();
    let loaded = load_function(&args.scene, model, args.weights.as_ref(), params.clone())?;
    let axes_box = Region::new(
        specs.iter().map(|s| s.lo).collect::<Vec<_>>(),
        specs.iter().map(|s| s.hi).collect::<Vec<_>>(),
    )?;
    let (domain, starts) = args.search.domain_and_starts(axes_box, specs.len())?;
    // The maps are read, and checked, before any network step.
    let plot_map = plot_map(&args, specs.len())?;
    let certify_map = certify_map(&args)?;
    let steps = params
        .iter()
        .map(|p| args.fd_step.unwrap_or(p.default_fd_step()))
        .collect();
    let f = FiniteDifference::new(loaded.function.with_batch(args.batch.batch), steps)?;
    let methods = args.search.method.methods();
    eprintln!(
        "semrob: {} runs ({} methods × {} starts) on {model}, this renders and classifies every step",
        methods.len() * starts.len(),
        methods.len(),
        starts.len()
    );
    let goal = Goal::from_adversarial(args.output.adversarial);
    let search = RegionSearch::new(methods, starts, args.search.hyper.params())
        .with_goal(goal)
        .with_trace(args.output.trace || args.trace_plot.is_some());
    let mut bar = StepProgress::new(&search, "regions");
    let (mut runs, _) = run_all(&f, &domain, &search, &mut [&mut bar])?;
    bar.finish();
    write_pictures(
        &args,
        &params,
        &runs,
        plot_map.as_ref(),
        &f,
        &format!("{model}: {goal} regions"),
    )?;
    if args.certify {
        let identity = serde_json::json!({
            "function": &loaded.meta,
            "domain": DomainJson::from(&domain),
            "search": format!("{search:?}"),
        });
        let settings = &args.certify_settings;
        let certification = Certification {
            settings: settings.settings(),
            threshold: settings.threshold.unwrap_or(DEFAULT_THRESHOLD),
            fingerprint: Fingerprint::of(identity.to_string().as_bytes()),
            goal,
        };
        let job = CertifyJob {
            f: f.inner(),
            runs: &mut runs,
            map: certify_map.as_ref(),
            key: args.scene.mesh.to_string(),
        };
        certify(&args, job, &domain, &certification)?;
    }
    if !args.output.trace {
        for r in &mut runs {
            r.trace = None;
        }
    }
    args.output.emit(&RegionsReport {
        function: Some(loaded.meta),
        axes: Some(params.iter().map(|p| p.name()).collect()),
        domain: DomainJson::from(&domain),
        adversarial: goal.is_adversarial(),
        runs,
    })
}

/// The map to draw the regions over (`--plot` with `--map`), its shape checked.
fn plot_map(args: &MeshArgs, search_axes: usize) -> anyhow::Result<Option<Grid>> {
    let (Some(_), Some(path)) = (&args.plot, &args.map) else {
        return Ok(None);
    };
    let grid = Grid::read(path)?;
    if grid.axes().len() != 2 || search_axes != 2 {
        bail!(
            "--plot draws 2-D regions over 2-D maps; {} has {} axes, the search {}",
            path.display(),
            grid.axes().len(),
            search_axes
        );
    }
    Ok(Some(grid))
}

/// With `--certify`: the certificate settings checked, and the map a clean box needs.
fn certify_map(args: &MeshArgs) -> anyhow::Result<Option<Grid>> {
    if !args.certify {
        return Ok(None);
    }
    args.certify_settings
        .check_alone()
        .map_err(|e| anyhow::anyhow!("--{}", e))?;
    match (&args.map, args.certify_settings.clean) {
        (Some(path), true) => Ok(Some(Grid::read(path)?)),
        (None, true) => bail!(
            "--clean shrinks uncertified regions on a map of the function: give it with --map GRID (from `semrob map`)"
        ),
        _ => Ok(None),
    }
}

/// `--trace-plot`, `--plot` and `--contact-sheet`.
fn write_pictures(
    args: &MeshArgs,
    params: &[SemanticParam],
    runs: &[RunSummary],
    plot_map: Option<&Grid>,
    f: &FiniteDifference<ClassifierFunction>,
    title: &str,
) -> anyhow::Result<()> {
    if let Some(path) = &args.trace_plot {
        let names: Vec<String> = params
            .iter()
            .map(|p| format!("{p} ({})", p.unit()))
            .collect();
        let png = bounds_png(runs, &names)?.expect("the runs kept their traces");
        write_file(path, &png)?;
    }
    if let (Some(png), Some(map)) = (&args.plot, plot_map) {
        write_regions_plot(png, map, runs, title)?;
    }
    if let Some(path) = &args.contact_sheet {
        let best = largest_region(runs).expect("at least one run");
        let points = inside_lattice(&best.lower, &best.upper, 4);
        write_file(path, &f.inner().contact_sheet_png(&points, 4)?)?;
    }
    Ok(())
}

/// Certifies the job's regions (`--certify`), writing the witnesses into `--witnesses`.
fn certify(
    args: &MeshArgs,
    job: CertifyJob<'_>,
    domain: &Region,
    certification: &Certification,
) -> anyhow::Result<()> {
    eprintln!("semrob: certifying: {}", certification.sentence());
    let mut jobs = [job];
    let (witnesses, stats) = certify_jobs(&mut jobs, domain, certification)?;
    eprintln!(
        "semrob: {} certificates, {} samples, {:.1} s",
        stats.certificates, stats.samples, stats.seconds
    );
    if let Some(dir) = &args.witnesses {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("--witnesses {}: {e}", dir.display()))?;
        for (file, png) in &witnesses[0] {
            write_file(&dir.join(file), png)?;
        }
    }
    Ok(())
}
