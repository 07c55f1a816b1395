//! Every golden file says in its "about" how to compare and regenerate it, and a developer
//! who follows it must find what it names. For each `golden/**/*.json`: every `cargo test ...
//! --test TARGET [FILTER]` names a test target of tests/ and a filter that matches one of its
//! `#[test]` functions (a helper `fn` does not count), every `semrob SUBCOMMAND ... --FLAG`
//! names a subcommand that takes those flags, and every path of the repository it names
//! exists.
//!
//! `semrob` commands are checked against the binary's command tree (its subcommands and
//! their flags, read from `--help`). Built without `torch` the binary lacks the network
//! commands (`certify`, `srvr CONFIG`'s flags...), so there they are checked against the
//! torch build's tree, committed in tests/report/semrob-commands.txt; the torch build keeps
//! that file equal to its binary's tree (regenerate: `SEMROB_BLESS=1 cargo test --test report
//! golden_about::`).

use std::collections::{BTreeMap, BTreeSet};
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

/// The `#[test]` functions of one source file, `module` (`stem::` or empty) before each
/// name: a `fn` counts when `#[test]` stands above it, with only other attributes
/// (`#[ignore]`, `#[should_panic]`) and comments between; a helper `fn` does not.
fn tests_in_source(source: &str, module: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut marked = false;
    for line in source.lines() {
        let line = line.trim_start();
        if line.starts_with("#[test]") {
            marked = true;
            continue;
        }
        if line.starts_with("#[") || line.starts_with("//") {
            continue;
        }
        let item = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(rest) = item.strip_prefix("fn ") {
            if marked {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(format!("{module}{name}"));
            }
        }
        marked = false;
    }
    names
}

/// Test names of a test target, as the test harness lists them (`module::function`),
/// from its sources: the `#[test]` functions of each module file, by the file's stem.
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
        names.extend(tests_in_source(
            &std::fs::read_to_string(&file).unwrap(),
            &module,
        ));
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

/// A `semrob` binary's command tree: each command (`semrob`, `semrob srvr`, `semrob srvr
/// grids`) with the flags it takes.
type CommandTree = BTreeMap<String, BTreeSet<String>>;

/// The file holding the command tree of the binary built with torch (see the module doc).
const COMMANDS_FILE: &str = "tests/report/semrob-commands.txt";

/// The subcommands and the flags (long names) a `--help` text lists.
fn parse_help(text: &str) -> (Vec<String>, BTreeSet<String>) {
    let subcommands = text
        .split("Commands:")
        .nth(1)
        .map(|c| c.split("\n\n").next().unwrap_or(""))
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(String::from)
        .collect();
    // An option line starts with its names: `-h, --help`, `--golden <FILE>`, `--bless`.
    let mut flags = BTreeSet::new();
    for line in text.lines() {
        let mut words = line.split_whitespace().peekable();
        if !words
            .peek()
            .is_some_and(|w| w.len() > 1 && w.starts_with('-'))
        {
            continue;
        }
        for w in words {
            if let Some(name) = w.strip_prefix("--") {
                let name = name.trim_end_matches(',');
                let name = name.split(['=', '[', '<']).next().unwrap_or("");
                flags.insert(format!("--{name}"));
            } else if !(w.starts_with('-') || w.starts_with('<') || w.starts_with('[')) {
                break;
            }
        }
    }
    (subcommands, flags)
}

/// The command tree of the binary this test target was built with, from `--help` of each
/// command (read once: the tests here share it).
fn binary_tree() -> CommandTree {
    static TREE: std::sync::OnceLock<CommandTree> = std::sync::OnceLock::new();
    TREE.get_or_init(read_binary_tree).clone()
}

fn read_binary_tree() -> CommandTree {
    let mut tree = CommandTree::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = semrob(&args);
        assert!(o.status.success(), "semrob {}", args.join(" "));
        let (subcommands, flags) = parse_help(&String::from_utf8_lossy(&o.stdout));
        for sub in subcommands {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        let name = ["semrob".to_string()]
            .into_iter()
            .chain(path)
            .collect::<Vec<_>>()
            .join(" ");
        tree.insert(name, flags);
    }
    tree
}

/// The committed command tree of the binary built with torch (tests/report/semrob-commands.txt):
/// `COMMAND: FLAG FLAG ...` per line, `#` comments.
fn committed_tree() -> CommandTree {
    let path = Path::new(ROOT).join(COMMANDS_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{COMMANDS_FILE}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (command, flags) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("{COMMANDS_FILE}: no `:` in {l:?}"));
            let flags = flags.split_whitespace().map(String::from).collect();
            (command.trim().to_string(), flags)
        })
        .collect()
}

fn tree_text(tree: &CommandTree) -> String {
    let mut text = String::from(
        "# semrob's commands and their flags, built with its default features (torch, onnx).\n\
         # golden_about checks the `semrob ...` commands of golden files against it when built\n\
         # without torch; built with torch it must be the binary's. Regenerate:\n\
         #   SEMROB_BLESS=1 cargo test --test report golden_about::\n",
    );
    for (command, flags) in tree {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        text.push_str(&format!("{command}: {}\n", flags.join(" ")));
    }
    text
}

/// The tree `semrob` commands are checked against: the binary's when it has torch, else the
/// committed one of the torch build.
fn tree_for_checks() -> CommandTree {
    if cfg!(feature = "torch") {
        binary_tree()
    } else {
        committed_tree()
    }
}

