#!/usr/bin/env python3
"""Render benchmarks, side by side in one run (bench/README.md).

views    5 views of examples/chair.py's chair, 480x270, Cycles 16 samples, per launcher:
         blenderd  a warm session (the chair built, one render done before timing) renders them
                   with render.views, streamed: each image reaches the client as a binary
                   attachment the moment it exists. Timed at the client: request to response
                   (end to end) and request to the first image's last byte.
         LL3M's way  the agent's Blender saves a packed .blend snapshot (script.exec in the same
                   session: pack_all + save_as_mainfile copy=True), then one cold process per view
                   opens it and renders that view to a PNG, one after another, as LL3M's
                   render step does (blender -b FILE --python; python -c "import bpy" + open_mainfile
                   for the module). The cold process renders with the worker's own code
                   (blenderd.methods.render.Renderer, same camera, same settings), so the two
                   sides do the same render work; only the process model differs.
         Rounds alternate the two sides; one untimed round of each first (page cache, Cycles'
         first-render set-up in the warm session).

forward  image bytes through the daemon to a client with binary delivery vs a raw socketpair
         copy of the same bytes. A client asks for 12 views of 1920x1080 white noise (EXR, about
         10 MB each) and reads nothing until the worker has written the last one: the daemon,
         with --max-queue-bytes 8 MiB, has queued what it may and keeps the rest as files in the
         workspace. Then the client reads, and is timed from its first read to the response: the
         daemon reads the waiting files (never following links), frames them and writes them,
         paced by the client. The raw reference: a child process writes the same bytes into a
         socketpair that the same reader loop drains. The inline variant (NDJSON, base64) is
         timed the same way; its rate counts image bytes, not base64 bytes, and the client only
         finds each line's end and reads the image's length (no JSON parse of 14 MB lines).

Prints `render key=value` lines, tables with ratios and the targets: views end to end >= 2x faster
than LL3M's way (per launcher); forward binary >= 1 GB/s and >= 0.3 of raw.
Exit status 0 when it ran (a missed target prints MISS), 2 on setup failure.
"""

import argparse
import json
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
COLD_VIEW = os.path.join(HERE, "cold_view.py")
REQUIREMENT = {"executable": "<4", "module": ">=4"}
VIEWS = {"views": 5, "resolution": [480, 270], "samples": 16, "engine": "CYCLES"}
NOISE = """import bpy
bpy.ops.mesh.primitive_cube_add(size=1)
world = bpy.data.worlds.new("noise")
world.use_nodes = True
bpy.context.scene.world = world
nodes = world.node_tree.nodes
noise = nodes.new("ShaderNodeTexWhiteNoise")
noise.noise_dimensions = "3D"
world.node_tree.links.new(nodes.new("ShaderNodeTexCoord").outputs["Generated"], noise.inputs["Vector"])
world.node_tree.links.new(noise.outputs["Color"], nodes["Background"].inputs["Color"])
"""
TARGET_SPEEDUP = 2.0
TARGET_GBPS = 1.0
TARGET_RAW_FRACTION = 0.3


def die(message):
    sys.stderr.write("render/bench.py: %s\n" % message)
    sys.exit(2)


def median(values):
    s = sorted(values)
    if not s:
        return float("nan")
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def line(**fields):
    def fmt(v):
        return ("%.3f" % v if v < 100 else "%.1f" % v) if isinstance(v, float) else str(v).replace(" ", "_")
    print("render " + " ".join("%s=%s" % (k, fmt(v)) for k, v in fields.items()), flush=True)


# --- a client for both framings, that can also leave the socket unread ---------------------------

