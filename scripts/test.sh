#!/usr/bin/env bash
# Sets everything up (idempotent) and runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The Python torch that writes the classifier parity fixtures (tests/nets/).
scripts/setup-test-python.sh
# Debian's chromium for the browser tests below (apt-get, when missing; prints its version).
scripts/setup-chromium.sh >/dev/null
cargo test --workspace --all-targets
# Everything but the classifiers must also build and pass without libtorch (README's
# promise): the math, regions, grids, renderer, reports and the CLI commands that need no
# network, with the `torch` and `onnx` features off.
cargo test --workspace --all-targets --no-default-features
# The report page in headless chromium (the #[ignore]d tests of tests/report/browser.rs),
# on the build above; fails unless each of them ran and passed.
scripts/test-browser.sh
# The fuzz crate (outside the workspace) must still resolve with its committed lock file:
# scripts/fuzz.sh builds it with --locked, and a dependency added to semrob alone breaks it.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
# The golden results that go through libtorch again, under other CPU kernel sets than the
# one libtorch picked for this machine above: a golden must hold on every CPU
# (ATEN_CPU_CAPABILITY selects the kernels; `default` runs on any x86-64).
scripts/test-kernels.sh
