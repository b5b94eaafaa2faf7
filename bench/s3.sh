#!/usr/bin/env bash
# The data plane on S3-compatible object storage: S3Proxy on loopback, its filesystem store on
# the same file system as the local data directories, against the local store and Apache.
#
# Three parts (BENCH_PARTS, default "publish serve gc"):
#   publish: PUT through serve's API of a tar of BENCH_TOTAL_MIB (default 2048) MiB of large
#     files (cut from /usr as publish-throughput.sh makes them), with --compression none and
#     zlib, and of a tar of BENCH_DIRS x BENCH_FILES_PER_DIR (default 100 x 1000) 1 KiB files (as
#     small-files.sh makes them), each into a fresh repository with --storage s3://... and one
#     with --storage local. Goal: S3 >= 0.8 x local on the large files; small files reported.
#   serve: wrk on a 4 KiB object from a follower (a second serve on the same bucket and prefix,
#     its object cache warm) against Apache serving S3Proxy's file of the same object.
#     Goal: follower / Apache >= 1.0 (requests/s).
#   gc: garbage collection on S3 of each count in BENCH_GC_OBJECTS (half of the objects
#     unreferenced) in a JVM capped at BENCH_GC_HEAP (default 512m): time, peak heap, the S3
#     requests (listing pages, delete batches), and a bare listing of the same objects through
#     the S3 API, the store's own share of the time.
#
# S3Proxy and the GC harness run from the test class path, which the Maven Wrapper compiles.
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar), BENCH_PARTS,
#   BENCH_TOTAL_MIB, BENCH_FILES, BENCH_DIRS, BENCH_FILES_PER_DIR, BENCH_WARMUP_MIB (default
#   256), BENCH_DURATION (default 15), BENCH_ROUNDS (default 3), BENCH_WARMUP_SMALL (default 30),
#   BENCH_THREADS (default 2), BENCH_CONNECTIONS_SMALL (default 64), BENCH_GC_OBJECTS (default
#   "25000 50000 100000"), BENCH_GC_HEAP (default 512m), BENCH_STEP_TIMEOUT (seconds per step,
#   default 1800), BENCH_PORT (default: first free port from 18140), BENCH_PORT_S3 (18160),
#   BENCH_PORT_APACHE (18170), TMPDIR (needs 10 GiB free for the publish part).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PARTS=${BENCH_PARTS:-publish serve gc}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-1800}
WARMUP_MIB=${BENCH_WARMUP_MIB:-256}
DIRS=${BENCH_DIRS:-100}
PER_DIR=${BENCH_FILES_PER_DIR:-1000}
DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP_SMALL=${BENCH_WARMUP_SMALL:-30}
THREADS=${BENCH_THREADS:-2}
CONN_SMALL=${BENCH_CONNECTIONS_SMALL:-64}
GC_OBJECTS=${BENCH_GC_OBJECTS:-25000 50000 100000}
GC_HEAP=${BENCH_GC_HEAP:-512m}
PUBLISH_GOAL=0.8
SERVE_GOAL=1.0
GC_SECONDS_GOAL=60   # gc.sh's goal for 1,000,000 objects
BUCKET=bench
SMALL_BYTES=4096
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
GC_MAIN=io.ephemeral.cvmfs.dataplane.bench.GcBenchmark
FQRN_GC=gcbench.example.org   # GcBenchmark's repository

part() { [[ " $PARTS " == *" $1 "* ]]; }
for p in $PARTS; do
  [[ $p == publish || $p == serve || $p == gc ]] || die "BENCH_PARTS: unknown part $p (publish, serve, gc)"
done
require_integers STEP_TIMEOUT WARMUP_MIB DIRS PER_DIR DURATION ROUNDS WARMUP_SMALL THREADS CONN_SMALL
(( STEP_TIMEOUT >= 1 && DIRS >= 1 && PER_DIR >= 1 && PER_DIR <= 100000 )) \
  || die "need BENCH_STEP_TIMEOUT >= 1, BENCH_DIRS >= 1 and 1 <= BENCH_FILES_PER_DIR <= 100000"
(( DURATION >= 1 && ROUNDS >= 1 && THREADS >= 1 && CONN_SMALL >= THREADS )) \
  || die "need BENCH_DURATION >= 1, BENCH_ROUNDS >= 1 and connections >= threads"
