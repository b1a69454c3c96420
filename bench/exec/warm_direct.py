#!/usr/bin/env python3
"""The same trivial script on a warm instance, talking to the worker directly (no daemon).

A worker is spawned exactly as the daemon spawns one (socketpair end as fd 3; the test
harness `tests/python/blender_worker.py` does it), left to start, and then sent `script.exec`
N times, one at a time. Each sample is one round trip as a client sees it: encode, write,
the worker runs the script and tracks changes, reply, decode. Start-up is not timed (it is
paid once per instance, not per script); the spawn time is printed for reference. The scene is
Blender's factory start-up scene, the same one a cold spawn starts from.

With `--breakdown N` (default 200) it also times N `worker.ping` round trips (the transport
alone) and N execs of an empty script (`pass`: the exec machinery, output capture and change
tracking, with no Blender work), so the table can say where a warm exec's time goes.

This is the floor the daemon is measured against: with `--daemon SOCKET`, a daemon session is
timed too, in rounds that alternate with the direct worker of the same Blender version (so
machine noise hits both), and the overhead is the difference.

Like with like: the daemon starts its workers sandboxed (`--sandbox JSON`: Landlock and the
audit hook inside the worker, under bubblewrap for the strict tier), and takes a checkpoint
after every successful exec unless the session says `checkpoint: manual`. So the direct worker
gets the same `--sandbox` policy (`--sandbox-tier`, or an explicit `--sandbox-json`; the
bubblewrap/prlimit wrapper is not reproduced: it adds no work per exec), and the daemon session
is opened with `checkpoint: manual` (falling back to no `checkpoint` param, and saying so, for
a daemon that answers it with -32602).

The floor of any relay: with `--relay-floor` (on by default when socat is installed) a second
worker, started the same way, is timed behind `socat` (a C relay that does no work: the bytes
cross one more Unix socket each way, as through the daemon), as a third side of the same
alternating rounds (`mode=relay`). The daemon's own processing is what it adds beyond that.

Where the time goes: every side also reports `handling_p50_ms`, the p50 of the worker's own
`worker_ms` (its whole handling of a call), and `outside_p50_ms`, the p50 of (round trip -
worker_ms): what the transport, and the daemon, cost a call. The daemon's overhead is then split
into time spent outside the worker and a worker that runs slower behind the daemon. Worker
processes also differ by themselves (memory layout, the core they land on): with `--control`
(on whenever another side is timed) a second direct worker runs in the same rounds
(`mode=control`), and its difference from `direct` is what two processes differ by with no
daemon involved, the noise of any comparison between workers. Each side is `--workers`
processes (default 1; daemon: as many sessions, so as many instances), its calls rotating over
them, so a side's p50 is less the luck of one process. `--rounds` sets how often the sides take
turns (default 10 rounds: 50 calls in a row per side at 500 runs).

Placement: with `--worker-cpus LIST --client-cpus LIST` every worker this script starts runs on
the first list and this client (and socat) on the second: what `blenderd --instance-cpus LIST`
does with its instances and itself, so both sides run with the same placement.

Prints `exec mode=direct ...` (and `mode=daemon ...`) lines with p50/p90/p99 in ms.
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
import time

import common
import blender_worker
from blender_worker import Worker, availability
from blenderd.rpc import Channel


class Samples:
    """One side's calls: round trips, the script's own time (duration_ms), and the round trip
    outside the worker's handling (round trip - worker_ms), all in ms."""

    def __init__(self):
        self.trips, self.script, self.handling, self.outside = [], [], [], []

    def add(self, trip_ms, result):
        self.trips.append(trip_ms)
        self.script.append(result.get("duration_ms", float("nan")))
        # A worker older than worker_ms: nan, and the report falls back to round trips.
        handling = result.get("worker_ms", float("nan"))
        self.handling.append(handling)
        self.outside.append(trip_ms - handling)

    def fields(self):
        """The result-line fields: round-trip percentiles, then p50s of the script's time, of the
        worker's handling and of the round trip outside it."""
        fields = dict(common.summary(self.trips), worker_p50_ms=common.summary(self.script)["p50_ms"])
        if not any(math.isnan(v) for v in self.handling):
            fields["handling_p50_ms"] = common.summary(self.handling)["p50_ms"]
            fields["outside_p50_ms"] = common.summary(self.outside)["p50_ms"]
        return fields


