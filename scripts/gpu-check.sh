#!/usr/bin/env bash
# The CUDA check of semrob and the GPU runs of the paper's experiment, run ON a lent GPU
# machine (no Rust, no network; python3 with torch 2.11 and torchvision) from the repository
# root, with what scripts/gpu-build.sh staged in the git-excluded folder .gpu/ (carried): the
# binary semrob.xz (tch 0.24 / libtorch 2.11, libtorch_cuda.so NEEDED), weights/*.pth,
# shapenet10.tar.xz, fonts/ and syslibs/. Weights that do not fit in one call's carry (64 MiB)
# can come in a later call in any folder .gpu-*/weights/ (e.g. .gpu-l2/weights/).
#
# Usage: scripts/gpu-check.sh [check|shapenet|device|all]      (default: all)
#   check     versions and nvidia-smi; classify a render on cuda and cpu; the paper's 3° map
#             (4 080 points) of a fixture on cuda at batch MAP_BATCH and at 64; a cpu/cuda
#             parity map; the paper's four torchvision networks' images/s
#             (scripts/python/gpu_throughput.py); a network-mode regions job of a fixture;
#             configs/lockstep-2d-lite0.toml (8 network-mode jobs) with --lockstep-jobs 1 and 8.
#   shapenet  `semrob srvr configs/shapenet10.toml --regions map --device cuda`: the ShapeNet
#             table (every network of the configuration; their weights must all be here);
#             then configs/agreement.toml in map mode and in network mode (map vs network,
#             issue 9) until the budget is spent (finished jobs are kept).
#   device    issue 20: the paper's 3° map of a fixture with the device renderer and with the
#             CPU renderer, and of a ShapeNet aeroplane with the device renderer (images/s);
#             the fixture's 3° map in bf16 and f16 against f32 (score drift); the network-mode
#             aeroplane job of configs/agreement.toml (shard 1/5) with the device renderer;
#             GPU utilisation per step (util-STEP lines).
# Work is kept in /tmp/semrob-gpu between calls on a warm machine: a second call reuses the
# unpacked binary, weights and meshes, and resumes unfinished results folders.
# ShapeNet10 is unpacked to ../shared/data/shapenet10 (where the committed configurations
# look) unless it is there already. GPU utilisation is sampled every second into util.csv.
#
# Results, under $OUT (at most 8 files come back): gpu-check-PHASE.log; PHASE-results.tar.gz
# (timings.txt, util.csv, maps, regions, throughput); for `shapenet`
# shapenet-jobs.tar.gz (stamp, jobs, reports), shapenet-maps.tar.gz (the maps) and
# agree.tar.gz (both agreement folders without their renders).
#
# Knobs (environment): CHECK_BUDGET (seconds for the phase, default 360), MAP_BATCH (512),
# REGIONS_ITERS (50), SHAPENET_TIMEOUT (3600), AGREE_MAP_TIMEOUT (60).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PHASE=${1:-all}
case "$PHASE" in check | shapenet | device | all) ;; *)
    echo "usage: $0 [check|shapenet|device|all]" >&2
    exit 2
    ;;
