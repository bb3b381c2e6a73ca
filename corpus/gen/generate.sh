#!/usr/bin/env bash
# Regenerate the GHC 9.0.2 eventlog corpus.
#
#   corpus/gen/generate.sh [OUTDIR]        (default OUTDIR: corpus/ghc-9.0.2)
#
# What is recorded is driven by corpus/gen/MODES.tsv, one line per output file
# (tab separated, header line, "-" for an empty field).  generate.sh reads the
# first seven columns and ignores any further ones:
#
#   file       output file name (in OUTDIR)
#   program    corpus/gen/programs/<program>.hs
#   prog_args  program arguments (before +RTS)
#   ghc_flags  complete ghc flags for building the program
#   rts_flags  RTS flags; generate.sh appends -ol<file>
#   how        run     - run to completion (must exit 0)
#              sigkill - SIGKILL the program after $KILL_AFTER seconds
#              fifo    - the RTS writes into a named pipe, cat copies it out
#   property   free text: what the file is meant to exercise
#
# Each distinct (program, ghc_flags) pair is built once into a temporary
# directory; programs run with that directory as their working directory so
# that .hp/.prof side files land there and PROGRAM_ARGS stays short and stable.
# Output files are only moved into OUTDIR after every mode has succeeded and
# passed the sanity checks, so a failed run leaves the previous corpus intact.
#
# Environment:  GHC=/path/to/ghc   (default: ghc from PATH)
#               KEEP_BUILD=1       keep the temporary build directory
#               ALLOW_OTHER_GHC=1  do not insist on GHC 9.0.2
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
modes_file="$here/MODES.tsv"
outdir=${1:-"$repo_root/corpus/ghc-9.0.2"}
GHC=${GHC:-ghc}

# Every external wait is bounded.
BUILD_TIMEOUT=600      # seconds per ghc invocation
RUN_TIMEOUT=30         # seconds per program run (they take < 2 s)
KILL_AFTER=0.3         # seconds before the sigkill-mode program is killed
MAX_FILE_BYTES=$((300 * 1024))
MAX_TOTAL_BYTES=$((3 * 1024 * 1024))

die()  { echo "generate.sh: error: $*" >&2; exit 1; }
warn() { echo "generate.sh: warning: $*" >&2; }
log()  { echo "generate.sh: $*" >&2; }

# ---------------------------------------------------------------- toolchain --
if ! command -v "$GHC" >/dev/null 2>&1; then
  die "'$GHC' not found. Install GHC and its profiling libraries with:
    apt-get install ghc ghc-prof
(or point GHC=/path/to/ghc at a GHC 9.0.2)"
fi
for tool in timeout mkfifo cat od stat; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found"
done
ghc_version=$(timeout 60 "$GHC" --numeric-version) \
  || die "'$GHC --numeric-version' failed"
# The output directory is named after the version, and Spin.hs relies on the
# GHC 9.0 RTS's internal EventsBuf layout, so refuse other versions by default.
if [[ $ghc_version != 9.0.2 ]]; then
  if [[ ${ALLOW_OTHER_GHC:-0} == 1 ]]; then
    warn "GHC is $ghc_version, not 9.0.2 (ALLOW_OTHER_GHC=1 set, continuing)"
  else
    die "GHC is $ghc_version but this corpus is for 9.0.2 (set ALLOW_OTHER_GHC=1 to override)"
  fi
fi
[[ -r $modes_file ]] || die "cannot read $modes_file"

# ------------------------------------------------------------------- set-up --
build=$(mktemp -d "${TMPDIR:-/tmp}/eventlog-corpus.XXXXXX")
fifo_reader_pid=
cleanup() {
  # Only processes this script started, by pid.
  if [[ -n $fifo_reader_pid ]]; then kill "$fifo_reader_pid" 2>/dev/null || true; fi
  if [[ ${KEEP_BUILD:-0} == 1 ]]; then
    log "build directory kept: $build"
  else
    rm -rf -- "$build"
  fi
}
trap cleanup EXIT
mkdir -p "$build/out"
start_time=$SECONDS

# ------------------------------------------------------------------ helpers --