def timed_exec(call, code, check_every, samples=None):
    """One script.exec, its round trip added to `samples`."""
    start = time.perf_counter_ns()
    res = call(code)
    elapsed_ms = (time.perf_counter_ns() - start) / 1e6
    if check_every and common.MARKER not in res.get("stdout", ""):
        common.die("script.exec did not run the script: %r" % (res,))
    if samples is not None:
        samples.add(elapsed_ms, res)


def measure(sides, runs, warmup, rounds):
    """sides: {name: [exec callable per process]}. Alternating rounds, and within a side the calls
    rotate over its processes; returns {name: Samples}."""
    for calls in sides.values():
        for call in calls:
            for _ in range(warmup):
                timed_exec(call, common.SCRIPT, True)
    samples = {name: Samples() for name in sides}
    names = list(sides)
    per_round = max(1, runs // rounds)
    done = 0
    r = 0
    while done < runs:
        batch = min(per_round, runs - done)
        order = names if r % 2 == 0 else list(reversed(names))
        for name in order:
            calls = sides[name]
            for i in range(batch):
                timed_exec(calls[(done + i) % len(calls)], common.SCRIPT, True, samples[name])
        done += batch
        r += 1
    return samples


def breakdown(worker, launcher, version, runs, warmup):
    """Transport floor (worker.ping) and exec machinery floor (an empty script)."""
    for mode, call in (("direct_ping", lambda: worker.call("worker.ping")),
                       ("direct_empty", lambda: worker.exec("pass"))):
        for _ in range(warmup):
            call()
        trips = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            call()
            trips.append((time.perf_counter_ns() - start) / 1e6)
        print(common.result_line(mode=mode, launcher=launcher, blender=version, **common.summary(trips)),
              flush=True)


def open_daemon_session(socket_path, params, framing, launcher, announce=True):
    """(DaemonSession or None, unsupported?) after printing why the daemon side is skipped.

    `checkpoint: manual` is asked for unless the caller set `checkpoint`; a daemon that answers
    -32602 about it (no checkpoints yet) gets the session.open without it. Either way one
    `exec mode=daemon_session ...` line says which (with `announce`)."""
    from daemon_client import DaemonSession, Unsupported
    from blenderd.rpc import RpcError, errors

    def say(checkpoint):
        if announce:
            print(common.result_line(mode="daemon_session", launcher=launcher, checkpoint=checkpoint), flush=True)

    try:
        asked = "checkpoint" not in params
        if asked:
            try:
                session = DaemonSession(socket_path, dict(params, checkpoint="manual"), framing=framing)
                say("manual")
                return session, False
            except RpcError as exc:
                if exc.code != errors.INVALID_PARAMS:
                    raise
                detail = exc.data.get("reason") if isinstance(exc.data, dict) else None
                say("daemon_default (session.open refused checkpoint: -32602 %s)" % (detail or exc.message))
        session = DaemonSession(socket_path, params, framing=framing)
        if not asked:
            say(params["checkpoint"])
        return session, False
    except Unsupported as exc:
        print(common.result_line(mode="daemon", skip="daemon does not serve it yet (%s)" % exc), flush=True)
        return None, True
    except Exception as exc:  # refused, bad params, no instance fits: say so, measure the rest
        print(common.result_line(mode="daemon", skip="%s: %s" % (type(exc).__name__, exc)), flush=True)
        return None, False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=500, help="timed round trips per side (default 500)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed round trips first (default 20)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds with --daemon (default 10)")
    parser.add_argument("--launchers", default=",".join(common.LAUNCHERS))
    parser.add_argument("--breakdown", type=int, default=200,
                        help="worker.ping and empty-script round trips to time per launcher (0: none)")
    parser.add_argument("--daemon", metavar="SOCKET", help="also time script.exec through blenderd at SOCKET")
    parser.add_argument("--session-params", default='{}',
                        help="extra session.open params; `blender` is set to the direct worker's "
                             "major.minor so both sides run the same Blender, and `checkpoint` to manual "
                             "(a per-exec .blend save is not transport overhead) unless given here")
    parser.add_argument("--sandbox-tier", default="none",
                        help="start the direct worker with the --sandbox policy the daemon gives its workers "
                             "for this tier (strict, standard; none: no --sandbox). Default none")
    parser.add_argument("--sandbox-json", default=None,
                        help="an explicit --sandbox JSON policy for the direct worker (overrides --sandbox-tier; "
                             "\"none\" for no --sandbox); \"{workspace}\" is replaced by a fresh directory")
    parser.add_argument("--relay-floor", default="auto", choices=("auto", "on", "off"),
                        help="also time a worker behind socat, the cost of one more Unix-socket hop with no "
                             "work (auto: when --daemon is given and socat is installed)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes per side (direct workers, daemon sessions, relayed and control "
                             "workers), calls rotating over them: worker processes differ by themselves, "
                             "and a side's p50 over several is less the luck of one (default 1)")
    parser.add_argument("--control", default="auto", choices=("auto", "on", "off"),
                        help="also time a second direct worker, started the same way, in the same rounds "
                             "(mode=control): what two identical workers differ by, the noise floor of any "
                             "comparison between worker processes (auto: when another side is timed)")
    parser.add_argument("--worker-cpus", type=common.cpu_list, metavar="LIST",
                        help="run every worker this script starts (direct, relayed, control) on these CPUs, as "
                             "blenderd --instance-cpus LIST runs its instances (default: no placement)")
    parser.add_argument("--client-cpus", type=common.cpu_list, metavar="LIST",
                        help="run this client (and socat) on these CPUs: where blenderd --instance-cpus puts "
                             "the daemon, the CPUs the worker CPUs leave (default: no placement)")
    parser.add_argument("--framing", default="header", choices=("header", "ndjson"),
                        help="framing on the daemon socket (default header, as on the worker channel)")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.client_cpus:
        # Before any process starts: socat inherits it, the workers get --worker-cpus instead.
        os.sched_setaffinity(0, args.client_cpus)

    daemon_unsupported = False
    for launcher in args.launchers.split(","):
        spec, reason = availability(launcher)
        if spec is None:
            print(common.result_line(mode="direct", launcher=launcher, skip=reason), flush=True)
            continue
        with contextlib.ExitStack() as processes:
            print(common.result_line(mode="direct_setup", launcher=launcher, sandbox=direct_sandbox(args, "")[1],
                                     worker_cpus=cpu_text(args.worker_cpus), client_cpus=cpu_text(args.client_cpus)),
                  flush=True)
            directs = [processes.enter_context(Direct(launcher, args)) for _ in range(args.workers)]
            worker = directs[0].worker
            version = worker.ready["blender"]["version"]
            sides = {"direct": [d.exec for d in directs]}
            sessions = []
            if args.daemon and not daemon_unsupported:
                params = json.loads(args.session_params)
                major_minor = "%d.%d" % tuple(worker.ready["blender"]["version_tuple"][:2])
                params.setdefault("blender", major_minor)
                for index in range(args.workers):
                    # One session per instance: the pool leases each its own.
                    session, daemon_unsupported = open_daemon_session(args.daemon, params, args.framing, launcher,
                                                                      announce=index == 0)
                    if session is None:
                        break
                    processes.callback(session.close)
                    if session.blender and not str(session.blender).startswith(major_minor):
                        common.die("daemon session runs Blender %s, asked for %s" % (session.blender, major_minor))
                    sessions.append(session)
                if len(sessions) == args.workers:
                    sides["daemon"] = [session.exec for session in sessions]
            wanted = args.relay_floor == "on" or (args.relay_floor == "auto" and args.daemon and shutil.which("socat"))
            if wanted:
                sides["relay"] = [processes.enter_context(Relayed(launcher, args)).exec for _ in range(args.workers)]
            if args.control == "on" or (args.control == "auto" and len(sides) > 1):
                sides["control"] = [processes.enter_context(Direct(launcher, args)).exec for _ in range(args.workers)]
            samples = measure(sides, args.runs, args.warmup, args.rounds if len(sides) > 1 else 1)
            for mode, side in samples.items():
                extra = ({"spawn_ms": worker.spawn_ms} if mode == "direct" else
                         {"via": "socat"} if mode == "relay" else
                         {"sessions": ",".join(s.session for s in sessions)} if mode == "daemon" else
                         {"of": "more_direct_workers"})
                print(common.result_line(mode=mode, launcher=launcher, blender=version, workers=len(sides[mode]),
                                         **side.fields(), **extra), flush=True)
            if args.breakdown:
                breakdown(worker, launcher, version, args.breakdown, args.warmup)


