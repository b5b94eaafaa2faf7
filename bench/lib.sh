# shellcheck shell=bash
# Helpers shared by the benchmark scripts, sourced after `set -euo pipefail`.
#
# Sets BENCH_NAME (the script's name), JAR (default: the jar the build writes), FQRN and HOST.
# The functions use WORK (see make_work) and the calling script's STEP_TIMEOUT (seconds per
# step); generate_usr_files also the sizes that usr_input_size sets; the wrk functions the
# calling script's THREADS and DURATION.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_NAME=$(basename "${BASH_SOURCE[1]}" .sh)
JAR=${JAR:-$BENCH_DIR/../data-plane/target/cvmfs-ephemeral-data-plane.jar}
FQRN=bench.example.org
HOST=127.0.0.1   # loopback only
BENCH_PIDS=()    # background processes still to stop on exit

# --- Messages and prerequisites -------------------------------------------------------------

# Failures name the script, as several often run one after the other.
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# Progress goes to stderr, so that stdout carries only the results.
note() { echo "$*" >&2; }

# need COMMAND PACKAGE: the scripts are meant for a plain Debian, so install what is missing.
# COMMAND may also be an absolute path, such as a header file that PACKAGE brings.
need() {
  present "$1" && return 0
  note "installing $2 (for $1)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  present "$1" || die "cannot install $2"
}

