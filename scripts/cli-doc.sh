#!/usr/bin/env bash
# Rewrites the section "Every command's flags" at the end of docs/cli.md from the binary's
# own `--help`, for every command of tests/report/semrob-commands.txt (the command tree the
# tests check). tests/cli/doc.rs fails when the section and the binary disagree.
#   scripts/cli-doc.sh [BINARY]     (default: target/debug/semrob, built with cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/semrob}
DOC=docs/cli.md
HEADING="## Every command's flags"
tmp=$(mktemp)
sed "/^$HEADING\$/,\$d" "$DOC" > "$tmp"
{
    echo "$HEADING"
    echo
    echo "Each command's \`--help\`, as \`semrob\` built with its default features prints it"
    echo "(written by \`scripts/cli-doc.sh\`; do not edit by hand)."
    grep -v '^#' tests/report/semrob-commands.txt | cut -d: -f1 | while read -r -a cmd; do
        echo
        echo "### \`${cmd[*]}\`"
        echo
        echo '```text'
        "$BIN" "${cmd[@]:1}" --help
        echo '```'
    done
} >> "$tmp"
mv "$tmp" "$DOC"
