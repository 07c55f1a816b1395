#!/usr/bin/env bash
# Installs what semrob needs that cargo does not fetch (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