/// The subcommand path of a `semrob` command (`srvr grids`) and its flags, checked against
/// `tree`: each subcommand exists, and each flag is among the last one's.
fn check_semrob(words: &[String], tree: &CommandTree) -> Result<(), String> {
    let mut command = "semrob".to_string();
    for w in words {
        // A word is a subcommand when the command so far has it as one.
        let longer = format!("{command} {w}");
        if w == "help" || !tree.contains_key(&longer) {
            break;
        }
        command = longer;
    }
    if command == "semrob" {
        return Err(format!("no subcommand in `semrob {}`", words.join(" ")));
    }
    let flags = &tree[&command];
    let missing: BTreeSet<&str> = words
        .iter()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.split('=').next().unwrap_or(w))
        .filter(|flag| !flags.contains(*flag))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("`{command}` takes no {missing:?}"))
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
    let tree = tree_for_checks();
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
            if let Err(e) = check_semrob(&words, &tree) {
                problems.push(format!("{name}: {e}"));
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

/// The checks themselves find what is wrong: a target or test that does not exist, a filter
/// that matches only a helper, an unknown subcommand or flag, a missing file.
#[test]
fn the_checks_catch_names_that_do_not_exist() {
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let tree = tree_for_checks();
    assert!(check_cargo_test(&words("--test region golden::")).is_ok());
    assert!(check_cargo_test(&words("--test region_golden"))
        .unwrap_err()
        .contains("no test target region_golden"));
    assert!(check_cargo_test(&words("--test cli no_such_test"))
        .unwrap_err()
        .contains("matches"));
    // A filter that matches only a helper `fn` runs no test: refused. This file's
    // `tests_in_source` is a helper; the test below is one.
    assert!(
        check_cargo_test(&words("--test report golden_about::tests_in_source"))
            .unwrap_err()
            .contains("no test of report matches \"golden_about::tests_in_source\"")
    );
    assert!(check_cargo_test(&words("--test report golden_about::the_checks_catch_names")).is_ok());
    assert!(check_semrob(&words("regions grid FILE --plot X"), &tree).is_ok());
    assert!(
        check_semrob(&words("regions grid FILE --no-such-flag"), &tree)
            .unwrap_err()
            .contains("--no-such-flag")
    );
    assert!(check_semrob(&words("frobnicate FILE"), &tree)
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

/// Only `#[test]` functions are tests, whatever attributes and comments stand between; a
/// helper `fn`, even right after a test, is not.
#[test]
fn only_functions_marked_test_are_tests() {
    // One string per line, so that this file's own test names stay its tests only.
    let source = concat!(
        "#[test]\n",
        "fn plain() {}\n",
        "\n",
        "fn helper() -> u8 { 1 }\n",
        "/// A doc comment.\n",
        "#[test]\n",
        "#[ignore = \"needs chromium\"]\n",
        "// a comment\n",
        "fn ignored() {}\n",
        "#[test]\n",
        "#[should_panic(expected = \"x\")]\n",
        "pub fn panics() {}\n",
        "    fn nested_helper() {}\n",
    );
    assert_eq!(
        tests_in_source(source, "m::"),
        ["m::plain", "m::ignored", "m::panics"]
    );
}

/// `semrob` commands are checked in every build, without torch too: against the committed
/// tree of the torch build, where the network commands and flags are (`certify`, `srvr
/// --golden`); a flag or subcommand missing there is caught as in the torch build.
#[test]
fn semrob_commands_are_checked_without_torch_too() {
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    for tree in [committed_tree(), tree_for_checks()] {
        assert!(check_semrob(&words("srvr --golden G --bless"), &tree).is_ok());
        assert!(check_semrob(&words("certify --samples 30 (certified SRVR"), &tree).is_ok());
        assert!(check_semrob(&words("srvr grids DIR --accept-by each"), &tree).is_ok());
        assert_eq!(
            check_semrob(&words("srvr --golden G --no-such-flag"), &tree).unwrap_err(),
            "`semrob srvr` takes no {\"--no-such-flag\"}"
        );
        assert_eq!(
            check_semrob(&words("srvr grids DIR --bench"), &tree).unwrap_err(),
            "`semrob srvr grids` takes no {\"--bench\"}"
        );
        assert!(check_semrob(&words("certfy --samples 30"), &tree)
            .unwrap_err()
            .contains("no subcommand"));
    }
    // Without torch the binary itself lacks them: what the committed tree is for.
    if !cfg!(feature = "torch") {
        let binary = binary_tree();
        assert_eq!(
            check_semrob(&words("certify --samples 30"), &binary).unwrap_err(),
            "no subcommand in `semrob certify --samples 30`"
        );
        assert_eq!(
            check_semrob(&words("srvr --golden G"), &binary).unwrap_err(),
            "`semrob srvr` takes no {\"--golden\"}"
        );
    }
}

/// The committed tree is the torch build's: equal to the binary's tree there, and holding
/// every command and flag of the build without torch.
#[test]
fn the_committed_command_tree_is_the_torch_builds() {
    let binary = binary_tree();
    if cfg!(feature = "torch") {
        let path = Path::new(ROOT).join(COMMANDS_FILE);
        if std::env::var_os("SEMROB_BLESS").is_some() {
            std::fs::write(&path, tree_text(&binary)).unwrap();
        }
        assert_eq!(
            committed_tree(),
            binary,
            "{COMMANDS_FILE} is not the binary's command tree (regenerate with SEMROB_BLESS=1 \
             cargo test --test report golden_about::)"
        );
    } else {
        let committed = committed_tree();
        for (command, flags) in &binary {
            let known = committed
                .get(command)
                .unwrap_or_else(|| panic!("{COMMANDS_FILE} lacks `{command}`"));
            assert!(
                flags.is_subset(known),
                "{COMMANDS_FILE}: `{command}` lacks {:?}",
                flags.difference(known).collect::<Vec<_>>()
            );
        }
    }
}
