#!/usr/bin/env bash
# Fuzzes one file reader with AFL++ (issue 23), on the stable toolchain:
#
#   scripts/fuzz.sh HARNESS SECONDS
#
# HARNESS is one of: checkpoint safetensors mesh grid config results image (the bodies are
# in src/fuzzing.rs, the targets in fuzz/). The campaign starts from the seeds in
# fixtures/fuzz/HARNESS/seeds and writes its queue, crashes and hangs under
# target/fuzz-out/HARNESS/<date-time>/default/ (git-ignored); a summary is printed at the end.
#
# Install (done here when missing): cargo-afl, pinned, from crates.io; then AFL++ itself, built
# once per toolchain from the source bundled in the crate (`cargo afl config --build`, needs a
# C compiler and make; no LLVM plugins: instrumentation is rustc's own SanitizerCoverage).
#
# Environment: FUZZ_TIMEOUT_MS (default 1000) is AFL's -t, the time one input may take
# before it counts as a hang.
#
# A finding: minimise it with
#   cargo afl tmin -i CRASH -o fixtures/fuzz/HARNESS/regressions/NAME target/fuzz/release/HARNESS
# fix the reader, and `cargo test --test fuzz_replay` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

HARNESSES="checkpoint safetensors mesh grid config results image"
AFL_VERSION=0.18.2
if [ $# -ne 2 ] || ! [[ " $HARNESSES " == *" $1 "* ]] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh HARNESS SECONDS   (HARNESS: $HARNESSES)" >&2
    exit 2
fi
harness=$1
duration=$2

if ! cargo afl --version 2>/dev/null | grep -q "$AFL_VERSION"; then
    cargo install cargo-afl --version "=$AFL_VERSION" --locked
fi
# Builds AFL++ for this toolchain unless it already is (then `config --build` says so).
if ! out=$(cargo afl config --build 2>&1); then
    grep -q "already built" <<<"$out" || { echo "$out" >&2; exit 1; }
fi

export CARGO_TARGET_DIR="$PWD/target/fuzz"
(cd fuzz && cargo afl build --release --locked --bin "$harness")

out_dir="target/fuzz-out/$harness/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out_dir"
# No UI (logs instead), no CPU frequency checks (a VM has no governor to read), and no
# refusal when crashes go to a core-dump pipe.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
cargo afl fuzz -V "$duration" -t "${FUZZ_TIMEOUT_MS:-1000}" \
    -i "fixtures/fuzz/$harness/seeds" -o "$out_dir" \
    "$CARGO_TARGET_DIR/release/$harness" >"$out_dir/afl.log" 2>&1 || {
    tail -20 "$out_dir/afl.log" >&2
    exit 1
}

stats="$out_dir/default/fuzzer_stats"
field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "$harness: $(field execs_done) executions in $(field run_time) s" \
    "($(field execs_per_sec)/s), map density $(field bitmap_cvg)," \
    "edges $(field edges_found) of $(field total_edges), corpus $(field corpus_count)," \
    "crashes $(field saved_crashes), hangs $(field saved_hangs)"
echo "findings: $out_dir/default/{crashes,hangs}"
