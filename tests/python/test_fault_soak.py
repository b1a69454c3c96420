"""Fault soak: 20 client threads x 50 requests (script.exec and scene.info on
their own session) against a real daemon with --max-instances 3 --warm 2,
while a killer thread SIGKILLs instance workers (pids from instance.list) every
0.5-1 s. Every request must get exactly one response with its id (a result or
a documented error); afterwards no zombie under the daemon, no Blender or
bwrap beyond the live instances, and the daemon's RSS and fd count flat."""

import collections
import os
import random
import signal
import threading
import time

import pytest

from daemon_harness import (CANCELLED, CRASHED, NO_INSTANCE, OVERLOADED, TIMEOUT, Daemon, children, missing_reason,
                            open_fds, pid_alive, processes_mentioning, rss_bytes, zombies_under)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")

CLIENTS = 20
REQUESTS = 50
THINK_S = 0.1
# What a call may answer while its instance is being killed under it (protocol/README.md, "Errors"):
# crashed, timeout, no instance fits, overloaded, cancelled.
DOCUMENTED = {CRASHED, TIMEOUT, NO_INSTANCE, OVERLOADED, CANCELLED}
FDS_PER_INSTANCE = 3  # the worker channel (socketpair) and the two output pipes


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.codes = collections.Counter()
        self.problems = []
        self.requests = 0

    def add(self, code):
        with self.lock:
            self.requests += 1
            self.codes[code] += 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)


def client_thread(daemon, n, tally, deadline):
    rng = random.Random(n)
    try:
        client = daemon.client(timeout=90)
    except OSError as exc:
        return tally.problem("client %d: cannot connect: %r" % (n, exc))
    with client:
        def call(method, params):
            msg = client.request(method, params)  # reads until the response with this id
            if client.stray:
                tally.problem("client %d: unexpected messages before the reply to %s: %r" % (n, method, client.stray[:3]))
                client.stray.clear()
            if ("result" in msg) == ("error" in msg):
                tally.problem("client %d: %s: neither or both of result/error: %r" % (n, method, msg))
            code = msg["error"]["code"] if "error" in msg else "ok"
            tally.add(code)
            if code != "ok" and code not in DOCUMENTED:
                tally.problem("client %d: %s: undocumented error %r" % (n, method, msg["error"]))
            return msg

        session = None
        while session is None and time.monotonic() < deadline:
            msg = call("session.open", {})
            if "result" in msg:
                session = msg["result"]["session"]
            else:
                time.sleep(min(2.0, float((msg["error"].get("data") or {}).get("retry_after", 0.2))))
        if session is None:
            return tally.problem("client %d: never got a session" % n)
        for i in range(REQUESTS):
            # think time, as an agent between calls: keeps sessions (and so the killer's targets)
            # alive for seconds instead of the ~0.1 s 50 bare calls take
            time.sleep(rng.uniform(0, THINK_S))
            if rng.random() < 0.6:
                call("script.exec", {"session": session, "code": "result = %d * %d" % (n, i), "timeout_s": 20})
            else:
                call("scene.info", {"session": session})
        call("session.close", {"session": session})
        leftover = client.pending(0.3)
        if leftover:
            tally.problem("client %d: %d messages after its last reply (duplicates?): %r" % (n, len(leftover), leftover[:3]))


def killer_thread(daemon, stop, kills):
    rng = random.Random(7)
    with daemon.client(timeout=30) as control:
        while not stop.wait(rng.uniform(0.5, 1.0)):
            try:
                instances = control.call("instance.list")["instances"]
            except Exception as exc:  # noqa: BLE001 - the daemon must keep answering; checked by the test
                kills.append(("instance.list failed", repr(exc)))
                return
            live = [i for i in instances if i.get("pid") and i["state"] in ("ready", "busy") and pid_alive(i["pid"])]
            if not live:
                continue
            victim = rng.choice(live)
            try:
                os.kill(victim["pid"], signal.SIGKILL)
                kills.append((victim["id"], victim["state"]))
            except ProcessLookupError:
                pass


def settle(daemon, control, timeout=30):
    """Until every instance is ready and no zombie is left; returns the instances."""
    deadline = time.monotonic() + timeout
    while True:
        instances = control.call("instance.list")["instances"]
        if instances and all(i["state"] == "ready" for i in instances) and not zombies_under(daemon.pid):
            return instances
        if time.monotonic() > deadline:
            raise AssertionError("pool did not settle: %s, zombies %s" % (
                [(i["id"], i["state"]) for i in instances], zombies_under(daemon.pid)))
        time.sleep(0.1)


