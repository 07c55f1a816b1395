//! `semrob report DIR`: the benchmark's report page, one self-contained HTML file.

use std::path::PathBuf;

use clap::Args;
use semrob::report::page::write_page;

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

/// Says on stderr what [`write_page`] wrote: the files it could not read, then the page.
pub fn tell(page: &semrob::report::page::WrittenPage) {
    for w in &page.warnings {
        eprintln!("semrob: warning: {w}");
    }
    eprintln!(
        "semrob: report page ({}, {} KiB) in {}",
        page.coverage,
        page.bytes / 1024,
        page.path.display()
    );
}

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join("report.html"));
    tell(&write_page(&args.dir, &out)?);
    Ok(())
}
