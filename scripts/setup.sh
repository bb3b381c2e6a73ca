#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (when run as root), then
# configures and builds libeventlog in ./build. Safe to re-run: it installs
# nothing that is already there and rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the test suite need (ghc: the tests in
# tests/ghc record eventlogs from a real GHC 9.0.2 program; chromium: tests/report
# renders the HTML report in headless Chromium; jq: tests/export reads the NDJSON;
# libmicrohttpd-dev and libcurl4-openssl-dev: `eventlog monitor` and its --otlp
# export; prometheus: tests/ghc's ghc-monitor scrapes the monitor with a real
# Prometheus and checks its exposition with promtool).
PACKAGES=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev zlib1g-dev libzstd-dev liblzma-dev zstd xz-utils
          libcmocka-dev python3 valgrind gzip ghc libmicrohttpd-dev libcurl4-openssl-dev prometheus
          python3-cffi python3-pytest python3-setuptools python3-dev python3-numpy python3-venv python3-pip
          chromium jq)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    # apt-get update once per machine: a fresh image has no package lists.
    if [ ! -e /var/lib/apt/lists/lock ] || [ -z "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null | head -1)" ]; then
        apt-get update -q
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi

# DuckDB (tests/export reads the NDJSON export with its read_json) comes from
# the npm registry as @duckdb/node-api, whose platform package ships the
# library: installed into tests/export/node_modules (git-ignored), no lock file
# written. Without node/npm, or when the registry cannot be reached, that one
# test is skipped.
DUCKDB_NODE=@duckdb/node-api@1.5.6-r.1
if command -v npm >/dev/null 2>&1 && [ ! -d tests/export/node_modules/@duckdb/node-api ]; then
    echo "setup: npm install $DUCKDB_NODE (tests/export)"
    timeout 600 npm install --prefix tests/export --no-save --no-package-lock --no-audit \
        --no-fund --loglevel=error "$DUCKDB_NODE" >/dev/null \
        || echo "setup: npm install $DUCKDB_NODE failed; the export-duckdb test will be skipped" >&2
fi

# CI builds with -Werror; a developer build keeps warnings as warnings.
werror=false
[ "${CI:-}" = "true" ] && werror=true

if [ ! -f build/build.ninja ]; then
    meson setup build -Dwerror=$werror
else
    meson configure build -Dwerror=$werror >/dev/null
fi
ninja -C build
