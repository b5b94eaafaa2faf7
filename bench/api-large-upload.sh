#!/usr/bin/env bash
# Publish API with one large upload: a tar and a tar.zst, against sha1sum and zstd -d.
#
# Builds a tar of BENCH_TOTAL_MIB (default 2048) MiB in BENCH_FILES (default 8) files cut from
# the binaries and libraries under /usr, and a tar.zst of it (zstd -T0 -3). Starts `serve
# --compression none` on a fresh data directory, warms it up with one upload of BENCH_WARMUP_MIB
# (default 512) MiB of random content in the same format, so that the JIT has compiled the hot
# paths as in a server that has been running for a while (random content shares no chunk with
# the timed tar: the objects column shows nothing reused), warms the page cache, then times:
#   sha1sum over the tar, zstd -d -c over the tar.zst to /dev/null,
#   curl -T of the tar to PUT /api/v1/repos/FQRN/paths/big-tar?format=tar (request start to
#   the 201, which the API sends once the new manifest is served),
#   the same with the tar.zst (format=tar.zst) on a second fresh data directory, so that it
#   cannot reuse the objects of the first upload.
# Goal: API publish of the tar >= 1.0 x sha1sum. The tar.zst against zstd -d is reported.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_TOTAL_MIB, BENCH_FILES, BENCH_WARMUP_MIB, BENCH_STEP_TIMEOUT (seconds per step,
#   default 900), BENCH_PORT (default: first free port from 18110), TMPDIR (needs 10 GiB free).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
WARMUP_MIB=${BENCH_WARMUP_MIB:-512}

need java openjdk-17-jre-headless
need timeout coreutils
need sha1sum coreutils
need tar tar
need zstd zstd
need curl curl

require_jar
usr_input_size
[[ $STEP_TIMEOUT =~ ^[0-9]+$ && $STEP_TIMEOUT -ge 1 ]] || die "BENCH_STEP_TIMEOUT must be a positive integer"
require_integers WARMUP_MIB

make_work
require_free_kib $((10 * 1024 * 1024)) "at least 10 GiB"

PORT=${BENCH_PORT:-$(free_port 18110)}
listening "$PORT" && die "port $PORT is in use"

# --- Input: a tar of large files cut from /usr, and a tar.zst of it ---------------------------
SRC=$WORK/src
generate_usr_files "$SRC"

TAR=$WORK/big.tar
ZST=$WORK/big.tar.zst
note "packing the tar and the tar.zst (zstd -T0 -3) ..."
timeout "$STEP_TIMEOUT" tar -C "$SRC" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$TAR" .
rm -rf "$SRC"
timeout "$STEP_TIMEOUT" zstd -q -T0 -3 -c "$TAR" > "$ZST"
note "packing the warm-up tar and tar.zst ($WARMUP_MIB MiB of random content) ..."
mkdir -p "$WORK/warmup"
head -c $((WARMUP_MIB * 1048576)) /dev/urandom > "$WORK/warmup/random.bin"
tar -C "$WORK/warmup" -cf "$WORK/warmup.tar" random.bin
rm -rf "$WORK/warmup"
zstd -q -T0 -3 -c "$WORK/warmup.tar" > "$WORK/warmup.tar.zst"
TAR_BYTES=$(stat -c %s "$TAR")
ZST_BYTES=$(stat -c %s "$ZST")
sync

# --- Server ---------------------------------------------------------------------------------
TOKEN=$(random_token)
write_auth_header "$TOKEN"
API=http://$HOST:$PORT/api/v1/repos/$FQRN/paths

warm_up() { # warm_up FORMAT: key generation, the first revision and JIT compilation are not timed
  local file=$WORK/warmup.tar
  [[ $1 == tar.zst ]] && file=$WORK/warmup.tar.zst
  api_put "$file" warmup "$1" > /dev/null
}

declare -A SECS JSON_MS WRITTEN REUSED

api_run() { # api_run KEY FILE PATH FORMAT: fresh data directory, warm-up, timed upload
  local key=$1 data=$WORK/data-$1 r secs json
  rm -rf "$data"
  CVMFS_EPHEMERAL_TOKEN=$TOKEN start_serve "$data" "$PORT" "$data.log" \
    --notification-port -1 --compression none
  warm_up "$4"
  cat "$2" > /dev/null   # page cache
  sync
  note "timing PUT /$3 ($4, $(( $(stat -c %s "$2") / 1048576 )) MiB) ..."
  r=$(api_put "$2" "$3" "$4")
  read -r secs json <<< "$r"
  SECS[$key]=$secs
  JSON_MS[$key]=$(json_field "$json" totalMs)
  WRITTEN[$key]=$(json_field "$json" objectsWritten)
  REUSED[$key]=$(json_field "$json" objectsReused)
  [[ -n ${JSON_MS[$key]} && -n ${WRITTEN[$key]} && -n ${REUSED[$key]} ]] || die "unexpected answer: $json"
  note "  $json"
  stop "$SERVER_PID"
  rm -rf "$data" "$data.log"
  sync
}

# --- References -----------------------------------------------------------------------------
cat "$TAR" "$ZST" > /dev/null   # page cache
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

time_ref() { # time_ref KEY COMMAND...: SECS[KEY], the wall-clock seconds of COMMAND
  local ms
  ms=$(elapsed_ms "${@:2}")
  SECS[$1]=$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')
}

note "timing sha1sum ..."
time_ref sha1sum timeout "$STEP_TIMEOUT" sha1sum "$TAR"

note "timing zstd -d ..."
time_ref zstd timeout "$STEP_TIMEOUT" zstd -q -d -c "$ZST"

# --- Ours -----------------------------------------------------------------------------------
api_run tar "$TAR" big-tar tar
api_run zst "$ZST" big-tar-zst tar.zst

# --- Results --------------------------------------------------------------------------------
mib_per_s() { # mib_per_s SECONDS: the tar's size per second
  awk -v b="$TAR_BYTES" -v s="$1" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", b / 1048576 / s }'
}

echo
echo "api-large-upload: tar of $FILES files, $((TAR_BYTES / 1048576)) MiB (tar.zst $((ZST_BYTES / 1048576)) MiB)," \
  "page cache warm, serve --compression none, $(nproc) cores, load average $LOAD_AT_START before timing"
printf '%-36s %10s %10s %12s %10s\n' "step" "seconds" "MiB/s" "server MiB/s" "objects"
ref_row() { printf '%-36s %10.2f %10s %12s %10s\n' "$1" "${SECS[$2]}" "$(mib_per_s "${SECS[$2]}")" "-" "-"; }
api_row() {
  printf '%-36s %10.2f %10s %12s %10s\n' "$1" "${SECS[$2]}" "$(mib_per_s "${SECS[$2]}")" \
    "$(mib_per_s "$(ms_to_s "${JSON_MS[$2]}")")" \
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
# ours rate / reference rate = reference seconds / our seconds
r=$(ratio "${SECS[sha1sum]}" "${SECS[tar]}")
printf '%-36s %10s %8s  %s\n' "API tar / sha1sum" "$r" ">= 1.0" "$(verdict "$r" 1.0)"
r=$(ratio "${SECS[zstd]}" "${SECS[zst]}")
printf '%-36s %10s %8s  %s\n' "API tar.zst / zstd -d" "$r" "-" "reported"
