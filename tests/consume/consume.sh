#!/bin/sh
# libeventlog as others consume it (issue 15 item 4), one mode per test:
#
#   consume.sh subproject SRCROOT CORPUS_LOG
#       a tiny project (tests/consume/consumer) with this tree in its
#       subprojects/: only the library is configured and built (no CLI,
#       cmocka, tests, bench, fuzz or examples), linked statically, and runs.
#   consume.sh installed BUILDDIR SRCROOT CORPUS_LOG VERSION SOVERSION [DEFAULT_LIBRARY]
#       `meson install --destdir` of BUILDDIR, then the README's pkg-config
#       compile line (with the rpath) builds examples/gc_pauses.c against the
#       installed copy, and the installed headers, soname and CLI agree on VERSION.
#   consume.sh no-tests SRCROOT
#       -Dtests=false configures with cmocka hidden (pkg-config and cmake),
#       while -Dtests=true in the same environment fails for want of it.
set -eu
mode=$1
shift
meson=${MESON:-meson}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/elog-consume.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# an empty environment for the nested meson: no inherited build settings
unset CFLAGS LDFLAGS MESON_TEST_ITERATION 2>/dev/null || true

targets() {  # "TYPE NAME" of every target configured in build dir $1
    "$meson" introspect --targets "$1" |
        python3 -c 'import json,sys; [print(t["type"], t["name"]) for t in json.load(sys.stdin)]'
}
no_extras() {  # build dir $1 has no test, bench, fuzz or example target
    bad=$(targets "$1" | grep -E ' (test_|elogtest|fuzz_|reader_bench|decode_bench|byte_loop|runstat|shrink_on_mmap)' || true)
    [ -z "$bad" ] || fail "targets that a consumer must not build: $(echo $bad)"
    ! grep -qi cmocka "$1/meson-logs/meson-log.txt" || fail "the configure step looked for cmocka"
}
expect_pauses() {  # gc_pauses' output on the hello log
    grep -q '^end: clean after 47 events$' "$1" || { cat "$1" >&2; fail "unexpected output of $2"; }
}

case $mode in
subproject)
    src=$1 log=$2
    mkdir -p "$tmp/consumer/subprojects"
    cp "$src/tests/consume/consumer/meson.build" "$src/examples/gc_pauses.c" "$tmp/consumer/"
    ln -s "$src" "$tmp/consumer/subprojects/libeventlog"
    "$meson" setup "$tmp/b" "$tmp/consumer" >"$tmp/setup.log" 2>&1 ||
        { cat "$tmp/setup.log" >&2; fail "configuring the consumer"; }
    no_extras "$tmp/b"
    if targets "$tmp/b" | grep -qx 'executable eventlog'; then fail "the CLI is built in a subproject"; fi
    ninja -C "$tmp/b" >"$tmp/ninja.log" 2>&1 || { cat "$tmp/ninja.log" >&2; fail "building"; }
    [ -f "$tmp/b/subprojects/libeventlog/libeventlog/libeventlog.a" ] || fail "no libeventlog.a"
    [ ! -e "$tmp/b/subprojects/libeventlog/tools/eventlog" ] || fail "the CLI was built"
    if ldd "$tmp/b/gc_pauses" | grep -q libeventlog; then fail "not linked statically"; fi
    "$tmp/b/gc_pauses" <"$log" >"$tmp/out"
    expect_pauses "$tmp/out" "the subproject consumer"
    # the parent can ask for the CLI
    "$meson" setup -Dlibeventlog:tools=true "$tmp/b2" "$tmp/consumer" >"$tmp/setup2.log" 2>&1 ||
        { cat "$tmp/setup2.log" >&2; fail "configuring with -Dlibeventlog:tools=true"; }
    targets "$tmp/b2" | grep -qx 'executable eventlog' || fail "-Dlibeventlog:tools=true gave no CLI"
    no_extras "$tmp/b2"
    echo "ok: subproject consumer (static) built only the library and ran; tools=true adds the CLI"
    ;;
