#!/usr/bin/env bash
# render/run.sh: render.views on a warm session vs LL3M's way (snapshot + a cold Blender per view),
# and image bytes through the daemon vs a raw socketpair; side by side in one run. See bench.py.
#
# Prints `render key=value` lines, tables with ratios, and the targets as MET or MISS:
#   views end to end >= 2x faster than LL3M's way (per launcher)
#   forward (binary delivery) >= 1 GB/s and >= 0.3 of a raw socketpair copy
# Exits 0 whenever the benchmark ran (a missed target prints MISS); 2 on setup failure.
#
# Environment:
#   BLENDERD              blenderd binary (unset: built with `swift build -c release`)
#   RENDER_PARTS          "views,forward" (default both)
#   RENDER_ROUNDS         timed rounds of the views part per launcher (default 3)
#   RENDER_FORWARD_ROUNDS rounds of the forward part (default 3)
#   RENDER_LAUNCHERS      "executable,module" (default both)
#   PYTHON                interpreter for the stdlib-only driver (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
PY=${PYTHON:-python3}

die() { printf 'render/run.sh: %s\n' "$*" >&2; exit 2; }
command -v "$PY" >/dev/null || die "no $PY (set PYTHON)"

# shellcheck source=../blenderd_binary.sh
. "$ROOT/bench/blenderd_binary.sh"
ensure_blenderd

exec "$PY" "$HERE/bench.py" --blenderd "$BLENDERD" --parts "${RENDER_PARTS:-views,forward}" \
    --rounds "${RENDER_ROUNDS:-3}" --forward-rounds "${RENDER_FORWARD_ROUNDS:-3}" \
    --launchers "${RENDER_LAUNCHERS:-executable,module}"
