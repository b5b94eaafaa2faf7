#!/usr/bin/env bash
# Publish API with one large upload: a tar and a tar.zst, against sha1sum and zstd -d.
#
# Builds a tar of BENCH_TOTAL_MIB (default 2048) MiB in BENCH_FILES (default 8) files cut from
# the binaries and libraries under /usr, and a tar.zst of it (zstd -T0 -3). Starts `serve
# --compression none` on a fresh data directory (warmed up with one small publish), warms the
# page cache, then times:
#   sha1sum over the tar, zstd -d -c over the tar.zst to /dev/null,
#   curl -T of the tar to PUT /api/v1/repos/FQRN/paths/big-tar?format=tar (request start to
#   the 201, which the API sends once the new manifest is served),
#   the same with the tar.zst (format=tar.zst) on a second fresh data directory, so that it
#   cannot reuse the objects of the first upload.
# Goal: API publish of the tar >= 1.0 x sha1sum. The tar.zst against zstd -d is reported.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_TOTAL_MIB, BENCH_FILES, BENCH_STEP_TIMEOUT (seconds per step, default 900),
#   BENCH_PORT (default: first free port from 18110), TMPDIR (needs 10 GiB free).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAR=${JAR:-$HERE/../data-plane/target/cvmfs-ephemeral-data-plane.jar}
TOTAL_MIB=${BENCH_TOTAL_MIB:-2048}
FILES=${BENCH_FILES:-8}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
FQRN=bench.example.org
HOST=127.0.0.1
MIN_FREE_KIB=$((10 * 1024 * 1024))

die() { echo "api-large-upload: $*" >&2; exit 1; }
note() { echo "$*" >&2; }

need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  note "installing $2 (for $1)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null 2>&1 || die "cannot install $2"
}
need java openjdk-17-jre-headless
need timeout coreutils
need sha1sum coreutils
need tar tar
need zstd zstd
need curl curl

[[ -f $JAR ]] || die "no jar at $JAR (build it with ./mvnw -q -DskipTests package, or set JAR=...)"
[[ $TOTAL_MIB =~ ^[0-9]+$ && $FILES =~ ^[0-9]+$ && $FILES -ge 1 && $TOTAL_MIB -ge $FILES ]] \
  || die "BENCH_TOTAL_MIB and BENCH_FILES must be integers, BENCH_TOTAL_MIB >= BENCH_FILES >= 1"
[[ $STEP_TIMEOUT =~ ^[0-9]+$ && $STEP_TIMEOUT -ge 1 ]] || die "BENCH_STEP_TIMEOUT must be a positive integer"
FILE_BYTES=$((TOTAL_MIB * 1024 * 1024 / FILES))
TOTAL_BYTES=$((FILE_BYTES * FILES))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/api-large-upload.XXXXXX")
SERVER_PID=
stop() { # stop PID: TERM, wait up to 20 s, then KILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  [[ -n $SERVER_PID ]] && stop "$SERVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if (( free_kib < MIN_FREE_KIB )); then
  die "only $((free_kib / 1024)) MiB free under $WORK, need at least 10 GiB"
fi

listening() { (: <> "/dev/tcp/$HOST/$1") 2>/dev/null; }
free_port() { # free_port FIRST: first port from FIRST on which nothing listens
  local p
  for ((p = $1; p < $1 + 100; p++)); do
    listening "$p" || { echo "$p"; return 0; }
  done
  die "no free port in $1..$(($1 + 99))"
}
PORT=${BENCH_PORT:-$(free_port 18110)}
listening "$PORT" && die "port $PORT is in use"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- Input: a tar of large files cut from /usr, and a tar.zst of it ---------------------------
# As in publish-throughput.sh: pass 1 concatenates the files in sorted order; further passes
# (only needed when /usr holds less than the total) use a different deterministic order, so
# content-defined chunks do not repeat.
SRC=$WORK/src
mkdir -p "$SRC"
note "generating $FILES files of $((FILE_BYTES / 1048576)) MiB from /usr ..."
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

TAR=$WORK/big.tar
ZST=$WORK/big.tar.zst
note "packing the tar and the tar.zst (zstd -T0 -3) ..."
timeout "$STEP_TIMEOUT" tar -C "$SRC" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$TAR" .
rm -rf "$SRC"
timeout "$STEP_TIMEOUT" zstd -q -T0 -3 -c "$TAR" > "$ZST"
TAR_BYTES=$(stat -c %s "$TAR")
ZST_BYTES=$(stat -c %s "$ZST")
sync

# --- Server ---------------------------------------------------------------------------------
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The token goes to curl through a header file, not the command line.
printf 'Authorization: Bearer %s\n' "$TOKEN" > "$WORK/auth.header"
chmod 600 "$WORK/auth.header"
API=http://$HOST:$PORT/api/v1/repos/$FQRN/paths

start_server() { # start_server DATA: serve --compression none on DATA, wait until it answers
  local data=$1 i
  CVMFS_EPHEMERAL_TOKEN=$TOKEN java -jar "$JAR" serve --data "$data" --repository "$FQRN" \
    --bind "$HOST" --port "$PORT" --notification-port -1 --compression none > "$data.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$data.log" >&2; die "server exited before answering"; }
    curl -fsS -o /dev/null "http://$HOST:$PORT/cvmfs/$FQRN/.cvmfspublished" 2>/dev/null && return 0
    sleep 0.2
  done
  cat "$data.log" >&2
  die "no answer from the server within 60 s"
}

