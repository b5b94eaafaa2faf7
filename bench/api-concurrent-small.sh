#!/usr/bin/env bash
# Publish API under concurrent small publishes: latency and publishes/s.
#
# Starts `serve` (default options: zlib, sha1) on a fresh data directory and pre-generates
# BENCH_CLIENTS x BENCH_REQUESTS (default 16 x 200) small tarballs, each of 2-5 files of
# 1-4 KiB of distinct random content. After an untimed warm-up (BENCH_WARMUP publishes per
# client, default 60: enough for the JIT to compile the publish path, as in a server that has
# been running for a while; the warm-up publications stay in the root catalog), BENCH_CLIENTS
# clients (threads of a Python client using only the standard library, each with its own
# keep-alive connection) start together and each PUTs its tarballs one after the other to
# distinct paths:
#   PUT /api/v1/repos/FQRN/paths/c{client}/r{n}?format=tar&ttl=2h
# Latency is measured per request from just before the request is sent to the end of the
# 201 response (the API answers once the new manifest is served); throughput is all
# publishes divided by the time from the common start to the last answer. Any answer other
# than 201 aborts the script.
# Goals: >= 200 publishes/s, p99 latency < 250 ms.
#
# Environment: JAR (default data-plane/target/cvmfs-ephemeral-data-plane.jar), BENCH_CLIENTS,
#   BENCH_REQUESTS (per client), BENCH_WARMUP (per client), BENCH_STEP_TIMEOUT (seconds for
#   the measured run, default 900), BENCH_PORT (default: first free port from 18120), TMPDIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLIENTS=${BENCH_CLIENTS:-16}
REQUESTS=${BENCH_REQUESTS:-200}
WARMUP=${BENCH_WARMUP:-60}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-900}
GOAL_RATE=200
GOAL_P99_MS=250

require_integers CLIENTS REQUESTS WARMUP STEP_TIMEOUT
(( CLIENTS >= 1 && REQUESTS >= 1 && STEP_TIMEOUT >= 1 )) \
  || die "need BENCH_CLIENTS >= 1, BENCH_REQUESTS >= 1, BENCH_STEP_TIMEOUT >= 1"

need java openjdk-17-jre-headless
need timeout coreutils
need curl curl
need python3 python3

require_jar

make_work
require_free_kib $(( CLIENTS * (REQUESTS + WARMUP) * 64 + 1024 * 1024 ))   # objects, catalogs, slack

PORT=${BENCH_PORT:-$(free_port 18120)}
listening "$PORT" && die "port $PORT is in use"

# --- Server ---------------------------------------------------------------------------------
TOKEN=$(random_token)
DATA=$WORK/data
CVMFS_EPHEMERAL_TOKEN=$TOKEN start_serve "$DATA" "$PORT" "$WORK/serve.log" --notification-port -1

# --- Client ---------------------------------------------------------------------------------
# Reads the token from the environment; writes one line per measured request to LATENCIES
# ("client ms server-totalMs") and prints "wall-seconds requests" on stdout.
cat > "$WORK/client.py" <<'PY'
import http.client, io, json, os, random, sys, tarfile, threading, time

host, port, fqrn, clients, requests, warmup, latencies_path = sys.argv[1:8]
port, clients, requests, warmup = int(port), int(clients), int(requests), int(warmup)
token = os.environ["BENCH_TOKEN"]

def tarball(rng):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(rng.randint(2, 5)):
            data = os.urandom(rng.randint(1024, 4096))
            info = tarfile.TarInfo(f"f{i}.bin")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

# All bodies exist before any timed request.
rng = random.Random(1)
bodies = [[tarball(rng) for _ in range(warmup + requests)] for _ in range(clients)]

class Failure(Exception):
    pass

