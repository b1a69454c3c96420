#!/usr/bin/env bash
# The main job: build blenderd, start it with a small pool of Blenders (3.4 executable and bpy
# 4.4), and play an LL3M-style session: a chair, a step that fails on an old API, the hints,
# the fix, scene.info, 5 rendered views streamed back and a .glb export (into out/demo/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== building (release)"
swift build -c release --quiet --product blenderd
swift build -c release --quiet --product blenderctl
bin=$(swift build -c release --show-bin-path)

run_dir=$(mktemp -d /tmp/blenderd-demo-XXXXXX)
export BLENDERD_SOCKET="$run_dir/blenderd.sock"
# A small pool: Debian's Blender 3.4 and bpy 4.4 from .venv, one warm spare.
"$bin/blenderd" --bpy-python "$PWD/.venv/bin/python" --warm 1 --max-instances 2 --log-level notice \
    --state-dir "$run_dir/state" \
    2>"$run_dir/blenderd.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$run_dir"' EXIT
for _ in $(seq 1 100); do [ -S "$BLENDERD_SOCKET" ] && break; sleep 0.05; done

echo "== blenderctl info"
"$bin/blenderctl" info
echo "== a plain NDJSON client (socat): daemon.ping"
echo '{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}' | socat -t 2 - "UNIX-CONNECT:$BLENDERD_SOCKET"

# The LL3M-style loop (no LLM needed): build, fail on an old API, read the hints, fix, inspect.
python3 examples/demo.py "$BLENDERD_SOCKET" "$PWD/out/demo"

echo
echo "== blenderctl call instance.list"
"$bin/blenderctl" call instance.list '{}' | python3 -c '
import json, sys
for i in json.load(sys.stdin)["instances"]:
    print("%-4s %-10s %-7s Blender %-6s pid %-7s jobs %d" % (i["id"], i["kind"], i["state"], i.get("blender") or "?", i.get("pid"), i["jobs"]))'
