#!/usr/bin/env bash
# Object serving: our server against Apache httpd (mpm_event, sendfile) on the same files.
#
# Publishes a tree with one 4 KiB and one 64 MiB random file (compression none, chunk bounds
# above 64 MiB, so each file is one object of exactly its size), starts `serve` and a
# minimal Apache on loopback with the data directory as document root, and runs wrk against
# each: the 4 KiB object with 64 connections (requests/s) and the 64 MiB object with
# 4 connections (MiB/s). Runs alternate between the servers, after a warm-up of both (our
# JVM needs about half a minute of load on two cores before its rate settles).
# Goals: ours / Apache >= 1.0 for both.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar),
#   BENCH_DURATION (seconds per wrk run, default 15), BENCH_ROUNDS (runs per server and
#   object, default 3), BENCH_WARMUP_SMALL / BENCH_WARMUP_LARGE (warm-up seconds per server
#   on each object, default 30 / 10), BENCH_THREADS (wrk threads, default 2),
#   BENCH_CONNECTIONS_SMALL (default 64), BENCH_CONNECTIONS_LARGE (default 4),
#   BENCH_PORT_OURS, BENCH_PORT_APACHE (default: first free port from 18080 / 18090), TMPDIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-15}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP_SMALL=${BENCH_WARMUP_SMALL:-30}
WARMUP_LARGE=${BENCH_WARMUP_LARGE:-10}
THREADS=${BENCH_THREADS:-2}
CONN_SMALL=${BENCH_CONNECTIONS_SMALL:-64}
CONN_LARGE=${BENCH_CONNECTIONS_LARGE:-4}
STEP_TIMEOUT=300   # seconds for the publish and for verify
SMALL_BYTES=4096
LARGE_BYTES=$((64 * 1024 * 1024))

require_integers DURATION ROUNDS WARMUP_SMALL WARMUP_LARGE THREADS CONN_SMALL CONN_LARGE
(( DURATION >= 1 && ROUNDS >= 1 && THREADS >= 1 && CONN_SMALL >= THREADS && CONN_LARGE >= THREADS )) \
  || die "need BENCH_DURATION >= 1, BENCH_ROUNDS >= 1 and connections >= threads"

need java openjdk-17-jre-headless
need timeout coreutils
need curl curl
need wrk wrk
need_apache

require_jar

make_work

PORT_OURS=${BENCH_PORT_OURS:-$(free_port 18080)}
PORT_APACHE=${BENCH_PORT_APACHE:-$(free_port 18090)}
PORT_NOTIFY=$(free_port 18100)
[[ $PORT_OURS != "$PORT_APACHE" ]] || die "both servers on port $PORT_OURS"
listening "$PORT_OURS" && die "port $PORT_OURS is in use"
listening "$PORT_APACHE" && die "port $PORT_APACHE is in use"

# --- Repository -----------------------------------------------------------------------------
note "publishing a 4 KiB and a 64 MiB file ..."
SRC=$WORK/src
DATA=$WORK/data
mkdir -p "$SRC"
head -c "$SMALL_BYTES" /dev/urandom > "$SRC/small.bin"
head -c "$LARGE_BYTES" /dev/urandom > "$SRC/large.bin"
publish "$DATA" objects "$SRC" \
  --compression none --chunk-min 96MiB --chunk-avg 112MiB --chunk-max 128MiB > /dev/null

# --- Our server -----------------------------------------------------------------------------
OURS_BASE=http://$HOST:$PORT_OURS/cvmfs/$FQRN
start_serve "$DATA" "$PORT_OURS" "$WORK/serve.log" --notification-port "$PORT_NOTIFY"

# --- Object paths ---------------------------------------------------------------------------
# From the catalog via `verify --list` ("f MODE SIZE PATH HASH"); if verify is unavailable,
# by size: with compression none and no chunking, the two objects have exactly the files' sizes.
OBJ_SMALL=
OBJ_LARGE=
if listing=$(timeout "$STEP_TIMEOUT" java -jar "$JAR" verify "$OURS_BASE" --key "$DATA/keys/$FQRN.pub" --list 2>"$WORK/verify.err"); then
  for name in small large; do
    hash=$(awk -v p="/objects/$name.bin" '$1 == "f" && $4 == p { print $5 }' <<< "$listing")
    if [[ $hash =~ ^[0-9a-f]{40} ]]; then
      printf -v "OBJ_${name^^}" '%s' "data/${hash:0:2}/${hash:2}"
    fi
  done
  [[ -n $OBJ_SMALL && -n $OBJ_LARGE ]] || note "verify --list did not name both objects; locating them by size"
else
  note "verify unavailable or failed ($(head -c 200 "$WORK/verify.err" | tr '\n' ' ')); locating objects by size"
