#!/usr/bin/env bash
# Runs every test: the meson suite (unit, conformance, fuzz replay), the same
# C tests again under ASan+UBSan and under valgrind memcheck, the tests of
# threaded code (the reader's read-ahead, sorted show) under ThreadSanitizer,
# and the Python binding's pytest suite.
# Expects scripts/setup.sh to have built ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== meson test (build)"
meson test -C build --print-errorlogs

echo "== ASan + UBSan (build-asan)"
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug -Dwerror=true >/dev/null
fi
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs

echo "== ThreadSanitizer (build-tsan: the reader's read-ahead, show's and the merge's threads, the monitor's HTTP thread)"
if [ ! -f build-tsan/build.ninja ]; then
    meson setup build-tsan -Db_sanitize=thread -Dbuildtype=debugoptimized -Dwerror=true >/dev/null
fi
ninja -C build-tsan
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    meson test -C build-tsan --no-rebuild --print-errorlogs reader show-split conformance order \
    monitor-replay monitor-monotonic monitor-control

echo "== valgrind memcheck (build, C unit tests)"
ELOG_TEST_FILES_MAX=4 meson test -C build --suite unit --print-errorlogs --timeout-multiplier 10 \
    --wrap 'valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all --show-leak-kinds=all'

echo "== Python binding (pytest)"
bindings/python/run_tests.sh
