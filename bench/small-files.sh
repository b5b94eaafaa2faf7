#!/usr/bin/env bash
# Publish rate on many small files.
#
# Creates BENCH_DIRS (default 100) directories of BENCH_FILES_PER_DIR (default 1000) files of
# 1 KiB of distinct random content, pre-creates the repository (default options: zlib, sha1)
# with a tiny publish, warms the page cache, then publishes the whole tree in one publish.
# Reports files/s from the publish's JSON (timings.ingestMs+commitMs) and from wall-clock.
# Goal: >= 20,000 files/s.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar), BENCH_DIRS,
#   BENCH_FILES_PER_DIR, BENCH_STEP_TIMEOUT (seconds per step, default 600), TMPDIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAR=${JAR:-$HERE/../data-plane/target/cvmfs-ephemeral-data-plane.jar}
DIRS=${BENCH_DIRS:-100}
PER_DIR=${BENCH_FILES_PER_DIR:-1000}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-600}
FQRN=bench.example.org
GOAL=20000

die() { echo "small-files: $*" >&2; exit 1; }

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (for $1)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || die "cannot install $2"
}
need java openjdk-17-jre-headless
need timeout coreutils

[[ -f $JAR ]] || die "no jar at $JAR (build it with ./mvnw -q -DskipTests package, or set JAR=...)"
[[ $DIRS =~ ^[0-9]+$ && $PER_DIR =~ ^[0-9]+$ && $DIRS -ge 1 && $PER_DIR -ge 1 && $PER_DIR -le 100000 ]] \
  || die "BENCH_DIRS and BENCH_FILES_PER_DIR must be positive integers (BENCH_FILES_PER_DIR <= 100000)"
FILES=$((DIRS * PER_DIR))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/small-files.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
# source (4 KiB blocks per file) plus objects, catalogs and slack
need_kib=$(( FILES * 16 + 1024 * 1024 ))
(( free_kib >= need_kib )) || die "only $((free_kib / 1024)) MiB free under $WORK, need $((need_kib / 1024)) MiB"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

echo "generating $FILES files of 1 KiB in $DIRS directories ..." >&2
SRC=$WORK/src
for ((d = 0; d < DIRS; d++)); do
  dir=$(printf '%s/d%03d' "$SRC" "$d")
  mkdir -p "$dir"
  head -c $((PER_DIR * 1024)) /dev/urandom | (cd "$dir" && split -b 1024 -d -a 5 - f)
done
count=$(find "$SRC" -type f -size 1024c | wc -l)
(( count == FILES )) || die "generated $count files, expected $FILES"

DATA=$WORK/data
mkdir -p "$WORK/tiny"
echo tiny > "$WORK/tiny/file"
timeout "$STEP_TIMEOUT" java -jar "$JAR" publish --data "$DATA" --repository "$FQRN" --path warmup "$WORK/tiny" > /dev/null

# Warm the page cache (data and inodes).
find "$SRC" -type f -exec cat {} + > /dev/null
sync

echo "timing publish ..." >&2
t0=$(now_ms)
out=$(timeout "$STEP_TIMEOUT" java -jar "$JAR" publish --data "$DATA" --repository "$FQRN" --path small "$SRC")
wall_ms=$(( $(now_ms) - t0 ))
json_field() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" <<< "$out"; }
ingest=$(json_field ingestMs)
commit=$(json_field commitMs)
[[ -n $ingest && -n $commit ]] || die "unexpected publish output: $out"
json_ms=$((ingest + commit))

rate() { awk -v n="$FILES" -v ms="$1" 'BEGIN { if (ms <= 0) ms = 1; printf "%.0f", n / (ms / 1000) }'; }
ratio() { awk -v r="$1" -v g="$GOAL" 'BEGIN { printf "%.2f", r / g }'; }
verdict() { awk -v r="$1" -v g="$GOAL" 'BEGIN { print (r >= g) ? "ok" : "BELOW" }'; }

echo
echo "small-files: $FILES files of 1 KiB in $DIRS directories, one publish (zlib, sha1), $(nproc) cores"
echo "publish output: $out"
printf '%-34s %10s %10s %10s %8s  %s\n' "measure" "seconds" "files/s" "goal" "ratio" "vs goal"
row() { # row LABEL MILLIS
  local r
  r=$(rate "$2")
  printf '%-34s %10.2f %10s %10s %8s  %s\n' "$1" "$(awk -v ms="$2" 'BEGIN { print ms / 1000 }')" "$r" \
    ">= $GOAL" "$(ratio "$r")" "$(verdict "$r")"
}
row "json (timings.ingestMs+commitMs)" "$json_ms"
row "wall-clock (incl. JVM start)" "$wall_ms"
