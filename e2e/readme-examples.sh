#!/usr/bin/env bash
# Runs the README's examples as written, top to bottom: each command is read out of README.md's
# code blocks, not copied here, so an example that stops working fails this script. Between
# them it only makes what the text assumes: an archive to publish, a server that has started.
#
# The blocks for the stock client's mount, Kubernetes and the images are left to
# compat/stock-client.sh, e2e/run.sh and the image tests.
#
#   e2e/readme-examples.sh          (from anywhere; runs in the checkout, writes ./data)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
README=$ROOT/README.md
PIDS=()

log() { printf '[readme] %s\n' "$*"; }
die() { printf '[readme] FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$ROOT/data" "$ROOT/build-output.tar.zst" "$ROOT/out.tar.zst" "$ROOT/.readme-example-tree"
}
[ ! -e data ] || die "./data exists: the examples write there; move it away first"
trap cleanup EXIT

# block N: the commands of the N-th ```sh block of the README, continuation lines joined.
block() {
  awk -v want="$1" '/^```sh/{n++; inside=(n==want); next} /^```/{inside=0} inside' "$README" \
    | sed -e 's/[[:space:]]*#.*$//' | awk '/\\$/{sub(/\\$/, ""); printf "%s", $0; next} {print}' \
    | grep -v '^[[:space:]]*$'
}

# run COMMAND: one README command, shown and run in the checkout.
run() {
  printf '[readme] $ %s\n' "$1"
  bash -c "$1" || die "the README's command failed: $1"
}

# await_server [SECONDS]: until the server answers (the first start builds the project first).
await_server() {
  for _ in $(seq $(( ${1:-60} * 5 ))); do
    curl -fsS -o /dev/null http://localhost:8080/readyz 2>/dev/null && return 0
    sleep 0.2
  done
  die "the server did not answer on port 8080"
}

stop_servers() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

# ---- Quick start, step 1: build and start on the embedded default (the serve runs until stopped).
mapfile -t quick < <(block 1)
start=${quick[0]}
[[ "$start" == *"serve"* ]] || die "the first command of the Quick start no longer starts the server: $start"
log "\$ $start"
bash -c "$start" > /tmp/readme-serve.log 2>&1 &
PIDS+=($!)
await_server 900
curl -fsS -o /dev/null http://localhost:8080/cvmfs/demo.example.org/.cvmfspublished \
  || die "the embedded default serves no demo.example.org"
log "the embedded default serves demo.example.org"
stop_servers

# ---- Publish something into the demo repository and check it end to end over HTTP.
mkdir -p .readme-example-tree/bin
printf 'hello\n' > .readme-example-tree/README
head -c 100000 /dev/urandom > .readme-example-tree/bin/tool
tar -C .readme-example-tree -cf - . | zstd -q -o build-output.tar.zst
mapfile -t publish < <(block 2)
for command in "${publish[@]}"; do
  if [[ "$command" == *"&" ]]; then
    log "\$ $command"
    bash -c "${command%&}" > /tmp/readme-serve.log 2>&1 &
    PIDS+=($!)
    await_server
  else
    run "$command"
  fi
done

# ---- The publish API: a streamed PUT with the repository's token.
cp build-output.tar.zst out.tar.zst
export TOKEN
TOKEN=$(cat data/keys/demo.example.org.token)
put=$(block 8)
answer=$(bash -c "$put") || die "the README's publish request failed: $put"
[[ "$answer" == *'"revision"'* ]] || die "the publish request answered: $answer"
log "streamed PUT published: $answer"

# ---- Re-announcing the current revision by hand.
notify=$(block 9 | tr '\n' ';')
answer=$(bash -c "$notify") || die "the README's notification example failed"
[[ "$answer" == *'"ok"'* ]] || die "the notification example answered: $answer"
log "notification published: $answer"
log "passed"
