#!/usr/bin/env bash
# The cost of growing regions on a real network as parameters are added (issue 21): for each
# shape and n = 1..5 (azimuth, elevation, distance, light azimuth, light elevation, added in
# that order), every method runs from one start on EfficientNet-Lite0 on the CPU, through
# `semrob regions mesh`. Writes one JSON per (shape, n) and a Markdown table.
#
#   scripts/nd-scaling.sh OUT_DIR [STEPS] [ETA] [COORDINATES] [START_HALF_WIDTH] [STEP_RULE]
#
# n = 1 and 2 run as the paper does (native units, the ε start, the paper's steps). From n = 3
# (where the distance joins the angles) the runs use COORDINATES, START_HALF_WIDTH and
# STEP_RULE, by default `unit`, 0.05 and `dimension-free` (SPEC §3, "Coordinates and steps in
# n dimensions": in the paper's setting nothing grows for n ≥ 3); `native epsilon paper` is the
# paper's setting for every n. Defaults: 200 steps, η 0.4. STEPS is one budget for every n, or
# five comma-separated budgets for n = 1..5. Rows finish in order of n (every shape at n = 1
# first), and a rerun skips the (shape, n) already written (use a new OUT_DIR for other
# settings).
#
# Shapes: the vase and mug fixtures and two ShapeNet10 meshes from ../shared/data. The start
# is the paper's first, (130°, 30°), extended by the default distance 2.732, light azimuth 45°
# and light elevation 60° (the scene's default light, 0°/90°, sits on the edge of the light
# elevation's domain [0, 90], where no box can grow).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/nd-scaling.sh OUT_DIR [STEPS] [ETA] [COORDINATES] [START_HALF_WIDTH] [STEP_RULE]}
IFS=, read -r -a BUDGETS <<<"${2:-200}"
if [[ ${#BUDGETS[@]} -eq 1 ]]; then
    BUDGETS=("${BUDGETS[0]}" "${BUDGETS[0]}" "${BUDGETS[0]}" "${BUDGETS[0]}" "${BUDGETS[0]}")
fi
[[ ${#BUDGETS[@]} -eq 5 ]] || { echo "STEPS: one budget or five (n = 1..5)" >&2; exit 2; }
ETA=${3:-0.4}
COORDINATES=${4:-unit}
HALF_WIDTH=${5:-0.05}
STEP_RULE=${6:-dimension-free}
ND_SETTING=(--coordinates "$COORDINATES" --steps "$STEP_RULE")
if [[ "$HALF_WIDTH" != "epsilon" ]]; then
    ND_SETTING+=(--start-half-width "$HALF_WIDTH")
fi
mkdir -p "$OUT"
# The dev profile is optimised (Cargo.toml), and already built by the tests. A private copy:
# a build in the checkout while this runs (without libtorch, say) must not swap it.
cargo build --quiet
BIN="$OUT/semrob"
cp target/debug/semrob "$BIN"
DATA=../shared/data/shapenet10

SHAPES=(
    "vase fixture:vase 883"
    "mug fixture:mug 504"
    "bottle $DATA/bottle/1cf98e5b6fff5471c8724d5673a063a6/models/model_normalized.obj 898"
    "cup $DATA/cup/1ea9ea99ac8ed233bf355ac8109b9988/models/model_normalized.obj 968"
)
AXES=(azimuth:0:360 elevation:-10:90 distance:2:4 light-azimuth:0:360 light-elevation:0:90)
START=(130 30 2.732 45 60)

for n in 1 2 3 4 5; do
    STEPS=${BUDGETS[n - 1]}
    for entry in "${SHAPES[@]}"; do
        read -r name mesh label <<<"$entry"
        out="$OUT/$name-n$n.json"
        if [[ -f "$out" ]]; then
            continue # finished earlier: resumable
        fi
        axes=$(IFS=,; echo "${AXES[*]:0:n}")
        init=$(IFS=,; echo "${START[*]:0:n}")
        if ((n <= 2)); then
            SETTING=()
            said="the paper's setting"
        else
            SETTING=("${ND_SETTING[@]}")
            said="$COORDINATES coordinates, start half-width $HALF_WIDTH, $STEP_RULE steps"
        fi
        echo "nd-scaling: $name n=$n ($axes from $init, $STEPS steps at η $ETA, $said)" >&2
        start=$(date +%s.%N)
        "$BIN" regions mesh "$mesh" --model efficientnet-lite0 --label "$label" \
            --search-axes "$axes" --init "$init" --eta "$ETA" --iterations "$STEPS" \
            ${SETTING[@]+"${SETTING[@]}"} >"$out.tmp"
        end=$(date +%s.%N)
        python3 - "$out.tmp" "$start" "$end" <<'EOF'
import json, sys
path, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = json.load(open(path))
d["wall_seconds"] = end - start
json.dump(d, open(path, "w"), indent=1)
EOF
        mv "$out.tmp" "$out"
    done
done

python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*-n[0-9].json"))):
    d = json.load(open(path))
    name, n = os.path.basename(path)[:-5].rsplit("-n", 1)
    n = int(n)
    runs = d["runs"]
    renders = sum(r["evaluations"] + 2 * n * r["gradient_evaluations"] for r in runs)
    per_render = d["wall_seconds"] / max(renders, 1)
    for r in runs:
        k = r["evaluations"] + 2 * n * r["gradient_evaluations"]
        rows.append((n, name, r["method"], r["iterations"], k, k * per_render, r["stop"], r["volume_ratio"]))
# The methods of one (shape, n) run in lockstep in one process: each run's seconds are the
# process's wall time shared by renders.
print(f"| n | shape | method | steps | renders | seconds (share) | stop | \\|D\\|/\\|Ω\\| |")
print("|---|---|---|---|---|---|---|---|")
for n, name, m, it, k, s, stop, v in sorted(rows):
    print(f"| {n} | {name} | {m} | {it} | {k} | {s:.0f} | {stop} | {v:.3g} |")
EOF
