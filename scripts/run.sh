#!/usr/bin/env bash
# Sets everything up (idempotent) and runs the main job on the embedded default:
# `semrob srvr` with no configuration (EfficientNet-Lite0/1/2 on the procedural fixtures,
# configs/quick.toml), results in out/srvr (a rerun skips finished work).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --release --quiet -- srvr --results out/srvr "$@"
