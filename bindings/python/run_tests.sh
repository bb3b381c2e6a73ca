#!/bin/sh
# Builds the Python binding in place and runs its tests with Debian's Python.
#
#   bindings/python/run_tests.sh [--bench] [PYTEST ARGS...]
#
# Installs what is missing from Debian (python3-cffi, python3-pytest,
# python3-setuptools, python3-dev; python3-numpy for the numpy tests) when run as
# root, otherwise prints the apt-get line. Expects the C library to be
# configured in ../../build (or $LIBEVENTLOG_BUILD); build_inplace.sh rebuilds
# it. --bench also runs bench.py (prints the throughput of both paths; set
# BENCH_CHECK=1 to fail when a target is missed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

bench=
if [ "${1:-}" = "--bench" ]; then
    bench=1
    shift
fi

have() { "$python" -c "$1" >/dev/null 2>&1; }
missing=
have 'import cffi' || missing="$missing python3-cffi"
have 'import pytest' || missing="$missing python3-pytest"
have 'import setuptools' || missing="$missing python3-setuptools"
have 'import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
    || missing="$missing python3-dev"
optional=
have 'import numpy' || optional="python3-numpy"

if [ -n "$missing$optional" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== apt-get install$missing $optional"
        # shellcheck disable=SC2086
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                $missing $optional >/dev/null; then
            apt-get update >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
                $missing $optional >/dev/null || [ -z "$missing" ]
        fi
    elif [ -n "$missing" ]; then
        echo "run_tests.sh: missing Debian packages; run as root:" >&2
        echo "    apt-get install$missing $optional" >&2
        exit 1
    else
        echo "run_tests.sh: note: $optional is not installed; the numpy tests are skipped"
    fi
fi

echo "== build the cffi extension in place"
"$here/build_inplace.sh"

echo "== pytest"
cd "$here"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest -q -p no:cacheprovider "$@"

if [ -n "$bench" ]; then
    echo "== bench"
    if [ -n "${BENCH_CHECK:-}" ]; then
        PYTHONPATH="$here" "$python" "$here/bench.py" --check
    else
        PYTHONPATH="$here" "$python" "$here/bench.py"
    fi
fi
