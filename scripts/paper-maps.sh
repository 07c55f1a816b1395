#!/usr/bin/env bash
# SRVR on the 400 semantic maps Hamdi & Ghanem published with their code (issue 9): converts
# them into out/paper-maps (semrob.grid/1) and runs `semrob srvr grids` under the three
# acceptance rules, each checked against its golden report in golden/paper-maps/.
#
#   scripts/paper-maps.sh CHECKOUT            # CHECKOUT: a clone of
#                                             # github.com/ajhamdi/semantic-robustness
#   BLESS=1 scripts/paper-maps.sh CHECKOUT    # rewrite the goldens (a deliberate change)
#
# The maps are the authors' data and stay out of this repository; the conversion needs the
# test venv's torch (scripts/setup-test-python.sh) to read their map.pt pickles. The folder
# name is part of the reports (their `name`), so it is always out/paper-maps.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -ne 1 || ! -d $1/checkpoint ]]; then
    echo "usage: $0 CHECKOUT (a clone of github.com/ajhamdi/semantic-robustness, with checkpoint/)" >&2
    exit 2
fi
scripts/setup-test-python.sh
rm -rf out/paper-maps
.venv-torch/bin/python scripts/python/paper_maps.py "$1/checkpoint" out/paper-maps
cargo build --release --quiet
bless=()
[[ -n ${BLESS:-} ]] && bless=(--bless)
for rule in reference each none; do
    accept=()
    [[ $rule != reference ]] && accept=(--accept-by "$rule")
    echo "== acceptance: $rule"
    target/release/semrob srvr grids out/paper-maps "${accept[@]}" --format markdown \
        --golden "golden/paper-maps/$rule.json" "${bless[@]}"
done
