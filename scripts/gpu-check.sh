#!/usr/bin/env bash
# The CUDA check of semrob, run ON a lent GPU machine (no Rust, no network; python3 with
# torch 2.11) from the repository root, with what scripts/gpu-build.sh staged in the
# git-excluded folder .gpu/ (carried): the binary semrob.xz (tch 0.24 / libtorch 2.11,
# libtorch_cuda.so NEEDED), weights/efficientnet-lite0.pth, shapenet10.tar.xz, fonts/ and
# syslibs/. Also runs as .gpu/gpu-check.sh (a copy).
#
# Steps, each under `timeout` and inside one overall budget (CHECK_BUDGET seconds): versions
# and nvidia-smi; classify a render on cuda and cpu; the paper's 3° map (4 080 points) of a
# fixture on cuda, timed, at batch MAP_BATCH; a cpu/cuda parity map; `semrob srvr` in map mode
# on ShapeNet10 (when the binary has that mode); a network-mode regions job on cuda; the map
# again at batch 64. GPU utilisation is sampled every second into util.csv.
# Results: $OUT/gpu-check.log (everything printed) and $OUT/results.tar.gz (timings.txt,
# util.csv, maps, regions, the srvr results folder).
#
# Knobs (environment): CHECK_BUDGET (default 360), MAP_BATCH (512), SRVR_SHAPES (shapes per
# class, 1), SRVR_TIMEOUT (240), REGIONS_ITERS (50).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/semrob-gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-check.log") 2>&1
set -x

CHECK_BUDGET=${CHECK_BUDGET:-360}
MAP_BATCH=${MAP_BATCH:-512}
SRVR_SHAPES=${SRVR_SHAPES:-1}
SRVR_TIMEOUT=${SRVR_TIMEOUT:-240}
REGIONS_ITERS=${REGIONS_ITERS:-50}
G=$PWD/.gpu
W=/tmp/semrob-gpu
R=$W/results
rm -rf "$W"
mkdir -p "$R"
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

# --- environment ---------------------------------------------------------------------------
PY=$(command -v python3 || echo /opt/torch/.venv/bin/python3)
TORCH_LIB=$(timeout 60 "$PY" -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
uname -a
nproc
timeout 30 nvidia-smi
timeout 60 "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")'
cat "$G/semrob.commit"

xz -dc "$G/semrob.xz" >"$W/semrob.bin" && chmod +x "$W/semrob.bin" || exit 1
LIBS=$TORCH_LIB
if LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep -q 'not found'; then
    LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep 'not found'
    echo "gpu-check: adding the carried fontconfig/freetype libraries"
    LIBS=$LIBS:$G/syslibs
fi
LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin"
LD_LIBRARY_PATH=$LIBS ldd "$W/semrob.bin" | grep -q 'not found' && exit 1
# Plots need a font; an image without system fonts gets the carried DejaVu Sans.
FONTS=
if ! fc-list 2>/dev/null | grep -q .; then
    [[ -f "$G/fonts/fonts.conf" ]] && FONTS=$G/fonts/fonts.conf
fi
BIN=$W/semrob
cat >"$BIN" <<EOF
#!/bin/sh
LD_LIBRARY_PATH='$LIBS' SEMROB_WEIGHTS_DIR='$G/weights' ${FONTS:+FONTCONFIG_FILE='$FONTS'} exec '$W/semrob.bin' "\$@"
EOF
chmod +x "$BIN"
cat "$BIN"
"$BIN" --version || exit 1
WEIGHTS=$G/weights/efficientnet-lite0.pth
NET=(--model efficientnet-lite0 --weights "$WEIGHTS")

# GPU utilisation, every second, for the whole run.
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader -l 1 \
    >"$R/util.csv" 2>&1 &
SMI=$!
finish() {
    kill "$SMI" 2>/dev/null
    awk -F', ' '$2 ~ /^[0-9]+ %/ { n++; u = $2 + 0; s += u; if (u > m) m = u; if (u > 0) busy++ }
        END { if (n) printf "utilization.gpu over %d samples: mean %.1f %%, max %d %%, nonzero in %d\n", n, s / n, m, busy }' \
        "$R/util.csv" | tee -a "$TIMINGS"
    echo "total seconds=$(($(date +%s) - T0))" | tee -a "$TIMINGS"
    cat "$TIMINGS"
    tar -C "$W" -czf "$OUT/results.tar.gz" results
    ls -l "$OUT"
}
trap finish EXIT

# --- classify a render on cuda and cpu -----------------------------------------------------
step render 30 "$BIN" render fixture:teapot --azimuth 130 --elevation 30 --size 224 -o "$R/teapot.png"
step classify-cuda 90 "$BIN" classify "$R/teapot.png" "${NET[@]}" --device cuda --json |
    tee "$R/classify-cuda.json"
step classify-cpu 60 "$BIN" classify "$R/teapot.png" "${NET[@]}" --device cpu --json |
    tee "$R/classify-cpu.json"

# --- the paper's 3° map of a fixture on cuda (4 080 points) -------------------------------
step "map-cuda-batch$MAP_BATCH" 150 "$BIN" map fixture:teapot --label 849 "${NET[@]}" \
    --batch "$MAP_BATCH" --device cuda --out-dir "$R/map-batch$MAP_BATCH" --json
rate "map-cuda-batch$MAP_BATCH" 4080

# --- cpu/cuda parity on a coarse map (72 points) ------------------------------------------
for dev in cpu cuda; do
    step "parity-map-$dev" 60 "$BIN" map fixture:teapot --label 849 "${NET[@]}" \
        --axes azimuth:0:360:30,elevation:-10:90:20 --batch 72 --device "$dev" \
        --out-dir "$R/parity-$dev" --json
done
timeout 60 "$PY" - "$R" <<'PY'
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

# --- semrob srvr, map mode, on ShapeNet10 -------------------------------------------------
if ! grep -qa 'regions = "map"' "$W/semrob.bin"; then
    echo "gpu-check: SKIP srvr: this binary has no map mode (regions = \"map\"); rebuild with scripts/gpu-build.sh once it is merged"
elif [[ ! -f "$G/shapenet10.tar.xz" ]]; then
    echo "gpu-check: SKIP srvr: $G/shapenet10.tar.xz missing"
else
    tar -C "$W" -xJf "$G/shapenet10.tar.xz"
    cat >"$R/srvr-gpu.toml" <<EOF
name = "gpu-check: ShapeNet10, Lite0, map mode, $SRVR_SHAPES shape(s) per class"
networks = [{ model = "efficientnet-lite0", weights = "$WEIGHTS" }]
regions = "map"
axes = ["azimuth:0:360:3", "elevation:-10:90:3"]
batch = $MAP_BATCH

[dataset]
root = "$W/shapenet10"
shapes_per_class = $SRVR_SHAPES
EOF
    step srvr-map-cuda "$SRVR_TIMEOUT" "$BIN" srvr "$R/srvr-gpu.toml" --device cuda --results "$R/srvr"
fi

# --- a network-mode regions job on cuda (4 starts x 3 methods) ----------------------------
step regions-cuda 120 "$BIN" regions fixture:teapot --label 849 "${NET[@]}" --device cuda \
    --iterations "$REGIONS_ITERS" --out "$R/regions-cuda.json" >"$R/regions-cuda.stdout"
tail -n 30 "$R/regions-cuda.stdout"

# --- the 3° map again at a small batch ----------------------------------------------------
step map-cuda-batch64 120 "$BIN" map fixture:teapot --label 849 "${NET[@]}" \
    --batch 64 --device cuda --out-dir "$R/map-batch64" --json
rate map-cuda-batch64 4080