for n in $GC_OBJECTS; do
  [[ $n =~ ^[0-9]+$ && $n -ge 2 ]] || die "BENCH_GC_OBJECTS must be counts of at least 2"
done
[[ $GC_HEAP =~ ^[0-9]+[kmgKMG]?$ ]] || die "BENCH_GC_HEAP must be a heap size such as 512m"

need java openjdk-17-jre-headless
need timeout coreutils
need curl curl
need tar tar
if part serve; then
  need wrk wrk
  need_apache
fi

require_jar
usr_input_size

make_work
part publish && require_free_kib $((10 * 1024 * 1024)) "at least 10 GiB"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- S3Proxy --------------------------------------------------------------------------------
note "compiling the test classes (S3Proxy and the GC harness run from them) ..."
ROOT=$BENCH_DIR/..
(cd "$ROOT" && timeout "$STEP_TIMEOUT" ./mvnw -q -B -pl data-plane -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt) > "$WORK/maven.log" 2>&1 \
  || { cat "$WORK/maven.log" >&2; die "cannot compile the test classes"; }
TEST_CP=$ROOT/data-plane/target/test-classes:$ROOT/data-plane/target/classes
TEST_CP+=:$(cat "$ROOT/data-plane/target/bench-classpath.txt")

# A fresh key pair per run; serve and the harness take it from the environment, as from any S3.
AWS_ACCESS_KEY_ID=bench-$(random_token | head -c 12)
AWS_SECRET_ACCESS_KEY=$(random_token)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
S3_PORT=${BENCH_PORT_S3:-$(free_port 18160)}
listening "$S3_PORT" && die "port $S3_PORT is in use"
S3_ENDPOINT=http://$HOST:$S3_PORT
# S3Proxy keeps each bucket as a directory, each object as a file, on WORK's file system.
S3_STORE=$WORK/s3
mkdir -p "$S3_STORE"
(
  umask 077
  cat > "$WORK/s3proxy.properties" <<PROPS
s3proxy.endpoint=$S3_ENDPOINT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$S3_STORE
PROPS
  # curl reads the key pair from here rather than from its command line.
  printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$WORK/s3.curlrc"
)
note "starting S3Proxy on $S3_ENDPOINT ..."
java -cp "$TEST_CP" org.gaul.s3proxy.Main --properties "$WORK/s3proxy.properties" > "$WORK/s3proxy.log" 2>&1 &
S3PROXY_PID=$!
track "$S3PROXY_PID"
for ((i = 0; i < 300; i++)); do
  kill -0 "$S3PROXY_PID" 2>/dev/null || { cat "$WORK/s3proxy.log" >&2; die "S3Proxy exited"; }
  listening "$S3_PORT" && break
  sleep 0.2
done
listening "$S3_PORT" || { cat "$WORK/s3proxy.log" >&2; die "S3Proxy does not listen on $S3_PORT within 60 s"; }
# curl signs with SigV4 but leaves the payload hash to the caller, which S3Proxy requires.
curl -fsS --max-time 60 -K "$WORK/s3.curlrc" --aws-sigv4 aws:amz:us-east-1:s3 -H "x-amz-content-sha256: $EMPTY_SHA256" \
  -X PUT "$S3_ENDPOINT/$BUCKET" -o /dev/null || die "cannot create the bucket $BUCKET in S3Proxy"
[[ -d $S3_STORE/$BUCKET ]] || die "S3Proxy does not keep the bucket in $S3_STORE/$BUCKET"

# serve's options for this S3Proxy; --storage s3://BUCKET/PREFIX goes with them.
S3_OPTIONS=(--s3-endpoint "$S3_ENDPOINT" --s3-path-style --s3-public-read)

TOKEN=$(random_token)
write_auth_header "$TOKEN"
SERVE_PORT=${BENCH_PORT:-$(free_port 18140)}
listening "$SERVE_PORT" && die "port $SERVE_PORT is in use"
API=http://$HOST:$SERVE_PORT/api/v1/repos/$FQRN/paths

