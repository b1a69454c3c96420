#!/usr/bin/env python3
"""An LL3M-style session against a running blenderd, with no LLM: the steps an agent would take.

    create a chair -> a refinement written for an older Blender API fails -> the error, the
    offending line and the daemon's hints are printed -> the corrected step runs -> checkpoints ->
    scene.info

usage: demo.py SOCKET   (stdlib only; scripts/demo.sh starts the daemon and runs this)
"""

import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Client:
    """Newline-delimited JSON-RPC 2.0 over the daemon's Unix socket, one call at a time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.stream = self.sock.makefile("rwb")
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.stream.write(json.dumps(message).encode() + b"\n")
        self.stream.flush()
        reply = json.loads(self.stream.readline())
        if "error" in reply:
            raise RPCError(reply["error"])
        return reply["result"]


class RPCError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.data = error.get("data") or {}


def step(title):
    print("\n== " + title)


def run_file(client, session, name):
    with open(os.path.join(HERE, name)) as handle:
        code = handle.read()
    started = time.perf_counter()
    try:
        result = client.call("script.exec", session=session, code=code)
    except RPCError as error:
        return code, None, error, (time.perf_counter() - started) * 1000
    return code, result, None, (time.perf_counter() - started) * 1000


def summarize_changes(changes):
    parts = []
    for kind, delta in sorted(changes.items()):
        for what in ("added", "removed", "modified"):
            if delta.get(what):
                parts.append("%s %s %d" % (kind, what, len(delta[what])))
    return ", ".join(parts) or "none"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    client = Client(sys.argv[1])
    info = client.call("daemon.info")
    print("blenderd %s, %d instance(s) in the pool" % (info["version"], info["instances"]))

    step("session.open {blender: '>=4.2'}  (LL3M used Blender 4.4)")
    started = time.perf_counter()
    opened = client.call("session.open", blender=">=4.2")
    session = opened["session"]
    print("session %s on instance %s: Blender %s (%s), %.0f ms"
          % (session, opened["instance"], opened["blender"], opened["kind"], (time.perf_counter() - started) * 1000))

    step("script.exec examples/chair.py")
    _, result, error, ms = run_file(client, session, "chair.py")
    if error:
        sys.exit("chair.py failed: %s %s" % (error, json.dumps(error.data, indent=1)[:2000]))
    print("ok in %.1f ms (Blender %.1f ms); changes: %s" % (ms, result["duration_ms"], summarize_changes(result["changes"])))
    if result.get("value") is not None:
        print("result = %s" % json.dumps(result["value"])[:300])

    step("script.exec examples/chair_refine_old_api.py  (written against the Blender 3.x API)")
    code, result, error, ms = run_file(client, session, "chair_refine_old_api.py")
    if error is None:
        sys.exit("expected the old-API step to fail on Blender 4.x")
    data = error.data
    print("error %d %s: %s: %s" % (error.code, error, data.get("type"), data.get("message")))
    line = data.get("line")
    if line:
        print("line %d: %s" % (line, code.splitlines()[line - 1].strip()))
    for hint in data.get("hints", [])[:3]:
        print("hint: " + hint[:200])
    if data.get("restored_checkpoint"):
        print("the half-done step was rolled back to checkpoint %s" % data["restored_checkpoint"])

    step("script.exec examples/chair_refine_fixed.py  (the agent's corrected step)")
    _, result, error, ms = run_file(client, session, "chair_refine_fixed.py")
    if error:
        sys.exit("the fixed step failed: %s %s" % (error, json.dumps(error.data)[:2000]))
    print("ok in %.1f ms; changes: %s; checkpoint %s" % (ms, summarize_changes(result["changes"]), result.get("checkpoint")))

    step("scene.checkpoints  (one after every successful step; a crash or timeout restores the last)")
    listed = client.call("scene.checkpoints", session=session)
    for checkpoint in listed["checkpoints"]:
        print("%-4s %-6s %8d bytes  saved in %.1f ms  after exec %d%s" % (
            checkpoint["id"], "auto" if checkpoint["auto"] else "manual", checkpoint["bytes"],
            checkpoint.get("duration_ms") or 0, checkpoint["exec"], "   <- current" if checkpoint["id"] == listed["current"] else ""))

    step("scene.info")
    scene = client.call("scene.info", session=session)
    print("%d objects" % scene["total"])
    print("%-22s %-8s %9s %9s  %s" % ("name", "type", "vertices", "faces", "materials"))
    for obj in scene["objects"]:
        print("%-22s %-8s %9s %9s  %s" % (obj["name"][:22], obj["type"], obj.get("vertices", ""), obj.get("faces", ""),
                                         ", ".join(obj.get("materials") or [])))

    client.call("session.close", session=session)
    print("\nsession closed; its Blender process is replaced by a fresh one (nothing a script left behind reaches the next session)")


if __name__ == "__main__":
    main()
