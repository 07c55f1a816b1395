//! Command-line front: argument parsing and dispatch only; the work lives in the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "torch")]
mod classify;
mod convert_weights;

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
    /// Top ImageNet classes of images under a classifier.
    #[cfg(feature = "torch")]
    Classify(classify::Args),
    /// Convert a PyTorch checkpoint (zip or legacy torch.save) to .safetensors.
    ConvertWeights(convert_weights::Args),
}

/// Runs the command line. Every error is printed with its context and exits with status 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        #[cfg(feature = "torch")]
        Command::Classify(args) => classify::run(args),
        Command::ConvertWeights(args) => convert_weights::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("semrob: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