# --- Part 1: publish ------------------------------------------------------------------------
declare -A SECS JSON_MS WRITTEN SERVE_CPU PROXY_CPU
publish_part() {
  local large=$WORK/large.tar small=$WORK/small.tar src=$WORK/src
  generate_usr_files "$src/large"
  generate_small_files "$src/small" "$DIRS" "$PER_DIR"
  note "packing the tars ..."
  timeout "$STEP_TIMEOUT" tar -C "$src/large" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$large" .
  timeout "$STEP_TIMEOUT" tar -C "$src/small" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$small" .
  rm -rf "$src"
  # The warm-up exercises both paths, one large file and many small ones, with content that
  # shares nothing with the timed tars.
  note "packing the warm-up tar ($WARMUP_MIB MiB of random content and 2,000 files of 1 KiB) ..."
  mkdir -p "$WORK/warmup"
  head -c $((WARMUP_MIB * 1048576)) /dev/urandom > "$WORK/warmup/random.bin"
  generate_small_files "$WORK/warmup/small" 2 1000
  tar -C "$WORK/warmup" -cf "$WORK/warmup.tar" .
  rm -rf "$WORK/warmup"
  LARGE_TAR_BYTES=$(stat -c %s "$large")
  sync

  # Alternating which storage goes first, so that neither always meets a cooler machine.
  publish_pair large-none "$large" none local s3
  publish_pair large-zlib "$large" zlib s3 local
  publish_pair small "$small" zlib local s3
}

# publish_pair KEY TAR COMPRESSION FIRST SECOND: api_run on both storages, in that order.
publish_pair() {
  api_run "$1" "$4" "$2" "$3"
  api_run "$1" "$5" "$2" "$3"
}

# api_run KEY STORAGE TAR COMPRESSION: a fresh repository (data directory, and for s3 the
# prefix KEY-s3 in the bucket) created with COMPRESSION, a warm-up publish, then the timed PUT of TAR. The
# large files' repositories are removed after their run (and `sync` run), so that at most one
# copy of their objects is on disk; those of the small files stay until the end, as removing
# 100,000 files would slow the runs after it (see "Runs back to back" in README.md).
api_run() {
  local key=$1 storage=$2 tar=$3 id=$1-$2 r secs json serve_cpu proxy_cpu
  local data=$WORK/data-$id options=()
  [[ $storage == s3 ]] && options=(--storage "s3://$BUCKET/$id" "${S3_OPTIONS[@]}")
  CVMFS_EPHEMERAL_TOKEN=$TOKEN start_serve "$data" "$SERVE_PORT" "$data.log" \
    --notification-port -1 --compression "$4" "${options[@]}"
  api_put "$WORK/warmup.tar" warmup tar > /dev/null
  cat "$tar" > /dev/null   # page cache
  sync
  note "timing PUT of ${tar##*/} into $storage ($4) ..."
  serve_cpu=$(cpu_ticks "$SERVER_PID")
  proxy_cpu=$(cpu_ticks "$S3PROXY_PID")
  r=$(api_put "$tar" "$key" tar)
  SERVE_CPU[$id]=$(ticks_to_s $(( $(cpu_ticks "$SERVER_PID") - serve_cpu )))
  PROXY_CPU[$id]=$(ticks_to_s $(( $(cpu_ticks "$S3PROXY_PID") - proxy_cpu )))
  read -r secs json <<< "$r"
  SECS[$id]=$secs
  JSON_MS[$id]=$(json_field "$json" totalMs)
  WRITTEN[$id]=$(json_field "$json" objectsWritten)
  [[ -n ${JSON_MS[$id]} && -n ${WRITTEN[$id]} ]] || die "unexpected answer: $json"
  note "  $json"
  stop "$SERVER_PID"
  if [[ $key != small ]]; then
    rm -rf "$data" "${S3_STORE:?}/$BUCKET/$id"
    sync
  fi
}