def test_fault_soak(tmp_path):
    daemon = Daemon(tmp_path, warm=2, max_instances=3, sandbox="strict",
                    extra_args=["--exec-timeout", "20"])
    try:
        control = daemon.client()
        daemon.wait_ready(2, client=control)
        # Warm-up: every instance slot used once, one crash and its replacement.
        sessions = [control.call("session.open")["session"] for _ in range(3)]
        for s in sessions:
            control.call("script.exec", session=s, code="result = 1")
            control.call("scene.info", session=s)
        victim = control.call("instance.list")["instances"][0]
        os.kill(victim["pid"], signal.SIGKILL)
        for s in sessions:
            try:
                control.call("script.exec", session=s, code="result = 2")
            except Exception:  # noqa: BLE001 - the killed one answers -32005
                pass
            control.call("session.close", session=s)
        instances0 = settle(daemon, control)
        rss0, fds0 = rss_bytes(daemon.pid), open_fds(daemon.pid)

        tally, kills, stop = Tally(), [], threading.Event()
        deadline = time.monotonic() + 75
        killer = threading.Thread(target=killer_thread, args=(daemon, stop, kills), daemon=True)
        threads = [threading.Thread(target=client_thread, args=(daemon, n, tally, deadline), daemon=True)
                   for n in range(CLIENTS)]
        started = time.monotonic()
        killer.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(1, deadline + 10 - time.monotonic()))
        stop.set()
        killer.join(10)
        took = time.monotonic() - started
        hung = [t.name for t in threads if t.is_alive()]

        assert daemon.alive(), daemon.log_tail()
        assert not hung, "client threads still waiting for replies after %.0f s: %s" % (took, hung)
        assert not tally.problems, "\n".join(tally.problems[:20])
        # session.open + REQUESTS + session.close per client, plus retried opens
        assert tally.requests >= CLIENTS * (REQUESTS + 2), tally.requests
        assert not any(k[0] == "instance.list failed" for k in kills), kills
        assert len(kills) >= 10, "the killer killed only %d workers in %.0f s" % (len(kills), took)
        assert tally.codes["ok"] >= 0.5 * tally.requests, tally.codes

        instances = settle(daemon, control)
        # no Blender/bwrap/prlimit left over: the daemon itself + 3 processes (bwrap, its pid-1 init,
        # the worker) per live instance, found by the state dir in their command lines
        procs = processes_mentioning(daemon.state_dir)
        assert len(procs) == 1 + 3 * len(instances), (procs, instances)
        assert zombies_under(daemon.pid) == []
        assert all(pid_alive(c) for c in children(daemon.pid))
        # no workspace of a dead instance, no directory of a closed session left in the state dir
        assert sorted(os.listdir(os.path.join(daemon.state_dir, "instances"))) == sorted(i["id"] for i in instances)
        sessions_dir = os.path.join(daemon.state_dir, "sessions")
        assert not os.path.isdir(sessions_dir) or os.listdir(sessions_dir) == []

        rss, fds = rss_bytes(daemon.pid), open_fds(daemon.pid)
        # fds: the same per live instance; 2 more allowed for a connection the daemon has not
        # finished closing (a client's close races this read).
        assert fds - FDS_PER_INSTANCE * len(instances) <= fds0 - FDS_PER_INSTANCE * len(instances0) + 2, \
            (fds0, len(instances0), fds, len(instances))
        # RSS: 1,000+ requests and a dozen crashes must not leave a trend. The allocator keeps some
        # of what 20 concurrent connections and their buffers used (arenas are not given back), so
        # allow 16 MiB over the warmed-up figure; a leak per request or per instance exceeds that.
        assert rss <= rss0 + (16 << 20), "RSS %d KiB after, %d KiB after warm-up" % (rss >> 10, rss0 >> 10)
        print("\nsoak: %d requests in %.1f s, %d workers killed, replies %s; daemon RSS %d -> %d KiB, fds %d -> %d"
              % (tally.requests, took, len(kills), dict(tally.codes), rss0 >> 10, rss >> 10, fds0, fds))
        control.close()
    finally:
        code = daemon.terminate()
    assert code == 0, daemon.log_tail()
