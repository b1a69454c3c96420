#!/usr/bin/env bash
# ray/run.sh: the Ray adapter (blenderd_client.ray) against calling the local daemon directly.
# Per call: a trivial script.exec through a pinned FarmSession vs the plain client on the same
# daemon, and a stateless script as a Ray task (map_scripts) vs session.open+exec+close directly,
# with a no-op Ray task and actor call as floors. Throughput: a fixed frames job with 1 vs 2
# blenderd nodes (ray.cluster_utils.Cluster on this machine, loopback only), and the same job on
# one daemon without Ray. Prints `ray ...` lines; see bench/ray/bench.py for the knobs.
#
#   swift build -c release --scratch-path .build-ray --product blenderd
#   BLENDERD=.build-ray/release/blenderd bench/ray/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
PY=${PYTHON:-$ROOT/.venv/bin/python}
if ! "$PY" -c 'import ray' 2>/dev/null; then
    echo "SKIP ray bench: $PY has no ray (scripts/bootstrap.sh installs it into .venv)"; exit 0
fi
die() { printf 'ray/run.sh: %s\n' "$*" >&2; exit 2; }
# shellcheck source=../blenderd_binary.sh
. "$ROOT/bench/blenderd_binary.sh"
ensure_blenderd
exec "$PY" "$HERE/bench.py"