# binary_name PROGRAM GHC_FLAGS -> a file-name-safe name for this build.
binary_name() {
  local prog=$1 flags=$2 name
  name=$(printf '%s' "$prog" | tr '[:upper:]' '[:lower:]')
  [[ $flags == *-threaded* ]] && name+="-thr"
  [[ $flags == *-prof* ]] && name+="-prof"
  printf '%s' "$name"
}

# build_program PROGRAM GHC_FLAGS: compile once per (program, flags).
declare -A built=()
build_program() {
  local prog=$1 flags=$2 name src
  name=$(binary_name "$prog" "$flags")
  if [[ -n ${built[$name]:-} ]]; then
    [[ ${built[$name]} == "$flags" ]] \
      || die "binary name clash: $name built with '${built[$name]}' and '$flags'"
    return 0
  fi
  src="$here/programs/$prog.hs"
  [[ -r $src ]] || die "program source $src not found"
  local -a flag_array
  read -r -a flag_array <<<"$flags"
  log "building $name: ghc ${flags}"
  if ! timeout "$BUILD_TIMEOUT" "$GHC" "${flag_array[@]}" \
         -outputdir "$build/obj-$name" -o "$build/$name" "$src" \
         >"$build/$name.build.log" 2>&1; then
    cat "$build/$name.build.log" >&2
    if [[ $flags == *-prof* ]]; then
      die "building $name failed; profiled builds need the ghc-prof package (apt-get install ghc-prof)"
    fi
    die "building $name failed (log above)"
  fi
  built[$name]=$flags
}

# hex_bytes FILE OFFSET COUNT -> lowercase hex without spaces
hex_bytes() { od -An -tx1 -v -j "$2" -N "$3" -- "$1" | tr -d ' \n'; }

# check_file FILE HOW: the sanity checks from the corpus brief.
check_file() {
  local f=$1 how=$2 size head tail
  [[ -f $f ]] || die "$(basename "$f") was not produced"
  size=$(stat -c %s -- "$f")
  (( size >= 8 )) || die "$(basename "$f") is only $size bytes"
  head=$(hex_bytes "$f" 0 8)
  # "hdrbhetb": EVENT_HEADER_BEGIN + EVENT_HET_BEGIN
  [[ $head == 6864726268657462 ]] || die "$(basename "$f") does not start with hdrbhetb (got $head)"
  tail=$(hex_bytes "$f" $((size - 2)) 2)
  if [[ $how == sigkill ]]; then
    [[ $tail != ffff ]] || return 1   # caller retries
  else
    [[ $tail == ffff ]] || die "$(basename "$f") does not end with the ff ff DATA_END marker (got $tail)"
  fi
  if (( size > MAX_FILE_BYTES )); then
    warn "$(basename "$f") is $size bytes (> $MAX_FILE_BYTES target)"
  fi
  return 0
}