publish_results() {
  local files=$((DIRS * PER_DIR)) key storage unit amount rc rs
  echo
  echo "s3 publish: API PUT of a tar of $FILES files, $((TOTAL_BYTES / 1048576)) MiB, and of one of $files files" \
    "of 1 KiB, each into a fresh repository; page cache warm; $(nproc) cores, load average $LOAD_AT_START at start"
  printf '%-12s %-6s %10s %12s %12s %10s %10s %11s\n' "input" "store" "seconds" "rate" "server rate" "objects" \
    "serve cpu" "S3Proxy cpu"
  for key in large-none large-zlib small; do
    unit=MiB/s; amount=$LARGE_TAR_BYTES
    [[ $key == small ]] && { unit=files/s; amount=$files; }
    for storage in local s3; do
      printf '%-12s %-6s %10.2f %12s %12s %10s %10s %11s\n' "$key" "$storage" "${SECS[$key-$storage]}" \
        "$(per_second "$amount" "${SECS[$key-$storage]}" "$unit")" \
        "$(per_second "$amount" "$(ms_to_s "${JSON_MS[$key-$storage]}")" "$unit")" "${WRITTEN[$key-$storage]}" \
        "${SERVE_CPU[$key-$storage]}" "${PROXY_CPU[$key-$storage]}"
    done
  done
  echo "(seconds: curl's time_total, request start to the 201 sent once the manifest is served; server rate:"
  echo " from timings.totalMs; rates of large-* in MiB/s of the tar, of small in files/s; objects: written;"
  echo " cpu: user + system seconds of serve and of S3Proxy during the PUT, the store's own work in the latter)"
  echo
  printf '%-28s %10s %10s %8s  %s\n' "ratio s3 / local (rates)" "client" "server" "goal" "client vs goal"
  for key in large-none large-zlib small; do
    rc=$(ratio "${SECS[$key-local]}" "${SECS[$key-s3]}")
    rs=$(ratio "${JSON_MS[$key-local]}" "${JSON_MS[$key-s3]}")
    if [[ $key == small ]]; then
      printf '%-28s %10s %10s %8s  %s\n' "$key" "$rc" "$rs" "-" "reported"
    else
      printf '%-28s %10s %10s %8s  %s\n' "$key" "$rc" "$rs" ">= $PUBLISH_GOAL" "$(verdict "$rc" "$PUBLISH_GOAL")"
    fi
  done
}

# cpu_ticks PID: the user and system CPU time PID has used, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

ticks_to_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'; }

# per_second AMOUNT SECONDS UNIT: AMOUNT bytes (MiB/s) or files (files/s) per second.
per_second() {
  awk -v a="$1" -v s="$2" -v u="$3" 'BEGIN { if (s <= 0) s = 0.001
    if (u == "MiB/s") printf "%.1f", a / 1048576 / s; else printf "%.0f", a / s }'
}

# --- Part 2: serving from a follower --------------------------------------------------------
declare -A VALUES RUNS ERRORS
serve_part() {
  # Replicas share the keys, as a mounted Secret in a cluster.
  local src=$WORK/serve-src options=(--storage "s3://$BUCKET/serve" "${S3_OPTIONS[@]}" --keys "$WORK/serve-keys")
  local object follower_port apache_port code url k order server
  mkdir -p "$src"
  head -c "$SMALL_BYTES" /dev/urandom > "$src/small.bin"
  tar -C "$src" -cf "$WORK/serve.tar" small.bin

  note "publishing a 4 KiB file through the writer ..."
  CVMFS_EPHEMERAL_TOKEN=$TOKEN start_serve "$WORK/serve-writer" "$SERVE_PORT" "$WORK/serve-writer.log" \
    --notification-port -1 --compression none "${options[@]}"
  api_put "$WORK/serve.tar" objects tar > /dev/null
  # With compression none the object is the file's bytes: the one object of exactly its size.
  object=$(cd "$S3_STORE/$BUCKET/serve/$FQRN" && find data -type f -size "${SMALL_BYTES}c")
  [[ -n $object && $(wc -l <<< "$object") -eq 1 ]] \
    || die "expected one object of $SMALL_BYTES bytes, found: ${object:-none}"
  cmp -s "$S3_STORE/$BUCKET/serve/$FQRN/$object" "$src/small.bin" || die "$object is not the 4 KiB file"

  follower_port=$(free_port $((SERVE_PORT + 1)))
  note "starting a follower on the same bucket ..."
  start_serve "$WORK/serve-follower" "$follower_port" "$WORK/serve-follower.log" --notification-port -1 "${options[@]}"
  # A follower sends API requests to the writer.
  code=$(curl -sS --max-time 60 -o /dev/null -w '%{http_code}' "http://$HOST:$follower_port/api/v1/repos/$FQRN")
  [[ $code == 307 ]] || die "the second serve answers its API with $code, not 307: it does not follow the writer"
  FOLLOWER_URL=http://$HOST:$follower_port/cvmfs/$FQRN/$object

  apache_port=${BENCH_PORT_APACHE:-$(free_port 18170)}
  listening "$apache_port" && die "port $apache_port is in use"
  start_apache "$S3_STORE/$BUCKET/serve" "$apache_port"
  APACHE_URL=$APACHE_BASE/$object

  for url in "$FOLLOWER_URL" "$APACHE_URL"; do
    curl -fsS "$url" | cmp -s - "$src/small.bin" || die "$url does not serve the 4 KiB file"
  done

  note "warming up both servers (${WARMUP_SMALL} s each) ..."
  if (( WARMUP_SMALL > 0 )); then
    run_wrk "$WARMUP_SMALL" "$CONN_SMALL" "$FOLLOWER_URL" > /dev/null
    run_wrk "$WARMUP_SMALL" "$CONN_SMALL" "$APACHE_URL" > /dev/null
  fi
  note "measuring: $ROUNDS round(s) of ${DURATION} s per server ..."
  for ((k = 0; k < ROUNDS; k++)); do
    if (( k % 2 == 0 )); then order="follower apache"; else order="apache follower"; fi
    for server in $order; do
      if [[ $server == follower ]]; then
        measure follower small "$CONN_SMALL" "$FOLLOWER_URL" 1
      else
        measure apache small "$CONN_SMALL" "$APACHE_URL" 1
      fi
    done
  done
}

