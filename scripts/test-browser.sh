#!/usr/bin/env bash
# The report page checked in a real browser (tests/report/browser.rs): installs Debian's
# `chromium` when it is missing (idempotent; needs root and apt), then runs the ignored
# browser test. Kept out of scripts/test.sh: installing chromium takes about a minute and
# pulls ~100 MB of packages (see BENCHMARKS.md), more than CI should pay on every run.
#   SEMROB_CHROMIUM=/path/to/chromium   use another binary, install nothing
#   SEMROB_BROWSER_OUT=DIR              keep the page and its screenshot there
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${SEMROB_CHROMIUM:-}
if [[ -z "$CHROMIUM" ]]; then
    if ! command -v chromium >/dev/null 2>&1; then
        echo "test-browser: installing Debian's chromium (apt-get) ..."
        start=$(date +%s)
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
        echo "test-browser: chromium $(dpkg-query -W -f='${Version}' chromium) installed in $(( $(date +%s) - start )) s"
    fi
    CHROMIUM=$(command -v chromium)
fi
export SEMROB_CHROMIUM="$CHROMIUM"
cargo test --no-default-features --test report -- browser:: --ignored --nocapture
