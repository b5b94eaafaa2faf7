#!/usr/bin/env bash
# Adaptive compression: what a zlib repository costs on content that does not compress, and
# that probing costs nothing on content that does.
#
# (a) BENCH_RANDOM_MIB (default 1024) MiB of random bytes in BENCH_RANDOM_FILES (default 8)
#     files: sha1sum of them, then a publish into a zlib repository (adaptive: the files are
#     stored uncompressed) and, for contrast, into a zlib-always repository.
# (b) BENCH_TOTAL_MIB (default 1024) MiB cut from /usr in BENCH_FILES (default 8) files:
#     pigz -6 -p 2 of them, then a publish into a zlib repository.
# Goals: (a) publish zlib >= 1.0 x sha1sum; (b) publish zlib >= 0.95 x pigz -6 -p 2.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_RANDOM_MIB, BENCH_RANDOM_FILES, BENCH_TOTAL_MIB, BENCH_FILES,
#   BENCH_STEP_TIMEOUT (seconds per step, default 900), TMPDIR (needs 4 GiB free at the defaults).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
RANDOM_MIB=${BENCH_RANDOM_MIB:-1024}
RANDOM_FILES=${BENCH_RANDOM_FILES:-8}
require_integers RANDOM_MIB RANDOM_FILES
(( RANDOM_FILES >= 1 && RANDOM_MIB >= RANDOM_FILES )) || die "BENCH_RANDOM_MIB must be >= BENCH_RANDOM_FILES >= 1"
RANDOM_FILE_MIB=$((RANDOM_MIB / RANDOM_FILES))
RANDOM_BYTES=$((RANDOM_FILE_MIB * RANDOM_FILES * 1048576))
BENCH_TOTAL_MIB=${BENCH_TOTAL_MIB:-1024}

need java openjdk-17-jre-headless
need timeout coreutils
need pigz pigz
need sha1sum coreutils

require_jar
usr_input_size

make_work
# Both inputs, plus the objects of one publish at a time.
require_free_kib $(( (RANDOM_MIB * 2 + TOTAL_MIB * 2) * 1024 )) "$(( (RANDOM_MIB * 2 + TOTAL_MIB * 2) / 1024 + 1 )) GiB"

RANDOM_DIR=$WORK/random
mkdir -p "$RANDOM_DIR"
note "generating $RANDOM_FILES files of $RANDOM_FILE_MIB MiB of random bytes ..."
for ((i = 0; i < RANDOM_FILES; i++)); do
  head -c $((RANDOM_FILE_MIB * 1048576)) /dev/urandom > "$RANDOM_DIR/random-$(printf %03d "$i")"
done

USR_DIR=$WORK/usr
generate_usr_files "$USR_DIR"

# Warm the page cache.
cat "$RANDOM_DIR"/* "$USR_DIR"/part-* > /dev/null

declare -A WALL_MS JSON_MS OUT_BYTES

# --- References -----------------------------------------------------------------------------
note "timing sha1sum of the random files ..."
WALL_MS[sha1sum]=$(elapsed_ms timeout "$STEP_TIMEOUT" sha1sum "$RANDOM_DIR"/*)

note "timing pigz -6 -p 2 of the /usr files ..."
WALL_MS[pigz6]=$(elapsed_ms timeout "$STEP_TIMEOUT" pigz -6 -p 2 -c "$USR_DIR"/part-*)

# --- Our publish ----------------------------------------------------------------------------
publish_run random-zlib "$RANDOM_DIR" --compression zlib
publish_run random-none "$RANDOM_DIR" --compression none
publish_run random-always "$RANDOM_DIR" --compression zlib-always
publish_run usr-zlib "$USR_DIR" --compression zlib

# --- Results --------------------------------------------------------------------------------
echo
echo "adaptive-compression: (a) $RANDOM_FILES random files, $((RANDOM_BYTES / 1048576)) MiB;" \
  "(b) $FILES files from /usr, $((TOTAL_BYTES / 1048576)) MiB; page cache warm, $(nproc) cores"
publish_table_head 34
row() { rate_row 34 "$@"; }
row "(a) sha1sum" sha1sum "$RANDOM_BYTES"
row "(a) publish zlib (adaptive)" random-zlib "$RANDOM_BYTES"
row "(a) publish none" random-none "$RANDOM_BYTES"
row "(a) publish zlib-always" random-always "$RANDOM_BYTES"
row "(b) pigz -6 -p 2" pigz6 "$TOTAL_BYTES"
row "(b) publish zlib (adaptive)" usr-zlib "$TOTAL_BYTES"
echo "(wall: whole command incl. JVM start; json: timings.ingestMs+commitMs of the publish)"

echo
goal_table_head 34
goal_row 34 "(a) zlib (adaptive) / sha1sum" random-zlib sha1sum 1.0
goal_row 34 "(a) none / sha1sum" random-none sha1sum
goal_row 34 "(a) zlib-always / sha1sum" random-always sha1sum
goal_row 34 "(b) zlib (adaptive) / pigz -6 -p 2" usr-zlib pigz6 0.95
