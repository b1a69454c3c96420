#!/usr/bin/env bash
# exec/run.sh: a trivial script on a warm Blender (script.exec) vs a cold Blender spawn per script.
#
# One run, side by side, for both launchers (Debian's Blender executable, PyPI's bpy module):
#   cold.py         the competitor: a new Blender process per script, as LL3M's headless mode,
#                   BlenderProc and Flamenco run it (blender -b --python-expr / python -c "import bpy")
#   warm_direct.py  the same script as script.exec on a warm worker, talked to directly over its
#                   socketpair: no daemon (the floor for the daemon's overhead)
#   relay           with a daemon and socat installed: a second worker behind socat (one more
#                   Unix-socket hop, no work), the floor of any relay, in the same rounds
#   control         with a daemon: more direct workers in the same rounds; what two sets of
#                   worker processes differ by with no daemon at all (the noise of the comparison)
# Each side is EXEC_WORKERS processes (daemon: as many sessions, so as many instances), calls
# rotating over them: worker processes differ by themselves, by up to 170 us at p50 on a 2-vCPU VM.
#   daemon          HOOK: with BLENDERD=path/to/blenderd, the same script through the daemon too
#                   (session.open -> script.exec -> session.close on its Unix socket), timed in
#                   rounds alternating with the direct worker of the same Blender version.
#                   Skipped with a message while the daemon answers session.open with -32601.
# Like with like: the daemon runs its workers with --sandbox TIER (EXEC_SANDBOX) and the direct
# worker gets the same --sandbox policy; the daemon session asks for `checkpoint: manual` (the
# direct worker saves nothing), falling back to the daemon's default if session.open refuses it.
# The lines `exec mode=direct_setup` / `mode=daemon_session` say what each side ran with.
# Each side also reports the p50 of the worker's own handling of a call (`worker_ms` in the result)
# and of the round trip outside it, so the report can split the daemon's overhead into what is
# spent outside the worker (the hop, the daemon's work) and how much slower the worker itself ran.
# Prints a table with cold/warm ratios and checks the targets:
#   warm exec >= 300x faster than a cold spawn, and warm p50 <= 2 ms        (per launcher)
#   daemon overhead over direct at p50 <= 10 % or <= 100 us                  (when measured)
# A daemon-overhead verdict is marked inconclusive when the control side is off from direct by half
# the overhead target or more (the run's noise between worker processes is then as big as what it
# measures). Exits 0 whenever the benchmark ran (a missed target prints MISS); 2 on setup failure.
# Placement: the warm sides run once per placement, each with a row of its own. `unpinned` leaves
# every process where the scheduler puts it; `pinned` starts the daemon with --instance-cpus LAST
# (its instances on the last CPU this run may use, the daemon on the others) and gives the direct,
# relayed and control workers that CPU too, and the client (and socat) the others: the same
# placement on both sides, the one blenderd offers for low script.exec latency.
#
# Environment:
#   BLENDERD          blenderd binary for the daemon side (unset: daemon not measured)
#   BLENDERD_ARGS     extra daemon arguments (word-split); the pool flags below are tried first
#   EXEC_COLD_RUNS    cold spawns per launcher (default 10)
#   EXEC_WARM_RUNS    warm round trips per launcher and side (default 500)
#   EXEC_WORKERS      processes per side, calls rotating over them (default 1; warm_direct.py --workers)
#   EXEC_ROUNDS       rounds the sides alternate in (default 10: 50 calls in a row per side; more rounds
#                     mean shorter runs per process, whose caches are then colder)
#   EXEC_LAUNCHERS    "executable,module" (default both)
#   EXEC_PLACEMENT    unpinned, pinned or both (default both with 2 or more CPUs, else unpinned)
#   EXEC_SANDBOX      sandbox tier for both sides: blenderd --sandbox TIER, and the direct worker
#                     started with the --sandbox policy of that tier (default strict, blenderd's
#                     default; "none": the daemon's default flags and no --sandbox for the direct worker)
#   EXEC_DIRECT_SANDBOX  explicit --sandbox JSON for the direct worker ("{workspace}" is replaced by
#                     a fresh directory; "none" for none); overrides EXEC_SANDBOX on the direct side
#   PYTHON            interpreter for the (stdlib-only) drivers (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
PY=${PYTHON:-python3}
COLD_RUNS=${EXEC_COLD_RUNS:-10}
WARM_RUNS=${EXEC_WARM_RUNS:-500}
WORKERS=${EXEC_WORKERS:-1}
ROUNDS=${EXEC_ROUNDS:-10}
LAUNCHERS=${EXEC_LAUNCHERS:-executable,module}
SANDBOX=${EXEC_SANDBOX:-strict}
# The last CPU this run may use (the pinned instances' and workers'), and the others (the daemon's
# and the client's; "-" when there are none).
read -r LAST_CPU OTHER_CPUS < <("$PY" -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[-1], ",".join(map(str, c[:-1])) or "-")') \
    || die "cannot read this process's CPU affinity with $PY"
