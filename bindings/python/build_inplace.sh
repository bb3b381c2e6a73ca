#!/bin/sh
# Builds the cffi extension libeventlog/_native*.so in place, against the C
# library of the meson build tree ../../build (or $LIBEVENTLOG_BUILD), with an
# rpath to it: afterwards `PYTHONPATH=bindings/python /usr/bin/python3` imports
# libeventlog straight from the source tree.
#
#   bindings/python/build_inplace.sh          (from anywhere)
#
# Environment: LIBEVENTLOG_BUILD (meson build dir, default ../../build),
# PYTHON (default /usr/bin/python3), LIBEVENTLOG_NO_NINJA=1 to skip rebuilding
# the C library first.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${LIBEVENTLOG_BUILD:-$repo/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
python=${PYTHON:-/usr/bin/python3}

if [ ! -f "$build/build.ninja" ]; then
    echo "build_inplace.sh: $build is not a meson build directory;" \
         "run: meson setup $build && ninja -C $build" >&2
    exit 1
fi
if [ -z "${LIBEVENTLOG_NO_NINJA:-}" ]; then
    # only the library: the rest of the tree is not needed here
    meson compile -C "$build" libeventlog/eventlog:shared_library >/dev/null
fi
if ! "$python" -c 'import cffi' 2>/dev/null; then
    echo "build_inplace.sh: $python has no cffi: apt-get install python3-cffi" >&2
    exit 1
fi
LIBEVENTLOG_BUILD=$build "$python" "$here/build_ffi.py"
# static stubs of the event classes generated at import time
PYTHONPATH=$here "$python" -m libeventlog._stubgen
