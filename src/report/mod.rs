//! Results out of semrob: files written atomically, JSON, tables and plots.

pub mod export;
pub mod folder;
pub mod golden;
pub mod page;
pub mod plot;
pub mod runs;
