//! Command-line front: argument parsing and dispatch only; the work lives in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use semrob::report::golden::GoldenError;

#[cfg(feature = "torch")]
mod bench;
#[cfg(feature = "torch")]
mod certify;
#[cfg(feature = "torch")]
mod classify;
mod common;
mod convert_weights;
mod dsm;
#[cfg(feature = "torch")]
mod map;
#[cfg(feature = "torch")]
mod mesh_regions;
#[cfg(feature = "torch")]
mod network;
mod regions;
mod render;
mod report;
mod srvr;

#[derive(Parser)]
#[command(
    name = "semrob",
    version,
    about = "Semantic robustness of image classifiers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One variant per subcommand; each lives in its own module of `cli`.
#[derive(Subcommand)]
enum Command {
    /// Robust or adversarial regions (naive, OIR_B, OIR_W) on a tabulated map, an oracle or
    /// a mesh under a network.
    Regions(regions::RegionsArgs),
    /// The SRVR benchmark: from a configuration on real networks (default: the embedded quick
    /// profile), or from a folder of maps `<network>/<class>/<shape>.json` (`srvr grids DIR`).
    Srvr(srvr::SrvrArgs),
    /// Render a mesh (or a contact sheet of views) to PNG with the paper's conventions.
    Render(render::RenderArgs),
    /// Top ImageNet classes of images under a classifier.
    #[cfg(feature = "torch")]
    Classify(classify::Args),
    /// Convert a PyTorch checkpoint (zip or legacy torch.save) to .safetensors.
    ConvertWeights(convert_weights::Args),
    /// Network semantic map of a mesh under a classifier, as semrob.grid/1 and PNG.
    #[cfg(feature = "torch")]
    Map(map::MapArgs),
    /// Certificates for the regions of a results folder, checked on the network with fresh
    /// samples (regions are not regrown; a rerun does only what is left).
    #[cfg(feature = "torch")]
    Certify(certify::CertifyArgs),
    /// Join the results folders of `semrob srvr --shard K/N` runs and report.
    #[cfg(feature = "torch")]
    Merge(bench::MergeArgs),
    /// Data semantic map: the mean of several maps on the same grid, with its heatmap.
    Dsm(dsm::DsmArgs),
    /// The report page of a results folder (or a folder of maps): one self-contained HTML
    /// file with the SRVR table, maps, regions, semantic traps, renders and traces.
    Report(report::ReportArgs),
}

/// An error with its causes, `outer: inner: ...`, leaving out a cause whose text the message
/// already holds (errors that name their source in their own text, as most here do, would
/// otherwise say it twice).
fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// What an invocation in the syntax before the `regions` and `srvr` subcommands became
/// (`regions --grid FILE`, `regions --oracle NAME`, `regions MESH --model`,
/// `srvr --grids DIR`), for the error clap gives it.
fn old_syntax_hint(args: &[String]) -> Option<String> {
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .or_else(|| {
                args.iter()
                    .find_map(|a| a.strip_prefix(&format!("{flag}=")).map(str::to_string))
            })
    };
    match args.first().map(String::as_str) {
        Some("regions") => {
            if let Some(file) = value_of("--grid") {
                Some(format!(
                    "`regions --grid FILE` is now `semrob regions grid {file}`"
                ))
            } else if let Some(name) = value_of("--oracle") {
                Some(format!(
                    "`regions --oracle NAME` is now `semrob regions oracle {name}`"
                ))
            } else if args.iter().any(|a| a == "--model") {
                let mesh = args
                    .get(1)
                    .filter(|m| !m.starts_with('-'))
                    .map_or("MESH", String::as_str);
                Some(format!(
                    "`regions MESH --model ...` is now `semrob regions mesh {mesh} --model ...`"
                ))
            } else {
                None
            }
        }
        Some("srvr") => value_of("--grids")
            .map(|dir| format!("`srvr --grids DIR` is now `semrob srvr grids {dir}`")),
        _ => None,
    }
}

/// Runs the command line and chooses the exit status: 0 on success, 1 when results drifted
/// from a golden file (`GoldenError::Drift`), 2 for every error (printed with its context).
pub fn main() -> ExitCode {
    semrob::runtime::tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let hint = old_syntax_hint(&std::env::args().skip(1).collect::<Vec<_>>());
            // clap prints help and errors itself; an old form gets one more line saying
            // what it became.
            let _ = e.print();
            if let (Some(hint), true) = (hint, e.use_stderr()) {
                eprintln!("\nhint: {hint}");
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Regions(args) => regions::run(args),
        Command::Srvr(args) => srvr::run(args),
        Command::Render(args) => render::run(args),
        #[cfg(feature = "torch")]
        Command::Classify(args) => classify::run(args),
        Command::ConvertWeights(args) => convert_weights::run(args),
        #[cfg(feature = "torch")]
        Command::Map(args) => map::run(args),
        Command::Dsm(args) => dsm::run(args),
        Command::Report(args) => report::run(args),
        #[cfg(feature = "torch")]
        Command::Merge(args) => bench::merge(args),
        #[cfg(feature = "torch")]
        Command::Certify(args) => certify::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A run that finished but whose results drifted from the golden file it was checked
        // against: exit status 1, not 2 (the command itself did not fail).
        Err(err) if matches!(err.downcast_ref(), Some(GoldenError::Drift { .. })) => {
            eprintln!("semrob: {err}");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("semrob: error: {}", error_chain(&err));
            ExitCode::from(2)
        }
    }
}