installed)
    build=$1 src=$2 log=$3 version=$4 soversion=$5 kind=${6:-both}
    dest=$tmp/dest
    "$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log" >&2; fail "meson install"; }
    pc=$(find "$dest" -name libeventlog.pc | head -n 1)
    [ -n "$pc" ] || fail "no libeventlog.pc installed"
    # PKG_CONFIG_SYSROOT_DIR puts the destdir in front of -I and -L
    export PKG_CONFIG_PATH="${pc%/*}" PKG_CONFIG_SYSROOT_DIR="$dest"
    [ "$(pkg-config --modversion libeventlog)" = "$version" ] || fail "pkg-config --modversion"
    # (pkgconf puts the sysroot in front of --variable=libdir too)
    libdir=$(pkg-config --variable=libdir libeventlog)
    case $libdir in "$dest"/*) ;; *) libdir=$dest$libdir ;; esac
    case $kind in
    shared) want="libeventlog.so libeventlog.so.$soversion" ;;
    static) want="libeventlog.a" ;;
    *) want="libeventlog.so libeventlog.so.$soversion libeventlog.a" ;;
    esac
    for f in $want; do
        [ -e "$libdir/$f" ] || fail "$libdir/$f not installed (default_library=$kind)"
    done
    if [ "$kind" != static ]; then
        soname=$(readelf -d "$libdir/libeventlog.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
        [ "$soname" = "libeventlog.so.$soversion" ] || fail "soname $soname, not libeventlog.so.$soversion"
    fi
    # the README's compile line, run with the rpath it sets (no LD_LIBRARY_PATH);
    # a static-only install links with pkg-config --static
    static=
    [ "$kind" != static ] || static=--static
    # shellcheck disable=SC2046,SC2086
    cc -o "$tmp/gc_pauses" "$src/examples/gc_pauses.c" $(pkg-config $static --cflags --libs libeventlog) \
        -Wl,-rpath,"$libdir" || fail "compiling against the installed library"
    env -u LD_LIBRARY_PATH "$tmp/gc_pauses" <"$log" >"$tmp/out"
    expect_pauses "$tmp/out" "the program built against the installed library"
    # headers and library say the same version
    cat >"$tmp/v.c" <<'C'
#include <eventlog.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    printf("%s %s %d\n", ELOG_VERSION_STRING, elog_version(), ELOG_SOVERSION);
    return strcmp(ELOG_VERSION_STRING, elog_version()) != 0;
}
C
    # shellcheck disable=SC2046,SC2086
    cc -o "$tmp/v" "$tmp/v.c" $(pkg-config $static --cflags --libs libeventlog) -Wl,-rpath,"$libdir"
    [ "$("$tmp/v")" = "$version $version $soversion" ] || fail "version.h / elog_version(): $("$tmp/v")"
    exe=$(find "$dest" -path '*/bin/eventlog' | head -n 1)
    if [ -n "$exe" ]; then
        got=$(LD_LIBRARY_PATH=$libdir "$exe" --version)
        [ "$got" = "eventlog $version (libeventlog $version)" ] || fail "eventlog --version: $got"
    fi
    echo "ok: installed ($kind) to a destdir; pkg-config compile line ran; version $version"
    ;;
no-tests)
    src=$1
    # every pkg-config file of the system except cmocka's, and no cmake
    mkdir -p "$tmp/pc"
    for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
        [ -d "$d" ] && for f in "$d"/*.pc; do
            [ -e "$f" ] && ln -sf "$f" "$tmp/pc/"
        done
    done
    rm -f "$tmp/pc/cmocka.pc"
    printf "[binaries]\ncmake = 'false'\n" >"$tmp/native.ini"
    export PKG_CONFIG_LIBDIR="$tmp/pc" PKG_CONFIG_PATH=
    if "$meson" setup --native-file "$tmp/native.ini" "$tmp/with" "$src" >"$tmp/with.log" 2>&1; then
        fail "-Dtests=true configured although cmocka is hidden: this check proves nothing"
    fi
    grep -qi cmocka "$tmp/with.log" || { cat "$tmp/with.log" >&2; fail "-Dtests=true failed, not for cmocka"; }
    "$meson" setup --native-file "$tmp/native.ini" -Dtests=false "$tmp/b" "$src" >"$tmp/b.log" 2>&1 ||
        { cat "$tmp/b.log" >&2; fail "-Dtests=false needs something hidden (cmocka?)"; }
    no_extras "$tmp/b"
    targets "$tmp/b" | grep -qx 'executable eventlog' || fail "no CLI with -Dtests=false"
    targets "$tmp/b" | grep -qx 'static library eventlog' || fail "no static library"
    echo "ok: -Dtests=false configures without cmocka; no test, bench, fuzz or example target"
    ;;
*)
    echo "usage: consume.sh subproject|installed|no-tests ..." >&2
    exit 2
    ;;
esac
