#!/usr/bin/env bash
# Garbage collection of a large repository: duration and peak heap.
#
# Builds a synthetic repository of BENCH_OBJECTS (default 1,000,000) tiny objects written
# straight into the store, dated a day back, with catalogs referencing half of them; then runs
# one collection (grace 0) in a JVM capped at BENCH_HEAP (default 512m).
# Goal: < 60 s within 512 MiB.
#
# Compiles the test classes with the Maven Wrapper (run from anywhere).
# Environment: BENCH_OBJECTS, BENCH_HEAP, BENCH_DIR (default a new directory under TMPDIR).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$HERE/..
OBJECTS=${BENCH_OBJECTS:-1000000}
HEAP=${BENCH_HEAP:-512m}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gc-bench.XXXXXX")}

cd "$ROOT"
# One run with -am: the common module's classes are on the class path as the reactor built them.
./mvnw -q -B -pl data-plane -am test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
CP=data-plane/target/test-classes:data-plane/target/classes:$(cat data-plane/target/bench-classpath.txt)
MAIN=io.ephemeral.cvmfs.dataplane.bench.GcBenchmark

echo "building $OBJECTS objects in $DIR"
java -cp "$CP" "$MAIN" build "$DIR" "$OBJECTS"
sync
echo "collecting with -Xmx$HEAP"
TIME=(); [ -x /usr/bin/time ] && TIME=(/usr/bin/time -f "wall %e s, max RSS %M KiB")
"${TIME[@]}" java "-Xmx$HEAP" -cp "$CP" "$MAIN" collect "$DIR"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$DIR"
