#!/usr/bin/env bash
# checkpoint/run.sh: blenderd's scene.checkpoint / scene.restore (examples/chair.py's scene, warm
# sandboxed Blender) vs the competitor's way to the same safety (cold process + save_as_mainfile,
# new process + open), side by side in one run, both launchers. See bench.py's docstring.
#
# Prints a table with p50/p99, the cold figures and their ratio, one `checkpoint key=value` line per
# launcher and operation, and the targets (save and restore <= 50 ms) as MET or MISS.
# Exits 0 whenever the benchmark ran (a missed target prints MISS); 2 on setup failure.
#
# Environment:
#   BLENDERD              blenderd binary (unset: built with `swift build -c release`)
#   CHECKPOINT_RUNS       saves and restores per launcher (default 30)
#   CHECKPOINT_COLD_RUNS  cold saves and opens per launcher (default 5)
#   CHECKPOINT_LAUNCHERS  "executable,module" (default both)
#   CHECKPOINT_SANDBOX    the daemon's --sandbox (default strict)
#   PYTHON                interpreter for the stdlib-only driver (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
PY=${PYTHON:-python3}

die() { printf 'checkpoint/run.sh: %s\n' "$*" >&2; exit 2; }
command -v "$PY" >/dev/null || die "no $PY (set PYTHON)"

# shellcheck source=../blenderd_binary.sh
. "$ROOT/bench/blenderd_binary.sh"
ensure_blenderd

exec "$PY" "$HERE/bench.py" --blenderd "$BLENDERD" \
    -n "${CHECKPOINT_RUNS:-30}" --cold-runs "${CHECKPOINT_COLD_RUNS:-5}" \
    --launchers "${CHECKPOINT_LAUNCHERS:-executable,module}" --sandbox "${CHECKPOINT_SANDBOX:-strict}"
