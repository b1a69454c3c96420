#!/usr/bin/env bash
# ping.sh: daemon.ping throughput and latency, blenderd side by side with the C reference.
#
# Builds bench/reference/ping_server.c and bench/loadgen.c, starts both servers, and for every
# configuration (connections x framing) runs the same closed-loop load generator against each,
# alternating which server goes first, so machine noise hits both. Prints a table with the ratio
# blenderd/reference and checks the targets at 64 connections:
#   blenderd req/s >= 0.5 x reference req/s,   blenderd p99 < 1 ms.
# Always exits 0 when the benchmark itself ran (a missed target prints MISS); 2 on setup failure.
#
# Environment:
#   BLENDERD        path to the blenderd binary (default: swift build -c release --product blenderd)
#   BLENDERD_ARGS   extra arguments for blenderd (word-split), e.g. "--warm 0"
#   PING_SECONDS    measured seconds per run (default 3)
#   PING_WARMUP     warm-up seconds per run, not measured (default 1)
#   PING_CONNS      connection counts (default "1 16 64")
#   PING_FRAMINGS   framings (default "ndjson header")
#   PING_PIN        1: pin servers to CPU 0 and the load generator to CPU 1 (default 0: no pinning)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD="$HERE/reference/build"
SECS=${PING_SECONDS:-3}
WARMUP=${PING_WARMUP:-1}
CONNS=${PING_CONNS:-"1 16 64"}
FRAMINGS=${PING_FRAMINGS:-"ndjson header"}
PIN=${PING_PIN:-0}
TARGET_CONNS=64
TARGET_RATIO=0.5
TARGET_P99_US=1000

say() { printf '%s\n' "$*"; }
die() { printf 'ping.sh: %s\n' "$*" >&2; exit 2; }

# --- build ---------------------------------------------------------------------------------------
mkdir -p "$BUILD"
command -v pkg-config >/dev/null && pkg-config --exists libuv || die "libuv not found (apt install libuv1-dev)"
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$BUILD/ping_server" "$HERE/reference/ping_server.c" $(pkg-config --cflags --libs libuv) \
    || die "building ping_server failed"
gcc -O2 -Wall -o "$BUILD/loadgen" "$HERE/loadgen.c" || die "building loadgen failed"
LOADGEN="$BUILD/loadgen"

if [[ -n "${BLENDERD:-}" ]]; then
    [[ -x "$BLENDERD" ]] || die "BLENDERD=$BLENDERD is not an executable"
else
    say "building blenderd: swift build -c release --product blenderd (log: $BUILD/swift-build.log)"
    if (cd "$ROOT" && swift build -c release --product blenderd) >"$BUILD/swift-build.log" 2>&1 \
        && [[ -x "$ROOT/.build/release/blenderd" ]]; then
        BLENDERD="$ROOT/.build/release/blenderd"
    else
        say "SKIP blenderd: it did not build; reference only. Last lines of the build log:"
        tail -n 5 "$BUILD/swift-build.log" | sed 's/^/    /'
        BLENDERD=""
    fi
fi

