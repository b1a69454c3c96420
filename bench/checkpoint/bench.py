#!/usr/bin/env python3
"""Checkpoint benchmark: blenderd's scene.checkpoint / scene.restore on a warm, sandboxed
Blender vs what a pipeline without a resident Blender has to do for the same safety.

blenderd side, per launcher (Debian's Blender 3.4 executable, PyPI's bpy 4.4 module):
  session.open {checkpoint: manual}, examples/chair.py through script.exec, then
  N x scene.checkpoint (save)  and  N x scene.restore of the first checkpoint (restore),
  timed at the client (request to response over the daemon's Unix socket: the worker's save or
  load plus the daemon moving the file between the sandbox's workspace and the session dir).
  The worker's own duration_ms is reported beside it.

The competitor (LL3M's headless mode, blender-mcp driving a Blender it does not isolate): no
resident, sandboxed Blender that a crash cannot take the work with, so a safe step means state in
a .blend and a fresh process:
  save     a cold process opens the scene and writes it with bpy.ops.wm.save_as_mainfile
  restore  a new process opens the .blend (cold spawn + open), spawn to exit
  executable  blender -b --factory-startup FILE --python-expr ...
  module      <venv python> -c "import bpy; bpy.ops.wm.open_mainfile(...) ..."
The same chair .blend on both sides (a copy of blenderd's first checkpoint).

Prints `checkpoint key=value ...` lines, a table with ratios (competitor / blenderd at p50) and
the targets: save p50 <= 50 ms, restore p50 <= 50 ms per launcher (p99 shown, also checked).
Exit status 0 when it ran (a missed target prints MISS), 2 on setup failure.
"""

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import daemon_process  # noqa: E402  (bench/daemon_process.py)
CHAIR = os.path.join(REPO, "examples", "chair.py")
TARGET_MS = 50.0
REQUIREMENT = {"executable": "<4", "module": ">=4"}


def die(message):
    sys.stderr.write("checkpoint/bench.py: %s\n" % message)
    sys.exit(2)


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s), max(1, math.ceil(p / 100.0 * len(s)))) - 1]


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(300)
        self.sock.connect(path)
        self.f = self.sock.makefile("rwb")
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.f.write(json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method, "params": params}).encode() + b"\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if msg.get("id") == self.n:
                break
        if "error" in msg:
            raise RuntimeError("%s: %s" % (method, json.dumps(msg["error"])[:2000]))
        return msg["result"]


def start_daemon(blenderd, tmp, launchers, sandbox):
    """The daemon with two warm instances (one per launcher measured) and a client on it."""
    proc, sock = daemon_process.start_daemon(
        blenderd, tmp, launchers, ["--warm", "2", "--max-instances", "3", "--sandbox", sandbox],
        ready=min(2, len(launchers)), die=die)
    return proc, Client(sock)


