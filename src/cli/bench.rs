//! `semrob srvr [CONFIG]` (the benchmark on real networks) and `semrob merge`.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use semrob::analysis::benchmark::{
    certify_results, default_lockstep_jobs, is_embedded_default_run, plan, run_jobs, CertifyConfig,
    CertifyEvent, JobEvent, Plan, ResultsDir, Shard, SrvrConfig, EMBEDDED_DEFAULT,
};
use semrob::analysis::region_runs::RegionMode;
use semrob::nets::LoadOptions;
use semrob::report::export::{job_line, time_split, Format};
use semrob::report::folder::{check_embedded_default, write_report, EMBEDDED_GOLDEN_ORIGIN};

use super::common::{FormatArgs, GoldenArgs};
use super::network::{progress, NetworkArgs, RendererArgs};

/// Options of the configuration mode of `semrob srvr`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Results folder (default `srvr-results/<config hash>`); a rerun skips finished jobs.
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// Run only slice K of N of the jobs (job i runs in shard i mod N + 1); join the
    /// slices' folders with `semrob merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Network mode: how many jobs of one network grow their regions in lockstep together,
    /// their rounds sharing the renderer's and the network's batches (default 1 on the CPU,
    /// where one job's rounds fill a batch; 8 on CUDA). Results do not depend on it beyond
    /// the network's batch-to-batch rounding.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub lockstep_jobs: Option<u32>,
    #[command(flatten)]
    pub renderer: RendererArgs,
    /// Override the configuration's `regions`: `network` (the paper's procedure), `map`
    /// (regions on each job's map: an approximation) or `refine` (on the map, then at most
    /// `refine_steps` steps on the network). Part of the results' fingerprint.
    #[arg(long, value_name = "map|network|refine")]
    pub regions: Option<RegionMode>,
    /// Refine mode: at most N network steps per run after its map run (≥ 1; default the
    /// configuration's `refine_steps`, else 25). Under a fixed budget the map run takes the
    /// budget's other steps (N < iterations). Part of the results' fingerprint.
    #[arg(long, value_name = "N")]
    pub refine_steps: Option<usize>,
    #[command(flatten)]
    pub golden: GoldenArgs,
}

/// Runs the configuration (or the embedded default).
pub fn run(config: Option<&Path>, args: &BenchArgs, format: Format) -> anyhow::Result<()> {
    let mut checked = match config {
        Some(path) => SrvrConfig::read(path)?,
        None => SrvrConfig::from_toml(EMBEDDED_DEFAULT, "(embedded default)")?,
    };
    if args.regions.is_some() || args.refine_steps.is_some() {
        checked = checked.config.with_regions(
            args.regions,
            args.refine_steps,
            "--regions/--refine-steps",
        )?;
    }
    if let Some(backend) = args.renderer.renderer {
        checked.config.renderer = Some(backend);
    }
    let options = args.network.prepare()?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let plan = plan(checked)?.in_precision(args.network.precision);
    let root = args
        .results
        .clone()
        .unwrap_or_else(|| plan.default_results());
    let dir = ResultsDir::open_or_create(&root, plan.stamp.clone())?;
    let mine = (0..plan.jobs.len()).filter(|&i| shard.holds(i)).count();
    let bar = progress(mine as u64, "jobs");
    let lockstep_jobs = args
        .lockstep_jobs
        .map_or(default_lockstep_jobs(args.network.device()), |n| n as usize);
    run_jobs(
        &plan,
        &dir,
        shard,
        options,
        lockstep_jobs,
        &mut |e| match e {
            JobEvent::Skipped(_) => bar.inc(1),
            JobEvent::Started(id) => bar.set_message(id.key()),
            JobEvent::Finished(r) => {
                bar.inc(1);
                let line = job_line(r);
                // A hidden bar (stderr is not a terminal: logs, batch jobs) prints nothing.
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        },
    )?;
    bar.finish_and_clear();
    if let Some(settings) = plan.checked.config.certify.clone() {
        certify(&plan, &dir, shard, options, &settings, lockstep_jobs)?;
    }
    if format != Format::Json {
        if let Some(line) = time_split(&dir.results()) {
            println!("{line}");
        }
    }
    let embedded = is_embedded_default_run(
        config.is_some(),
        args.regions.is_some() || args.refine_steps.is_some(),
        shard,
    );
    report(&dir, format, &args.golden, embedded)
}

/// Certifies the regions of the shard's finished jobs (SPEC §8), with a progress bar and a
/// line per job certified.
pub fn certify(
    plan: &Plan,
    dir: &ResultsDir,
    shard: Shard,
    options: LoadOptions,
    settings: &CertifyConfig,
    together: usize,
) -> anyhow::Result<()> {
    let mine = (0..plan.jobs.len()).filter(|&i| shard.holds(i)).count();
    let bar = progress(mine as u64, "jobs certified");
    certify_results(
        plan,
        dir,
        shard,
        options,
        settings,
        together,
        &mut |e| match e {
            CertifyEvent::UpToDate(_) | CertifyEvent::NotCounted(_) => bar.inc(1),
            CertifyEvent::Started(id) => bar.set_message(id.key()),
            CertifyEvent::Certified(r, stats) => {
                bar.inc(1);
                let certified = r
                    .runs
                    .iter()
                    .filter(|x| x.certificate.as_ref().is_some_and(|c| c.is_certified()))
                    .count();
                let line = format!(
                "{}: {certified} of {} regions certified ({} certificates, {} samples, {:.1} s)",
                r.job.key(),
                r.runs.len(),
                stats.certificates,
                stats.samples,
                stats.seconds
            );
                if bar.is_hidden() {
                    eprintln!("{line}");
                } else {
                    bar.println(line);
                }
            }
        },
    )?;
    bar.finish_and_clear();
    Ok(())
}

/// Writes the folder's report files (`report::folder::write_report`), prints the report in
/// `format` and checks or blesses the golden file (with `embedded` and no golden file given,
/// the embedded default's golden report).
pub fn report(
    dir: &ResultsDir,
    format: Format,
    golden: &GoldenArgs,
    embedded: bool,
) -> anyhow::Result<()> {
    let written = write_report(dir)?;
    let report = &written.report;
    match format {
        Format::Json => print!("{}", written.json),
        Format::Markdown => print!("{}", written.markdown),
        Format::Terminal => print!("{}", format.exporter().export(report)?),
    }
    if format != Format::Json {
        println!("\nresults in {}", dir.root().display());
    }
    match &written.page {
        Ok(page) => super::report::tell(page),
        Err(e) => eprintln!("semrob: warning: no report page: {e}"),
    }
    if golden.golden.is_some() {
        if report.jobs_done < report.jobs_total {
            bail!(
                "--golden needs every job: {} of {} done (run the other shards and `semrob merge`)",
                report.jobs_done,
                report.jobs_total
            );
        }
        golden.check(
            report,
            "compare: semrob srvr CONFIG --golden FILE; regenerate: add --bless",
        )?;
    } else if embedded && report.jobs_done == report.jobs_total {
        check_embedded_default(report)?;
        eprintln!(
            "semrob: the results match the golden report of the embedded default ({EMBEDDED_GOLDEN_ORIGIN})"
        );
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Results folders of the shards (same configuration).
    #[arg(value_name = "DIR", required = true)]
    shards: Vec<PathBuf>,
    /// The merged folder (created; may be one of the shards' folders).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    golden: GoldenArgs,
}

pub fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let dir = ResultsDir::merge(&args.out, &args.shards)?;
    report(&dir, args.format.format(), &args.golden, false)
}
