#!/usr/bin/env bash
# Installs what blenderd needs on a Debian machine, idempotently and quickly when already done:
#   Debian: libuv1-dev (the daemon), blender (3.4, tests + GUI tests), bubblewrap (sandbox),
#           xvfb (GUI Blender in tests), socat (a plain NDJSON client), python3-venv,
#           python3-numpy (Debian's Blender uses the system Python; its glTF exporter needs numpy).
#   PyPI:   bpy==4.4.0 with numpy<2 and pytest, in .venv (the bpy-module launcher and tests);
#           ray (the Ray adapter's multi-node tests, tests/python/test_ray.py).
# Swift 6.x must already be on PATH (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libuv1-dev blender bubblewrap xvfb socat python3-venv python3-numpy pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
    echo "bootstrap: installing ${need_apt[*]} from Debian"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    echo "bootstrap: swift is not on PATH; install Swift 6.x (https://www.swift.org/install/linux/)" >&2
    exit 1
fi

# bpy 4.4 wheels exist for CPython 3.11 only; use whichever python3.11 the machine has.
PY=""
for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        PY=$(command -v "$candidate"); break
    fi
done
if [ -z "$PY" ]; then
    echo "bootstrap: bpy==4.4.0 needs CPython 3.11; none found (apt-get install python3.11 on Debian 12)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv with $PY"
    "$PY" -m venv .venv
fi
marker=.venv/.blenderd-requirements
want="bpy==4.4.0 numpy<2 pytest jsonschema mcp<2 ray>=2.9,<3"
if [ "$(cat "$marker" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing $want into .venv (first time takes a minute)"
    .venv/bin/pip install -q --disable-pip-version-check $want
    echo "$want" > "$marker"
fi