serve_results() {
  local runs_header="" round r server
  echo
  echo "s3 serve: 4 KiB object, wrk -t$THREADS -c$CONN_SMALL -d${DURATION}s, $ROUNDS run(s) each, alternating," \
    "after ${WARMUP_SMALL} s warm-up per server"
  echo "follower: a second serve on the bucket (object cache on); apache: S3Proxy's file of the same object"
  echo "NOTE: both servers, wrk, S3Proxy and the idle writer share this machine's $(nproc) cores."
  for ((round = 1; round <= ROUNDS; round++)); do runs_header+=$(printf ' %10s' "run $round"); done
  printf '%-10s%s %10s %8s %14s\n' "req/s" "$runs_header" "median" "spread" "socket errors"
  for server in follower apache; do
    printf '%-10s%s %10s %8s %14s\n' "$server" "${RUNS[$server.small]}" "$(median "$server.small")" \
      "$(spread "$server.small")" "${ERRORS[$server.small]}"
  done
  echo "(spread: (max - min) / median of a server's runs; a ratio nearer to 1.0 than the spreads is not conclusive)"
  echo
  r=$(ratio "$(median follower.small)" "$(median apache.small)")
  printf '%-28s %10s %8s  %s\n' "ratio follower / apache" "ratio" "goal" "vs goal"
  printf '%-28s %10s %8s  %s\n' "4 KiB requests/s" "$r" ">= $SERVE_GOAL" "$(verdict "$r" "$SERVE_GOAL")"
}

# --- Part 3: garbage collection -------------------------------------------------------------
declare -A GC_LINE
gc_part() {
  local n dir prefix out list_out started build_s interceptors=$WORK/interceptors
  # The SDK adds the interceptors this resource names to every client: here the request
  # counter, for the collecting JVM alone.
  mkdir -p "$interceptors/software/amazon/awssdk/global/handlers"
  echo io.ephemeral.cvmfs.dataplane.bench.S3RequestCounter \
    > "$interceptors/software/amazon/awssdk/global/handlers/execution.interceptors"
  for n in $GC_OBJECTS; do
    dir=$WORK/gc-$n
    prefix=gc-$n
    note "gc: building $n objects in s3://$BUCKET/$prefix ..."
    started=$(now_ms)
    timeout "$STEP_TIMEOUT" java -cp "$TEST_CP" "$GC_MAIN" build "$dir" "$n" "s3://$BUCKET/$prefix" "$S3_ENDPOINT" \
      "$S3_STORE/$BUCKET" > "$WORK/gc-build.log" 2>&1 \
      || { cat "$WORK/gc-build.log" >&2; die "gc build of $n objects failed"; }
    build_s=$(ms_to_s $(( $(now_ms) - started )))
    sync
    note "gc: listing them through the S3 API ..."
    list_out=$(timeout "$STEP_TIMEOUT" java -cp "$TEST_CP" "$GC_MAIN" list "s3://$BUCKET/$prefix" "$S3_ENDPOINT" 2>&1 \
      | grep '^list:') || die "gc listing of $n objects failed"
    note "  $list_out"
    note "gc: collecting with -Xmx$GC_HEAP ..."
    out=$(timeout "$STEP_TIMEOUT" java "-Xmx$GC_HEAP" -cp "$interceptors:$TEST_CP" "$GC_MAIN" collect "$dir" \
      "s3://$BUCKET/$prefix" "$S3_ENDPOINT" 2>&1) || { echo "$out" >&2; die "gc of $n objects failed"; }
    note "$(grep -E '^(gc|s3 requests):' <<< "$out")"
    gc_record "$n" "$build_s" "$list_out" "$out"
    rm -rf "$dir" "${S3_STORE:?}/$BUCKET/$prefix"
    sync
  done
}

