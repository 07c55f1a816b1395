#!/usr/bin/env bash
# Map mode against network mode (issue 9; BENCHMARKS.md, "Map mode against network mode"):
# the region runs measured on 2026-11-29, compared run by run by scripts/python/agreement.py.
#   map/, network/  `semrob srvr configs/agreement.toml --regions map|network --device cuda`
#                   on the H200 (results folders without maps, traces and renders; network/
#                   holds the one network-mode job that fitted, the aeroplane)
#   gpu/bottle-network.json   `semrob regions mesh <bottle> --label 898 --batch 512 --device cuda`
#   cpu/<shape>-<method>.json `semrob regions mesh <shape> --label K --method naive|oir-b|oir-w`
#                   on the 2-core CPU (oir-w: chair, cup, vase, measured 2026-11-30)
#   cpu/<shape>-map-regions.json `semrob regions grid <its CPU map>`: map mode on a map computed
#                   on the CPU (`semrob map <shape> --label K --batch 32`), so that each CPU
#                   comparison uses one device's scores
# Usage: benchmarks/agreement/compare.sh [--json]
set -euo pipefail
cd "$(dirname "$0")"
source ./jobs.sh
args=("net:${JOB[bottle]}=gpu/bottle-network.json")
for s in chair cup vase toilet; do
    args+=("map:${JOB[$s]}=cpu/$s-map-regions.json")
    for f in cpu/$s-*.json; do
        [[ $f == *map-regions* ]] || args+=("net:${JOB[$s]}=$f")
    done
done
exec python3 ../../scripts/python/agreement.py map network "${args[@]}" "$@"
