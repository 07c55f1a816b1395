//! Reports: the golden rule, plots, the HTML page and its browser check.

mod browser;
mod golden_about;
mod golden_rule;
mod page;
mod plot;
mod support;
