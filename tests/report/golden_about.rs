//! Every golden file says in its "about" how to compare and regenerate it, and a developer
//! who follows it must find what it names. For each `golden/**/*.json`: every `cargo test ...
//! --test TARGET [FILTER]` names a test target of tests/ and a filter that matches one of its
//! tests, every `semrob SUBCOMMAND ... --FLAG` names a subcommand that takes those flags, and
//! every path of the repository it names exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::golden_rule::golden_files;
use crate::support::semrob;
use semrob::report::golden::read_golden;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The "about" text of every golden file, by path.
fn abouts() -> Vec<(PathBuf, String)> {
    let files = golden_files();
    assert!(files.len() >= 10, "golden files: {files:?}");
    files
        .into_iter()
        .map(|path| {
            let about = read_golden(&path).unwrap_or_else(|e| panic!("{e}")).about;
            (path, about)
        })
        .collect()
}

/// The words of each command in `text` that starts with `start` (`cargo test`, `semrob`),
/// up to the end of its clause (`;`, `)` or the end), backquotes removed.
fn commands(text: &str, start: &str) -> Vec<Vec<String>> {
    let text = text.replace('`', "");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(start) {
        let after = &rest[at + start.len()..];
        // A whole word: `semrob` in `semrob.grid/1` or `"semrob"` is not a command.
        if !after.starts_with(' ') || (at > 0 && !rest[..at].ends_with([' ', ':', '('])) {
            rest = after;
            continue;
        }
        let end = after.find([';', ')']).unwrap_or(after.len());
        out.push(after[..end].split_whitespace().map(String::from).collect());
        rest = &after[end..];
    }
    out
}

/// Test names of a test target, as the test harness lists them (`module::function`),
/// from its sources: every `fn` of each module file, by the file's stem.
fn test_names(target: &Path) -> Vec<String> {
    let files: Vec<PathBuf> = if target.is_dir() {
        std::fs::read_dir(target)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect()
    } else {
        vec![target.to_path_buf()]
    };
    let mut names = Vec::new();
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let module = if stem == "main" || !target.is_dir() {
            String::new()
        } else {
            format!("{stem}::")
        };
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            if let Some(rest) = line.trim_start().strip_prefix("fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(format!("{module}{name}"));
            }
        }
    }
    names
}

fn check_cargo_test(words: &[String]) -> Result<(), String> {
    let mut it = words.iter();
    let mut target = None;
    let mut filter = None;
    while let Some(w) = it.next() {
        match w.as_str() {
            "--test" => target = it.next(),
            "--no-default-features" | "--release" => {}
            w if w.starts_with('-') => return Err(format!("unknown cargo flag {w}")),
            _ if filter.is_none() => filter = Some(w),
            _ => {}
        }
    }
    let target = target.ok_or("no --test TARGET")?;
    let tests = Path::new(ROOT).join("tests");
    let path = [
        tests.join(format!("{target}.rs")),
        tests.join(target).join("main.rs"),
    ]
    .into_iter()
    .find(|p| p.exists())
    .ok_or_else(|| {
        format!("no test target {target} (tests/{target}.rs or tests/{target}/main.rs)")
    })?;
    if let Some(filter) = filter {
        let dir = if path.ends_with("main.rs") {
            path.parent().unwrap().to_path_buf()
        } else {
            path.clone()
        };
        if !test_names(&dir).iter().any(|n| n.contains(filter.as_str())) {
            return Err(format!("no test of {target} matches {filter:?}"));
        }
    }
    Ok(())
}

