#!/usr/bin/env bash
# Builds, on this (CPU, Rust, PyPI) machine, a semrob release binary for a GPU machine whose
# PyTorch is 2.11 (the lent H200's image: torch 2.11.0+cu130, no Rust, no network), and
# stages it for scripts/gpu-check.sh. Run from anywhere; idempotent and incremental.
#
#  * libtorch 2.11.0: the headers and libraries of PyPI's torch==2.11.0 x86_64 wheel (the
#    same +cu130 build as the device's), plus the pinned CUDA runtime and CUPTI that
#    libtorch_cpu.so needs, into .libtorch-2.11/ (git-ignored). No other CUDA library is
#    needed to link: libtorch_cuda.so's own dependencies are found on the device through its
#    RUNPATH ($ORIGIN/../../nvidia/...), as Python's `import torch` finds them.
#  * tch/torch-sys 0.24.0 (the release for PyTorch 2.11) instead of the committed 0.26.0, in a
#    scratch copy of the working tree (target/gpu-ws); the committed Cargo.toml and Cargo.lock
#    are never touched. CARGO_TARGET_DIR is target/gpu.
#  * libtorch_cuda.so is linked with --no-as-needed so that it is really loaded (otherwise
#    tch::Cuda::is_available() is false); RUNPATH (not RPATH), so LD_LIBRARY_PATH wins on the
#    device.
#  * Output: .gpu/ (or $SEMROB_GPU_STAGE), git-ignored, to carry to the device: semrob.xz
#    (stripped, xz) and what scripts/gpu-check.sh needs there (section 5). With --check-cpu,
#    also target/gpu/semrob-cpu (same build, libtorch_cuda.so not forced), checked here.
#
# Usage: scripts/gpu-build.sh [--check-cpu]
#   --check-cpu  also link target/gpu/semrob-cpu (libtorch_cuda.so not forced) and compare its
#                map of a fixture, on libtorch 2.11 here, with the committed build's
#                (target/release or target/debug semrob, or $SEMROB_REF_BIN).
set -euo pipefail
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
cd "$(dirname "$0")/.."
ROOT=$PWD

PYTHON=${PYTHON:-python3}
TORCH_PIN=torch==2.11.0
# sha256 of torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl on PyPI
TORCH_SHA=0f68f4ac6d95d12e896c3b7a912b5871619542ec54d3649cf48cc1edd4dd2756
CUDA_PINS=(nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85)
TCH_VERSION=0.24.0
# Overridable, to reuse another checkout's download and compiled dependencies (a full
# release build from scratch took 18 min on the shared 2-core VM; torch-sys rebuilds only when
# LIBTORCH's path changes):
#   SEMROB_GPU_LIBTORCH=/work/wt-gpu/.libtorch-2.11 SEMROB_GPU_TARGET=/work/wt-gpu/target/gpu
LT=${SEMROB_GPU_LIBTORCH:-$ROOT/.libtorch-2.11}
WS=$ROOT/target/gpu-ws
export CARGO_TARGET_DIR=${SEMROB_GPU_TARGET:-$ROOT/target/gpu}
STAGE=${SEMROB_GPU_STAGE:-$ROOT/.gpu}
CHECK_CPU=0
[[ "${1:-}" == --check-cpu ]] && CHECK_CPU=1

# --- 1. libtorch 2.11 headers + libs -------------------------------------------------------
STAMP="$LT/.semrob-complete"
STAMP_TEXT="$TORCH_PIN ${CUDA_PINS[*]}"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$STAMP_TEXT" ]]; then
    echo "gpu-build: fetching $TORCH_PIN (about 530 MB) into $LT ..."
    rm -rf "$LT"
    mkdir -p "$LT/wheel"
    # The wheel for the device's Python (3.12); its libraries do not depend on Python's version.
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 -d "$LT/wheel" \
        --require-hashes -r <(echo "$TORCH_PIN --hash=sha256:$TORCH_SHA")
    (cd "$LT" && unzip -q wheel/torch-*.whl 'torch/lib/*' 'torch/include/*' 'torch/version.py')
    rm -rf "$LT/wheel" "$LT/torch/lib/libtorch_python.so"
    # libtorch_cpu.so needs libcudart.so.13 and libcupti.so.13 even on a CPU; its RUNPATH
    # ($ORIGIN/../../nvidia/cu13/lib) finds them here.
    "$PYTHON" -m pip install --quiet --no-deps --no-compile --target "$LT" "${CUDA_PINS[@]}"
    for lib in libtorch_cpu.so libtorch_cuda.so libc10.so libc10_cuda.so libtorch.so; do
        [[ -f "$LT/torch/lib/$lib" ]] || { echo "gpu-build: $lib missing" >&2; exit 1; }
    done
    echo "$STAMP_TEXT" >"$STAMP"
fi
grep -q "__version__ = '2.11.0" "$LT/torch/version.py"

