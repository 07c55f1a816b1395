#!/usr/bin/env bash
# Mutation testing of the math core with cargo-mutants (a tool, not a dependency: it is
# installed here with `cargo install --locked cargo-mutants` when missing). Every mutant but
# those of `tensor` is built without libtorch (in copies of this tree and its target/, $MUTANTS_SCRATCH-<k>) and
# tested against the test targets that exercise it; the results go to
# out/mutants/<part>/shard-<k>/mutants.out (caught.txt, missed.txt, timeout.txt, unviable.txt).
# A surviving mutant is either killed by a new test or listed, with its reason, in
# mutants-equivalent.md. Figures of the last full run: BENCHMARKS.md, "Mutation testing".
#
#   scripts/mutants.sh --help        # this text
#   scripts/mutants.sh               # every part below but tensor, in order (hours on a 2-core VM)
#   scripts/mutants.sh region        # src/region/ only (methods, geometry, faces, driver, search, frame)
#   scripts/mutants.sh geometry faces        # some parts
#   scripts/mutants.sh methods -F 'oir_w'   # extra arguments go to cargo mutants (every part)
#   scripts/mutants.sh --changed main       # only the code `git diff main` touches
#   scripts/mutants.sh clean certificate    # src/certify/ files, in the lean build (below)
#   LIBTORCH=/abs/libtorch scripts/mutants.sh tensor   # the libtorch renderer
#
# Parts: methods, geometry, faces, driver, search, frame (src/region/<part>.rs), steprule
# (`StepRule` in src/region/methods.rs: the functions whose name holds `StepRule`, a subset of
# `methods`), oracles (the oracles crate), grid and contents (src/semantic/<part>.rs), findiff
# (src/semantic/finite_difference.rs, the gradients by central differences), camera
# (src/render/camera.rs), certify (src/certify/: stats, certificate, sampling, settings,
# clean) and each of those five files on its own (parts stats, certificate, sampling,
# settings, clean), tensor (src/render/tensor.rs, the libtorch renderer: built WITH the
# default features against $LIBTORCH, default ./.libtorch/torch, and tested with the render
# tests that compare it with the CPU renderer; not in the default set, which builds no
# libtorch). camera and tensor build the renderer alone (below, "Lean build").
#
# Lean build: the parts whose only test binary is tests/certify (certify, its five files,
# contents) are built, when every part asked is one of them, in a crate of the math core
# alone (in $MUTANTS_SCRATCH-<k>/semrob: src/certify, region, semantic without its scene
# parameters, files.rs, the oracles crate and tests/certify; the versions of Cargo.toml and
# Cargo.lock; MUTANTS_TARGET works there too). A mutant then rebuilds a few thousand lines
# instead of the whole project (3-20 s against 30 s-3.5 min on the shared 2-core VM). Its --lib runs the unit tests of those modules only, so it can
# only miss more than a whole-project run: MUTANTS_LEAN=0 builds the whole project instead.
# MUTANTS_LEAN=core builds the parts of src/region and src/semantic (not camera) that way too,
# tested by the core's unit tests and tests/certify only: a first pass in minutes whose
# missed mutants still need the whole project's tests (tests/region, cli) to be judged.
# camera and tensor (asked without other parts) build src/render as a crate of its own with
# tests/render, the golden image rule and golden/render: the renderer's whole test set, in
# about 10 s a mutant instead of minutes; MUTANTS_LEAN=0 builds the whole project instead.
#
# --changed BASE mutates only the lines that `git diff BASE` changes in the working tree
# (cargo-mutants --in-diff), tested against the test targets of the parts those files belong
# to (all of them for any other file). A new file is in the diff once git knows it
# (`git add -N FILE`). Check a change this way before committing it.
#
# MUTANTS_RESUME=1 goes on with an interrupted (or earlier) run of the same parts:
# cargo-mutants --iterate skips the mutants out/mutants/<part> already lists as caught or
# unviable (in any shard, so MUTANTS_JOBS may differ from the earlier run's) and tests the
# rest, the missed and timed-out ones again (add `-E 'REGEX'` to leave known ones out);
# caught.txt then holds this run's, previously_caught.txt the earlier runs' caught and
# unviable ones (the tensor part takes hours).
#
# Environment: MUTANTS_JOBS copies side by side (default 2; 1 on a shared machine),
# MUTANTS_TIMEOUT_MULTIPLIER: a mutant's tests time out after this many times the
# baseline's test time, 60 s at least (default 10; a hanging tensor mutant costs 154 s at 10),
# MUTANTS_SCRATCH (default /tmp/semrob-mutants), MUTANTS_TARGET: a target/ to start the
# scratch build from (copied whole: it saves building the dependencies again, but a
# developer's target/ is several GB: mind the disk).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi

