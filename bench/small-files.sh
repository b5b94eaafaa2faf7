#!/usr/bin/env bash
# Publish rate on many small files.
#
# Creates BENCH_DIRS (default 100) directories of BENCH_FILES_PER_DIR (default 1000) files of
# 1 KiB of distinct random content, pre-creates the repository (default options: zlib, sha1)
# with a tiny publish, warms the page cache, then publishes the whole tree in one publish.
# Reports files/s from the publish's JSON (timings.ingestMs+commitMs) and from wall-clock.
# Goal: >= 20,000 files/s. For scale it also times, on the same tree and filesystem, `cp -r`
# and reference-writer.c (built here with gcc): the least a crash-safe writer of zlib level 6
# objects does per file, on as many threads as there are cores. The reference writer does less
# than a publish, so its rate is about the most any such writer gets on this machine.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar), BENCH_DIRS,
#   BENCH_FILES_PER_DIR, BENCH_STEP_TIMEOUT (seconds per step, default 600), TMPDIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIRS=${BENCH_DIRS:-100}
PER_DIR=${BENCH_FILES_PER_DIR:-1000}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-600}
GOAL=20000

need java openjdk-17-jre-headless
need timeout coreutils
need gcc gcc
need /usr/include/zlib.h zlib1g-dev

require_jar
[[ $DIRS =~ ^[0-9]+$ && $PER_DIR =~ ^[0-9]+$ && $DIRS -ge 1 && $PER_DIR -ge 1 && $PER_DIR -le 100000 ]] \
  || die "BENCH_DIRS and BENCH_FILES_PER_DIR must be positive integers (BENCH_FILES_PER_DIR <= 100000)"
FILES=$((DIRS * PER_DIR))

make_work
REFERENCE=$WORK/reference-writer
gcc -O2 -o "$REFERENCE" "$BENCH_DIR/reference-writer.c" -lz -lpthread || die "cannot build reference-writer.c"
# source (4 KiB blocks per file) plus objects, catalogs and slack
require_free_kib $(( FILES * 16 + 1024 * 1024 ))

SRC=$WORK/src
generate_small_files "$SRC" "$DIRS" "$PER_DIR"

DATA=$WORK/data
create_repository "$DATA"

# Warm the page cache (data and inodes).
find "$SRC" -type f -exec cat {} + > /dev/null
sync

note "timing publish ..."
timed_publish "$DATA" small "$SRC"

note "timing cp -r of the same tree, for reference ..."
CP_MS=$(elapsed_ms timeout "$STEP_TIMEOUT" cp -r "$SRC" "$WORK/copy")
sync

note "timing the reference writer on the same tree ..."
# Its own clock, from the first file read to the last rename, like the publish's JSON timings.
REFERENCE_OUT=$(find "$SRC" -type f -print0 | LC_ALL=C sort -z \
  | timeout "$STEP_TIMEOUT" "$REFERENCE" "$WORK/reference" "$(nproc)" 6)
read -r REFERENCE_FILES REFERENCE_SECONDS <<< "$REFERENCE_OUT"
(( REFERENCE_FILES == FILES )) || die "reference writer wrote $REFERENCE_FILES files, expected $FILES"
REFERENCE_MS=$(awk -v s="$REFERENCE_SECONDS" 'BEGIN { printf "%d", s * 1000 }')
sync

rate() { awk -v n="$FILES" -v ms="$1" 'BEGIN { if (ms <= 0) ms = 1; printf "%.0f", n / (ms / 1000) }'; }

echo
echo "small-files: $FILES files of 1 KiB in $DIRS directories, one publish (zlib, sha1), $(nproc) cores"
echo "publish output: $PUBLISH_OUT"
CP_RATE=$(rate "$CP_MS")
REFERENCE_RATE=$(rate "$REFERENCE_MS")
printf '%-36s %9s %9s %9s %7s %7s %7s  %s\n' "measure" "seconds" "files/s" "goal" "ratio" "vs cp" "vs ref" "vs goal"
row() { # row LABEL MILLIS
  local r
  r=$(rate "$2")
  printf '%-36s %9.2f %9s %9s %7s %7s %7s  %s\n' "$1" "$(ms_to_s "$2")" "$r" ">= $GOAL" \
    "$(ratio "$r" "$GOAL")" "$(ratio "$r" "$CP_RATE")" "$(ratio "$r" "$REFERENCE_RATE")" "$(verdict "$r" "$GOAL")"
}
row "json (timings.ingestMs+commitMs)" "$PUBLISH_JSON_MS"
row "wall-clock (incl. JVM start)" "$PUBLISH_WALL_MS"
row "cp -r, same filesystem" "$CP_MS"
row "reference-writer.c, $(nproc) threads" "$REFERENCE_MS"
