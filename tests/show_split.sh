#!/bin/sh
# `eventlog show` decodes a large plain file in two halves at once (pass 1's
# split mode, tools/show_sorted.c); everywhere else in one piece. It reads a
# plain file through a mapping (tools/file_map.c), or with pread(2) when it
# cannot map it. All these ways must agree byte for byte: stdout, stderr and
# exit status, with and without --strict, on every corpus file and on
# truncated copies of them. ELOG_SHOW_SPLIT_MIN=0 makes every file a
# candidate for the split; ELOG_SHOW_NO_MAP=1 takes the pread(2) path.
#
#   show_split.sh EVENTLOG_EXE DIR...
set -u

exe=${1:?usage: show_split.sh EVENTLOG_EXE DIR...}
shift
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elog-split.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0
fail=0

# compare FILE LABEL
compare() {
    for strict in "" --strict; do
        ELOG_SHOW_SPLIT_MIN=0 "$exe" show $strict "$1" > "$tmp/split.out" 2> "$tmp/split.err"
        echo "rc=$?" >> "$tmp/split.err"
        ELOG_SHOW_SPLIT_MIN=18446744073709551615 "$exe" show $strict "$1" \
            > "$tmp/whole.out" 2> "$tmp/whole.err"
        echo "rc=$?" >> "$tmp/whole.err"
        ELOG_SHOW_SPLIT_MIN=0 ELOG_SHOW_NO_MAP=1 "$exe" show $strict "$1" \
            > "$tmp/pread.out" 2> "$tmp/pread.err"
        echo "rc=$?" >> "$tmp/pread.err"
        for way in split pread; do
            if cmp -s "$tmp/$way.out" "$tmp/whole.out" && cmp -s "$tmp/$way.err" "$tmp/whole.err"; then
                pass=$((pass + 1))
            else
                echo "FAIL $2 $strict: $way and whole differ"
                diff "$tmp/whole.err" "$tmp/$way.err" | head -n 5 | sed 's/^/    /'
                cmp "$tmp/whole.out" "$tmp/$way.out" 2>&1 | sed 's/^/    /'
                fail=$((fail + 1))
            fi
        done
    done
}

for dir in "$@"; do
    for log in "$dir"/*.eventlog; do
        [ -e "$log" ] || continue
        name=$(basename "$log")
        compare "$log" "$name"
        size=$(wc -c < "$log")
        # Cut at a few places in the second half (where the tail is).
        for frac in 55 70 85 99; do
            n=$((size * frac / 100))
            head -c "$n" "$log" > "$tmp/cut.eventlog"
            compare "$tmp/cut.eventlog" "$name[:$n]"
        done
    done
done

echo "show-split: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
