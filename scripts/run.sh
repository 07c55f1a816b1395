#!/usr/bin/env bash
# Sets everything up (idempotent) and runs the main job on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
cargo run --release --quiet -- regions --oracle plateau-2d --plot out/regions.png "$@"
