#!/usr/bin/env python3
"""An LL3M-style session against a running blenderd, with no LLM: the steps an agent would take.

    create a chair -> a refinement written for an older Blender API fails -> the error, the
    offending line and the daemon's hints are printed -> the corrected step runs -> checkpoints ->
    scene.info -> 5 views rendered and streamed back (the critic's input) -> a .glb export

usage: demo.py SOCKET [OUTDIR]   (stdlib only; scripts/demo.sh starts the daemon and runs this;
                                  the views and the .glb go to OUTDIR, default ./out/demo)
"""

import base64
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

    def call(self, method, on_notification=None, **params):
        """The result of `method`; notifications the daemon sends meanwhile (render.progress,
        render.image) go to `on_notification(method, params)`."""
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.stream.write(json.dumps(message).encode() + b"\n")
        self.stream.flush()
        while True:
            reply = json.loads(self.stream.readline())
            if "id" in reply:
                break
            if on_notification is not None:
                on_notification(reply.get("method"), reply.get("params") or {})
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
    if len(sys.argv) not in (2, 3):
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

    out_dir = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join("out", "demo"))
    os.makedirs(out_dir, exist_ok=True)
    render_views(client, session, out_dir)
    export_glb(client, session, out_dir)

    client.call("session.close", session=session)
    print("\nsession closed; its Blender process is replaced by a fresh one (nothing a script left behind reaches the next session)")


def render_views(client, session, out_dir):
    step("render.views: 5 orbit views, 480x270, Cycles 16 samples, each streamed back as it finishes")
    started = time.perf_counter()

    def on_notification(method, params):
        if method != "render.image":
            return  # render.progress: at least once a second per view; one line per view is enough here
        path = os.path.join(out_dir, "view-%d.png" % params["index"])
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(params["attachment"]["base64"]))
        print("view %d/%d  %dx%d  %6.1f KB  rendered in %5.0f ms  at %5.2f s  -> %s" % (
            params["view"], params["views"], params["width"], params["height"], params["bytes"] / 1024,
            params["duration_ms"], time.perf_counter() - started, path))

    result = client.call("render.views", on_notification, session=session, views=5, resolution=[480, 270],
                         samples=16, engine="CYCLES")
    print("%d views in %.2f s (first image after %.2f s), engine %s on %s%s" % (
        len(result["images"]), time.perf_counter() - started, (result.get("first_image_ms") or 0) / 1000,
        result["engine"], result["device"], "; " + "; ".join(result["notes"]) if result["notes"] else ""))


def export_glb(client, session, out_dir):
    step("scene.export glb")
    started = time.perf_counter()
    result = client.call("scene.export", session=session, format="glb")
    path = os.path.join(out_dir, "chair.glb")
    with open(path, "wb") as handle:
        handle.write(base64.b64decode(result["attachment"]["base64"]))
    print("%s: %d objects, %.1f KB, %s, exported in %.0f ms (%.0f ms round trip)" % (
        path, result["objects"], result["bytes"] / 1024, result["operator"], result["duration_ms"],
        (time.perf_counter() - started) * 1000))


if __name__ == "__main__":
    main()