def put(conn, path, body):
    conn.request("PUT", f"/api/v1/repos/{fqrn}/paths/{path}?format=tar&ttl=2h", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-tar"})
    resp = conn.getresponse()
    text = resp.read()
    if resp.status != 201:
        raise Failure(f"PUT /{path} answered {resp.status}: {text[:300]!r}")
    return json.loads(text)["timings"]["totalMs"]

start = threading.Barrier(clients + 1)
failed = threading.Event()
results = [None] * clients
errors = []

def client(c):
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        for n in range(warmup):
            put(conn, f"warmup/c{c}/r{n}", bodies[c][n])
        start.wait()
        out = []
        for n in range(requests):
            if failed.is_set():
                return
            t0 = time.perf_counter()
            server_ms = put(conn, f"c{c}/r{n}", bodies[c][warmup + n])
            out.append(((time.perf_counter() - t0) * 1000.0, server_ms))
        results[c] = (out, time.perf_counter())
    except threading.BrokenBarrierError:
        pass
    except Exception as e:
        errors.append(f"client {c}: {e}")
        failed.set()
        start.abort()
    finally:
        conn.close()

threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
try:
    start.wait()
except threading.BrokenBarrierError:
    pass
t_start = time.perf_counter()
for t in threads:
    t.join()
if errors:
    for e in errors:
        print(e, file=sys.stderr)
    sys.exit(1)
t_end = max(r[1] for r in results)
with open(latencies_path, "w") as f:
    for c, (out, _) in enumerate(results):
        for ms, server_ms in out:
            f.write(f"{c} {ms:.3f} {server_ms}\n")
print(f"{t_end - t_start:.3f} {sum(len(r[0]) for r in results)}")
PY

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
note "generating $((CLIENTS * (REQUESTS + WARMUP))) tarballs, warming up with $WARMUP publish(es) per client," \
  "then $CLIENTS clients x $REQUESTS publishes ..."
out=$(BENCH_TOKEN=$TOKEN timeout "$STEP_TIMEOUT" python3 "$WORK/client.py" "$HOST" "$PORT" "$FQRN" \
  "$CLIENTS" "$REQUESTS" "$WARMUP" "$WORK/latencies") || die "the client failed (see above); no results"
read -r wall_s total <<< "$out"
(( total == CLIENTS * REQUESTS )) || die "expected $((CLIENTS * REQUESTS)) answers, got $total"
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the run"

# --- Results --------------------------------------------------------------------------------
percentile() { # percentile COLUMN P: nearest-rank percentile of a column of the latencies
  cut -d' ' -f"$1" "$WORK/latencies" | sort -g \
    | awk -v p="$2" '{ v[NR] = $1 } END { i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f", v[i] }'
}
mean() { cut -d' ' -f"$1" "$WORK/latencies" | awk '{ s += $1 } END { printf "%.1f", s / NR }'; }
rate=$(awk -v n="$total" -v s="$wall_s" 'BEGIN { printf "%.1f", n / s }')
p99=$(percentile 2 99)

echo
echo "api-concurrent-small: $CLIENTS clients x $REQUESTS publishes of small tarballs (2-5 files of 1-4 KiB)," \
  "serve with zlib, $(nproc) cores shared by server and client, load average $LOAD_AT_START before the run"
printf '%-34s %10s %10s %10s %10s %10s\n' "latency (ms)" "mean" "p50" "p90" "p99" "max"
printf '%-34s %10s %10s %10s %10s %10s\n' "client: request start to 201" \
  "$(mean 2)" "$(percentile 2 50)" "$(percentile 2 90)" "$p99" "$(percentile 2 100)"
printf '%-34s %10s %10s %10s %10s %10s\n' "server: timings.totalMs" \
  "$(mean 3)" "$(percentile 3 50)" "$(percentile 3 90)" "$(percentile 3 99)" "$(percentile 3 100)"
echo "all $total answers 201; $wall_s s from the common start to the last answer"
echo
printf '%-34s %10s %10s %8s  %s\n' "measure" "value" "goal" "ratio" "vs goal"
printf '%-34s %10s %10s %8s  %s\n' "publishes/s" "$rate" ">= $GOAL_RATE" \
  "$(ratio "$rate" "$GOAL_RATE")" "$(verdict "$rate" "$GOAL_RATE")"
printf '%-34s %10s %10s %8s  %s\n' "p99 latency ms (goal / p99)" "$p99" "< $GOAL_P99_MS" \
  "$(ratio "$GOAL_P99_MS" "$p99")" \
  "$(awk -v p="$p99" -v g="$GOAL_P99_MS" 'BEGIN { print (p < g) ? "ok" : "BELOW" }')"