# put FILE PATH FORMAT -> prints "seconds json"; fails unless the answer is 201.
# `-H Expect:` stops curl from sending "Expect: 100-continue" and then waiting a second for
# an interim answer before it sends the body.
put() {
  local out code secs
  out=$(timeout "$STEP_TIMEOUT" curl -sS -T "$1" -H @"$WORK/auth.header" -H 'Expect:' \
    -o "$WORK/response.json" -w '%{http_code} %{time_total}' --max-time "$STEP_TIMEOUT" \
    "$API/$2?format=$3&ttl=2h") || die "curl failed uploading $1 to /$2"
  read -r code secs <<< "$out"
  [[ $code == 201 ]] || die "PUT /$2 answered $code: $(head -c 500 "$WORK/response.json")"
  echo "$secs $(tr -d '\n' < "$WORK/response.json")"
}

json_field() { # json_field JSON NAME: a numeric field
  sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" <<< "$1"
}

warm_up() { # one small publish, so key generation, JIT start and the first revision are not timed
  mkdir -p "$WORK/tiny"
  echo tiny > "$WORK/tiny/file"
  tar -C "$WORK/tiny" -cf "$WORK/tiny.tar" .
  put "$WORK/tiny.tar" warmup tar > /dev/null
}

declare -A SECS JSON_MS WRITTEN REUSED

api_run() { # api_run KEY FILE PATH FORMAT: fresh data directory, warm-up, timed upload
  local key=$1 data=$WORK/data-$1 r secs json
  rm -rf "$data"
  start_server "$data"
  warm_up
  cat "$2" > /dev/null   # page cache
  sync
  note "timing PUT /$3 ($4, $(( $(stat -c %s "$2") / 1048576 )) MiB) ..."
  r=$(put "$2" "$3" "$4")
  read -r secs json <<< "$r"
  SECS[$key]=$secs
  JSON_MS[$key]=$(json_field "$json" totalMs)
  WRITTEN[$key]=$(json_field "$json" objectsWritten)
  REUSED[$key]=$(json_field "$json" objectsReused)
  [[ -n ${JSON_MS[$key]} && -n ${WRITTEN[$key]} && -n ${REUSED[$key]} ]] || die "unexpected answer: $json"
  note "  $json"
  stop "$SERVER_PID"
  SERVER_PID=
  rm -rf "$data" "$data.log"
  sync
}

# --- References -----------------------------------------------------------------------------
cat "$TAR" "$ZST" > /dev/null   # page cache
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

note "timing sha1sum ..."
t0=$(now_ms)
timeout "$STEP_TIMEOUT" sha1sum "$TAR" > /dev/null
SECS[sha1sum]=$(awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.3f", ms / 1000 }')

note "timing zstd -d ..."
t0=$(now_ms)
timeout "$STEP_TIMEOUT" zstd -q -d -c "$ZST" > /dev/null
SECS[zstd]=$(awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN { printf "%.3f", ms / 1000 }')

# --- Ours -----------------------------------------------------------------------------------
api_run tar "$TAR" big-tar tar
api_run zst "$ZST" big-tar-zst tar.zst

# --- Results --------------------------------------------------------------------------------
mib_per_s() { # mib_per_s SECONDS: the tar's size per second
  awk -v b="$TAR_BYTES" -v s="$1" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", b / 1048576 / s }'
}
ratio() { awk -v ref="$2" -v ours="$1" 'BEGIN { printf "%.2f", ref / ours }'; }   # ours rate / ref rate
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g) ? "ok" : "BELOW" }'; }

echo
echo "api-large-upload: tar of $FILES files, $((TAR_BYTES / 1048576)) MiB (tar.zst $((ZST_BYTES / 1048576)) MiB)," \
  "page cache warm, serve --compression none, $(nproc) cores, load average $LOAD_AT_START before timing"
printf '%-36s %10s %10s %12s %10s\n' "step" "seconds" "MiB/s" "server MiB/s" "objects"
ref_row() { printf '%-36s %10.2f %10s %12s %10s\n' "$1" "${SECS[$2]}" "$(mib_per_s "${SECS[$2]}")" "-" "-"; }
api_row() {
  printf '%-36s %10.2f %10s %12s %10s\n' "$1" "${SECS[$2]}" "$(mib_per_s "${SECS[$2]}")" \
    "$(mib_per_s "$(awk -v ms="${JSON_MS[$2]}" 'BEGIN { print ms / 1000 }')")" \
    "${WRITTEN[$2]}+${REUSED[$2]}"
}
ref_row "sha1sum big.tar" sha1sum
ref_row "zstd -d -c big.tar.zst > /dev/null" zstd
api_row "API PUT format=tar" tar
api_row "API PUT format=tar.zst" zst
echo "(MiB/s: the tar's $TAR_BYTES bytes per second; seconds of the API rows: curl's time_total, request"
echo " start to the 201 sent once the manifest is served; server MiB/s: from timings.totalMs;"
echo " objects: written+reused, each upload into a fresh data directory)"

echo
printf '%-36s %10s %8s  %s\n' "ratio (ours / reference)" "ratio" "goal" "vs goal"
r=$(ratio "${SECS[tar]}" "${SECS[sha1sum]}")
printf '%-36s %10s %8s  %s\n' "API tar / sha1sum" "$r" ">= 1.0" "$(verdict "$r" 1.0)"
r=$(ratio "${SECS[zst]}" "${SECS[zstd]}")
printf '%-36s %10s %8s  %s\n' "API tar.zst / zstd -d" "$r" "-" "reported"
