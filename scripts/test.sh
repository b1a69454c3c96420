#!/usr/bin/env bash
# Runs every test: the Swift suites (unit + daemon over real sockets), the add-on's Python
# suites against real Blender (Debian's 3.4 executable and PyPI's bpy 4.4), and a short fuzz run.
# Exits non-zero on any failure. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== protocol contract (openrpc.json schemas, transcripts against the spec)"
.venv/bin/python protocol/tools/check.py

echo "== swift build"
swift build --build-tests --quiet
echo "== swift test"
# Swift Testing and XCTest each print their closing summary line; the exit code is what counts.
set +e
swift test --skip-build --parallel --num-workers 2 2>&1 | tee .build/swift-test.log \
    | grep -v -E '^(\[[0-9]+/[0-9]+\]|Test Case .* (started|passed))'
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || { echo "swift test FAILED (exit $status; full log: .build/swift-test.log)"; exit 1; }

if [ -d tests/python ]; then
    echo "== python tests (add-on, real Blender)"
    .venv/bin/python -m pytest -q tests/python
fi

if [ -x fuzz/run.sh ]; then
    echo "== fuzz (short run)"
    bash fuzz/run.sh "${FUZZ_SECONDS:-20}"
fi
echo "all tests passed"
