#!/usr/bin/env bash
# Content reuse: re-publishing a known source at a new path, against the 100 ms limit.
#
# Builds a tar of BENCH_TOTAL_MIB (default 1024) MiB in BENCH_FILES (default 8) files cut from
# the binaries and libraries under /usr, starts `serve --compression none` on a fresh data
# directory, publishes the tar once with its SHA-256 (PUT ...?sha256=), then times
# BENCH_COPIES (default 10) publications of the same digest at new paths, after one untimed
# warm-up copy (POST /api/v1/repos/FQRN/paths/copy-N {"source":"sha256:..."}: no upload),
# request start to the 201, which the API sends once the new revision is served. Each copy is checked by its
# answer: the same files and bytes as the original, and nothing but its catalog written.
# Goal: every copy < 100 ms (the median and the slowest are reported, with their ratio to 100 ms).
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar), BENCH_TOTAL_MIB,
#   BENCH_FILES, BENCH_COPIES, BENCH_STEP_TIMEOUT (seconds per step, default 900), BENCH_PORT
#   (default: first free port from 18130), TMPDIR (needs 3 GiB free).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
COPIES=${BENCH_COPIES:-10}
LIMIT_MS=100

need java openjdk-17-jre-headless
need timeout coreutils
need sha256sum coreutils
need tar tar
need curl curl

require_jar
BENCH_TOTAL_MIB=${BENCH_TOTAL_MIB:-1024}
usr_input_size
require_integers COPIES
make_work
require_free_kib $((3 * 1024 * 1024)) "at least 3 GiB"

PORT=${BENCH_PORT:-$(free_port 18130)}
listening "$PORT" && die "port $PORT is in use"

SRC=$WORK/src
generate_usr_files "$SRC"
TAR=$WORK/big.tar
timeout "$STEP_TIMEOUT" tar -C "$SRC" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$TAR" .
rm -rf "$SRC"
DIGEST=$(sha256sum "$TAR" | cut -d' ' -f1)

TOKEN=$(random_token)
printf 'Authorization: Bearer %s\n' "$TOKEN" > "$WORK/auth.header"
chmod 600 "$WORK/auth.header"
API=http://$HOST:$PORT/api/v1/repos/$FQRN/paths
DATA=$WORK/data
CVMFS_EPHEMERAL_TOKEN=$TOKEN start_serve "$DATA" "$PORT" "$DATA.log" --notification-port -1 --compression none

note "publishing the $(( $(stat -c %s "$TAR") / 1048576 )) MiB tar once, with its digest ..."
code=$(timeout "$STEP_TIMEOUT" curl -sS -T "$TAR" -H @"$WORK/auth.header" -H 'Expect:' -o "$WORK/original.json" \
  -w '%{http_code}' "$API/original?format=tar&ttl=2h&sha256=$DIGEST") || die "curl failed uploading the tar"
[[ $code == 201 ]] || die "PUT /original answered $code: $(head -c 500 "$WORK/original.json")"
ORIGINAL=$(tr -d '\n' < "$WORK/original.json")
FILES=$(json_field "$ORIGINAL" files)
BYTES=$(json_field "$ORIGINAL" bytes)

TIMES=()
# Copy 0 is the warm-up: the first run of the copy path through the JIT is not timed, as in a
# server that has been running for a while.
for ((i = 0; i <= COPIES; i++)); do
  out=$(curl -sS -H @"$WORK/auth.header" -H 'Content-Type: application/json' -o "$WORK/copy.json" \
    -w '%{http_code} %{time_total}' -d "{\"source\":\"sha256:$DIGEST\",\"ttl\":\"2h\"}" "$API/copy-$i") \
    || die "curl failed copying"
  read -r code secs <<< "$out"
  answer=$(tr -d '\n' < "$WORK/copy.json")
  [[ $code == 201 ]] || die "POST /copy-$i answered $code: $answer"
  [[ $(json_field "$answer" files) == "$FILES" && $(json_field "$answer" bytes) == "$BYTES" ]] \
    || die "copy-$i does not hold what the original holds: $answer"
  [[ $(json_field "$answer" objectsWritten) -le 1 ]] || die "copy-$i wrote more than its catalog: $answer"
  (( i == 0 )) || TIMES+=("$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 + 0.5 }')")
done
stop "$SERVER_PID"

read -r MEDIAN MAX < <(printf '%s\n' "${TIMES[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[NR] }')
echo
echo "Re-publishing a known $(( BYTES / 1048576 )) MiB source ($FILES files) at a new path, $COPIES times"
printf '  %-28s %8s ms\n' "median" "$MEDIAN" "slowest" "$MAX" "limit" "$LIMIT_MS"
printf '  %-28s %8s\n' "limit / slowest" "$(ratio "$LIMIT_MS" "$MAX")x" "verdict" "$( (( MAX < LIMIT_MS )) && echo ok || echo ABOVE)"
