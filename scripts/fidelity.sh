#!/usr/bin/env bash
# Fidelity in the numbers users read (issue 33, item 4; BENCHMARKS.md): the network-mode
# reference of benchmarks/agreement/reference.toml, map and refine mode on the same six
# shapes, and their comparison, in one command. Every step is resumable: run it again after
# an interruption and only the missing jobs run.
#
#   scripts/fidelity.sh [OUT]            default OUT: out/fidelity
#
# OUT/reference, OUT/map, OUT/refine: the three results folders; OUT/fidelity.md and
# OUT/fidelity.json: the comparison (scripts/fidelity.py). Order: map first (minutes), then
# the reference (hours on a 2-core CPU), then refine. Needs `scripts/setup.sh` and the
# test Python (`scripts/setup-test-python.sh`, for the ONNX export of Lite0).
# Environment: SEMROB (the binary; default target/release/semrob, built if missing),
# REFINE_STEPS (network steps of refine's second stage; default 100), CONFIG (the reference's
# configuration; default benchmarks/agreement/reference.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/fidelity}
config=${CONFIG:-benchmarks/agreement/reference.toml}
semrob=${SEMROB:-target/release/semrob}
refine_steps=${REFINE_STEPS:-100}

# The configuration names this file (a path relative to the repository root).
onnx=out/fidelity/efficientnet-lite0.onnx
if [ ! -f "$onnx" ]; then
    .venv-torch/bin/python tests/python/onnx_export.py lite0 "$onnx"
fi
if [ ! -x "$semrob" ]; then
    cargo build --release
fi
mkdir -p "$out"
run() {
    local name=$1
    shift
    echo "== $name: $semrob srvr $config $* --results $out/$name" >&2
    /usr/bin/time -f "$name: %e s wall, %U s user" "$semrob" srvr "$config" "$@" \
        --results "$out/$name" --format markdown >"$out/$name.md"
}
run map --regions map
run reference
run refine --regions refine --refine-steps "$refine_steps"
scripts/fidelity.py "$out/reference" map="$out/map" refine="$out/refine" \
    --json "$out/fidelity.json" >"$out/fidelity.md.tmp"
mv "$out/fidelity.md.tmp" "$out/fidelity.md"
cat "$out/fidelity.md"
