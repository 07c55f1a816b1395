//! Reports: the golden rule, plots, the HTML page and its browser check.

#[path = "../binary/mod.rs"]
mod binary;
mod browser;
mod golden_rule;
mod page;
mod plot;
mod support;
