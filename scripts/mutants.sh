#!/usr/bin/env bash
# Mutation testing of the math core with cargo-mutants (a tool, not a dependency: it is
# installed here with `cargo install --locked cargo-mutants` when missing). Every mutant is
# built without libtorch and tested against the test targets that exercise it; the results go
# to out/mutants/<name>/mutants.out (caught.txt, missed.txt, timeout.txt, unviable.txt).
# A surviving mutant is either killed by a new test or listed, with its reason, in
# mutants-equivalent.md. Figures of the last full run: BENCHMARKS.md, "Mutation testing".
#
#   scripts/mutants.sh               # everything below, in order (hours on a 2-core VM)
#   scripts/mutants.sh region        # src/region/ only (methods, geometry, faces, driver)
#   scripts/mutants.sh methods -F 'oir_w'   # one part; extra arguments go to cargo mutants
#
# Parts: methods, geometry, faces, driver (src/region/<part>.rs), oracles (the oracles crate),
# grid (src/semantic/grid.rs), camera (src/render/camera.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null; then
    cargo install --locked cargo-mutants
fi

parts=(methods geometry faces driver oracles grid camera)
if [[ $# -gt 0 && $1 == region ]]; then
    parts=(methods geometry faces driver)
    shift
elif [[ $# -gt 0 && " ${parts[*]} " == *" $1 "* ]]; then
    parts=("$1")
    shift
fi

region_tests=(region_directions region_oir_w region_driver region_divergence region_geometry
    region_face_quadrature region_behaviour)

run() {
    local name=$1
    shift
    mkdir -p "out/mutants/$name"
    # --copy-target: the scratch copy starts from this tree's build (minutes saved per run).
    # The test timeout: 60 s at least (the tests take about 2 s; the machine is shared).
    cargo mutants --no-default-features --copy-target=true --baseline=run \
        --minimum-test-timeout=60 --timeout-multiplier=10 \
        --output "out/mutants/$name" "$@" || true
    echo "== $name: $(wc -l <"out/mutants/$name/mutants.out/caught.txt") caught," \
        "$(wc -l <"out/mutants/$name/mutants.out/missed.txt") missed," \
        "$(wc -l <"out/mutants/$name/mutants.out/timeout.txt") timeout," \
        "$(wc -l <"out/mutants/$name/mutants.out/unviable.txt") unviable"
}

test_args() {
    for t in "$@"; do printf -- '--cargo-arg=--test=%s\n' "$t"; done
}

for part in "${parts[@]}"; do
    case $part in
    methods | geometry | faces | driver)
        mapfile -t args < <(test_args "${region_tests[@]}")
        run "$part" -p semrob -f "src/region/$part.rs" --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    oracles)
        mapfile -t args < <(test_args "${region_tests[@]}")
        run oracles -p semrob-oracles --test-package semrob-oracles,semrob \
            --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    grid)
        mapfile -t args < <(test_args grid cli_regions)
        run grid -p semrob -f src/semantic/grid.rs --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    camera)
        mapfile -t args < <(test_args render_properties render_analytic)
        run camera -p semrob -f src/render/camera.rs --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    esac
done
