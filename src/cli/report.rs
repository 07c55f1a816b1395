//! `semrob report DIR`: the benchmark's report page, one self-contained HTML file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use semrob::files::write_atomic;
use semrob::report::page::Page;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results folder of `semrob srvr` or `semrob merge`, or a folder of maps
    /// `<network>/<class>/<shape>.json` as `semrob srvr grids` reads.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The page to write (default: report.html in DIR).
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
}

/// Writes the page of `dir` to `out` atomically; says what it wrote on stderr.
pub fn write_page(dir: &Path, out: &Path) -> anyhow::Result<()> {
    let page = Page::load(dir)?;
    for w in &page.warnings {
        eprintln!("semrob: warning: {w}");
    }
    let html = page.to_html()?;
    write_atomic(out, html.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    let state = if page.is_partial() {
        format!(
            "partial: {} of {} jobs",
            page.jobs_total - page.missing.len(),
            page.jobs_total
        )
    } else {
        format!("{} jobs", page.sections.len())
    };
    eprintln!(
        "semrob: report page ({state}, {} KiB) in {}",
        html.len() / 1024,
        out.display()
    );
    Ok(())
}

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join("report.html"));
    write_page(&args.dir, &out)
}