# run_mode FILE PROGRAM PROG_ARGS GHC_FLAGS RTS_FLAGS HOW
run_mode() {
  local file=$1 prog=$2 pargs=$3 flags=$4 rts=$5 how=$6 name
  name=$(binary_name "$prog" "$flags")
  local -a argv rtsv
  argv=()
  [[ $pargs == - ]] || read -r -a argv <<<"$pargs"
  rtsv=()
  [[ $rts == - ]] || read -r -a rtsv <<<"$rts"
  local out="$build/out/$file" stem="$build/out/${file%.eventlog}"
  rm -f -- "$out"
  log "recording $file ($how): ./$name${argv[*]:+ ${argv[*]}} +RTS ${rtsv[*]} -ol… -RTS"

  case $how in
    run)
      # -ol takes a path relative to the build dir (the cwd); the file is
      # moved afterwards.  Relative names keep PROGRAM_ARGS short.
      if ! (cd "$build" && timeout "$RUN_TIMEOUT" "./$name" "${argv[@]}" \
              +RTS "${rtsv[@]}" "-olout/$file" -RTS) >"$stem.stdout" 2>"$stem.stderr"; then
        cat "$stem.stderr" >&2
        die "$file: program failed or timed out"
      fi
      check_file "$out" run
      ;;

    sigkill)
      # timeout -s KILL delivers exactly the SIGKILL we want after
      # $KILL_AFTER seconds.  The file must not end in ff ff; should it end
      # with those two bytes by coincidence, record again (bounded).
      local attempt rc
      for attempt in 1 2 3; do
        rm -f -- "$out"
        rc=0
        # The explicit `exit` stops bash from exec()ing timeout in place of
        # the subshell, so the "Killed" job notice goes to $stem.stderr
        # instead of cluttering our output.
        (cd "$build" && { timeout -s KILL "$KILL_AFTER" "./$name" "${argv[@]}" \
            +RTS "${rtsv[@]}" "-olout/$file" -RTS; exit $?; }) \
          >"$stem.stdout" 2>"$stem.stderr" || rc=$?
        # 137 = 128 + SIGKILL (timeout reports the child's signal like this)
        if (( rc != 137 )); then
          cat "$stem.stderr" >&2
          die "$file: expected the program to be SIGKILLed (status 137), got status $rc"
        fi
        if check_file "$out" sigkill; then
          local size; size=$(stat -c %s -- "$out")
          # A header alone is ~2.7 KB; require some flushed blocks too.
          (( size > 8192 )) || die "$file: only $size bytes, no event blocks were flushed before the kill"
          break
        fi
        (( attempt < 3 )) || die "$file: ended with ff ff in three attempts"
        warn "$file ended with ff ff by coincidence, retrying"
      done
      ;;

    fifo)
      local pipe="$build/eventlog.fifo" rc=0
      rm -f -- "$pipe"
      mkfifo -- "$pipe"
      # Reader first: the RTS's fopen() of the pipe blocks until a reader
      # exists.  Both sides are bounded by timeout; if the reader died the
      # writer would block in open() until its own timeout.
      timeout "$RUN_TIMEOUT" cat -- "$pipe" >"$out" &
      fifo_reader_pid=$!
      (cd "$build" && timeout "$RUN_TIMEOUT" "./$name" "${argv[@]}" \
          +RTS "${rtsv[@]}" -oleventlog.fifo -RTS) >"$stem.stdout" 2>"$stem.stderr" || rc=$?
      local reader_rc=0
      wait "$fifo_reader_pid" || reader_rc=$?
      fifo_reader_pid=
      rm -f -- "$pipe"
      if (( rc != 0 )); then
        cat "$stem.stderr" >&2
        die "$file: program failed or timed out (status $rc)"
      fi
      (( reader_rc == 0 )) || die "$file: cat from the FIFO failed (status $reader_rc)"
      check_file "$out" fifo
      ;;

    *) die "MODES.tsv: unknown 'how' value '$how' for $file" ;;
  esac
}

# -------------------------------------------------------------------- main --
declare -a files=()
line_no=0
while IFS=$'\t' read -r file prog pargs flags rts how _property _rest; do
  line_no=$((line_no + 1))
  (( line_no == 1 )) && continue                      # header
  [[ -z $file || $file == \#* ]] && continue
  [[ -n $prog && -n $pargs && -n $flags && -n $rts && -n $how ]] \
    || die "MODES.tsv line $line_no: missing fields (use '-' for empty ones)"
  [[ $file == *.eventlog && $file != */* ]] \
    || die "MODES.tsv line $line_no: bad file name '$file'"
  build_program "$prog" "$flags"
  run_mode "$file" "$prog" "$pargs" "$flags" "$rts" "$how"
  files+=("$file")
done <"$modes_file"
(( ${#files[@]} > 0 )) || die "MODES.tsv lists no files"

# Size budget for the whole corpus.
total=0
for f in "${files[@]}"; do
  total=$((total + $(stat -c %s -- "$build/out/$f")))
done
(( total <= MAX_TOTAL_BYTES )) || warn "corpus is $total bytes (> $MAX_TOTAL_BYTES target)"

# Everything succeeded: install into OUTDIR.
mkdir -p -- "$outdir"
for f in "${files[@]}"; do
  mv -f -- "$build/out/$f" "$outdir/$f"
done

log "wrote ${#files[@]} eventlogs ($total bytes) to $outdir in $((SECONDS - start_time)) s"
for f in "${files[@]}"; do
  printf '%8d  %s\n' "$(stat -c %s -- "$outdir/$f")" "$f"
done
