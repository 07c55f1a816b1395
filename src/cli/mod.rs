//! Command-line front: argument parsing and dispatch only; the work lives in the library.

mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Render a mesh (or a contact sheet of views) to PNG with the paper's conventions.
    Render(render::RenderArgs),
}

/// Runs the command line. Every error is printed with its context and exits with status 2.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Render(args) => render::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("semrob: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