class Client:
    def __init__(self, path, header=False):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.settimeout(600)
        self.sock.connect(path)
        self.header = header
        self.buf = bytearray()
        self.n = 0

    def send(self, method, **params):
        self.n += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method, "params": params}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body) if self.header else body + b"\n")
        return self.n

    def _fill(self):
        chunk = self.sock.recv(4 << 20)
        if not chunk:
            raise EOFError("the daemon closed the connection")
        self.buf += chunk

    def frame(self):
        """("json", message) or ("attachment", length); attachment bodies are skipped unkept."""
        if not self.header:
            return self._line()
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head = bytes(self.buf[:end]).decode()
        del self.buf[:end + 4]
        fields = dict(l.split(": ", 1) for l in head.split("\r\n"))
        length = int(fields["Content-Length"])
        if fields.get("Content-Type") == "application/octet-stream":
            taken = min(length, len(self.buf))
            del self.buf[:taken]
            rest = length - taken
            view = memoryview(bytearray(4 << 20))
            while rest:
                got = self.sock.recv_into(view, min(rest, len(view)))
                if not got:
                    raise EOFError("closed inside an attachment")
                rest -= got
            return "attachment", length, length + end + 4
        while len(self.buf) < length:
            self._fill()
        message = json.loads(bytes(self.buf[:length]))
        del self.buf[:length]
        return "json", message, length + end + 4

    def _line(self):
        """The next NDJSON message. A line over 1 MiB (an inline image) is not kept: only its
        first KiB, where the daemon writes the image's length before the base64, so the client
        costs what the raw reader costs (a scan for the newline), not a copy and a JSON parse of
        14 MB: the daemon is what is measured."""
        head = bytearray()
        length = 0
        if not hasattr(self, "raw"):
            self.raw = bytearray(4 << 20)
        while True:
            if self.buf:  # bytes read past the previous line
                source, count = self.buf, len(self.buf)
                self.buf = bytearray()
            else:
                count = self.sock.recv_into(self.raw)
                if not count:
                    raise EOFError("the daemon closed the connection")
                source = self.raw
            end = source.find(b"\n", 0, count)
            stop = end if end >= 0 else count
            if length + stop <= (1 << 20):
                head += source[:stop]
            elif len(head) < 1024:
                head += source[:1024 - len(head)]
            length += stop
            if end < 0:
                continue
            self.buf = bytearray(source[end + 1:count])
            if length > (1 << 20):
                at = head.find(b'"attachment":{"bytes":')
                return "inline", int(bytes(head[at + 22:at + 40]).split(b",")[0]), length + 1
            return "json", json.loads(bytes(head)), length + 1

    def call(self, method, **params):
        wanted = self.send(method, **params)
        while True:
            kind, message, _ = self.frame()
            if kind == "json" and message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, json.dumps(message["error"])[:2000]))
                return message["result"]


def start_daemon(blenderd, tmp, launchers, extra=()):
    return daemon_process.start_daemon(blenderd, tmp, launchers, ["--warm", "1", "--max-instances", "3", *extra],
                                       ready=1, die=die)


stop_daemon = daemon_process.stop_daemon


def workspace_of(client, session):
    for instance in client.call("instance.list")["instances"]:
        if instance.get("session") == session:
            return instance["workspace"]
    die("no instance for session %s" % session)


# --- views --------------------------------------------------------------------------------------

def warm_round(client, session):
    """render.views streamed (binary): (end to end s, first image s, images)."""
    start = time.perf_counter()
    wanted = client.send("render.views", session=session, delivery="binary", **VIEWS)
    first = None
    images = 0
    while True:
        kind, message, _ = client.frame()
        if kind == "attachment":
            images += 1
            if first is None:
                first = time.perf_counter() - start
        elif message.get("id") == wanted:
            if "error" in message:
                die("render.views: %s" % json.dumps(message["error"])[:2000])
            return time.perf_counter() - start, first, images


def cold_argv(launcher, exe, snapshot, out, index):
    if launcher == "executable":
        return [exe, "-b", "--factory-startup", "-noaudio", snapshot, "--python", COLD_VIEW, "--", REPO, out, str(index)]
    return [exe, COLD_VIEW, REPO, out, str(index), snapshot]


