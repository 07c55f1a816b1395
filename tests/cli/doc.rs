//! docs/cli.md is true to the binary: for every command of the committed command tree, the
//! `--help` the binary prints stands in docs/cli.md's section "Every command's flags", word
//! for word (`scripts/cli-doc.sh` rewrites that section).

/// The commands of tests/report/semrob-commands.txt, each as its words after `semrob`.
fn commands() -> Vec<Vec<String>> {
    let tree =
        std::fs::read_to_string("tests/report/semrob-commands.txt").expect("the command tree");
    tree.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let name = l.split(':').next().unwrap_or_default();
            name.split_whitespace()
                .skip(1)
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The binary built without torch has fewer commands and flags: the document is of the
/// default build.
#[cfg(feature = "torch")]
#[test]
fn docs_cli_holds_every_commands_help_as_the_binary_prints_it() {
    let doc = std::fs::read_to_string("docs/cli.md").expect("docs/cli.md");
    let section = doc
        .split_once("## Every command's flags\n")
        .map(|(_, s)| s)
        .expect("docs/cli.md has the section \"Every command's flags\"");
    let all = commands();
    assert!(all.len() > 10, "{all:?}");
    for words in all {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let out = crate::support::semrob(&args);
        assert!(out.status.success(), "semrob {args:?}");
        let help = String::from_utf8(out.stdout).expect("UTF-8 help");
        let name = std::iter::once("semrob")
            .chain(words.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let block = format!("### `{name}`\n\n```text\n{help}```\n");
        assert!(
            section.contains(&block),
            "docs/cli.md's help of `{name}` is not the binary's: run scripts/cli-doc.sh"
        );
    }
}

#[test]
fn the_command_tree_is_read_whole() {
    let all = commands();
    assert_eq!(
        all[0],
        Vec::<String>::new(),
        "the first line is `semrob` itself"
    );
    assert!(all.contains(&vec!["srvr".to_string(), "grids".to_string()]));
}