class Closing:
    """`with` support for the sides' processes: close() on the way out."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Direct(Closing):
    """A worker spawned as the daemon spawns one, with the --sandbox policy of `args`, in a
    workspace of its own."""

    def __init__(self, launcher, args):
        self.workspace = tempfile.mkdtemp(prefix="bd-direct-")
        policy, _ = direct_sandbox(args, self.workspace)
        try:
            self.worker = Worker(launcher, sandbox=policy, cpus=args.worker_cpus)
        except BaseException:
            shutil.rmtree(self.workspace, ignore_errors=True)
            raise
        self.exec = self.worker.exec

    def close(self, kill=False):
        if kill:
            self.worker.kill()
        else:
            self.worker.close()
        shutil.rmtree(self.workspace, ignore_errors=True)


class Relayed(Closing):
    """A worker started like the direct one, talked to through socat: client <-> socketpair <->
    socat <-> the worker's channel. The relay parses nothing; it is the cost of the extra hop."""

    def __init__(self, launcher, args):
        self.direct = Direct(launcher, args)
        ours, relays = socket.socketpair()
        worker_end = self.direct.worker.channel.sock.fileno()

        def fds():  # in the child: the client side as fd 3, the worker side as fd 4
            os.dup2(relays.fileno(), 3)
            os.dup2(worker_end, 4)

        self.socat = subprocess.Popen(["socat", "-b", "1048576", "FD:3", "FD:4"], pass_fds=(3, 4), preexec_fn=fds,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        relays.close()
        self.channel = Channel(ours)

    def exec(self, code):
        return self.channel.request("script.exec", {"code": code}, timeout=120)

    def close(self):
        self.channel.close()
        self.socat.kill()
        self.socat.wait()
        # The worker's channel went through socat: killed, not asked to shut down over it.
        self.direct.close(kill=True)


def cpu_text(cpus):
    return ",".join(map(str, sorted(cpus))) if cpus else "any"


def direct_sandbox(args, workspace):
    """(policy dict or None, description) for the direct worker's --sandbox."""
    if args.sandbox_json is not None:
        if args.sandbox_json == "none":
            return None, "none"
        return json.loads(args.sandbox_json.replace("{workspace}", workspace)), "explicit_policy"
    if args.sandbox_tier == "none":
        return None, "none"
    if not hasattr(blender_worker, "sandbox_policy"):
        return None, "none (this checkout's test harness has no sandbox_policy)"
    return (blender_worker.sandbox_policy(workspace, tier=args.sandbox_tier),
            "%s_policy_(Landlock+audit_hook;_no_bwrap/prlimit_wrapper)" % args.sandbox_tier)


if __name__ == "__main__":
    main()
