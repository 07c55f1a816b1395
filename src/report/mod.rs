//! Results out of semrob: files written atomically, JSON, tables and plots.

pub mod export;
pub mod folder;
pub mod golden;
pub mod maps;
pub mod page;
pub mod plot;
pub mod runs;
pub mod table;

/// Why a picture or a file of a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Write(#[from] crate::files::WriteError),
}
