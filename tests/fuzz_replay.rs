//! Replays the fuzz corpora (issue 23) through the harness bodies of `semrob::fuzzing`:
//! every seed under `fixtures/fuzz/<harness>/seeds` must be accepted (a seed the reader
//! refuses explores nothing), and every input under `fixtures/fuzz/<harness>/regressions`
//! (each a minimised crash, hang or over-allocation the fuzzer found, or one written by hand
//! for a fix) must run to `Ok` or a typed error, without a panic, within the time limit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use semrob::fuzzing::{harness, HARNESSES};

/// What one input may take here, in a debug build on a loaded machine (the fuzzer's own
/// limit on its optimised build is `-t 1000` ms).
const LIMIT: Duration = Duration::from_secs(10);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Runs every file of `<harness>/<kind>` and returns how many the reader accepted.
fn replay(name: &str, kind: &str) -> (usize, Vec<PathBuf>) {
    let run = harness(name).unwrap();
    let mut accepted = Vec::new();
    let all = files(&corpus().join(name).join(kind));
    for path in &all {
        let data = std::fs::read(path).unwrap();
        let start = Instant::now();
        let ok = std::panic::catch_unwind(|| run(&data))
            .unwrap_or_else(|_| panic!("{}: the {name} harness panicked", path.display()));
        let took = start.elapsed();
        assert!(took < LIMIT, "{}: took {took:?}", path.display());
        if ok {
            accepted.push(path.clone());
        }
    }
    (all.len(), accepted)
}

#[test]
fn every_harness_has_a_corpus_folder_and_nothing_else_is_there() {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = HARNESSES.iter().map(|(n, _)| n.to_string()).collect();
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn every_seed_is_accepted() {
    for (name, _) in HARNESSES {
        let (count, accepted) = replay(name, "seeds");
        assert!(count > 0, "{name}: no seeds");
        assert_eq!(accepted.len(), count, "{name}: only {accepted:?} accepted");
    }
}

#[test]
fn every_regression_input_runs_to_ok_or_a_typed_error() {
    for (name, _) in HARNESSES {
        replay(name, "regressions");
    }
}
