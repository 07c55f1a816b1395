#!/usr/bin/env bash
# Installs the Python side of the parity tests (idempotent, skipped when present): PyTorch
# 2.13.0 with its matching torchvision and the efficientnet-lite-pytorch model code, in the
# git-ignored venv .venv-torch/, and the packages torch.onnx.export needs (onnx, onnxscript
# and theirs), added to the venv as a second step of their own. The parity fixtures are
# written by tests/python/*.py with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

VENV=.venv-torch
PINS="torch==2.13.0 torchvision==0.28.0 efficientnet-lite-pytorch==0.1.0 numpy==2.3.5 pillow==12.0.0"
STAMP="$VENV/.semrob-complete"
# torch.onnx.export's exporter (tests/python/onnx_export.py), every package pinned.
ONNX_PINS="onnx==1.23.2 onnxscript==0.7.2 onnx-ir==1.1.0 ml-dtypes==0.7.0 protobuf==7.36.2 packaging==26.4"
ONNX_STAMP="$VENV/.semrob-onnx-complete"

install_onnx_exporter() {
    if [[ -f "$ONNX_STAMP" && "$(cat "$ONNX_STAMP")" == "$ONNX_PINS" ]]; then
        return
    fi
    echo "setup-test-python: adding $ONNX_PINS to $VENV ..."
    # shellcheck disable=SC2086 # one word per pin
    "$VENV/bin/python" -m pip install --quiet --no-deps $ONNX_PINS
    "$VENV/bin/python" -c "import onnx, onnxscript, torch; assert torch.__version__.startswith('2.13.0')"
    echo "$ONNX_PINS" >"$ONNX_STAMP"
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$PINS" ]]; then
    install_onnx_exporter
    exit 0
fi
echo "setup-test-python: installing $PINS into $VENV (about 2.6 GB, once per machine) ..."
rm -rf "$VENV"
"${PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet torch==2.13.0 numpy==2.3.5 pillow==12.0.0
# torchvision and the Lite model code declare loose requirements: install them without deps
# so pip cannot swap the pinned torch.
"$VENV/bin/python" -m pip install --quiet --no-deps torchvision==0.28.0 efficientnet-lite-pytorch==0.1.0
"$VENV/bin/python" -c "import torch, torchvision, efficientnet_lite_pytorch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
echo "$PINS" >"$STAMP"
install_onnx_exporter
