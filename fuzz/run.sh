#!/usr/bin/env bash
# Builds the JSONRPC framing/dispatch fuzzer (libFuzzer + AddressSanitizer) into .build-fuzz/ and
# runs it for SECONDS (default 60) from the committed seeds in fuzz/corpus/. New inputs go to
# fuzz/corpus-run/ (gitignored), crash reproducers to .build-fuzz/. Exits non-zero on a crash.
# Reproduce one: .build-fuzz/fuzz-framing .build-fuzz/crash-<hash>
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out="$root/.build-fuzz"
mkdir -p "$out" "$here/corpus-run"

swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzJSONRPC \
    "$root"/Sources/JSONRPC/*.swift "$here/FuzzFraming.swift" -o "$out/fuzz-framing"

# -jobs/-workers stay at 1: the machine has two cores and CI shares them.
exec "$out/fuzz-framing" \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -dict="$here/jsonrpc.dict" \
    -artifact_prefix="$out/" \
    -print_final_stats=1 \
    "$here/corpus-run" "$here/corpus"
