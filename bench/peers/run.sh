#!/usr/bin/env bash
# The peer benchmark (issue 9, point 5): codraft, Hocuspocus (Yjs) and an automerge-repo sync
# server under the same workloads, from one Node load generator, in one run.
#
#   bench/peers/run.sh
#
# Installs the peers from the npm registry (npm ci, versions pinned in package-lock.json),
# builds codraft in release mode if needed, makes a demo data directory with a benchmark user,
# then for each server and each workload starts the server fresh on 127.0.0.1, runs bench.mjs,
# stops the server; finally prints one side-by-side table (report.mjs).
# Knobs (environment): FLAT_EDITS (edits per flat run, split over the editors; 2000),
# HUMAN_SECONDS (60), HUMAN_NS ("10 50"), FLAT_NS ("10 50"), TIMEOUT (s per run; 180),
# SEEDS ("paste none": paragraphs start as the trace's 4 KB opening paste, or empty),
# SERVERS ("codraft hocuspocus automerge"), WORKLOADS ("flat human ff"), KEEP (keep the temp dir).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
FLAT_EDITS=${FLAT_EDITS:-2000}
HUMAN_SECONDS=${HUMAN_SECONDS:-60}
HUMAN_NS=${HUMAN_NS:-"10 50"}
FLAT_NS=${FLAT_NS:-"10 50"}
TIMEOUT=${TIMEOUT:-180}
SERVERS=${SERVERS:-"codraft hocuspocus automerge"}
WORKLOADS=${WORKLOADS:-"flat human ff"}
SEEDS=${SEEDS:-"paste none"}
CODRAFT_PORT=48080 HOCUSPOCUS_PORT=41234 AUTOMERGE_PORT=43030

cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error
(cd "$ROOT" && cargo build --release --quiet)
CODRAFT=$ROOT/target/release/codraft
WORK=$(mktemp -d /tmp/codraft-peers.XXXXXX)
OUT=$WORK/results.jsonl
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

wait_port() { # port — bounded: 60 s
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

start_server() { # name
  case $1 in
    codraft) "$CODRAFT" serve --data "$WORK/codraft" --listen "127.0.0.1:$CODRAFT_PORT" >>"$WORK/codraft.log" 2>&1 &
      SERVER_PID=$!; wait_port $CODRAFT_PORT ;;
    hocuspocus) node "$HERE/hocuspocus-server.mjs" $HOCUSPOCUS_PORT >>"$WORK/hocuspocus.log" 2>&1 &
      SERVER_PID=$!; wait_port $HOCUSPOCUS_PORT ;;
    automerge) rm -rf "$WORK/automerge-data"
      node "$HERE/automerge-server.mjs" $AUTOMERGE_PORT "$WORK/automerge-data" >>"$WORK/automerge.log" 2>&1 &
      SERVER_PID=$!; wait_port $AUTOMERGE_PORT ;;
  esac
}
stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
}
url_of() {
  case $1 in
    codraft) echo "http://127.0.0.1:$CODRAFT_PORT" ;;
    hocuspocus) echo "ws://127.0.0.1:$HOCUSPOCUS_PORT" ;;
    automerge) echo "ws://127.0.0.1:$AUTOMERGE_PORT" ;;
  esac
}

# codraft's data: the demo plan (made by `codraft demo`, stopped once it serves) and a drafter of
# commitment c04 with an API token; each run opens its own proposal and edits it live.
TOKEN=
if [[ " $SERVERS " == *" codraft "* ]]; then
  "$CODRAFT" demo --data "$WORK/codraft" --listen "127.0.0.1:$CODRAFT_PORT" >"$WORK/demo.log" 2>&1 &
  SERVER_PID=$!
  wait_port $CODRAFT_PORT
  stop_server
  TOKEN=$(echo "peer-bench-password-1234" | "$CODRAFT" user add "Peer Bench" --id peerbench \
    --data "$WORK/codraft" --sector government --role drafter --commitment c04-information-access \
    --password-stdin | sed -n 's/^API token[^:]*: //p')
  [ -n "$TOKEN" ] || { echo "no token" >&2; exit 1; }
fi

echo "machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') RAM; load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # server workload n seed
  start_server "$1"
  sleep 0.5
  node "$HERE/bench.mjs" --server "$1" --url "$(url_of "$1")" --workload "$2" --n "$3" --seed "${4:-paste}" \
    --edits "$FLAT_EDITS" --seconds "$HUMAN_SECONDS" --timeout "$TIMEOUT" --pid "$SERVER_PID" \
    --token "$TOKEN" --out "$OUT" >/dev/null || echo "bench.mjs failed: $*" >&2
  stop_server
}
for server in $SERVERS; do
  for w in $WORKLOADS; do
    case $w in
      flat) for seed in $SEEDS; do for n in $FLAT_NS; do run "$server" flat "$n" "$seed"; done; done ;;
      human) for seed in $SEEDS; do for n in $HUMAN_NS; do run "$server" human "$n" "$seed"; done; done ;;
      ff) run "$server" ff 2 ;;
    esac
  done
done
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$HERE/report.mjs" "$OUT" "flat: $FLAT_EDITS edits per run; human: $HUMAN_SECONDS s"
