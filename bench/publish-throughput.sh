#!/usr/bin/env bash
# Publish throughput on large files, against sha1sum and gzip -1 on the same files.
#
# Generates BENCH_TOTAL_MIB (default 2048) MiB in BENCH_FILES (default 8) files from the
# binaries and libraries under /usr, warms the page cache, then times:
#   sha1sum over all files, gzip -1 over all files (one process),
#   publish into a fresh repository with --compression none, zlib (level 6), zlib level 1.
# Goals: publish none >= 1.0 x sha1sum; publish zlib >= 1.5 x gzip -1.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_TOTAL_MIB, BENCH_FILES, BENCH_STEP_TIMEOUT (seconds per step, default 900),
#   TMPDIR (where the files and data directories go; needs 10 GiB free).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAR=${JAR:-$HERE/../data-plane/target/cvmfs-ephemeral-data-plane.jar}
TOTAL_MIB=${BENCH_TOTAL_MIB:-2048}
FILES=${BENCH_FILES:-8}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
FQRN=bench.example.org
MIN_FREE_KIB=$((10 * 1024 * 1024))

die() { echo "publish-throughput: $*" >&2; exit 1; }

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (for $1)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || die "cannot install $2"
}
need java openjdk-17-jre-headless
need timeout coreutils
need gzip gzip
need sha1sum coreutils

[[ -f $JAR ]] || die "no jar at $JAR (build it with ./mvnw -q -DskipTests package, or set JAR=...)"
[[ $TOTAL_MIB =~ ^[0-9]+$ && $FILES =~ ^[0-9]+$ && $FILES -ge 1 && $TOTAL_MIB -ge $FILES ]] \
  || die "BENCH_TOTAL_MIB and BENCH_FILES must be integers, BENCH_TOTAL_MIB >= BENCH_FILES >= 1"
