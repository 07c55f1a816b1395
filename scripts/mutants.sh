#!/usr/bin/env bash
# Mutation testing of the math core with cargo-mutants (a tool, not a dependency: it is
# installed here with `cargo install --locked cargo-mutants` when missing). Every mutant is
# built without libtorch (in copies of this tree and its target/, $MUTANTS_SCRATCH-<k>) and
# tested against the test targets that exercise it; the results go to
# out/mutants/<part>/shard-<k>/mutants.out (caught.txt, missed.txt, timeout.txt, unviable.txt).
# A surviving mutant is either killed by a new test or listed, with its reason, in
# mutants-equivalent.md. Figures of the last full run: BENCHMARKS.md, "Mutation testing".
#
#   scripts/mutants.sh               # everything below, in order (hours on a 2-core VM)
#   scripts/mutants.sh region        # src/region/ only (methods, geometry, faces, driver, search)
#   scripts/mutants.sh geometry faces        # some parts
#   scripts/mutants.sh methods -F 'oir_w'   # extra arguments go to cargo mutants (every part)
#
# Parts: methods, geometry, faces, driver, search (src/region/<part>.rs), oracles (the oracles crate),
# grid (src/semantic/grid.rs), camera (src/render/camera.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
    cargo install --locked cargo-mutants
fi

all=(methods geometry faces driver search oracles grid camera)
parts=()
while [[ $# -gt 0 ]]; do
    if [[ $1 == region ]]; then
        parts+=(methods geometry faces driver search)
    elif [[ " ${all[*]} " == *" $1 "* ]]; then
        parts+=("$1")
    else
        break
    fi
    shift
done
[[ ${#parts[@]} -gt 0 ]] || parts=("${all[@]}")

# The test binaries that exercise each part (one per area since the tests were grouped).
declare -A part_tests=(
    [methods]="region"
    [geometry]="region"
    [faces]="region"
    [driver]="region"
    [search]="region"
    [oracles]=""
    [grid]="region cli"
    [camera]="render"
)

# cargo-mutants' own scratch copies lose the files' times, so cargo would rebuild every
# dependency for each mutant; instead the tree is copied once, built once without libtorch
# (a target of about 2 GB, not the 20 GB a developer's target/ grows to), and that copy,
# build included, is copied with its times (tar) for each shard; the mutants are applied in
# place in the copies. MUTANTS_JOBS copies run shards of the mutants side by side (default 2:
# the builds wait on a busy CPU more than they use it).
root=$PWD
scratch=${MUTANTS_SCRATCH:-/tmp/semrob-mutants}
jobs=${MUTANTS_JOBS:-2}
rm -rf "$scratch"-*
mkdir -p "$scratch-0"
tar --exclude=./.git --exclude=./out --exclude=./target --exclude='./.gpu*' --exclude=./.libtorch --exclude=./.venv-torch -cf - . |
    tar -xf - -C "$scratch-0"
(cd "$scratch-0" && cargo test --no-default-features --no-run --lib --test region --test render \
    --test cli --quiet)
for ((k = 1; k < jobs; k++)); do
    mkdir -p "$scratch-$k"
    (cd "$scratch-0" && tar -cf - .) | tar -xf - -C "$scratch-$k"
done

count() {
    cat "$1"/shard-*/mutants.out/"$2".txt 2>/dev/null | wc -l
}

run() {
    local name=$1
    shift
    local out="$root/out/mutants/$name"
    rm -rf "$out"
    for ((k = 0; k < jobs; k++)); do
        mkdir -p "$out/shard-$k"
        # The test timeout: 60 s at least (the tests take about 2 s; the machine is shared).
        (cd "$scratch-$k" && cargo mutants --in-place --no-default-features --baseline=run \
            --minimum-test-timeout=60 --timeout-multiplier=10 --shard "$k/$jobs" --sharding round-robin \
            --output "$out/shard-$k" "$@" >"$out/shard-$k/console.log" 2>&1) &
    done
    wait
    echo "== $name: $(count "$out" caught) caught, $(count "$out" missed) missed," \
        "$(count "$out" timeout) timeout, $(count "$out" unviable) unviable"
}

test_args() {
    for t in "$@"; do printf -- '--cargo-arg=--test=%s\n' "$t"; done
}

for part in "${parts[@]}"; do
    mapfile -t args < <(test_args ${part_tests[$part]})
    case $part in
    methods | geometry | faces | driver | search)
        run "$part" -p semrob -f "src/region/$part.rs" --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    oracles)
        # The oracles crate's own tests only. The region tests of `semrob` exercise the oracles
        # far more, but cargo-mutants 27.1 ran only the mutated package's tests here: with
        # `--test-package semrob` (or `--test-workspace=true`) it still built
        # `--package=semrob-oracles` alone, and `--test=region` then failed the baseline. A
        # missed oracle mutant may therefore be caught by tests/region: check there before
        # listing it.
        run oracles -p semrob-oracles "$@"
        ;;
    grid)
        run grid -p semrob -f src/semantic/grid.rs --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    camera)
        run camera -p semrob -f src/render/camera.rs --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    esac
done