PLACEMENT=${EXEC_PLACEMENT:-$([[ $OTHER_CPUS == - ]] && echo unpinned || echo both)}
case $PLACEMENT in
    both) PLACEMENTS="unpinned pinned" ;;
    pinned | unpinned) PLACEMENTS=$PLACEMENT ;;
    *) die "EXEC_PLACEMENT=$PLACEMENT: use unpinned, pinned or both" ;;
esac
[[ $PLACEMENT == unpinned || $OTHER_CPUS != - ]] || die "EXEC_PLACEMENT=$PLACEMENT needs 2 CPUs (this run may use only CPU $LAST_CPU)"
TARGET_RATIO=300
TARGET_P50_MS=2
TARGET_OVERHEAD_PCT=10
TARGET_OVERHEAD_US=100

say() { printf '%s\n' "$*"; }
die() { printf 'exec/run.sh: %s\n' "$*" >&2; exit 2; }

command -v "$PY" >/dev/null || die "no $PY (set PYTHON)"
TMP=$(mktemp -d /tmp/blenderd-exec.XXXXXX) # short path: sun_path holds 108 bytes
chmod 700 "$TMP"
COLD="$TMP/cold"
DAEMON_PID=""
DAEMON_ARGS=()
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
stop_daemon() { # SIGTERM, then SIGKILL after 5 s; reaps it
    [[ -n "$DAEMON_PID" ]] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$DAEMON_PID" || break; sleep 0.05; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}
cleanup() { stop_daemon; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- daemon hook ---------------------------------------------------------------------------------
# start_daemon ARGS...: starts blenderd in the background; 0 once it answers daemon.ping.
start_daemon() {
    local sock="$TMP/bd.sock" log="$TMP/blenderd.log"
    rm -f "$sock"
    # shellcheck disable=SC2086
    "$BLENDERD" --socket "$sock" --log-level warning "$@" ${BLENDERD_ARGS:-} >"$log" 2>&1 &
    DAEMON_PID=$!
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        if "$PY" "$HERE/daemon_client.py" --socket "$sock" --check --timeout 2 2>/dev/null; then return 0; fi
        alive "$DAEMON_PID" || break
        sleep 0.1
    done
    stop_daemon
    return 1
}

# --- runs ----------------------------------------------------------------------------------------
say "exec benchmark: cold spawn x$COLD_RUNS vs warm script.exec x$WARM_RUNS per launcher ($LAUNCHERS)${BLENDERD:+; daemon: $BLENDERD}"
say "== cold spawn (one Blender process per script)"
"$PY" "$HERE/cold.py" -n "$COLD_RUNS" --launchers "$LAUNCHERS" | tee "$COLD" \
    || die "cold.py failed"
[[ -z "${BLENDERD:-}" || -x "$BLENDERD" ]] || die "BLENDERD=$BLENDERD is not an executable"
DIRECT_ARGS=(--sandbox-tier "$SANDBOX")
[[ -z "${EXEC_DIRECT_SANDBOX:-}" ]] || DIRECT_ARGS=(--sandbox-json "$EXEC_DIRECT_SANDBOX")
for placement in $PLACEMENTS; do
    # Each placement's results: the cold lines (placement-free) and its warm lines.
    cp "$COLD" "$TMP/results.$placement"
    PIN_DAEMON=() PIN_WARM=()
    if [[ $placement == pinned ]]; then
        PIN_DAEMON=(--instance-cpus "$LAST_CPU")
        PIN_WARM=(--worker-cpus "$LAST_CPU" --client-cpus "$OTHER_CPUS")
    fi
    DAEMON_ARGS=()
    # The daemon starts after the cold runs: its warm spare would otherwise start up during them.
    if [[ -n "${BLENDERD:-}" ]]; then
        # The pool's flags (names fixed by ARCHITECTURE.md): both launchers available, one warm spare.
        rm -rf "$TMP/state"; mkdir -p "$TMP/state"
        POOL_FLAGS=(--warm 1 --max-instances $((WORKERS + 3)) --state-dir "$TMP/state" "${PIN_DAEMON[@]}")
        [[ "$SANDBOX" == none ]] || POOL_FLAGS+=(--sandbox "$SANDBOX")
        if command -v blender >/dev/null; then POOL_FLAGS+=(--blender "$(command -v blender)"); fi
        if [[ -x "$ROOT/.venv/bin/python" ]]; then POOL_FLAGS+=(--bpy-python "$ROOT/.venv/bin/python"); fi
        if start_daemon "${POOL_FLAGS[@]}"; then
            DAEMON_ARGS=(--daemon "$TMP/bd.sock")
        elif [[ $placement == unpinned ]] && start_daemon; then
            # A daemon without an instance pool yet rejects the pool flags; bare, it still answers,
            # and session.open tells us whether it can run scripts.
            say "note: blenderd did not start with the pool flags (${POOL_FLAGS[*]}); started it with --socket only"
            DAEMON_ARGS=(--daemon "$TMP/bd.sock")
        else
            say "SKIP daemon ($placement): blenderd did not answer daemon.ping on $TMP/bd.sock; its output:"
            tail -n 10 "$TMP/blenderd.log" | sed 's/^/    /'
        fi
    fi
    say "== warm, $placement: script.exec on a running worker, direct$([[ ${#DAEMON_ARGS[@]} -gt 0 ]] && echo ' and through blenderd, alternating') (sandbox: $SANDBOX${EXEC_DIRECT_SANDBOX:+; direct: explicit policy}$([[ $placement == pinned ]] && echo "; workers on CPU $LAST_CPU, daemon and client on $OTHER_CPUS"))"
    "$PY" "$HERE/warm_direct.py" -n "$WARM_RUNS" --workers "$WORKERS" --rounds "$ROUNDS" --launchers "$LAUNCHERS" \
        "${DIRECT_ARGS[@]}" "${PIN_WARM[@]}" "${DAEMON_ARGS[@]}" | tee -a "$TMP/results.$placement" \
        || die "warm_direct.py failed"
    stop_daemon
done

# --- report --------------------------------------------------------------------------------------
# get MODE LAUNCHER KEY: value of KEY in that result line of the placement being reported ("" when absent)
get() {
    awk -v m="mode=$1" -v l="launcher=$2" -v k="$3=" '
        $2 == m && $3 == l { for (i = 4; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' "$RESULTS"
}
calc() { awk "BEGIN { $1 }"; }

say ""
printf '%-10s %-8s %-7s %17s %22s %9s %22s %10s  %s\n' launcher cpus blender "cold p50/p90 ms" "warm p50/p90/p99 ms" \
    cold/warm "daemon p50/p99 ms" overhead target
misses=() unsure=() greps=() notes=()
for placement in $PLACEMENTS; do
    RESULTS="$TMP/results.$placement"
    for l in ${LAUNCHERS//,/ }; do
        label="$l $placement"
        blender=$(get direct "$l" blender); [[ -n "$blender" ]] || blender=$(get cold "$l" blender)
        c50=$(get cold "$l" p50_ms); c90=$(get cold "$l" p90_ms)
        w50=$(get direct "$l" p50_ms); w90=$(get direct "$l" p90_ms); w99=$(get direct "$l" p99_ms)
        d50=$(get daemon "$l" p50_ms); d99=$(get daemon "$l" p99_ms)
        if [[ -z "$c50" || -z "$w50" ]]; then
            printf '%-10s %-8s %-7s %17s %22s %9s %22s %10s  %s\n' "$l" "$placement" "${blender:--}" "${c50:--}" "${w50:--}" - - - \
                "not measured ($l not available)"
            continue
        fi
        ratio=$(calc "printf \"%.0f\", $c50 / $w50")
        why=()
        calc "exit !($ratio >= $TARGET_RATIO)" || why+=("cold/warm ${ratio}x < ${TARGET_RATIO}x")
        calc "exit !($w50 <= $TARGET_P50_MS)" || why+=("warm p50 ${w50}ms > ${TARGET_P50_MS}ms")
        dcol="-" ocol="-"
        if [[ -n "$d50" ]]; then
            dcol="$d50/$d99"
            over_us=$(calc "printf \"%.0f\", ($d50 - $w50) * 1000")
            over_pct=$(calc "printf \"%.1f\", ($d50 - $w50) / $w50 * 100")
            ocol="${over_us}us/${over_pct}%"
            calc "exit !($over_pct <= $TARGET_OVERHEAD_PCT || $over_us <= $TARGET_OVERHEAD_US)" \
                || why+=("daemon overhead ${over_us}us (${over_pct}%) > ${TARGET_OVERHEAD_US}us and > ${TARGET_OVERHEAD_PCT}%")
        fi
        if ((${#why[@]})); then verdict="MISS ($(IFS=';'; echo "${why[*]}" | sed 's/;/, /g'))"; misses+=("$label")
        else verdict="ok"; fi
        # The overhead compares different worker processes; when the control (more direct workers,
        # same rounds) is off from direct by half the target or more, this run cannot tell.
        k50=$(get control "$l" p50_ms)
        if [[ -n "$d50" && -n "$k50" ]]; then
            noise_us=$(calc "d = ($k50 - $w50) * 1000; printf \"%.0f\", d < 0 ? -d : d")
            if calc "exit !($noise_us * 2 >= $TARGET_OVERHEAD_US)"; then
                verdict+=" (inconclusive: the control differs from direct by ${noise_us}us)"; unsure+=("$label")
            fi
        fi
        [[ -n "$d50" ]] || verdict+=" (daemon not measured)"
        printf '%-10s %-8s %-7s %17s %22s %9s %22s %10s  %s\n' "$l" "$placement" "$blender" "$c50/$c90" "$w50/$w90/$w99" "${ratio}x" \
            "$dcol" "$ocol" "$verdict"
        greps+=("exec $l placement=$placement: cold_p50_ms=$c50 warm_p50_ms=$w50 warm_p99_ms=$w99 ratio=$ratio${d50:+ daemon_p50_ms=$d50 daemon_overhead_us=$over_us daemon_overhead_pct=$over_pct}")
        # Where the overhead goes, from each side's worker_ms (the worker's whole handling of a call):
        # the round trip outside the worker (transport, the daemon) and the worker's handling itself.
        wout=$(get direct "$l" outside_p50_ms); whan=$(get direct "$l" handling_p50_ms)
        dout=$(get daemon "$l" outside_p50_ms); dhan=$(get daemon "$l" handling_p50_ms)
        rout=$(get relay "$l" outside_p50_ms); relay=$(get relay "$l" p50_ms)
        if [[ -n "$d50" && -n "$wout" && -n "$dout" ]]; then
            notes+=("$(printf '%-19s daemon overhead %sus (round-trip p50s): %sus outside the worker (p50 of round trip - worker_ms: daemon %s, direct %s ms), and the worker'"'"'s own handling %+.0fus (worker_ms p50: daemon'"'"'s worker %s, direct %s ms)' \
                "$label" "$over_us" "$(calc "printf \"%.0f\", ($dout - $wout) * 1000")" "$dout" "$wout" \
                "$(calc "printf \"%.0f\", ($dhan - $whan) * 1000")" "$dhan" "$whan")")
            if [[ -n "$rout" ]]; then
                notes+=("$(printf '%-19s outside the worker, %sus = %sus one more Unix-socket hop (a worker behind socat, a relay that does no work) + %sus the daemon'"'"'s own work' \
                    "$label" "$(calc "printf \"%.0f\", ($dout - $wout) * 1000")" "$(calc "printf \"%.0f\", ($rout - $wout) * 1000")" \
                    "$(calc "printf \"%.0f\", ($dout - $rout) * 1000")")")
            fi
        elif [[ -n "$relay" && -n "$d50" ]]; then
            notes+=("$(printf '%-19s daemon overhead %sus = %sus one more Unix-socket hop (a worker behind socat, a relay that does no work) + %sus the daemon'"'"'s own work' \
                "$label" "$over_us" "$(calc "printf \"%.0f\", ($relay - $w50) * 1000")" "$(calc "printf \"%.0f\", ($d50 - $relay) * 1000")")")
        fi
        kout=$(get control "$l" outside_p50_ms); khan=$(get control "$l" handling_p50_ms)
        if [[ -n "$k50" ]]; then
            notes+=("$(printf '%-19s control, as many more direct workers in the same rounds, minus direct: round trip %+.0fus%s (what two sets of workers differ by with no daemon)' \
                "$label" "$(calc "printf \"%.0f\", ($k50 - $w50) * 1000")" \
                "$([[ -n "$kout" && -n "$wout" ]] && calc "printf \", outside the worker %+.0fus, handling %+.0fus\", ($kout - $wout) * 1000, ($khan - $whan) * 1000")")")
        fi
        ping=$(get direct_ping "$l" p50_ms); empty=$(get direct_empty "$l" p50_ms); inner=$(get direct "$l" worker_p50_ms)
        if [[ -n "$ping" && -n "$empty" && -n "$inner" ]]; then
            notes+=("$(printf '%-19s %s ms = %s transport (worker.ping) + %s exec machinery (empty script: capture, change tracking) + %s the script itself (worker duration_ms) + %s rest (compile, bigger change set)' \
                "$label" "$w50" "$ping" "$(calc "printf \"%.4f\", $empty - $ping")" "$inner" \
                "$(calc "printf \"%.4f\", $w50 - $empty - $inner")")")
        fi
    done
done
say ""
((${#notes[@]} == 0)) || { say "where the time goes (p50):"; printf '  %s\n' "${notes[@]}"; say ""; }
printf '%s\n' "${greps[@]}"
for placement in $PLACEMENTS; do
    RESULTS="$TMP/results.$placement"
    for l in ${LAUNCHERS//,/ }; do
        setup=$(get direct_setup "$l" sandbox); checkpoint=$(get daemon_session "$l" checkpoint)
        cpus=$(get direct_setup "$l" worker_cpus); client=$(get direct_setup "$l" client_cpus)
        [[ -z "$setup$checkpoint" ]] || say "setup $l $placement: direct worker sandbox=${setup:--}; daemon --sandbox ${SANDBOX}$([[ $placement == pinned ]] && echo " --instance-cpus $LAST_CPU"); daemon session checkpoint=${checkpoint:--}; workers on CPUs ${cpus:--}, client on ${client:--}"
    done
done
if grep -q '^exec mode=daemon .*skip=' "$TMP"/results.*; then
    say "daemon: $(sed -n 's/^exec mode=daemon .*skip=//p' "$TMP"/results.* | head -n 1 | tr '_' ' ')"
elif [[ -z "${BLENDERD:-}" ]]; then
    say "daemon: not measured (set BLENDERD=path/to/blenderd)"
fi
inconclusive=""
((${#unsure[@]} == 0)) || inconclusive="; inconclusive on the daemon overhead, rerun: $(IFS=,; echo "${unsure[*]}" | sed 's/,/, /g')"
if ((${#misses[@]})); then say "targets: MISS in $(IFS=,; echo "${misses[*]}" | sed 's/,/, /g') (of ${#greps[@]} rows)$inconclusive"
else say "targets: ok (cold/warm >= ${TARGET_RATIO}x, warm p50 <= ${TARGET_P50_MS} ms$(grep -q '^exec mode=daemon launcher=' "$TMP"/results.* && echo ", daemon overhead <= ${TARGET_OVERHEAD_PCT}% or <= ${TARGET_OVERHEAD_US}us"))$inconclusive"; fi
exit 0