fi
by_size() { # by_size BYTES: the one object of exactly BYTES bytes, relative to the repository
  local found
  found=$(cd "$DATA/$FQRN" && find data -type f -size "${1}c")
  [[ -n $found && $(wc -l <<< "$found") -eq 1 ]] || die "expected exactly one object of $1 bytes, found: ${found:-none}"
  echo "$found"
}
[[ -n $OBJ_SMALL ]] || OBJ_SMALL=$(by_size "$SMALL_BYTES")
[[ -n $OBJ_LARGE ]] || OBJ_LARGE=$(by_size "$LARGE_BYTES")
cmp -s "$DATA/$FQRN/$OBJ_SMALL" "$SRC/small.bin" || die "$OBJ_SMALL is not the 4 KiB file"
cmp -s "$DATA/$FQRN/$OBJ_LARGE" "$SRC/large.bin" || die "$OBJ_LARGE is not the 64 MiB file"

# --- Apache ---------------------------------------------------------------------------------
start_apache "$DATA" "$PORT_APACHE"

# Both serve the same bytes.
for base in "$OURS_BASE" "$APACHE_BASE"; do
  curl -fsS "$base/$OBJ_SMALL" | cmp -s - "$SRC/small.bin" || die "$base/$OBJ_SMALL does not serve the 4 KiB file"
  curl -fsS "$base/$OBJ_LARGE" | cmp -s - "$SRC/large.bin" || die "$base/$OBJ_LARGE does not serve the 64 MiB file"
done

# --- wrk ------------------------------------------------------------------------------------
declare -A VALUES RUNS ERRORS

url() { # url SERVER OBJECT
  local base=$OURS_BASE obj=$OBJ_SMALL
  [[ $1 == apache ]] && base=$APACHE_BASE
  [[ $2 == large ]] && obj=$OBJ_LARGE
  echo "$base/$obj"
}

note "warming up both servers (${WARMUP_SMALL} s on the 4 KiB, ${WARMUP_LARGE} s on the 64 MiB object each) ..."
for server in ours apache; do
  (( WARMUP_SMALL > 0 )) && run_wrk "$WARMUP_SMALL" "$CONN_SMALL" "$(url "$server" small)" > /dev/null
  (( WARMUP_LARGE > 0 )) && run_wrk "$WARMUP_LARGE" "$CONN_LARGE" "$(url "$server" large)" > /dev/null
done

note "measuring: $ROUNDS round(s) of ${DURATION} s per server and object ..."
k=0
for object in small large; do
  conn=$CONN_SMALL; field=1
  [[ $object == large ]] && { conn=$CONN_LARGE; field=2; }
  for ((round = 1; round <= ROUNDS; round++)); do
    if (( k % 2 == 0 )); then order="ours apache"; else order="apache ours"; fi
    k=$((k + 1))
    for server in $order; do
      measure "$server" "$object" "$conn" "$(url "$server" "$object")" "$field"
    done
  done
done

# --- Results --------------------------------------------------------------------------------
echo
echo "serve-vs-apache: wrk -t$THREADS -d${DURATION}s, $ROUNDS run(s) each, alternating order," \
  "after ${WARMUP_SMALL} s / ${WARMUP_LARGE} s warm-up per server"
echo "NOTE: both servers and wrk share this machine's $(nproc) cores; the load generator competes with the server."
runs_header=""
for ((round = 1; round <= ROUNDS; round++)); do runs_header+=$(printf ' %10s' "run $round"); done
printf '%-30s %-7s%s %10s %8s %14s\n' "object" "server" "$runs_header" "median" "spread" "socket errors"
for object in small large; do
  label="4 KiB object, -c$CONN_SMALL, req/s"
  [[ $object == large ]] && label="64 MiB object, -c$CONN_LARGE, MiB/s"
  for server in ours apache; do
    printf '%-30s %-7s%s %10s %8s %14s\n' "$label" "$server" "${RUNS[$server.$object]}" \
      "$(median "$server.$object")" "$(spread "$server.$object")" "${ERRORS[$server.$object]}"
  done
done
echo "(spread: (max - min) / median of a server's runs; a ratio nearer to 1.0 than the spreads is not conclusive)"
echo
printf '%-30s %10s %8s  %s\n' "ratio of medians ours / apache" "ratio" "goal" "vs goal"
for object in small large; do
  label="4 KiB requests/s"
  [[ $object == large ]] && label="64 MiB transfer MiB/s"
  r=$(ratio "$(median "ours.$object")" "$(median "apache.$object")")
  printf '%-30s %10s %8s  %s\n' "$label" "$r" ">= 1.0" "$(verdict "$r" 1.0)"
done
