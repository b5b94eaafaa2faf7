#!/usr/bin/env bash
# Notification latency and memory: for 1,000 and 10,000 subscribers (or the counts given as
# the first argument, e.g. 1000,10000), p50/p99/max milliseconds from the manifest swap to the
# event's arrival at every subscriber, and server heap per subscriber. The server runs in its
# own JVM with -Xmx512m (BENCH_SERVER_HEAP), subscribers connect over loopback exactly as the
# stock client does. Goal: p99 < 50 ms at 1,000 subscribers.
#
# Environment: BENCH_REVISIONS (measured revisions per count, default 20), BENCH_SERVER_HEAP
# (default 512m), BENCH_TIMEOUT (seconds for the whole run, default 900), MVN (default mvn,
# else the project's ./mvnw).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$HERE/..
COUNTS=${1:-1000,10000}

# Every subscription is a socket on both sides; each side runs in its own process.
ulimit -n "$(ulimit -Hn)"
needed=$(( $(tr ',' '\n' <<<"$COUNTS" | sort -n | tail -n 1) + 1000 ))
if (( $(ulimit -n) < needed )); then
  echo "notify-latency: open files limited to $(ulimit -n), need $needed (raise the hard limit)" >&2
  exit 1
fi

cd "$ROOT"
echo "notify-latency: building the test classpath" >&2
"${MVN:-$(command -v mvn || echo ./mvnw)}" -q -pl data-plane -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
classpath="data-plane/target/test-classes:data-plane/target/classes:$(cat data-plane/target/bench.classpath)"

# Server, subscribers and anything else running share the cores: latencies mean little without the load.
load_before=$(cut -d' ' -f1 /proc/loadavg)
timeout "${BENCH_TIMEOUT:-900}" java -Xmx512m -cp "$classpath" \
    -Dbench.revisions="${BENCH_REVISIONS:-20}" -Dbench.serverHeap="${BENCH_SERVER_HEAP:-512m}" \
    io.ephemeral.cvmfs.dataplane.bench.NotifyLatencyBench "$COUNTS"
echo "(server and subscribers on one machine: $(nproc) cores, load average $load_before before, $(cut -d' ' -f1 /proc/loadavg) after)"