present() { if [[ $1 == /* ]]; then [[ -e $1 ]]; else command -v "$1" >/dev/null 2>&1; fi; }

# Every benchmark runs the built jar; say how to get one rather than fail on `java -jar`.
require_jar() {
  [[ -f $JAR ]] || die "no jar at $JAR (build it with ./mvnw -q -DskipTests package, or set JAR=...)"
}

# require_integers NAME...: the named settings go into shell arithmetic, so reject anything else.
require_integers() {
  local v
  for v in "$@"; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
  done
}

# --- Work directory and background processes ------------------------------------------------

# make_work: a fresh WORK under TMPDIR; it and every tracked process go on exit, interrupt or
# failure, so no run leaves files or servers behind.
make_work() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    stop "$pid"
  done
  rm -rf "$WORK"
}

# track PID: a background process for cleanup to stop.
track() { BENCH_PIDS+=("$1"); }

# stop PID: TERM, wait up to 20 s, then KILL. Also untracks PID, as the system may reuse it.
stop() {
  local pid=$1 i p keep=()
  for p in "${BENCH_PIDS[@]}"; do
    [[ $p == "$pid" ]] || keep+=("$p")
  done
  BENCH_PIDS=("${keep[@]}")
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# require_free_kib KIB [WHAT]: refuse to start a run that would fill the disk halfway through.
# WHAT says how much is needed (default: KIB in MiB).
require_free_kib() {
  local free_kib
  free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
  (( free_kib >= $1 )) || die "only $((free_kib / 1024)) MiB free under $WORK, need ${2:-$(($1 / 1024)) MiB}"
}

# --- Ports and servers ----------------------------------------------------------------------

# listening PORT: whether something accepts connections on HOST:PORT.
listening() { (: <> "/dev/tcp/$HOST/$1") 2>/dev/null; }

# free_port FIRST: the first port from FIRST on which nothing listens, so that the benchmark
# does not collide with other servers on the machine.
free_port() {
  local p
  for ((p = $1; p < $1 + 100; p++)); do
    listening "$p" || { echo "$p"; return 0; }
  done
  die "no free port in $1..$(($1 + 99))"
}

# wait_ready PID URL LOG: poll URL until it answers, at most 60 s; a server that exits or does
# not answer shows its LOG, so the reason is on screen.
wait_ready() {
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$1" 2>/dev/null || { cat "$3" >&2; die "server exited before answering $2"; }
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  cat "$3" >&2
  die "no answer from $2 within 60 s"
}

# start_serve DATA PORT LOG [OPTIONS...]: `serve` of DATA on HOST:PORT in the background (its
# pid in SERVER_PID, stopped on exit), returning once it serves the manifest, so that no timed
# request meets a server still starting. Call it as CVMFS_EPHEMERAL_TOKEN=... start_serve to
# enable the publish API without putting the token on a command line.
start_serve() {
  local data=$1 port=$2 log=$3
  shift 3
  java -jar "$JAR" serve --data "$data" --repository "$FQRN" --bind "$HOST" --port "$port" \
    "$@" > "$log" 2>&1 &
  SERVER_PID=$!
  track "$SERVER_PID"
  wait_ready "$SERVER_PID" "http://$HOST:$port/cvmfs/$FQRN/.cvmfspublished" "$log"
}

# random_token: a fresh publish token per run for the API's bearer authentication.
random_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# write_auth_header TOKEN: WORK/auth.header, through which the token goes to curl rather than on
# its command line.
write_auth_header() {
  printf 'Authorization: Bearer %s\n' "$1" > "$WORK/auth.header"
  chmod 600 "$WORK/auth.header"
}

# api_put FILE PATH FORMAT -> prints "seconds json": a publish of FILE at PATH through the API
# under the calling script's API (http://.../api/v1/repos/FQRN/paths), with the token of
# write_auth_header; fails unless the answer is 201. The seconds are curl's time_total, from the
# request's start to the 201, which the API sends once the new manifest is served.
# `-H Expect:` stops curl from sending "Expect: 100-continue" and then waiting a second for
# an interim answer before it sends the body.
api_put() {
  local out code secs
  out=$(timeout "$STEP_TIMEOUT" curl -sS -T "$1" -H @"$WORK/auth.header" -H 'Expect:' \
    -o "$WORK/response.json" -w '%{http_code} %{time_total}' --max-time "$STEP_TIMEOUT" \
    "$API/$2?format=$3&ttl=2h") || die "curl failed uploading $1 to /$2"
  read -r code secs <<< "$out"
  [[ $code == 201 ]] || die "PUT /$2 answered $code: $(head -c 500 "$WORK/response.json")"
  echo "$secs $(tr -d '\n' < "$WORK/response.json")"
}

# --- Apache httpd ---------------------------------------------------------------------------

APACHE=/usr/sbin/apache2
APACHE_MODULES=/usr/lib/apache2/modules

# need_apache: Debian's apache2 with mpm_event, installed if missing.
need_apache() {
  [[ -x $APACHE ]] || need apache2 apache2
  [[ -x $APACHE && -f $APACHE_MODULES/mod_mpm_event.so ]] || die "no $APACHE with mod_mpm_event after installing apache2"
}

# start_apache ROOT PORT: Apache in the foreground on HOST:PORT (its pid in APACHE_PID, stopped
# on exit) with ROOT as document root, of which only ROOT/FQRN may be read, so that it serves a
# repository's files at APACHE_BASE (http://HOST:PORT/FQRN); returns once it serves the manifest.
# Its configuration, pid file, lock and error log live in WORK/apache; nothing under
# /etc/apache2 is read or changed. The workers run as www-data, so WORK is made world-readable.
start_apache() {
  local root=$1 port=$2
  chmod 755 "$WORK"
  mkdir -p "$WORK/apache"
  cat > "$WORK/apache/httpd.conf" <<CONF
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
ServerRoot "$WORK/apache"
ServerName $HOST
Listen $HOST:$port
User www-data
Group www-data
PidFile "$WORK/apache/httpd.pid"
DefaultRuntimeDir "$WORK/apache"
Mutex file:$WORK/apache default
ErrorLog "$WORK/apache/error.log"
LogLevel warn
# Debian's mpm_event limits, with every worker process started up front and never reaped
# (with Debian's StartServers 2 / MaxSpareThreads 75, process churn under 64 connections
# resets kept-alive connections and costs Apache a third of its request rate)
StartServers 6
MinSpareThreads 25
MaxSpareThreads 150
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 5
EnableSendfile On
EnableMMAP On
DocumentRoot "$root"
<Directory />
  Options None
  AllowOverride None
  Require all denied
</Directory>
<Directory "$root/$FQRN">
  Require all granted
</Directory>
CONF
  "$APACHE" -t -f "$WORK/apache/httpd.conf" > "$WORK/apache/configtest.log" 2>&1 \
    || { cat "$WORK/apache/configtest.log" >&2; die "apache configuration rejected"; }
  "$APACHE" -f "$WORK/apache/httpd.conf" -DFOREGROUND > "$WORK/apache/stdout.log" 2>&1 &
  APACHE_PID=$!
  track "$APACHE_PID"
  APACHE_BASE=http://$HOST:$port/$FQRN
  wait_ready "$APACHE_PID" "$APACHE_BASE/.cvmfspublished" "$WORK/apache/error.log"
}

# --- Load with wrk --------------------------------------------------------------------------

# run_wrk SECONDS CONNECTIONS URL -> prints "requests/s MiB/s socket-errors"; fails on
# non-2xx responses
run_wrk() {
  local out
  out=$(timeout $(( $1 + 60 )) wrk -t"$THREADS" -c"$2" -d"$1"s --timeout 30s "$3") \
    || die "wrk failed against $3"
  if grep -q 'Non-2xx or 3xx' <<< "$out"; then
    echo "$out" >&2
    die "error responses from $3"
  fi
  awk '
    /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
    /^Requests\/sec:/ { rps = $2 }
    /^Transfer\/sec:/ {
      v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[A-Za-z]+$/, "", v)
      f = 1
      if (unit == "B") f = 1 / 1048576
      else if (unit == "KB") f = 1 / 1024
      else if (unit == "MB") f = 1
      else if (unit == "GB") f = 1024
      else if (unit == "TB") f = 1048576
      mib = v * f
    }
    END {
      if (rps == "" || mib == "") exit 1
      printf "%s %.1f %d\n", rps, mib, errors
    }' <<< "$out" || die "cannot read wrk output: $out"
}

# measure SERVER OBJECT CONNECTIONS URL FIELD: one timed wrk run of the calling script's
# DURATION seconds, its FIELD (1 requests/s, 2 MiB/s) added to the runs of
# SERVER.OBJECT in VALUES (for median and spread) and RUNS (for the table), its socket errors to
# ERRORS: associative arrays the calling script declares.
measure() {
  local r v
  r=$(run_wrk "$DURATION" "$3" "$4")
  v=$(cut -d' ' -f"$5" <<< "$r")
  VALUES[$1.$2]="${VALUES[$1.$2]:-} $v"
  RUNS[$1.$2]="${RUNS[$1.$2]:-}$(printf ' %10.1f' "$v")"
  ERRORS[$1.$2]=$(( ${ERRORS[$1.$2]:-0} + $(cut -d' ' -f3 <<< "$r") ))
  note "  $1 $2: $r"
}

# median KEY: the median of the runs of KEY in VALUES.
median() {
  tr ' ' '\n' <<< "${VALUES[$1]}" | grep . | sort -g \
    | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread KEY: (max - min) / median of the runs of KEY, in percent.
spread() {
  tr ' ' '\n' <<< "${VALUES[$1]}" | grep . | sort -g \
    | awk -v m="$(median "$1")" '{ v[NR] = $1 } END { printf "%.0f%%", (m > 0) ? 100 * (v[NR] - v[1]) / m : 0 }'
}

# --- Publishing -----------------------------------------------------------------------------

# publish DATA PATH DIR [OPTIONS...]: one `publish` of DIR at PATH; prints its JSON line.
publish() {
  timeout "$STEP_TIMEOUT" java -jar "$JAR" publish --data "$1" --repository "$FQRN" --path "$2" \
    "${@:4}" "$3"
}

# make_tiny_tree: WORK/tiny with one small file, for untimed warm-up publishes.
make_tiny_tree() {
  mkdir -p "$WORK/tiny"
  echo tiny > "$WORK/tiny/file"
}

# create_repository DATA [OPTIONS...]: a tiny publish into DATA with the repository's creation
# OPTIONS, so that key generation and the first revision are not timed.
create_repository() {
  make_tiny_tree
  publish "$1" warmup "$WORK/tiny" "${@:2}" > /dev/null
}

# timed_publish DATA PATH DIR: a publish timed both ways; sets PUBLISH_OUT (its JSON line),
# PUBLISH_WALL_MS (the whole command, JVM start included) and PUBLISH_JSON_MS (its own
# timings.ingestMs + commitMs).
# shellcheck disable=SC2034  # the results are for the calling script
timed_publish() {
  local t0 ingest commit
  t0=$(now_ms)
  PUBLISH_OUT=$(publish "$1" "$2" "$3")
  PUBLISH_WALL_MS=$(( $(now_ms) - t0 ))
  ingest=$(json_field "$PUBLISH_OUT" ingestMs)
  commit=$(json_field "$PUBLISH_OUT" commitMs)
  [[ -n $ingest && -n $commit ]] || die "unexpected publish output: $PUBLISH_OUT"
  PUBLISH_JSON_MS=$(( ingest + commit ))
}

# publish_run KEY DIR [CREATION-OPTIONS...]: a timed publish of DIR into a fresh data directory
# created with OPTIONS, which is removed again (then `sync`), so that at most one copy of the
# objects is on disk at a time. Sets WALL_MS[KEY], JSON_MS[KEY] and OUT_BYTES[KEY] (the stored
# objects' bytes), associative arrays the calling script declares.
publish_run() {
  local key=$1 dir=$2
  shift 2
  local data=$WORK/data-$key
  rm -rf "$data"
  create_repository "$data" "$@"
  sync
  note "timing publish $key ..."
  timed_publish "$data" big "$dir"
  WALL_MS[$key]=$PUBLISH_WALL_MS
  JSON_MS[$key]=$PUBLISH_JSON_MS
  OUT_BYTES[$key]=$(du -sb "$data/$FQRN/data" | cut -f1)
  rm -rf "$data"
  sync
}

# json_field JSON NAME: the numeric field NAME of a publish's JSON, without needing jq.
json_field() { sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" <<< "$1"; }

# --- Input from /usr ------------------------------------------------------------------------

# generate_usr_files DIR: FILES files part-000... of FILE_BYTES bytes each (TOTAL_BYTES in all)
# in DIR, cut from the binaries and libraries under /usr, so that compression and chunking see
# content like build outputs. The same on every run on one machine while /usr does not change.
generate_usr_files() {
  local dir=$1 list=$WORK/corpus.list corpus_bytes count
  mkdir -p "$dir"
  note "generating $FILES files of $((FILE_BYTES / 1048576)) MiB from /usr ..."
  find /usr -type f -size +64k -readable -print0 2>/dev/null | LC_ALL=C sort -z > "$list"
  corpus_bytes=$(du -cb --files0-from="$list" 2>/dev/null | tail -1 | cut -f1)
  (( corpus_bytes > 0 )) || die "no input files found under /usr"
  set +o pipefail   # head closes the stream early
  usr_stream "$list" $(( TOTAL_BYTES / corpus_bytes + 2 )) | head -c "$TOTAL_BYTES" \
    | (cd "$dir" && timeout "$STEP_TIMEOUT" split -b "$FILE_BYTES" -d -a 3 - part-)
  set -o pipefail
  count=$(find "$dir" -type f -size "${FILE_BYTES}c" | wc -l)
  (( count == FILES )) || die "generated $count files of $FILE_BYTES bytes, expected $FILES"
  rm -f "$list"
}

# usr_stream LIST PASSES: the files of LIST concatenated PASSES times. Pass 1 keeps LIST's sorted
# order; each further pass (only needed when /usr holds less than the total) has its own fixed
# shuffled order, so that content-defined chunks do not repeat and deduplication does not
# flatter the publish.
usr_stream() {
  local pass
  for ((pass = 1; pass <= $2; pass++)); do
    if (( pass == 1 )); then
      xargs -0 cat -- < "$1" 2>/dev/null || return 0
    else
      LC_ALL=C sort -z -R --random-source=<(yes "cvmfs-ephemeral-bench-$pass") "$1" \
        | xargs -0 cat -- 2>/dev/null || return 0
    fi
  done
}

# usr_input_size: the size of the input from /usr, the same settings wherever it is used:
# TOTAL_MIB and FILES from BENCH_TOTAL_MIB (default 2048) and BENCH_FILES (default 8), checked,
# and from them FILE_BYTES and TOTAL_BYTES.
usr_input_size() {
  TOTAL_MIB=${BENCH_TOTAL_MIB:-2048}
  FILES=${BENCH_FILES:-8}
  [[ $TOTAL_MIB =~ ^[0-9]+$ && $FILES =~ ^[0-9]+$ && $FILES -ge 1 && $TOTAL_MIB -ge $FILES ]] \
    || die "BENCH_TOTAL_MIB and BENCH_FILES must be integers, BENCH_TOTAL_MIB >= BENCH_FILES >= 1"
  FILE_BYTES=$((TOTAL_MIB * 1024 * 1024 / FILES))
  TOTAL_BYTES=$((FILE_BYTES * FILES))
}

# --- Many small files -----------------------------------------------------------------------

# generate_small_files DIR DIRS PER_DIR: DIRS directories d000... of PER_DIR files of 1 KiB of
# distinct random content each, in DIR.
generate_small_files() {
  local d dir count
  note "generating $(($2 * $3)) files of 1 KiB in $2 directories ..."
  for ((d = 0; d < $2; d++)); do
    dir=$(printf '%s/d%03d' "$1" "$d")
    mkdir -p "$dir"
    head -c $(($3 * 1024)) /dev/urandom | (cd "$dir" && split -b 1024 -d -a 5 - f)
  done
  count=$(find "$1" -type f -size 1024c | wc -l)
  (( count == $2 * $3 )) || die "generated $count files, expected $(($2 * $3))"
}

# --- Timing and results ---------------------------------------------------------------------

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# elapsed_ms COMMAND...: runs COMMAND with its output discarded and prints its wall-clock
# milliseconds; fails as COMMAND fails, since errexit does not reach into $(...).
elapsed_ms() {
  local t0
  t0=$(now_ms)
  "$@" > /dev/null || return
  echo $(( $(now_ms) - t0 ))
}

# mib_per_s BYTES MILLIS: a rate for the tables.
mib_per_s() {
  awk -v b="$1" -v ms="$2" 'BEGIN { if (ms <= 0) ms = 1; printf "%.1f", b / 1048576 / (ms / 1000) }'
}

# The publish tables of publish-throughput.sh and adaptive-compression.sh, from WALL_MS, JSON_MS
# and OUT_BYTES (see publish_run); WIDTH is the width of the label column.

# publish_table_head WIDTH: the header of the rates table.
publish_table_head() {
  printf "%-${1}s %10s %10s %12s %12s\n" "step" "wall s" "wall MiB/s" "json MiB/s" "stored MiB"
}

# rate_row WIDTH LABEL KEY BYTES: wall time and rate of step KEY over BYTES, its JSON rate and
# stored MiB where it has them, else "-".
rate_row() {
  local json_rate="-" stored="-"
  [[ -n ${JSON_MS[$3]:-} ]] && json_rate=$(mib_per_s "$4" "${JSON_MS[$3]}")
  [[ -n ${OUT_BYTES[$3]:-} ]] && stored=$(awk -v b="${OUT_BYTES[$3]}" 'BEGIN { printf "%.0f", b / 1048576 }')
  printf "%-${1}s %10.2f %10s %12s %12s\n" "$2" "$(ms_to_s "${WALL_MS[$3]}")" \
    "$(mib_per_s "$4" "${WALL_MS[$3]}")" "$json_rate" "$stored"
}

# goal_table_head WIDTH: the header of the ratios table.
goal_table_head() {
  printf "%-${1}s %10s %10s %8s  %s\n" "ratio (ours / reference)" "wall" "json" "goal" "json vs goal"
}

# goal_row WIDTH LABEL KEY REFERENCE [GOAL]: REFERENCE's wall time over KEY's wall and JSON time,
# and the verdict on the JSON ratio when there is a GOAL.
goal_row() {
  local rw rj
  rw=$(ratio "${WALL_MS[$4]}" "${WALL_MS[$3]}")
  rj=$(ratio "${WALL_MS[$4]}" "${JSON_MS[$3]}")
  printf "%-${1}s %10s %10s %8s  %s\n" "$2" "$rw" "$rj" "${5:+>= $5}" "${5:+$(verdict "$rj" "$5")}"
}

# ms_to_s MS: milliseconds as seconds, for the tables.
ms_to_s() { awk -v ms="$1" 'BEGIN { print ms / 1000 }'; }

# ratio A B: A / B to two places (0 when B is not positive), as every table prints its ratios.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

# verdict VALUE GOAL: "ok" when VALUE reaches GOAL, else "BELOW", the mark every table uses.
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g) ? "ok" : "BELOW" }'; }
