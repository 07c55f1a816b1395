#!/usr/bin/env bash
# Times pyrender (OSMesa, CPU) on the peers' meshes and views (docs/peers.md), then semrob's
# renderer on the same meshes in the same session, for the ratio in BENCHMARKS.md.
#
#     scripts/peers/render_pyrender.sh            # both
#     SKIP_SEMROB=1 scripts/peers/render_pyrender.sh
#
# Installs Debian's libosmesa6 (apt) and pyrender 0.1.45 + PyOpenGL 3.1.10 into the
# git-ignored venv .venv-peers (pyrender pins PyOpenGL 3.1.0, which fails with OSMesa).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! ldconfig -p | grep -q libOSMesa; then
    apt-get update -qq && apt-get install -y -qq libosmesa6 >/dev/null
fi
VENV=.venv-peers
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pyrender" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q pyrender==0.1.45
    "$VENV/bin/pip" install -q PyOpenGL==3.1.10
fi

PYOPENGL_PLATFORM=osmesa "$VENV/bin/python" scripts/peers/render_pyrender.py "$@"

if [ -z "${SKIP_SEMROB:-}" ]; then
    cargo bench --no-default-features --bench render -- --warm-up-time 1 --measurement-time 3 \
        --noplot 'teapot/|chair-341fcdd8|piano-c86b1da5'
fi