def cold_round(client, session, workspace, launcher, exe, tmp):
    """LL3M's way: snapshot, then a cold process per view: (end to end s, first image s)."""
    start = time.perf_counter()
    snapshot = os.path.join(workspace, "snapshot.blend")
    client.call("script.exec", session=session, code=(
        "import bpy\nbpy.ops.file.pack_all()\nbpy.ops.wm.save_as_mainfile(filepath=%r, copy=True)" % snapshot))
    out = tempfile.mkdtemp(dir=tmp)
    first = None
    for index in range(VIEWS["views"]):
        proc = subprocess.run(cold_argv(launcher, exe, snapshot, out, index), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0 or "RENDERED" not in text:
            die("cold render failed (exit %d):\n%s" % (proc.returncode, text[-3000:]))
        if first is None:
            first = time.perf_counter() - start
    elapsed = time.perf_counter() - start
    if len([f for f in os.listdir(out) if f.endswith(".png")]) != VIEWS["views"]:
        die("the cold renders wrote %s" % os.listdir(out))
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, first


def bench_views(blenderd, launchers, rounds, tmp):
    results = {}
    for launcher, exe in launchers.items():
        proc, sock = start_daemon(blenderd, tmp, {launcher: exe})
        try:
            client = Client(sock, header=True)
            opened = client.call("session.open", blender=REQUIREMENT[launcher], checkpoint="manual")
            session = opened["session"]
            with open(CHAIR) as f:
                client.call("script.exec", session=session, code=f.read(), timeout_s=120)
            workspace = workspace_of(client, session)
            warm_round(client, session)  # untimed: Cycles' first render in this process
            cold_round(client, session, workspace, launcher, exe, tmp)  # untimed: page cache
            warm, cold = [], []
            for _ in range(rounds):
                warm.append(warm_round(client, session))
                cold.append(cold_round(client, session, workspace, launcher, exe, tmp))
            results[launcher] = (opened["blender"], warm, cold)
            for w, c in zip(warm, cold):
                line(part="views", launcher=launcher, blenderd_s=w[0], blenderd_first_s=w[1], ll3m_s=c[0], ll3m_first_s=c[1])
        finally:
            stop_daemon(proc)
    return results


# --- forward ------------------------------------------------------------------------------------

def wait_rendered(workspace, count, ext, log):
    """Until the worker has written every view (the last file's size is stable)."""
    last = "view-%d.%s" % (count - 1, ext)
    deadline = time.monotonic() + 600
    size = -1
    while time.monotonic() < deadline:
        base = os.path.join(workspace, ".blenderd")
        for name in (os.listdir(base) if os.path.isdir(base) else []):
            path = os.path.join(base, name, last)
            if name.startswith("render-") and os.path.exists(path):
                now = os.path.getsize(path)
                if now == size and now > 0:
                    return
                size = now
        time.sleep(0.3)
    die("the views were not rendered within 600 s (the render failed?); daemon log:\n%s" % open(log).read()[-3000:])


def forward_round(sock, session_token, delivery, views, workspace, log):
    """(image bytes, wire bytes, seconds from the first read to the response)."""
    client = Client(sock, header=(delivery == "binary"))
    client.call("session.resume", session=session_token[0], token=session_token[1])
    wanted = client.send("render.views", session=session_token[0], views=views, resolution=[1920, 1080], samples=1,
                         format="EXR", delivery=delivery, timeout_s=600)
    wait_rendered(workspace, views, "exr", log)
    image_bytes = wire = 0
    start = time.perf_counter()
    while True:
        kind, message, size = client.frame()
        wire += size
        if kind in ("attachment", "inline"):
            image_bytes += message
        elif message.get("id") == wanted:
            if "error" in message:
                die("render.views: %s" % json.dumps(message["error"])[:2000])
            elapsed = time.perf_counter() - start
            client.sock.close()
            return image_bytes, wire, elapsed


def raw_round(total, chunk):
    """A child process writes `total` bytes (in `chunk`-sized buffers) into a socketpair that
    the parent drains with the same recv_into loop: (bytes, seconds)."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    parent.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    pid = os.fork()
    if pid == 0:
        parent.close()
        payload = os.urandom(chunk)
        sent = 0
        while sent < total:
            n = min(chunk, total - sent)
            child.sendall(payload[:n] if n < chunk else payload)
            sent += n
        child.close()
        os._exit(0)
    child.close()
    view = memoryview(bytearray(4 << 20))
    got = 0
    start = time.perf_counter()
    while True:
        n = parent.recv_into(view)
        if not n:
            break
        got += n
    elapsed = time.perf_counter() - start
    os.waitpid(pid, 0)
    parent.close()
    return got, elapsed


def bench_forward(blenderd, launcher, exe, rounds, views, tmp):
    proc, sock = start_daemon(blenderd, tmp, {launcher: exe}, extra=["--max-queue-bytes", str(8 << 20)])
    try:
        client = Client(sock)
        opened = client.call("session.open", blender=REQUIREMENT[launcher], checkpoint="manual")
        session = (opened["session"], opened["token"])
        client.call("script.exec", session=session[0], code=NOISE)
        workspace = workspace_of(client, session[0])
        client.sock.close()
        out = {"binary": [], "inline": [], "raw": []}
        for _ in range(rounds):
            for delivery in ("binary", "inline"):
                image_bytes, wire, seconds = forward_round(sock, session, delivery, views, workspace,
                                                           os.path.join(tmp, "blenderd.log"))
                out[delivery].append((image_bytes, wire, seconds))
                line(part="forward", delivery=delivery, image_bytes=image_bytes, wire_bytes=wire, seconds=seconds,
                     image_gbps=image_bytes / seconds / 1e9)
            # The same number of bytes, written by another process in image-sized buffers.
            total = out["binary"][-1][0]
            got, seconds = raw_round(total, total // views)
            out["raw"].append((got, got, seconds))
            line(part="forward", delivery="raw_socketpair", image_bytes=got, seconds=seconds, image_gbps=got / seconds / 1e9)
        return out
    finally:
        stop_daemon(proc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blenderd", required=True)
    parser.add_argument("--parts", default="views,forward")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forward-rounds", type=int, default=3)
    parser.add_argument("--forward-views", type=int, default=12)
    parser.add_argument("--launchers", default="executable,module")
    args = parser.parse_args()

    launchers = {}
    for name in args.launchers.split(","):
        path = shutil.which("blender") if name == "executable" else os.path.join(REPO, ".venv", "bin", "python")
        if path and os.access(path, os.X_OK):
            launchers[name] = path
        else:
            print("render part=views launcher=%s skip=not_installed" % name)
    if not launchers:
        die("no Blender launcher (scripts/bootstrap.sh installs both)")
    tmp = tempfile.mkdtemp(prefix="bd-render-", dir="/tmp")
    os.chmod(tmp, 0o700)
    print("load average before: %s" % open("/proc/loadavg").read().split()[:3])
    try:
        parts = args.parts.split(",")
        views = bench_views(args.blenderd, launchers, args.rounds, tmp) if "views" in parts else {}
        forward_launcher = "module" if "module" in launchers else next(iter(launchers))
        forward = (bench_forward(args.blenderd, forward_launcher, launchers[forward_launcher], args.forward_rounds,
                                 args.forward_views, tmp) if "forward" in parts else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("load average after: %s" % open("/proc/loadavg").read().split()[:3])

    if views:
        print("\n5 views of examples/chair.py, 480x270, Cycles 16 samples (median of %d rounds)" % args.rounds)
        print("| launcher | blenderd end to end | first image | LL3M's way end to end | first image | speed-up end to end | first image | target >= %.0fx |" % TARGET_SPEEDUP)
        print("|---|---|---|---|---|---|---|---|")
        for launcher, (blender, warm, cold) in views.items():
            w, wf = median([x[0] for x in warm]), median([x[1] for x in warm])
            c, cf = median([x[0] for x in cold]), median([x[1] for x in cold])
            print("| Blender %s (%s) | %.2f s | %.2f s | %.2f s | %.2f s | %.2fx | %.2fx | %s |" % (
                blender, launcher, w, wf, c, cf, c / w, cf / wf, "MET" if c / w >= TARGET_SPEEDUP else "MISS"))
    if forward:
        print("\nImage bytes through the daemon to one client (12 x 1920x1080 EXR, median of %d rounds)" % args.forward_rounds)
        raw = median([b / s for b, _, s in forward["raw"]])
        print("| delivery | image bytes | wire bytes | image GB/s | of raw socketpair | target |")
        print("|---|---|---|---|---|---|")
        for delivery in ("binary", "inline", "raw"):
            rate = median([b / s for b, _, s in forward[delivery]])
            target = ""
            if delivery == "binary":
                target = "MET" if rate / 1e9 >= TARGET_GBPS and rate / raw >= TARGET_RAW_FRACTION else "MISS"
                target += " (>= %.0f GB/s and >= %.1f of raw)" % (TARGET_GBPS, TARGET_RAW_FRACTION)
            b, w, _ = forward[delivery][-1]
            print("| %s | %d | %d | %.2f | %.2f | %s |" % (delivery if delivery != "raw" else "raw socketpair", b, w,
                                                           rate / 1e9, rate / raw, target))


if __name__ == "__main__":
    main()