def daemon_side(client, launcher, runs, state_dir, keep_copy):
    opened = client.call("session.open", blender=REQUIREMENT[launcher], checkpoint="manual")
    session = opened["session"]
    assert opened["kind"] == launcher, opened
    with open(CHAIR) as f:
        built = client.call("script.exec", session=session, code=f.read(), timeout_s=120)
    assert built.get("checkpoint") is None, "policy manual must not checkpoint: %r" % built.get("checkpoint")
    first = client.call("scene.checkpoint", session=session, label="chair")
    objects = len(client.call("scene.info", session=session, limit=1000)["objects"])
    shutil.copy(os.path.join(state_dir, "sessions", session, "checkpoints", first["id"] + ".blend"), keep_copy)
    save_ms, save_worker, restore_ms, restore_worker = [], [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        cp = client.call("scene.checkpoint", session=session)
        save_ms.append((time.perf_counter() - start) * 1000)
        save_worker.append(cp.get("duration_ms") or float("nan"))
    for _ in range(runs):
        start = time.perf_counter()
        res = client.call("scene.restore", session=session, checkpoint=first["id"])
        restore_ms.append((time.perf_counter() - start) * 1000)
        restore_worker.append(res.get("duration_ms") or float("nan"))
        if res.get("objects") not in (None, objects):
            die("restore gave %s objects, the chair has %d" % (res.get("objects"), objects))
    client.call("session.close", session=session)
    return {"blender": opened["blender"], "objects": objects, "bytes": first["bytes"],
            "save": save_ms, "save_worker": save_worker, "restore": restore_ms, "restore_worker": restore_worker}


def cold_argv(launcher, exe, blend, code):
    if launcher == "executable":
        return [exe, "-b", "--factory-startup", "-noaudio", blend, "--python-expr", code]
    return [exe, "-c", "import bpy\nbpy.ops.wm.open_mainfile(filepath=%r)\n%s" % (blend, code)]


def cold_once(argv, check):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    ms = (time.perf_counter() - start) * 1000
    out = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or not check(out):
        die("cold run failed (exit %d): %s\n%s" % (proc.returncode, " ".join(argv[:4]), out[-2000:]))
    return ms


def cold_side(launcher, exe, blend, objects, runs, tmp):
    out = os.path.join(tmp, "cold-%s-out.blend" % launcher)
    save_code = ("import bpy\nbpy.ops.wm.save_as_mainfile(filepath=%r, copy=True)\nprint('saved objects:', len(bpy.data.objects))"
                 % out)
    open_code = "import bpy\nprint('opened objects:', len(bpy.data.objects))"
    save, restore = [], []
    expect_save, expect_open = "saved objects: %d" % objects, "opened objects: %d" % objects
    cold_once(cold_argv(launcher, exe, blend, open_code), lambda o: expect_open in o)  # untimed: page cache
    for _ in range(runs):
        if os.path.exists(out):
            os.remove(out)
        save.append(cold_once(cold_argv(launcher, exe, blend, save_code), lambda o: expect_save in o and os.path.exists(out)))
        restore.append(cold_once(cold_argv(launcher, exe, out, open_code), lambda o: expect_open in o))
    return {"save": save, "restore": restore}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blenderd", required=True)
    parser.add_argument("-n", "--runs", type=int, default=30, help="saves and restores per launcher (default 30)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold saves and opens per launcher (default 5)")
    parser.add_argument("--launchers", default="executable,module")
    parser.add_argument("--sandbox", default="strict")
    parser.add_argument("--blender", default=shutil.which("blender") or "/usr/bin/blender")
    parser.add_argument("--bpy-python", default=os.path.join(REPO, ".venv", "bin", "python"))
    args = parser.parse_args()

    launchers = {}
    for name in args.launchers.split(","):
        exe = args.blender if name == "executable" else args.bpy_python
        if exe and os.path.exists(exe):
            launchers[name] = exe
        else:
            print("checkpoint launcher=%s skip=not_available" % name)
    if not launchers:
        die("no launcher available")
    tmp = tempfile.mkdtemp(prefix="bd-ckpt-", dir="/tmp")
    proc = None
    try:
        proc, client = start_daemon(args.blenderd, tmp, launchers, args.sandbox)
        tier = client.call("daemon.info")["sandbox"]["tier"]
        results = {}
        for name in launchers:
            results[name] = daemon_side(client, name, args.runs, os.path.join(tmp, "state"),
                                        os.path.join(tmp, "chair-%s.blend" % name))
        client.sock.close()
        for name, exe in launchers.items():
            results[name]["cold"] = cold_side(name, exe, os.path.join(tmp, "chair-%s.blend" % name),
                                              results[name]["objects"], args.cold_runs, tmp)
    finally:
        if proc is not None:
            daemon_process.stop_daemon(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    rows, misses = [], 0
    print("")
    print("checkpoint benchmark: examples/chair.py scene, %d saves + %d restores per launcher through blenderd "
          "(sandbox %s) vs %d cold saves + opens" % (args.runs, args.runs, tier, args.cold_runs))
    header = "%-10s %-6s %6s %9s  %-7s %21s %15s %17s %8s  %s" % (
        "launcher", "blender", "objs", "bytes", "op", "blenderd p50/p99 ms", "worker p50 ms", "cold p50/max ms",
        "ratio", "target (p50 and p99 <= 50 ms)")
    print(header)
    for name, r in results.items():
        for op in ("save", "restore"):
            p50, p99 = percentile(r[op], 50), percentile(r[op], 99)
            w50 = percentile(r[op + "_worker"], 50)
            c50, cmax = percentile(r["cold"][op], 50), max(r["cold"][op])
            ratio = c50 / p50
            ok = p50 <= TARGET_MS and p99 <= TARGET_MS
            misses += 0 if ok else 1
            verdict = "MET" if ok else "MISS (p50 %.1f, p99 %.1f ms)" % (p50, p99)
            print("%-10s %-6s %6d %9d  %-7s %21s %15.1f %17s %7.0fx  %s" % (
                name, r["blender"], r["objects"], r["bytes"], op, "%.1f/%.1f" % (p50, p99),
                w50, "%.0f/%.0f" % (c50, cmax), ratio, verdict))
            rows.append("checkpoint launcher=%s op=%s blender=%s objects=%d bytes=%d n=%d p50_ms=%.2f p99_ms=%.2f "
                        "worker_p50_ms=%.2f cold_n=%d cold_p50_ms=%.0f ratio=%.0f target=%s"
                        % (name, op, r["blender"], r["objects"], r["bytes"], len(r[op]), p50, p99, w50,
                           len(r["cold"][op]), c50, ratio, "MET" if ok else "MISS"))
    print("")
    for row in rows:
        print(row)
    print("targets: %s" % ("MET (save and restore p50/p99 <= 50 ms on every launcher)" if not misses
                           else "MISS (%d of %d)" % (misses, len(rows))))


if __name__ == "__main__":
    main()
