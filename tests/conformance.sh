#!/bin/sh
# Conformance: for every CORPUS/*.eventlog that has a reference output
# (X.eventlog.reference, or X.eventlog.reference.gz), `eventlog show X.eventlog`
# must print exactly the reference bytes and exit 0.
#
#   conformance.sh EVENTLOG_EXE CORPUS_DIR
set -u

exe=${1:?usage: conformance.sh EVENTLOG_EXE CORPUS_DIR}
dir=${2:?usage: conformance.sh EVENTLOG_EXE CORPUS_DIR}

# The references were produced in a UTF-8 locale; the tool must not depend on
# the locale, so run it in the C locale.
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elog-conformance.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0
checked=0
for log in "$dir"/*.eventlog; do
    [ -e "$log" ] || continue
    name=$(basename "$log")
    if [ -f "$log.reference" ]; then
        cp "$log.reference" "$tmp/expected"
    elif [ -f "$log.reference.gz" ]; then
        if ! gzip -dc "$log.reference.gz" > "$tmp/expected"; then
            echo "FAIL $name: cannot decompress $log.reference.gz"
            fail=$((fail + 1))
            continue
        fi
    else
        echo "SKIP $name: no reference"
        continue
    fi
    checked=$((checked + 1))
    "$exe" show "$log" > "$tmp/got" 2> "$tmp/stderr"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit status $rc"
        head -n 5 "$tmp/stderr" | sed 's/^/    stderr: /'
        fail=$((fail + 1))
        continue
    fi
    if cmp -s "$tmp/expected" "$tmp/got"; then
        echo "PASS $name ($(wc -c < "$tmp/got") bytes)"
        pass=$((pass + 1))
    else
        echo "FAIL $name: output differs from the reference"
        cmp "$tmp/expected" "$tmp/got" 2>&1 | sed 's/^/    /'
        diff "$tmp/expected" "$tmp/got" | head -n 20 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
done

echo "conformance: $pass passed, $fail failed, of $checked files with a reference"
if [ "$checked" -eq 0 ]; then
    echo "no reference files found in $dir"
    exit 1
fi
[ "$fail" -eq 0 ]
