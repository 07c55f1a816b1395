#!/usr/bin/env bash
# Runs the libtorch-dependent golden tests under each CPU kernel set this machine can run
# (ATEN_CPU_CAPABILITY=default, and avx2 / avx512 where the CPU has them), so that a golden
# that holds only for one machine's kernels fails here rather than on a user's machine.
# Usage: scripts/test-kernels.sh [KERNEL ...]   (default: every kernel set this CPU has)
set -euo pipefail
cd "$(dirname "$0")/.."
kernels=("$@")
if [[ ${#kernels[@]} -eq 0 ]]; then
    kernels=(default)
    flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
    [[ " $flags " == *" avx2 "* ]] && kernels+=(avx2)
    [[ " $flags " == *" avx512f "* && " $flags " == *" avx512bw "* ]] && kernels+=(avx512)
fi
for k in "${kernels[@]}"; do
    echo "test-kernels: golden tests with ATEN_CPU_CAPABILITY=$k"
    ATEN_CPU_CAPABILITY=$k cargo test --test cli -- golden
done