if ! command -v cargo-mutants >/dev/null; then
    cargo install --locked cargo-mutants
fi

all=(methods geometry faces driver search frame steprule oracles grid contents findiff camera certify)
# Parts not in the default set: single files of `certify`, and the libtorch renderer.
extra=(stats certificate sampling settings clean tensor)
parts=()
base=
while [[ $# -gt 0 ]]; do
    if [[ $1 == --changed ]]; then
        [[ $# -ge 2 ]] || { echo "--changed needs a git revision (e.g. main)" >&2; exit 2; }
        base=$2
        shift
    elif [[ $1 == region ]]; then
        parts+=(methods geometry faces driver search frame)
    elif [[ " ${all[*]} ${extra[*]} " == *" $1 "* ]]; then
        parts+=("$1")
    else
        break
    fi
    shift
done
if [[ -n $base ]]; then
    [[ ${#parts[@]} -eq 0 ]] || { echo "--changed takes no parts" >&2; exit 2; }
    parts=(changed)
fi
[[ ${#parts[@]} -gt 0 ]] || parts=("${all[@]}")

# The test binaries that exercise each part (one per area since the tests were grouped).
declare -A part_tests=(
    [methods]="region"
    [geometry]="region"
    [faces]="region"
    [driver]="region"
    [search]="region"
    [frame]="region"
    [steprule]="region"
    [oracles]=""
    [grid]="region cli"
    [contents]="certify"
    [findiff]="region"
    [camera]="render"
    [certify]="certify"
    [stats]="certify"
    [certificate]="certify"
    [sampling]="certify"
    [settings]="certify"
    [clean]="certify"
    [tensor]="render"
)

# The files of each part of the `semrob` package (the oracles crate is a package of its own).
declare -A part_files=(
    [methods]="src/region/methods.rs"
    [geometry]="src/region/geometry.rs"
    [faces]="src/region/faces.rs"
    [driver]="src/region/driver.rs"
    [search]="src/region/search.rs"
    [frame]="src/region/frame.rs"
    [steprule]="src/region/methods.rs"
    [grid]="src/semantic/grid.rs"
    [contents]="src/semantic/contents.rs"
    [findiff]="src/semantic/finite_difference.rs"
    [camera]="src/render/camera.rs"
    [certify]="src/certify/stats.rs src/certify/certificate.rs src/certify/sampling.rs src/certify/settings.rs src/certify/clean.rs"
    [stats]="src/certify/stats.rs"
    [certificate]="src/certify/certificate.rs"
    [sampling]="src/certify/sampling.rs"
    [settings]="src/certify/settings.rs"
    [clean]="src/certify/clean.rs"
    [tensor]="src/render/tensor.rs"
)

# --changed: the diff, and the test targets of the parts it touches.
if [[ -n $base ]]; then
    mkdir -p out/mutants
    diff_file=$PWD/out/mutants/changed.diff
    git diff "$base" -- '*.rs' >"$diff_file"
    changed=$(git diff --name-only "$base" -- '*.rs')
    if [[ -z $(grep -v '^tests/\|^benches/\|^examples/\|^fuzz/' <<<"$changed" || true) ]]; then
        echo "no source changed against $base: nothing to mutate"
        exit 0
    fi
    declare -A want=()
    changed_oracles=
    for f in $changed; do
        case $f in
        oracles/*) changed_oracles=1 ;;
        tests/* | benches/* | examples/* | fuzz/*) ;;
        src/*)
            found=
            for p in "${!part_files[@]}"; do
                if [[ " ${part_files[$p]} " == *" $f "* ]]; then
                    for t in ${part_tests[$p]}; do want[$t]=1; done
                    found=1
                fi
            done
            if [[ -z $found ]]; then
                for t in region render cli certify; do want[$t]=1; done
            fi
            ;;
        esac
    done
    part_tests[changed]="${!want[*]}"
fi

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

# The build: lean (every part asked tests with tests/certify only), torch (the part tensor,
# which must be asked alone) or whole (the project without libtorch).
mode=lean
for part in "${parts[@]}"; do
    if [[ $part == tensor ]]; then
        [[ ${#parts[@]} -eq 1 ]] || { echo "tensor builds with libtorch: ask it alone" >&2; exit 2; }
        mode=torch
    elif [[ ${part_tests[$part]} != certify || $part == changed ]]; then
        mode=whole
    fi
done
[[ ${MUTANTS_LEAN:-1} != 0 || $mode != lean ]] || mode=whole
# camera and tensor: the renderer is a module of its own (src/render uses nothing else of
# semrob), so, unless MUTANTS_LEAN=0, it is built as a crate of its own with its tests
# (tests/render): a mutant rebuilds the renderer alone, not the whole project.
render_lean=
if [[ ${MUTANTS_LEAN:-1} != 0 && ($mode == whole || $mode == torch) ]]; then
    render_lean=1
    for part in "${parts[@]}"; do
        [[ $part == camera || $part == tensor ]] || render_lean=
    done
fi
# MUTANTS_LEAN=core: the parts of src/region, src/semantic and src/certify in the lean build
# too, tested by the core's unit tests and tests/certify only (not tests/region, cli or
# render): a quick first pass whose caught mutants stand; its missed ones may be caught by
# the whole project's tests.
if [[ ${MUTANTS_LEAN:-1} == core && $mode == whole ]]; then
    for part in "${parts[@]}"; do
        case $part in
        methods | geometry | faces | driver | search | frame | steprule | grid | contents | findiff) part_tests[$part]=certify ;;
        stats | certificate | sampling | settings | clean | certify) ;;
        *) echo "MUTANTS_LEAN=core: $part is not in the core" >&2; exit 2 ;;
        esac
    done
    mode=lean
fi
features=(--no-default-features)
if [[ $mode == torch ]]; then
    features=()
    [[ -z $render_lean ]] || features=(--features torch)
    export LIBTORCH=${LIBTORCH:-$root/.libtorch/torch}
    [[ $LIBTORCH == /* && -d $LIBTORCH ]] || { echo "LIBTORCH=$LIBTORCH: no libtorch there (an absolute path)" >&2; exit 2; }
    export LD_LIBRARY_PATH=$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
echo "== build: $mode${render_lean:+ (the renderer alone)}"

# Each copy is $scratch-<k>/semrob, beside a link to ../shared (the tests read its reference
# data, such as the certificate statistics, from there).
copy() {
    mkdir -p "$scratch-$1/semrob"
    if [[ -d ../shared ]]; then ln -s "$(cd ../shared && pwd)" "$scratch-$1/shared"; fi
}
copy 0
if [[ $mode == lean ]]; then
    # The math core as a crate of its own: the same sources, a manifest of their dependencies
    # (the version lines of Cargo.toml), the oracles crate beside it.
    lean=$scratch-0/semrob
    mkdir -p "$lean/src" "$lean/tests"
    cp -r src/certify src/region src/semantic src/files.rs "$lean/src/"
    cp -r tests/certify "$lean/tests/"
    cp Cargo.lock "$lean/"
    tar --exclude=./target -C oracles -cf - . | (mkdir -p "$scratch-0/oracles" && tar -xf - -C "$scratch-0/oracles")
    edition=$(sed -n 's/^edition = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    sed -i "s/^edition\.workspace = true\$/edition = \"$edition\"/"';  /^\(license\|rust-version\)\.workspace = true$/d' "$scratch-0/oracles/Cargo.toml"
    # semantic::param builds scenes (src/render): not in the core.
    sed -i '/^mod param;$/d; /^pub use param::{/,/};$/d' "$lean/src/semantic/mod.rs"
    printf '%s\n' '//! The math core of semrob alone, for mutation testing (scripts/mutants.sh).' \
        'pub mod certify;' 'pub mod files;' 'pub mod region;' 'pub mod semantic;' >"$lean/src/lib.rs"
    {
        printf '[package]\nname = "semrob"\nversion = "0.1.0"\nedition = "%s"\n\n[dependencies]\n' "$edition"
        sed -n '/^\[dependencies\]/,/^\[/p' Cargo.toml | grep -E '^(nalgebra|thiserror|sha2|rand|serde|serde_json) ='
        echo 'semrob-oracles = { path = "../oracles" }'
        printf '\n[dev-dependencies]\n'
        sed -n '/^\[dev-dependencies\]/,/^\[/p' Cargo.toml | grep -E '^toml ='
        printf '\n[[test]]\nname = "certify"\npath = "tests/certify/main.rs"\n\n'
        sed -n '/^\[profile.dev\]/,/^\[profile.release\]/p' Cargo.toml | sed '$d'
    } >"$lean/Cargo.toml"
elif [[ -n $render_lean ]]; then
    # The renderer as a crate of its own: src/render, the golden image rule it is tested
    # with (src/report/golden.rs, which writes through src/files.rs), tests/render and the
    # golden renders; the version lines of Cargo.toml; `torch` for the libtorch renderer.
    lean=$scratch-0/semrob
    mkdir -p "$lean/src/report" "$lean/tests" "$lean/golden"
    cp -r src/render src/files.rs "$lean/src/"
    cp src/report/golden.rs "$lean/src/report/"
    echo 'pub mod golden;' >"$lean/src/report/mod.rs"
    cp -r tests/render "$lean/tests/"
    cp -r golden/render "$lean/golden/"
    cp Cargo.lock "$lean/"
    edition=$(sed -n 's/^edition = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    printf '%s\n' '//! The renderer of semrob alone, for mutation testing (scripts/mutants.sh).' \
        'pub mod files;' 'pub mod render;' 'pub mod report;' >"$lean/src/lib.rs"
    {
        printf '[package]\nname = "semrob"\nversion = "0.1.0"\nedition = "%s"\n\n' "$edition"
        printf '[features]\ntorch = ["dep:tch", "dep:torch-sys"]\n\n[dependencies]\n'
        sed -n '/^\[dependencies\]/,/^\[/p' Cargo.toml | grep -E '^(thiserror|serde|serde_json|rayon|tobj|image|tch|torch-sys) ='
        printf '\n[dev-dependencies]\n'
        sed -n '/^\[dev-dependencies\]/,/^\[/p' Cargo.toml | grep -E '^(proptest|approx|tempfile) ='
        printf '\n[[test]]\nname = "render"\npath = "tests/render/main.rs"\n\n'
        sed -n '/^\[profile.dev\]/,/^\[profile.release\]/p' Cargo.toml | sed '$d'
    } >"$lean/Cargo.toml"
else
    tar --exclude=./.git --exclude=./out --exclude=./target --exclude='./.gpu*' --exclude=./.libtorch --exclude=./.venv-torch -cf - . |
        tar -xf - -C "$scratch-0/semrob"
fi
if [[ -n ${MUTANTS_TARGET:-} ]]; then
    cp -a "$MUTANTS_TARGET" "$scratch-0/semrob/target"
fi
# Only the test targets the parts run.
declare -A build=()
for part in "${parts[@]}"; do
    for t in ${part_tests[$part]}; do build[--test=$t]=1; done
done
(cd "$scratch-0/semrob" && cargo test "${features[@]}" --no-run --lib "${!build[@]}" --quiet)
for ((k = 1; k < jobs; k++)); do
    copy "$k"
    (cd "$scratch-0" && tar --exclude=./shared -cf - .) | tar -xf - -C "$scratch-$k"
done

count() {
    cat "$1"/shard-*/mutants.out/"$2".txt 2>/dev/null | wc -l
}

run() {
    local name=$1
    shift
    local out="$root/out/mutants/$name"
    local iterate=()
    if [[ ${MUTANTS_RESUME:-0} == 1 && -d $out ]]; then
        iterate=(--iterate)
        # cargo-mutants --iterate skips what its own output folder lists as caught or
        # unviable, and shards what is left: every shard gets the history of all of them, so
        # that a run resumed with another MUTANTS_JOBS splits the same remaining mutants.
        local done_before
        done_before=$(cat "$out"/shard-*/mutants.out/{previously_caught,caught,unviable}.txt 2>/dev/null | sort -u)
        for ((k = 0; k < jobs; k++)); do
            mkdir -p "$out/shard-$k/mutants.out"
            printf '%s\n' "$done_before" | sed '/^$/d' >"$out/shard-$k/mutants.out/previously_caught.txt"
        done
    else
        rm -rf "$out"
    fi
    for ((k = 0; k < jobs; k++)); do
        mkdir -p "$out/shard-$k"
        # The test timeout: 60 s at least (the tests take about 2 s; the machine is shared),
        # else MUTANTS_TIMEOUT_MULTIPLIER (default 10) times the baseline's test time.
        (cd "$scratch-$k/semrob" && cargo mutants --in-place "${features[@]}" --baseline=run \
            --minimum-test-timeout=60 --timeout-multiplier="${MUTANTS_TIMEOUT_MULTIPLIER:-10}" \
            --shard "$k/$jobs" --sharding round-robin \
            --output "$out/shard-$k" "${iterate[@]}" "$@" >>"$out/shard-$k/console.log" 2>&1) &
    done
    wait
    echo "== $name: $(count "$out" caught) caught, $(count "$out" missed) missed," \
        "$(count "$out" timeout) timeout, $(count "$out" unviable) unviable" \
        "${iterate:+(and $(count "$out" previously_caught) caught or unviable in earlier runs)}"
}

test_args() {
    for t in "$@"; do printf -- '--cargo-arg=--test=%s\n' "$t"; done
}

for part in "${parts[@]}"; do
    mapfile -t args < <(test_args ${part_tests[$part]})
    case $part in
    methods | geometry | faces | driver | search | frame | grid | contents | findiff | camera | \
        stats | certificate | sampling | settings | clean)
        run "$part" -p semrob -f "${part_files[$part]}" --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    tensor)
        # The tests whose path holds `tensor::`: tests/render/tensor.rs (the libtorch
        # renderer against the CPU one, bit for bit where both are exact) and the module's
        # unit tests.
        run tensor -p semrob -f "${part_files[tensor]}" --cargo-arg=--lib "${args[@]}" \
            --cargo-test-arg=tensor:: "$@"
        ;;
    steprule)
        run steprule -p semrob -f src/region/methods.rs -F 'StepRule' --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    certify)
        mapfile -t files < <(printf -- '-f\n%s\n' ${part_files[certify]})
        run certify -p semrob "${files[@]}" --cargo-arg=--lib "${args[@]}" "$@"
        ;;
    changed)
        if grep -q '^src/' <<<"$changed"; then
            run changed -p semrob --in-diff "$diff_file" --cargo-arg=--lib "${args[@]}" "$@"
        fi
        if [[ -n $changed_oracles ]]; then
            run changed-oracles -p semrob-oracles --in-diff "$diff_file" "$@"
        fi
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
    esac
done
