//! Arguments shared by several subcommands.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use semrob::analysis::benchmark::HyperConfig;
use semrob::analysis::region_runs::default_starts;
use semrob::analysis::srvr_report::SrvrReport;
use semrob::region::{Method, Point, Region};
use semrob::report::export::Format;
use semrob::report::folder::check_golden_report;

use semrob::files::write_atomic;

/// Which region methods to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodChoice {
    Naive,
    OirB,
    OirW,
    All,
}

impl MethodChoice {
    pub fn methods(self) -> Vec<Method> {
        match self {
            MethodChoice::Naive => vec![Method::Naive],
            MethodChoice::OirB => vec![Method::OirB],
            MethodChoice::OirW => vec![Method::OirW],
            MethodChoice::All => Method::ALL.to_vec(),
        }
    }
}

/// Which region runs: the methods, their starts, the domain Ω and the hyper-parameters
/// (one argument set for `regions grid|oracle|mesh` and `srvr grids`).
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Which method to run.
    #[arg(long, value_enum, default_value = "all")]
    pub method: MethodChoice,
    /// Initial points `X,Y,...` (repeatable). Default: the paper's four starts (130,30),
    /// (50,20), (200,15), (310,50) (azimuth only in 1-D) when the domain holds them, else the
    /// domain's centre.
    #[arg(long = "init", value_name = "X,Y,...", allow_hyphen_values = true)]
    pub init: Vec<Point>,
    /// The domain Ω as `LO:HI,LO:HI,...`. Default: a map's span (one period on periodic
    /// axes), an oracle's own domain, or the ranges of a mesh's axes.
    #[arg(long, value_name = "LO:HI,...", allow_hyphen_values = true)]
    pub domain: Option<Region>,
    #[command(flatten)]
    pub hyper: HyperConfig,
}

impl SearchArgs {
    /// The domain (`--domain`, else `default`) and the starts (`--init`, else the defaults
    /// of [`default_starts`]) of region runs on a function of `dim` parameters.
    pub fn domain_and_starts(
        &self,
        default: Region,
        dim: usize,
    ) -> anyhow::Result<(Region, Vec<Vec<f64>>)> {
        let domain = self.domain.clone().unwrap_or(default);
        if domain.dim() != dim {
            bail!(
                "--domain has {} dimensions, the function has {dim}",
                domain.dim()
            );
        }
        let starts = self.starts().unwrap_or_else(|| default_starts(&domain));
        Ok((domain, starts))
    }

    /// The `--init` points, if any were given.
    pub fn starts(&self) -> Option<Vec<Vec<f64>>> {
        (!self.init.is_empty()).then(|| self.init.iter().map(|p| p.0.clone()).collect())
    }
}

/// What a region command writes besides its JSON on stdout.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Adversarial regions: run the methods on 1 − f.
    #[arg(long)]
    pub adversarial: bool,
    /// Include the bounds and loss of every step in the output.
    #[arg(long)]
    pub trace: bool,
    /// Also write the JSON to this file (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl OutputArgs {
    /// Prints the report as JSON and writes it to `--out` when given.
    pub fn emit(&self, report: &impl serde::Serialize) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(report)? + "\n";
        if let Some(path) = &self.out {
            write_atomic(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        print!("{text}");
        Ok(())
    }
}

/// How a command prints its SRVR report on standard output.
#[derive(Debug, Clone, Args)]
pub struct FormatArgs {
    /// `terminal`: a summary to read (colours on a terminal, unless NO_COLOR is set);
    /// `markdown`: the tables of report.md; `json`: the report.json document.
    #[arg(long, value_name = "terminal|markdown|json", default_value_t = Format::Terminal)]
    pub format: Format,
    /// Short for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

/// Checking a report against a golden file.
#[derive(Debug, Args)]
pub struct GoldenArgs {
    /// Compare the report with this golden file (every number within 1e-6 + 1e-4·|golden|);
    /// exit status 1 naming every drift.
    #[arg(long, value_name = "FILE")]
    pub golden: Option<PathBuf>,
    /// Rewrite the golden file from this run instead (after a deliberate change).
    #[arg(long, requires = "golden")]
    pub bless: bool,
}

impl GoldenArgs {
    /// Checks `report` against `--golden` (or rewrites it with `--bless`), saying so on
    /// stderr; a drift is a `GoldenError::Drift` (exit 1). Nothing without `--golden`.
    pub fn check(&self, report: &SrvrReport, how: &str) -> anyhow::Result<()> {
        let Some(path) = &self.golden else {
            return Ok(());
        };
        check_golden_report(path, report, how, self.bless)?;
        let done = if self.bless {
            "blessed"
        } else {
            "matches golden"
        };
        eprintln!("semrob: {done} {}", path.display());
        Ok(())
    }
}
