#!/usr/bin/env bash
# Refine mode against network mode (issue 19; BENCHMARKS.md, "Refine mode"): the refine-mode
# runs in refine/ against the network-mode runs of compare.sh, run by run, at 0 (map mode on
# each job's own map), 25, 50, 100 and 200 network steps, by scripts/python/refine_agreement.py.
#   refine/      `semrob srvr benchmarks/agreement/refine.toml --results refine` (200 network
#                steps, the aeroplane) on the 2-core CPU (2026-12-03)
#   refine-100/  `semrob srvr benchmarks/agreement/refine-100.toml --results refine-100` (100
#                steps, the other five shapes), the same day
#   both without maps and renders: the job files and the traces, from which the shorter
#   budgets are read (a budget beyond a folder's refine_steps skips its jobs)
# Usage: benchmarks/agreement/refine.sh [--json] [--budgets 0,25,50]
set -euo pipefail
cd "$(dirname "$0")"
source ./jobs.sh
args=()
[[ -f refine/jobs/${JOB[bottle]}.json || -f refine-100/jobs/${JOB[bottle]}.json ]] && args+=("net:${JOB[bottle]}=gpu/bottle-network.json")
for s in chair cup vase toilet; do
    [[ -f refine/jobs/${JOB[$s]}.json || -f refine-100/jobs/${JOB[$s]}.json ]] || continue
    for f in cpu/$s-*.json; do
        [[ $f == *map-regions* ]] || args+=("net:${JOB[$s]}=$f")
    done
done
folders=refine; [[ -d refine-100 ]] && folders=refine,refine-100
exec python3 ../../scripts/python/refine_agreement.py "$folders" network "${args[@]}" "$@"
