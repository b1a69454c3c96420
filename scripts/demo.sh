#!/usr/bin/env bash
# The main job: build blenderd, start it on a private socket, and talk to it with blenderctl.
# (Later slices grow this into the LL3M-style demo: a pool of Blenders, a chair, renders, a .glb.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building (release)"
swift build -c release --quiet --product blenderd
swift build -c release --quiet --product blenderctl
bin=$(swift build -c release --show-bin-path)

run_dir=$(mktemp -d /tmp/blenderd-demo-XXXXXX)
export BLENDERD_SOCKET="$run_dir/blenderd.sock"
"$bin/blenderd" --log-level notice 2>"$run_dir/blenderd.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$run_dir"' EXIT
for _ in $(seq 1 100); do [ -S "$BLENDERD_SOCKET" ] && break; sleep 0.05; done

echo "== blenderctl info"
"$bin/blenderctl" info
echo "== blenderctl ping"
"$bin/blenderctl" ping
echo "== a plain NDJSON client (socat)"
echo '{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}' | socat -t 2 - "UNIX-CONNECT:$BLENDERD_SOCKET"
echo "== blenderctl call daemon.info --json (excerpt)"
"$bin/blenderctl" call daemon.info '{}' | head -n 12