FILE_BYTES=$((TOTAL_MIB * 1024 * 1024 / FILES))
TOTAL_BYTES=$((FILE_BYTES * FILES))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/publish-throughput.XXXXXX")
cleanup() {
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if (( free_kib < MIN_FREE_KIB )); then
  die "only $((free_kib / 1024)) MiB free under $WORK, need at least 10 GiB"
fi

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

SRC=$WORK/src
mkdir -p "$SRC"

# --- Input: a deterministic mix of existing binaries and libraries -------------------------
# Pass 1 concatenates the files in sorted order; further passes (only needed when /usr holds
# less than the total) use a different deterministic order, so that content-defined chunks
# do not repeat and deduplication does not flatter the publish.
echo "generating $FILES files of $((FILE_BYTES / 1048576)) MiB from /usr ..." >&2
find /usr -type f -size +64k -readable -print0 2>/dev/null | LC_ALL=C sort -z > "$WORK/corpus.list"
corpus_bytes=$(du -cb --files0-from="$WORK/corpus.list" 2>/dev/null | tail -1 | cut -f1)
(( corpus_bytes > 0 )) || die "no input files found under /usr"
passes=$(( TOTAL_BYTES / corpus_bytes + 2 ))
stream() {
  local pass
  for ((pass = 1; pass <= passes; pass++)); do
    if (( pass == 1 )); then
      xargs -0 cat -- < "$WORK/corpus.list" 2>/dev/null || return 0
    else
      LC_ALL=C sort -z -R --random-source=<(yes "cvmfs-ephemeral-bench-$pass") "$WORK/corpus.list" \
        | xargs -0 cat -- 2>/dev/null || return 0
    fi
  done
}
set +o pipefail
stream | head -c "$TOTAL_BYTES" | (cd "$SRC" && timeout "$STEP_TIMEOUT" split -b "$FILE_BYTES" -d -a 3 - part-)
set -o pipefail
count=$(find "$SRC" -type f -size "${FILE_BYTES}c" | wc -l)
(( count == FILES )) || die "generated $count files of $FILE_BYTES bytes, expected $FILES"
rm -f "$WORK/corpus.list"

# Warm the page cache.
cat "$SRC"/part-* > /dev/null

declare -A WALL_MS JSON_MS OUT_BYTES

# --- References -----------------------------------------------------------------------------
echo "timing sha1sum ..." >&2
t0=$(now_ms)
timeout "$STEP_TIMEOUT" sha1sum "$SRC"/part-* > /dev/null
WALL_MS[sha1sum]=$(( $(now_ms) - t0 ))

echo "timing gzip -1 ..." >&2
t0=$(now_ms)
timeout "$STEP_TIMEOUT" gzip -1 -c "$SRC"/part-* > /dev/null
WALL_MS[gzip1]=$(( $(now_ms) - t0 ))

# --- Our publish ----------------------------------------------------------------------------
json_field() { # json_field JSON NAME
  sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" <<< "$1"
}

publish_run() { # publish_run KEY CREATION-OPTIONS...
  local key=$1; shift
  local data=$WORK/data-$key
  rm -rf "$data"
  mkdir -p "$WORK/tiny"
  echo tiny > "$WORK/tiny/file"
  # Create the repository (keys, first revision) outside the measurement.
  timeout "$STEP_TIMEOUT" java -jar "$JAR" publish --data "$data" --repository "$FQRN" --path warmup \
    "$@" "$WORK/tiny" > /dev/null
  sync
  echo "timing publish $key ..." >&2
  local t0 out ingest commit
  t0=$(now_ms)
  out=$(timeout "$STEP_TIMEOUT" java -jar "$JAR" publish --data "$data" --repository "$FQRN" --path big "$SRC")
  WALL_MS[$key]=$(( $(now_ms) - t0 ))
  ingest=$(json_field "$out" ingestMs)
  commit=$(json_field "$out" commitMs)
  [[ -n $ingest && -n $commit ]] || die "unexpected publish output: $out"
  JSON_MS[$key]=$(( ingest + commit ))
  OUT_BYTES[$key]=$(du -sb "$data/$FQRN/data" | cut -f1)
  rm -rf "$data"
  sync
}

publish_run none --compression none
publish_run zlib6 --compression zlib
publish_run zlib1 --compression zlib --zlib-level 1

# --- Results --------------------------------------------------------------------------------
mib_per_s() { # mib_per_s MILLIS
  awk -v b="$TOTAL_BYTES" -v ms="$1" 'BEGIN { if (ms <= 0) ms = 1; printf "%.1f", b / 1048576 / (ms / 1000) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g) ? "ok" : "BELOW" }'; }

echo
echo "publish-throughput: $FILES files, $((TOTAL_BYTES / 1048576)) MiB in total, page cache warm, $(nproc) cores"
printf '%-28s %10s %10s %12s %12s\n' "step" "wall s" "wall MiB/s" "json MiB/s" "stored MiB"
row() { # row LABEL KEY
  local json_rate="-" stored="-"
  [[ -n ${JSON_MS[$2]:-} ]] && json_rate=$(mib_per_s "${JSON_MS[$2]}")
  [[ -n ${OUT_BYTES[$2]:-} ]] && stored=$(awk -v b="${OUT_BYTES[$2]}" 'BEGIN { printf "%.0f", b / 1048576 }')
  printf '%-28s %10.2f %10s %12s %12s\n' "$1" "$(awk -v ms="${WALL_MS[$2]}" 'BEGIN { print ms / 1000 }')" \
    "$(mib_per_s "${WALL_MS[$2]}")" "$json_rate" "$stored"
}
row "sha1sum" sha1sum
row "gzip -1 (1 process)" gzip1
row "publish --compression none" none
row "publish zlib (level 6)" zlib6
row "publish zlib --zlib-level 1" zlib1
echo "(wall: whole command incl. JVM start; json: timings.ingestMs+commitMs of the publish)"

echo
printf '%-28s %10s %10s %8s  %s\n' "ratio (ours / reference)" "wall" "json" "goal" "json vs goal"
goal_row() { # goal_row LABEL KEY REFERENCE GOAL
  local rw rj
  rw=$(ratio "${WALL_MS[$3]}" "${WALL_MS[$2]}")
  rj=$(ratio "${WALL_MS[$3]}" "${JSON_MS[$2]}")
  printf '%-28s %10s %10s %8s  %s\n' "$1" "$rw" "$rj" ">= $4" "$(verdict "$rj" "$4")"
}
goal_row "none / sha1sum" none sha1sum 1.0
goal_row "zlib (level 6) / gzip -1" zlib6 gzip1 1.5
goal_row "zlib level 1 / gzip -1" zlib1 gzip1 1.5