# --- servers -------------------------------------------------------------------------------------
TMP=$(mktemp -d /tmp/blenderd-ping.XXXXXX) # short path: sun_path holds 108 bytes
chmod 700 "$TMP"
declare -A PID SOCK CMDLINE
# alive PID: running and not a zombie (kill -0 succeeds on an exited child not yet reaped)
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
stop_server() { # SIGTERM, then SIGKILL after 2 s; reaps it
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    for s in "${!PID[@]}"; do stop_server "${PID[$s]}"; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SERVER_PIN=() CLIENT_PIN=()
if [[ "$PIN" == 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
    SERVER_PIN=(taskset -c 0) CLIENT_PIN=(taskset -c 1)
fi

# start_server NAME: starts it in the background and waits until it answers a ping.
start_server() {
    local name=$1 sock="$TMP/$1.sock" log="$TMP/$1.log"
    rm -f "$sock"
    SOCK[$name]=$sock
    if [[ $name == ref ]]; then
        "${SERVER_PIN[@]}" "$BUILD/ping_server" "$sock" >"$log" 2>&1 &
    else
        # shellcheck disable=SC2086
        "${SERVER_PIN[@]}" "$BLENDERD" --socket "$sock" --log-level warning ${BLENDERD_ARGS:-} >"$log" 2>&1 &
    fi
    PID[$name]=$!
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        if "$LOADGEN" --socket "$sock" --check --timeout 2 2>/dev/null; then return 0; fi
        alive "${PID[$name]}" || break
        sleep 0.05
    done
    say "$name did not answer daemon.ping on $sock; its output:"
    tail -n 20 "$log" | sed 's/^/    /'
    stop_server "${PID[$name]}"
    unset 'PID[$name]'
    return 1
}

cpu_ticks() { # utime+stime of a process (all threads), in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
CLK_TCK=$(getconf CLK_TCK)

SERVERS=(ref)
start_server ref || die "the reference server did not start"
if [[ -n "$BLENDERD" ]]; then
    if start_server blenderd; then SERVERS+=(blenderd); else say "SKIP blenderd: it did not start"; fi
fi

# --- runs ----------------------------------------------------------------------------------------
declare -A RES # RES[server,config] = loadgen's key=value line (+ server_cpu)

# field LINE KEY: value of KEY=... in a loadgen line
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p; s/^$2=\([^ ]*\).*/\1/p" <<<"$1" | head -n 1; }

run_one() { # run_one SERVER FRAMING CONNS
    local s=$1 f=$2 c=$3 line line_shown="" t0 t1
    if ! alive "${PID[$s]:-0}"; then
        say "  $s is not running (crashed?); restarting it"
        start_server "$s" || { RES[$s,$f,$c]="failed"; return; }
    fi
    t0=$(cpu_ticks "${PID[$s]}")
    line=$("${CLIENT_PIN[@]}" "$LOADGEN" --socket "${SOCK[$s]}" --conns "$c" --framing "$f" \
        --seconds "$SECS" --warmup "$WARMUP" 2>"$TMP/loadgen.err") || true
    t1=$(cpu_ticks "${PID[$s]}")
    [[ -n "$line" ]] || line="failed"
    local total; total=$(awk -v s="$SECS" -v w="$WARMUP" 'BEGIN{print s + w}')
    # server CPU over the whole run (warm-up included), in cores
    line+=" server_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v t="$total" 'BEGIN{printf "%.2f", (b-a)/hz/t}')"
    RES[$s,$f,$c]=$line
    [[ $line == failed* ]] || line_shown=$(cut -d' ' -f4- <<<"$line")
    say "  $(printf '%-8s' "$s") $f c=$c: ${line_shown:-$line}"
    if [[ -s "$TMP/loadgen.err" ]]; then sed 's/^/      /' "$TMP/loadgen.err" | head -n 3; fi
}

say "ping benchmark: ${SECS}s measured + ${WARMUP}s warm-up per run; servers: ${SERVERS[*]}$([[ ${#SERVER_PIN[@]} -gt 0 ]] && echo '; pinned server→cpu0, loadgen→cpu1')"
i=0
for c in $CONNS; do
    for f in $FRAMINGS; do
        order=("${SERVERS[@]}")
        # alternate who goes first, so slow drifts of the machine do not favour one server
        if ((i % 2 == 1)) && ((${#SERVERS[@]} == 2)); then order=(blenderd ref); fi
        for s in "${order[@]}"; do run_one "$s" "$f" "$c"; done
        i=$((i + 1))
    done
done

# --- report --------------------------------------------------------------------------------------
say ""
printf '%-12s %11s %11s %7s %17s %17s  %s\n' config "ref req/s" "bd req/s" ratio "ref p50/p99 us" "bd p50/p99 us" target
misses=0 checked=0
greps=()
for c in $CONNS; do
    for f in $FRAMINGS; do
        r=${RES[ref,$f,$c]}
        b=${RES[blenderd,$f,$c]:-}
        rr=$(field "$r" rps); re=$(field "$r" errors)
        refcol=$(printf '%s/%s' "$(field "$r" p50_us)" "$(field "$r" p99_us)")
        if [[ -z "$b" ]]; then
            ratio="n/a"; br="-"; bdcol="-"; verdict="-"
            [[ $c == "$TARGET_CONNS" ]] && verdict="not measured (no blenderd)"
        else
            br=$(field "$b" rps); be=$(field "$b" errors); bp99=$(field "$b" p99_us)
            bdcol=$(printf '%s/%s' "$(field "$b" p50_us)" "$bp99")
            ratio=$(awk -v a="${br:-0}" -v b="${rr:-0}" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
            verdict="-"
            if [[ $c == "$TARGET_CONNS" ]]; then
                checked=$((checked + 1))
                why=()
                awk -v x="$ratio" -v t="$TARGET_RATIO" 'BEGIN{exit !(x != "n/a" && x + 0 >= t)}' \
                    || why+=("ratio $ratio < $TARGET_RATIO")
                awk -v x="${bp99:-}" -v t="$TARGET_P99_US" 'BEGIN{exit !(x != "" && x + 0 < t)}' \
                    || why+=("p99 ${bp99:-?}us >= ${TARGET_P99_US}us")
                [[ "${be:-1}" == 0 ]] || why+=("${be:-?} errors")
                if ((${#why[@]})); then verdict="MISS ($(IFS=';'; echo "${why[*]}" | sed 's/;/, /g'))"; misses=$((misses + 1))
                else verdict="ok"; fi
            elif [[ "${be:-1}" != 0 ]]; then
                verdict="ERRORS (blenderd: ${be:-?})"
            fi
        fi
        [[ "${re:-1}" == 0 ]] || verdict+=" [reference errors: ${re:-?}]"
        printf '%-12s %11s %11s %7s %17s %17s  %s\n' "$f c=$c" "${rr:-failed}" "$br" "$ratio" "$refcol" "$bdcol" "$verdict"
        greps+=("ping $f c=$c: ratio=$ratio")
    done
done
say ""
printf '%s\n' "${greps[@]}"
if [[ " ${SERVERS[*]} " != *" blenderd "* ]]; then
    say "targets: not checked (blenderd was skipped)"
elif ((checked == 0)); then
    say "targets: not checked (no run at c=$TARGET_CONNS)"
elif ((misses)); then
    say "targets: MISS ($misses of $checked configurations at c=$TARGET_CONNS)"
else
    say "targets: ok (c=$TARGET_CONNS: blenderd >= ${TARGET_RATIO}x reference req/s, p99 < ${TARGET_P99_US}us)"
fi
exit 0