# --- 2. scratch copy with tch/torch-sys 0.24.0 ---------------------------------------------
# Tracked and untracked-not-ignored files of the working tree; tar keeps mtimes, so cargo
# rebuilds only what changed.
rm -rf "$WS"
mkdir -p "$WS"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$WS"
sed -i -E "s/^(tch|torch-sys) = \{ version = \"=0\.26\.0\"/\1 = { version = \"=$TCH_VERSION\"/" \
    "$WS/Cargo.toml"
touch -r "$ROOT/Cargo.toml" "$WS/Cargo.toml"
[[ "$(grep -cE "^(tch|torch-sys) = \{ version = \"=$TCH_VERSION\"" "$WS/Cargo.toml")" == 2 ]] || {
    echo "gpu-build: could not pin tch/torch-sys to $TCH_VERSION in the scratch Cargo.toml" >&2
    exit 1
}

# Cargo decides freshness by mtime, and the copied files keep theirs: a file whose content
# differs from the last successful build's (another checkout, a merge) could look older than
# that build's outputs. Touch every file not in the last build's content manifest.
mkdir -p "$CARGO_TARGET_DIR"
SUMS=$CARGO_TARGET_DIR/gpu-ws.sha256
(cd "$WS" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$SUMS.new"
if [[ -f "$SUMS" ]]; then
    comm -13 <(sort "$SUMS") <(sort "$SUMS.new") | cut -c67- >"$SUMS.changed"
else
    cut -c67- "$SUMS.new" >"$SUMS.changed"
fi
echo "gpu-build: $(wc -l <"$SUMS.changed") file(s) changed since the last build"
(cd "$WS" && tr '\n' '\0' <"$SUMS.changed" | xargs -0 -r touch)

# --- 3. build ------------------------------------------------------------------------------
export LIBTORCH=$LT/torch
unset LIBTORCH_USE_PYTORCH LIBTORCH_INCLUDE LIBTORCH_LIB LIBTORCH_STATIC
# Set (empty), so that .cargo/config.toml's checkout-relative fallback does not apply: the
# cc-built crates (torch-sys, zstd-sys, ...) rerun when it changes, and LIBTORCH is real here.
export CPLUS_INCLUDE_PATH=
# Smaller, faster release build: the binary is stripped anyway.
export CARGO_PROFILE_RELEASE_DEBUG=0
# Appended after the libraries on the link line: -ltorch_cuda after --no-as-needed gets a
# DT_NEEDED entry. --allow-shlib-undefined: the CUDA libraries libtorch_cuda.so needs
# (cuBLAS, cuDNN, ...) are not here; the device resolves them through that library's RUNPATH.
LINK_COMMON=(-C link-arg=-Wl,--enable-new-dtags -C link-arg=-Wl,--allow-shlib-undefined)
LINK_CUDA=(-C link-arg=-Wl,--no-as-needed -C link-arg=-ltorch_cuda -C link-arg=-lc10_cuda
    -C link-arg=-Wl,--as-needed)
cd "$WS"
if ((CHECK_CPU)); then
    cargo rustc --release -p semrob --bin semrob -- "${LINK_COMMON[@]}"
    cp "$CARGO_TARGET_DIR/release/semrob" "$CARGO_TARGET_DIR/semrob-cpu"
fi
cargo rustc --release -p semrob --bin semrob -- "${LINK_COMMON[@]}" "${LINK_CUDA[@]}"
BIN=$CARGO_TARGET_DIR/release/semrob
mv "$SUMS.new" "$SUMS"

# --- 4. checks on the binary ---------------------------------------------------------------
needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "gpu-build: $BIN needs:" $needed
readelf -d "$BIN" | grep -E 'RPATH|RUNPATH' || true
grep -qx libtorch_cuda.so <<<"$needed" || { echo "gpu-build: libtorch_cuda.so not NEEDED" >&2; exit 1; }
# Every library it needs is in the wheel's torch/lib, the CUDA runtime folder, or the system.
LDCACHE=$(ldconfig -p)
for lib in $needed; do
    if [[ -e "$LT/torch/lib/$lib" ]]; then
        echo "  $lib: torch/lib"
    elif [[ -e "$LT/nvidia/cu13/lib/$lib" ]]; then
        echo "  $lib: nvidia/cu13/lib"
    elif grep -q "^[[:space:]]*$lib " <<<"$LDCACHE"; then
        echo "  $lib: system"
    else
        echo "gpu-build: $lib (needed by semrob) found nowhere" >&2
        exit 1
    fi
done
# Highest glibc / libstdc++ symbol versions it asks for (the device's Ubuntu 24.04 has
# glibc 2.39 and GLIBCXX 3.4.32+).
objdump -T "$BIN" | grep -oE 'GLIBC_[0-9.]+|GLIBCXX_[0-9.]+' | sort -uV | tail -n 4 | tr '\n' ' '
echo

# --- 5. stage for the device (what `run` carries: .gpu, about 37 MB) ---------------------
# semrob.xz, gpu-check.sh (a copy, so the check runs before this branch is merged), the
# Lite0 weights, ShapeNet10 as a tarball, and for plots on an image without fonts or
# fontconfig: DejaVu Sans with its own fonts.conf, and this machine's fontconfig/freetype
# libraries (used there only if ldd finds none).
cd "$ROOT"
mkdir -p "$STAGE/weights" "$STAGE/fonts" "$STAGE/syslibs"
strip -o "$STAGE/semrob.part" "$BIN"
xz -T0 -6 -c "$STAGE/semrob.part" >"$STAGE/semrob.xz.part"
rm "$STAGE/semrob.part"
mv "$STAGE/semrob.xz.part" "$STAGE/semrob.xz"
{
    git rev-parse HEAD
    git status --porcelain --untracked-files=no | head -n 20
} >"$STAGE/semrob.commit"
cp scripts/gpu-check.sh "$STAGE/gpu-check.sh"
WEIGHTS_DIR=${SEMROB_WEIGHTS_DIR:-$ROOT/.cache/weights}
cp -L "$WEIGHTS_DIR/efficientnet-lite0.pth" "$STAGE/weights/"
DATA=$ROOT/../shared/data/shapenet10
if [[ ! -f "$STAGE/shapenet10.tar.xz" && -d "$DATA" ]]; then
    echo "gpu-build: packing $DATA (xz -9, about 2 minutes) ..."
    tar -C "$DATA/.." -cf - shapenet10 | xz -T0 -9 >"$STAGE/shapenet10.tar.xz.part"
    mv "$STAGE/shapenet10.tar.xz.part" "$STAGE/shapenet10.tar.xz"
fi
FONTS=/usr/share/fonts/truetype/dejavu
if [[ -f "$FONTS/DejaVuSans.ttf" ]]; then
    cp "$FONTS/DejaVuSans.ttf" "$FONTS/DejaVuSans-Bold.ttf" "$STAGE/fonts/"
    cat >"$STAGE/fonts/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<!-- semrob's plots on a machine without system fonts: DejaVu Sans for every family. -->
<fontconfig>
  <dir prefix="relative">.</dir>
  <cachedir>/tmp/semrob-fontconfig-cache</cachedir>
  <alias><family>sans-serif</family><prefer><family>DejaVu Sans</family></prefer></alias>
  <alias><family>serif</family><prefer><family>DejaVu Sans</family></prefer></alias>
  <alias><family>monospace</family><prefer><family>DejaVu Sans</family></prefer></alias>
</fontconfig>
XML
else
    echo "gpu-build: warning: no DejaVu fonts here; plots may fail on a machine without fonts"
fi
for lib in libfontconfig.so.1 libfreetype.so.6 libpng16.so.16 libbrotlidec.so.1 \
    libbrotlicommon.so.1 libexpat.so.1; do
    path=$(sed -n "s/^[[:space:]]*$lib (libc6,x86-64) => //p" <<<"$LDCACHE" | sed -n 1p)
    [[ -n "$path" ]] && cp -L "$path" "$STAGE/syslibs/$lib"
done
du -sh "$STAGE"
ls -lR "$STAGE"

# --- 6. optional: the same build against the 2.11 CPU libs, on this machine ---------------
# semrob-cpu's RUNPATH is .libtorch-2.11/torch/lib, so it runs on libtorch 2.11 here; the
# committed build (tch 0.26, libtorch 2.13) is the reference. Same render, same weights: the
# two maps must agree to float noise.
if ((CHECK_CPU)); then
    export SEMROB_WEIGHTS_DIR=${SEMROB_WEIGHTS_DIR:-$ROOT/.cache/weights}
    REF=${SEMROB_REF_BIN:-}
    for b in "$ROOT/target/release/semrob" "$ROOT/target/debug/semrob"; do
        [[ -z "$REF" && -x "$b" ]] && REF=$b
    done
    [[ -n "$REF" ]] || { echo "gpu-build: no reference semrob binary (cargo build first)" >&2; exit 1; }
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    # `--axes`: the hidden alias of `--map-axes`, the one spelling both this build and an
    # older reference binary accept.
    for pair in "cpu:$CARGO_TARGET_DIR/semrob-cpu" "ref:$REF"; do
        name=${pair%%:*}
        "${pair#*:}" map fixture:teapot --label 849 --model efficientnet-lite0 \
            --axes azimuth:0:360:60,elevation:-10:90:50 --batch 18 --device cpu \
            --out-dir "$TMP/$name" --json >/dev/null
    done
    "$PYTHON" - "$TMP" <<'PY'
import glob, json, sys
t = sys.argv[1]
def flat(v):
    return [y for x in v for y in flat(x)] if isinstance(v, list) else [v]
a, b = (flat(json.load(open(glob.glob(f"{t}/{n}/*.json")[0]))["values"]) for n in ("cpu", "ref"))
d = max(abs(x - y) for x, y in zip(a, b))
print(f"gpu-build: libtorch 2.11 build vs reference on {len(a)} map points: max |diff| = {d:.3g}")
sys.exit(0 if len(a) == len(b) and d < 1e-4 else 1)
PY
fi
