#!/usr/bin/env bash
# Publish throughput on large files, against sha1sum and gzip -1 on the same files.
#
# Generates BENCH_TOTAL_MIB (default 2048) MiB in BENCH_FILES (default 8) files from the
# binaries and libraries under /usr, warms the page cache, then times:
#   sha1sum over all files, gzip -1 over all files (one process), pigz -6 on every core,
#   publish into a fresh repository with --compression none, zlib (level 6), zlib level 1.
# Goals: publish none >= 1.0 x sha1sum; publish zlib >= 1.5 x gzip -1.
# pigz -6 is no goal but a yardstick: level 6 on every core, by an independent program.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_TOTAL_MIB, BENCH_FILES, BENCH_STEP_TIMEOUT (seconds per step, default 900),
#   TMPDIR (where the files and data directories go; needs 10 GiB free).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}

need java openjdk-17-jre-headless
need timeout coreutils
need gzip gzip
need pigz pigz
need sha1sum coreutils

require_jar
usr_input_size

make_work
require_free_kib $((10 * 1024 * 1024)) "at least 10 GiB"

SRC=$WORK/src
generate_usr_files "$SRC"

# Warm the page cache.
cat "$SRC"/part-* > /dev/null

declare -A WALL_MS JSON_MS OUT_BYTES

# --- References -----------------------------------------------------------------------------
note "timing sha1sum ..."
WALL_MS[sha1sum]=$(elapsed_ms timeout "$STEP_TIMEOUT" sha1sum "$SRC"/part-*)

note "timing gzip -1 ..."
WALL_MS[gzip1]=$(elapsed_ms timeout "$STEP_TIMEOUT" gzip -1 -c "$SRC"/part-*)

note "timing pigz -6 ..."
WALL_MS[pigz6]=$(elapsed_ms timeout "$STEP_TIMEOUT" pigz -6 -p "$(nproc)" -c "$SRC"/part-*)

# --- Our publish ----------------------------------------------------------------------------
publish_run none "$SRC" --compression none
publish_run zlib6 "$SRC" --compression zlib
publish_run zlib1 "$SRC" --compression zlib --zlib-level 1

# --- Results --------------------------------------------------------------------------------
echo
echo "publish-throughput: $FILES files, $((TOTAL_BYTES / 1048576)) MiB in total, page cache warm, $(nproc) cores"
publish_table_head 28
row() { rate_row 28 "$1" "$2" "$TOTAL_BYTES"; }
row "sha1sum" sha1sum
row "gzip -1 (1 process)" gzip1
row "pigz -6 ($(nproc) threads)" pigz6
row "publish --compression none" none
row "publish zlib (level 6)" zlib6
row "publish zlib --zlib-level 1" zlib1
echo "(wall: whole command incl. JVM start; json: timings.ingestMs+commitMs of the publish)"

echo
goal_table_head 28
goal_row 28 "none / sha1sum" none sha1sum 1.0
goal_row 28 "zlib (level 6) / gzip -1" zlib6 gzip1 1.5
goal_row 28 "zlib level 1 / gzip -1" zlib1 gzip1 1.5
printf '%-28s %10s %10s %8s  %s\n' "pigz -6 / gzip -1" "$(ratio "${WALL_MS[gzip1]}" "${WALL_MS[pigz6]}")" \
  "-" "-" "(yardstick: level 6 on every core)"
