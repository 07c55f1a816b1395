#!/usr/bin/env bash
# Installs Debian's `chromium` for the browser tests (tests/report/browser.rs) when it is
# missing (idempotent; needs root and apt-get): `apt-get update` once, then chromium and the
# DejaVu fonts, without recommended packages. Debian's mirror keeps only the current chromium
# of a release (security updates replace it), so no version is pinned: the one installed is
# printed on every run, for the CI log. SEMROB_CHROMIUM=/path/to/chromium: use that binary,
# install nothing. Prints the binary's path on its last line of stdout.
set -euo pipefail

if [[ -n "${SEMROB_CHROMIUM:-}" ]]; then
    [[ -x "$SEMROB_CHROMIUM" ]] || { echo "setup-chromium: SEMROB_CHROMIUM=$SEMROB_CHROMIUM is not an executable" >&2; exit 1; }
    echo "setup-chromium: using $SEMROB_CHROMIUM ($("$SEMROB_CHROMIUM" --version 2>/dev/null || echo 'version unknown'))" >&2
    echo "$SEMROB_CHROMIUM"
    exit 0
fi
if ! command -v chromium >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1 || [[ $(id -u) -ne 0 ]]; then
        echo "setup-chromium: chromium is missing and cannot be installed here (needs root and apt-get);" \
            "install it, or set SEMROB_CHROMIUM=/path/to/chromium" >&2
        exit 1
    fi
    echo "setup-chromium: installing Debian's chromium (apt-get) ..." >&2
    start=$(date +%s)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    # The downloaded .deb files are not needed once installed (about 120 MiB).
    apt-get clean
    echo "setup-chromium: installed in $(($(date +%s) - start)) s" >&2
fi
echo "setup-chromium: chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo '(not from dpkg)')" \
    "at $(command -v chromium): $(chromium --version 2>/dev/null || echo 'version unknown')" >&2
command -v chromium