esac
OUT=${OUT:-/tmp/semrob-gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check-$PHASE.log") 2>&1
set -x
export PYTHONUNBUFFERED=1

CHECK_BUDGET=${CHECK_BUDGET:-360}
MAP_BATCH=${MAP_BATCH:-512}
REGIONS_ITERS=${REGIONS_ITERS:-50}
AGREE_MAP_TIMEOUT=${AGREE_MAP_TIMEOUT:-60}
SHAPENET_TIMEOUT=${SHAPENET_TIMEOUT:-3600}
G=$REPO/.gpu
W=/tmp/semrob-gpu
R=$W/results-$PHASE
rm -rf "$R"
mkdir -p "$R" "$W/weights"
T0=$(date +%s)
TIMINGS=$R/timings.txt
: >"$TIMINGS"

# step NAME LIMIT CMD...: CMD under `timeout` (LIMIT, cut to what is left of CHECK_BUDGET);
# records start time, wall seconds and status in timings.txt.
step() {
    local name=$1 limit=$2 start end rc left
    shift 2
    left=$((CHECK_BUDGET - ($(date +%s) - T0)))
    if ((left < 15)); then
        echo "$name skipped: budget spent" | tee -a "$TIMINGS" >&2
        return 124
    fi
    ((limit > left)) && limit=$left
    start=$(date +%s.%N)
    timeout --kill-after=5 "$limit" "$@"
    rc=$?
    end=$(date +%s.%N)
    awk -v n="$name" -v rc="$rc" -v a="$start" -v b="$end" -v t="$(date -d "@${start%.*}" +%T)" \
        'BEGIN { printf "%s rc=%d seconds=%.2f start=%s\n", n, rc, b - a, t }' |
        tee -a "$TIMINGS" >&2
    return $rc
}
seconds_of() { sed -n "s/^$1 rc=0 seconds=\([0-9.]*\) .*/\1/p" "$TIMINGS" | tail -n 1; }
rate() { # NAME POINTS: images per second of a finished step
    local s
    s=$(seconds_of "$1")
    [[ -n "$s" ]] && awk -v n="$1" -v p="$2" -v s="$s" \
        'BEGIN { printf "%s: %d points in %.2f s = %.1f images/s\n", n, p, s, p / s }' |
        tee -a "$TIMINGS"
}

# --- environment (once per machine) --------------------------------------------------------
PY=$(command -v python3 || echo /opt/torch/.venv/bin/python3)
TORCH_LIB=${TORCH_LIB:-$(timeout 60 "$PY" -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')}
uname -a
nproc
timeout 30 nvidia-smi
timeout 60 "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")'
cat "$G/semrob.commit"
if [[ -z "${SEMROB_DRY_BIN:-}" ]] && ! cmp -s "$G/semrob.commit" "$W/semrob.commit"; then
    xz -dc "$G/semrob.xz" >"$W/semrob.bin" && chmod +x "$W/semrob.bin" || exit 1
    cp "$G/semrob.commit" "$W/semrob.commit"
fi
for w in "$REPO"/.gpu*/weights/*.pth; do
    [[ -f "$w" && ! -f "$W/weights/$(basename "$w")" ]] && cp "$w" "$W/weights/"
done
ls -l "$W/weights"
DATA=$REPO/../shared/data
if [[ ! -f "$DATA/shapenet10/manifest.json" && -f "$G/shapenet10.tar.xz" ]]; then
    mkdir -p "$DATA" && tar -C "$DATA" -xJf "$G/shapenet10.tar.xz"
fi
LIBS=$TORCH_LIB
if [[ -n "${SEMROB_DRY_BIN:-}" ]]; then
    # A dry run of this script's logic on a machine without a GPU (the CUDA steps fail):
    # SEMROB_DRY_BIN=target/release/semrob TORCH_LIB=... scripts/gpu-check.sh check
    cp "$SEMROB_DRY_BIN" "$W/semrob.bin"
elif LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep -q 'not found'; then
    LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep 'not found'
    echo "gpu-check: adding the carried fontconfig/freetype libraries"
    LIBS=$LIBS:$G/syslibs
fi
[[ -z "${SEMROB_DRY_BIN:-}" ]] && LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep -q 'not found' && exit 1
# Plots need a font; an image without system fonts gets the carried DejaVu Sans.
FONTS=
if ! fc-list 2>/dev/null | grep -q .; then
    [[ -f "$G/fonts/fonts.conf" ]] && FONTS=$G/fonts/fonts.conf
fi
BIN=$W/semrob
cat >"$BIN" <<EOF
#!/bin/sh
LD_LIBRARY_PATH='$LIBS' SEMROB_WEIGHTS_DIR='$W/weights' ${FONTS:+FONTCONFIG_FILE='$FONTS'} exec '$W/semrob.bin' "\$@"
EOF
chmod +x "$BIN"
"$BIN" --version || exit 1
NET=(--model efficientnet-lite0 --weights "$W/weights/efficientnet-lite0.pth")

# GPU utilisation, every second, for the whole phase.
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 1 \
    >"$R/util.csv" 2>&1 &
SMI=$!
# tar_results NAME DIR [EXCLUDES...]: DIR (relative to $W) as $OUT/NAME.tar.gz.
tar_results() {
    local name=$1 dir=$2
    shift 2
    [[ -d "$W/$dir" ]] && tar -C "$W" "$@" -czf "$OUT/$name.tar.gz" "$dir"
}
finish() {
    kill "$SMI" 2>/dev/null
    awk -F', ' '$2 ~ /^[0-9]+ %/ { n++; u = $2 + 0; s += u; if (u > m) m = u; if (u > 0) busy++ }
        END { if (n) printf "utilization.gpu over %d samples: mean %.1f %%, max %d %%, nonzero in %d\n", n, s / n, m, busy }' \
        "$R/util.csv" | tee -a "$TIMINGS"
    echo "total seconds=$(($(date +%s) - T0))" | tee -a "$TIMINGS"
    cat "$TIMINGS"
    tar_results "$PHASE-results" "results-$PHASE"
    if [[ $PHASE == shapenet || $PHASE == all ]]; then
        tar_results agree agree --exclude=renders --exclude=traces
        # Traces are about 1 MB per job: they would push the tarball over the 16 MiB that
        # come back from a device call (and collide with the phase's own shapenet-results).
        tar_results shapenet-jobs shapenet-map --exclude=renders --exclude=maps --exclude=traces
        tar_results shapenet-maps shapenet-map --exclude=renders --exclude=traces --exclude=jobs
    fi
    ls -l "$OUT"
}
trap finish EXIT

check_phase() {
    # --- classify a render on cuda and cpu -------------------------------------------------
    step render 30 "$BIN" render fixture:teapot --azimuth 130 --elevation 30 --size 224 -o "$R/teapot.png"
    step classify-cuda 90 "$BIN" classify "$R/teapot.png" "${NET[@]}" --device cuda --json |
        tee "$R/classify-cuda.json"
    step classify-cpu 60 "$BIN" classify "$R/teapot.png" "${NET[@]}" --device cpu --json |
        tee "$R/classify-cpu.json"

    # --- the paper's 3° map of a fixture on cuda (4 080 points), two batch sizes ------------
    for b in "$MAP_BATCH" 64; do
        step "map-cuda-batch$b" 120 "$BIN" map fixture:teapot --label 849 "${NET[@]}" \
            --batch "$b" --device cuda --out-dir "$R/map-batch$b" --json >"$R/map-batch$b.stdout"
        rate "map-cuda-batch$b" 4080
    done

    # --- cpu/cuda parity on a coarse map (72 points) ---------------------------------------
    for dev in cpu cuda; do
        step "parity-map-$dev" 60 "$BIN" map fixture:teapot --label 849 "${NET[@]}" \
            --map-axes azimuth:0:360:30,elevation:-10:90:20 --batch 72 --device "$dev" \
            --out-dir "$R/parity-$dev" --json >/dev/null
    done
    timeout 60 "$PY" - "$R" <<'PY' | tee -a "$TIMINGS"
import glob, json, sys
r = sys.argv[1]
def flat(v):
    return [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
def values(dev):
    (path,) = glob.glob(f"{r}/parity-{dev}/*.json")
    return flat(json.load(open(path))["values"])
a, b = values("cpu"), values("cuda")
d = max(abs(x - y) for x, y in zip(a, b))
print(f"parity: {len(a)} points, max |cpu - cuda| = {d:.3g} (scores in [0, 1])")
PY

    # --- the paper's torchvision networks: images/s for the cost projection ---------------
    step torchvision 90 "$PY" scripts/python/gpu_throughput.py \
        --batches 32,256,512 --seconds 1.5 | tee "$R/throughput.jsonl"

    # --- a network-mode regions job of a fixture (4 starts x 3 methods) --------------------
    step regions-cuda 90 "$BIN" regions mesh fixture:teapot --label 849 "${NET[@]}" --device cuda \
        --iterations "$REGIONS_ITERS" --batch 512 --out "$R/regions-cuda.json" \
        >"$R/regions-cuda.stdout"
    tail -n 30 "$R/regions-cuda.stdout"

    # --- jobs in lockstep (issue 12): 8 network-mode jobs one by one, then as one wave; the
    # time split (network share, mean batch, rendering not hidden) ends each stdout ---------
    for n in 1 8; do
        step "lockstep-jobs-$n" 150 "$BIN" srvr configs/lockstep-2d-lite0.toml --device cuda \
            --lockstep-jobs "$n" --results "$R/lockstep-$n" >"$R/lockstep-$n.stdout"
        grep -h "^time of" "$R/lockstep-$n.stdout" | sed "s/^/lockstep-jobs $n: /" | tee -a "$TIMINGS"
    done
}

shapenet_phase() {
    ls "$W/weights"
    step shapenet-map "$SHAPENET_TIMEOUT" "$BIN" srvr configs/shapenet10.toml --regions map --device cuda \
        --results "$W/shapenet-map"

    # --- map vs network (configs/agreement.toml): map mode first (fast), then network mode
    # for the rest of the budget; a rerun resumes both folders.
    step agree-map "$AGREE_MAP_TIMEOUT" "$BIN" srvr configs/agreement.toml --regions map \
        --device cuda --results "$W/agree/map"
    step agree-network 600 "$BIN" srvr configs/agreement.toml --regions network \
        --device cuda --results "$W/agree/network"
}

# util_of NAME: the mean and largest GPU utilisation over a finished step's seconds.
util_of() {
    local start seconds
    start=$(sed -n "s/^$1 rc=[0-9]* seconds=[0-9.]* start=\(.*\)$/\1/p" "$TIMINGS" | tail -n 1)
    seconds=$(sed -n "s/^$1 rc=[0-9]* seconds=\([0-9.]*\) .*/\1/p" "$TIMINGS" | tail -n 1)
    [[ -z "$start" || -z "$seconds" ]] && return 0
    awk -F', ' -v n="$1" -v a="$start" -v s="$seconds" '
        function sec(t) { split(t, x, ":"); return x[1] * 3600 + x[2] * 60 + x[3] }
        $2 ~ /^[0-9]+ %/ { split($1, d, " "); t = sec(substr(d[2], 1, 8)); b = sec(a)
            if (t >= b && t <= b + s) { k++; u = $2 + 0; sum += u; if (u > m) m = u } }
        END { if (k) printf "util-%s: mean %.1f %%, max %d %% over %d samples\n", n, sum / k, m, k }' \
        "$R/util.csv" | tee -a "$TIMINGS"
}

device_phase() {
    # DEVICE and MAP3_AXES exist for a dry run of this phase on a CPU (coarse axes); the
    # figures come from the defaults.
    local DEVICE=${DEVICE:-cuda} MAP3_AXES=${MAP3_AXES:-azimuth:0:360:3,elevation:-10:90:3}
    local points
    points=$(awk -v a="$MAP3_AXES" 'BEGIN { n = split(a, x, ","); p = 1
        for (i = 1; i <= n; i++) { split(x[i], y, ":"); p *= int((y[3] - y[2]) / y[4] + 0.5) + (y[1] ~ /azimuth/ ? 0 : 1) }
        print p }')
    # --- the paper's 3° map (4 080 points) of a fixture, each renderer ----------------------
    for r in device cpu; do
        step "map3-$r" 180 "$BIN" map fixture:teapot --label 849 "${NET[@]}" --batch "$MAP_BATCH" --map-axes "$MAP3_AXES" \
            --device "$DEVICE" --renderer "$r" --out-dir "$R/map3-$r" --json >"$R/map3-$r.stdout"
        rate "map3-$r" "$points"
        util_of "map3-$r"
    done
    # --- and of a ShapeNet mesh (the first aeroplane; ImageNet 404 airliner) ---------------
    local plane
    plane=$(ls -d "$DATA"/shapenet10/aeroplane/*/models/model_normalized.obj 2>/dev/null | head -n 1)
    step map3-shapenet-device 180 "$BIN" map "$plane" --label 404 "${NET[@]}" --batch "$MAP_BATCH" --map-axes "$MAP3_AXES" \
        --device "$DEVICE" --renderer device --out-dir "$R/map3-plane" --json >"$R/map3-plane.stdout"
    rate map3-shapenet-device "$points"
    util_of map3-shapenet-device
    # --- precision: the fixture's 3° map in bf16 and f16, drift against f32 ----------------
    for p in bf16 f16; do
        step "map3-$p" 180 "$BIN" map fixture:teapot --label 849 "${NET[@]}" --batch "$MAP_BATCH" --map-axes "$MAP3_AXES" \
            --device "$DEVICE" --precision "$p" --out-dir "$R/map3-$p" --json >"$R/map3-$p.stdout"
        rate "map3-$p" "$points"
    done
    timeout 60 "$PY" - "$R" <<'PY' | tee -a "$TIMINGS"
import glob, json, sys
r = sys.argv[1]
def flat(v):
    return [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
def values(name):
    paths = glob.glob(f"{r}/{name}/*.json")
    return flat(json.load(open(paths[0]))["values"]) if paths else None
f32 = values("map3-device")
for p in ["cpu", "bf16", "f16"]:
    other = values(f"map3-{p}")
    if f32 is None or other is None:
        print(f"drift {p}: not measured (a map is missing)")
        continue
    d = [abs(a - b) for a, b in zip(f32, other)]
    print(f"drift {p} against f32 (device renderer): {len(d)} points, max |Δ| {max(d):.3g}, "
          f"mean |Δ| {sum(d) / len(d):.3g}")
PY
    # --- the network-mode aeroplane job (4 starts × 3 methods × 800 steps) ------------------
    step agree-network-device 300 "$BIN" srvr configs/agreement.toml --regions network \
        --device "$DEVICE" --renderer device --shard 1/5 --results "$R/agree-device" \
        >"$R/agree-device.stdout"
    grep -h "^time of" "$R/agree-device.stdout" | tee -a "$TIMINGS"
    util_of agree-network-device
}

case "$PHASE" in
check) check_phase ;;
shapenet) shapenet_phase ;;
device) device_phase ;;
all)
    check_phase
    shapenet_phase
    ;;
esac
