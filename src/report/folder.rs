//! The report of a results folder, written into it: `report.json` (the [`SrvrReport`] as
//! JSON), `report.md`, the SRVR bar chart `srvr.png` and the page `report.html`; and the
//! golden checks of a report. `semrob srvr` and `semrob merge` call [`write_report`] when
//! their jobs are done.

use std::path::Path;

use crate::analysis::benchmark::{ConfigError, ResultsDir};
use crate::analysis::srvr_report::SrvrReport;
use crate::files::write_file;
use crate::report::export::{ExportError, Exporter, Json, Markdown};
use crate::report::golden::{check_golden, GoldenError, GoldenFile};
use crate::report::page::{write_page, PageError, WrittenPage};
use crate::report::plot::bar_chart_png;
use crate::report::OutputError;

/// Why a folder's report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FolderReportError {
    /// The stamp's configuration does not check (another version's format).
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What [`write_report`] wrote.
#[derive(Debug)]
pub struct WrittenReport {
    pub report: SrvrReport,
    /// `report.json`'s text.
    pub json: String,
    /// `report.md`'s text.
    pub markdown: String,
    /// The page, or why there is none: the page is for people, and the files above stand
    /// without it.
    pub page: Result<WrittenPage, PageError>,
}

/// Writes the report of the results folder `dir` into it, each file atomically:
/// `report.json`, `report.md`, `srvr.png` (when a network has an SRVR) and `report.html`.
pub fn write_report(dir: &ResultsDir) -> Result<WrittenReport, FolderReportError> {
    let results = dir.results();
    let report = SrvrReport::from_results(dir.stamp(), &results)?;
    let json = Json.export(&report)?;
    let markdown = Markdown.export(&report)?;
    let put = |name: &str, bytes: &[u8]| {
        write_file(&dir.root().join(name), bytes).map_err(OutputError::from)
    };
    put("report.json", json.as_bytes())?;
    put("report.md", markdown.as_bytes())?;
    let bars = report.bars();
    if !bars.is_empty() {
        put(
            "srvr.png",
            &bar_chart_png("SRVR per network", "SRVR (% of Ω)", &bars)
                .map_err(OutputError::from)?,
        )?;
    }
    let page = write_page(dir.root(), &dir.root().join("report.html"));
    Ok(WrittenReport {
        report,
        json,
        markdown,
        page,
    })
}

/// Compares `report` with the golden file at `path` (or rewrites the file with `bless`).
/// The file's "about" names the report and its configuration, then says `how` to compare
/// and regenerate it.
pub fn check_golden_report(
    path: &Path,
    report: &SrvrReport,
    how: &str,
    bless: bool,
) -> Result<(), GoldenError> {
    let got = serde_json::to_value(report).expect("a report serialises");
    let about = format!(
        "SRVR report of {:?} (config {}); {how}",
        report.name,
        report
            .config_hash
            .as_deref()
            .unwrap_or("none: a folder of maps")
    );
    check_golden(path, &about, &got, bless)
}

/// The committed golden report of the embedded default (`semrob srvr` with no
/// configuration), built into the binary.
const EMBEDDED_GOLDEN: &str = include_str!("../../golden/default/quick.json");

/// How the embedded default's golden report is named in messages.
pub const EMBEDDED_GOLDEN_ORIGIN: &str = "golden/default/quick.json (embedded)";

/// Compares `report`, of a complete run of the embedded default, with its committed golden
/// report.
pub fn check_embedded_default(report: &SrvrReport) -> Result<(), GoldenError> {
    let origin = Path::new(EMBEDDED_GOLDEN_ORIGIN);
    let file = GoldenFile::parse(EMBEDDED_GOLDEN, origin)?;
    file.check(
        &serde_json::to_value(report).expect("a report serialises"),
        origin,
    )
}
