//! Running the `semrob` binary from a test: the helper the cli, nets and report test binaries
//! share (each reaches it through its `support` module).
#![allow(dead_code)] // each test binary uses a part

use std::path::Path;
use std::process::{Command, Output};

/// Runs `semrob ARGS` in the test's working directory (the repository root).
pub fn semrob(args: &[&str]) -> Output {
    semrob_in(args, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Runs `semrob ARGS` in `cwd`.
pub fn semrob_in(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_semrob"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the semrob binary runs")
}
