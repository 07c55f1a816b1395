#!/usr/bin/env bash
# The report page checked in a real browser (tests/report/browser.rs): installs Debian's
# `chromium` when it is missing (scripts/setup-chromium.sh), then runs the browser tests,
# which plain `cargo test` skips (`#[ignore]`: they need chromium). scripts/test.sh (and so
# CI) runs this. It fails unless every browser test ran and passed: a filter that matches
# nothing would otherwise pass with 0 tests.
#   SEMROB_CHROMIUM=/path/to/chromium   use another binary, install nothing
#   SEMROB_BROWSER_OUT=DIR              keep the pages and their screenshots there
set -euo pipefail
cd "$(dirname "$0")/.."

SEMROB_CHROMIUM=$(scripts/setup-chromium.sh | tail -n 1)
export SEMROB_CHROMIUM
expected=$(grep -c '^#\[test\]' tests/report/browser.rs)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The same features as scripts/test.sh's build without libtorch, so nothing is rebuilt there.
cargo test --workspace --no-default-features --test report -- browser:: --ignored --nocapture 2>&1 |
    tee "$log"
passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)
if [[ "${passed:-0}" -ne "$expected" || "$expected" -eq 0 ]]; then
    echo "test-browser: ${passed:-0} browser tests passed, tests/report/browser.rs has $expected" >&2
    exit 1
fi
echo "test-browser: the $expected browser tests passed in $SEMROB_CHROMIUM"
