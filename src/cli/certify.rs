//! `semrob certify RESULTS`: certificates for the regions of an existing results folder
//! (SPEC §8), without regrowing them.

use std::path::PathBuf;

use clap::Args;
use semrob::analysis::benchmark::{default_lockstep_jobs, plan, CertifyConfig, ResultsDir, Shard};
use semrob::nets::Precision;

use super::common::{FormatArgs, GoldenArgs};
use super::network::DeviceArgs;

#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// A results folder of `semrob srvr` or `semrob merge`.
    #[arg(value_name = "RESULTS")]
    results: PathBuf,
    /// Certify only slice K of N of the jobs (as `semrob srvr --shard`).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    #[command(flatten)]
    device: DeviceArgs,
    #[command(flatten)]
    settings: CertifyConfig,
    #[command(flatten)]
    format: FormatArgs,
    #[command(flatten)]
    golden: GoldenArgs,
}

/// Certifies the folder's regions that lack a certificate made with these settings (a rerun
/// does only what is left), then writes and prints its report.
pub fn run(args: CertifyArgs) -> anyhow::Result<()> {
    args.settings
        .check_alone()
        .map_err(|e| anyhow::anyhow!("--{e}"))?;
    let dir = ResultsDir::open(&args.results)?;
    let mut config = dir.stamp().config.clone();
    config.certify = Some(args.settings.clone());
    let checked = config.check("semrob certify")?;
    let plan = plan(checked)?;
    if plan.stamp.config_hash != dir.stamp().config_hash {
        anyhow::bail!(
            "{}: its stamp {} is not this semrob's fingerprint of its configuration and weights ({}): \
             the weights changed, or the folder was run in another precision; nothing was changed",
            args.results.display(),
            dir.stamp().config_hash,
            plan.stamp.config_hash
        );
    }
    let options = args.device.prepare(Precision::F32)?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    super::bench::certify(
        &plan,
        &dir,
        shard,
        options,
        &args.settings,
        default_lockstep_jobs(args.device.device),
    )?;
    super::bench::report(&dir, args.format.format(), &args.golden, false)
}