/// The subcommand path of a `semrob` command (`srvr grids`) and its flags, checked against
/// the binary's help: each subcommand exists, and each flag is among the last one's.
fn check_semrob(words: &[String]) -> Result<(), String> {
    let help = |path: &[&str]| -> Result<String, String> {
        let mut args = path.to_vec();
        args.push("--help");
        let o = semrob(&args);
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            Err(format!("`semrob {}` does not exist", path.join(" ")))
        }
    };
    let mut path: Vec<&str> = Vec::new();
    let mut text = help(&[])?;
    for w in words {
        // A word is a subcommand when the help of the command so far lists it as one.
        let listed = text
            .split("Commands:")
            .nth(1)
            .map(|c| c.split("\n\n").next().unwrap_or(""))
            .is_some_and(|c| {
                c.lines()
                    .any(|l| l.split_whitespace().next() == Some(w.as_str()))
            });
        if !listed || w == "help" {
            break;
        }
        path.push(w);
        text = help(&path)?;
    }
    if path.is_empty() {
        return Err(format!("no subcommand in `semrob {}`", words.join(" ")));
    }
    let missing: BTreeSet<&str> = words
        .iter()
        .filter(|w| w.starts_with("--"))
        .map(String::as_str)
        .filter(|flag| !text.contains(&format!("{flag} ")) && !text.contains(&format!("{flag}\n")))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("`semrob {}` takes no {missing:?}", path.join(" ")))
    }
}

/// Words that name a file or folder of the repository (`tests/cli/srvr.rs`,
/// `configs/nd-lite0.toml`), trailing punctuation removed.
fn repository_paths(about: &str) -> Vec<String> {
    about
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '`')
        .map(|w| w.trim_end_matches([',', ';', ':', '.']))
        .filter(|w| {
            [
                "configs/",
                "golden/",
                "tests/",
                "scripts/",
                "src/",
                "examples/",
            ]
            .iter()
            .any(|dir| w.starts_with(dir))
        })
        .map(String::from)
        .collect()
}

#[test]
fn every_command_and_path_a_golden_file_names_exists() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (file, about) in abouts() {
        let name = file.strip_prefix(ROOT).unwrap().display().to_string();
        let mut named = 0;
        for words in commands(&about, "cargo test") {
            named += 1;
            if let Err(e) = check_cargo_test(&words) {
                problems.push(format!("{name}: `cargo test {}`: {e}", words.join(" ")));
            }
        }
        for words in commands(&about, "semrob") {
            named += 1;
            if cfg!(feature = "torch") || words.first().is_some_and(|w| w != "srvr") {
                if let Err(e) = check_semrob(&words) {
                    problems.push(format!("{name}: {e}"));
                }
            }
        }
        for p in repository_paths(&about) {
            if !Path::new(ROOT).join(&p).exists() {
                problems.push(format!("{name}: {p} does not exist"));
            }
        }
        assert!(
            named > 0,
            "{name} names no command to regenerate it: {about}"
        );
        checked += named;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 13, "only {checked} commands found");
}

/// The checks themselves find what is wrong: a target or test that does not exist, an
/// unknown subcommand or flag, a missing file.
#[test]
fn the_checks_catch_names_that_do_not_exist() {
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert!(check_cargo_test(&words("--test region golden::")).is_ok());
    assert!(check_cargo_test(&words("--test region_golden"))
        .unwrap_err()
        .contains("no test target region_golden"));
    assert!(check_cargo_test(&words("--test cli no_such_test"))
        .unwrap_err()
        .contains("matches"));
    assert!(check_semrob(&words("regions grid FILE --plot X")).is_ok());
    assert!(check_semrob(&words("regions grid FILE --no-such-flag"))
        .unwrap_err()
        .contains("--no-such-flag"));
    assert!(check_semrob(&words("frobnicate FILE"))
        .unwrap_err()
        .contains("no subcommand"));
    assert_eq!(
        repository_paths("see tests/cli/nope.rs; configs/quick.toml."),
        ["tests/cli/nope.rs", "configs/quick.toml"]
    );
    assert_eq!(
        commands(
            "compare: `semrob srvr` with no configuration (x); regenerate: cargo test --test cli a",
            "semrob"
        ),
        [words("srvr with no configuration (x")]
    );
}