# gc_record N BUILD_S LIST_LINE COLLECT_OUTPUT: checks the collection against what is left in the
# store and keeps its table line in GC_LINE[N].
gc_record() {
  local n=$1 list_s pages freed kept gc_s peak max deletes lists left minimal
  list_s=$(sed -n 's/.*pages, \([0-9.]*\) s$/\1/p' <<< "$3")
  pages=$(sed -n 's/.* in \([0-9]*\) pages,.*/\1/p' <<< "$3")
  # GcBenchmark's line "gc: F objects freed, K kept, S s, peak heap P MiB (max M MiB)"
  read -r freed kept gc_s peak max < <(awk '/^gc: / { gsub(/[(),]/, ""); print $2, $5, $7, $11, $14 }' <<< "$4")
  deletes=$(sed -n 's/^s3 requests: .*DeleteObjects=\([0-9]*\).*/\1/p' <<< "$4")
  lists=$(sed -n 's/^s3 requests: .*ListObjectsV2=\([0-9]*\).*/\1/p' <<< "$4")
  [[ -n $freed && -n $gc_s && -n $peak && -n $list_s && -n $pages ]] || die "unexpected gc output: $4 / $3"
  (( freed >= n / 2 )) || die "gc of $n objects freed only $freed"
  left=$(find "$S3_STORE/$BUCKET/gc-$n/$FQRN_GC/data" -type f | wc -l)
  (( left == kept )) || die "gc of $n objects reports $kept kept, but S3Proxy holds $left"
  minimal=$(( (freed + 999) / 1000 ))
  GC_LINE[$n]=$(printf '%10s %8.1f %8.1f %8.0f %8.1f %7s %9s %7s %6s %8s/%-6s %6s/%-6s %6s' \
    "$n" "$build_s" "$list_s" "$(awk -v s="$list_s" -v p="$pages" 'BEGIN { print 1000 * s / p }')" \
    "$gc_s" "$(ratio "$gc_s" "$list_s")" "$freed" "$kept" "${lists:-?}" "${deletes:-?}" "$minimal" "$peak" "$max" \
    "$( (( n == 1000000 )) && ratio "$GC_SECONDS_GOAL" "$gc_s" || echo -)")
}

gc_results() {
  local n
  echo
  echo "s3 gc: one collection (grace 0) per count, half of the objects unreferenced, -Xmx$GC_HEAP; $(nproc) cores"
  printf '%10s %8s %8s %8s %8s %7s %9s %7s %6s %15s %13s %6s\n' "objects" "build s" "list s" "ms/page" "gc s" \
    "gc/list" "freed" "kept" "lists" "deletes/min" "heap MiB/max" "60s/gc"
  for n in $GC_OBJECTS; do
    echo "${GC_LINE[$n]}"
  done
  echo "(list s: a bare listing of the objects through the S3 API, the store's own share; ms/page: its time per"
  echo " request of 1,000 keys; lists: the collection's ListObjectsV2 requests; deletes/min: its DeleteObjects"
  echo " requests / the freed objects in batches of 1,000; heap: peak heap of the collecting JVM in MiB / its"
  echo " maximum; 60s/gc: gc.sh's goal of 60 s over the collection's time, only for 1,000,000 objects)"
}

part publish && publish_part
part serve && serve_part
part gc && gc_part

part publish && publish_results
part serve && serve_results
part gc && gc_results
exit 0
