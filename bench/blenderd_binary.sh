# Sourced by the bench scripts: sets BLENDERD to the daemon binary to measure. An unset BLENDERD
# builds one (`swift build -c release --product blenderd`, progress on stderr); a set one must be
# an executable. Expects ROOT (the repository) and die() from the caller.
ensure_blenderd() {
    if [[ -z "${BLENDERD:-}" ]]; then
        echo "== swift build -c release (set BLENDERD to use an existing binary)" >&2
        (cd "$ROOT" && swift build -c release --product blenderd) >&2 || die "swift build failed"
        BLENDERD="$ROOT/.build/release/blenderd"
    fi
    [[ -x "$BLENDERD" ]] || die "BLENDERD=$BLENDERD is not an executable"
    export BLENDERD
}
