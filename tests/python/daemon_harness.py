"""Start a real `blenderd` and talk to it: the daemon-level tests (sandbox
escapes, fault soak, restart) share this.

- `blenderd_binary()` finds the executable: $BLENDERD_BIN, else
  `.build/debug/blenderd` (what scripts/test.sh builds with `swift build`).
  `blenderctl_binary()`: $BLENDERCTL_BIN, else the blenderctl beside it.
- `Daemon` runs one on its own socket and state dir in a test's temporary
  directory, with the real launchers (Debian's Blender 3.4 and bpy 4.4 from
  `.venv`), stderr to a log file, in its own process group.
- `Client` is a stdlib JSON-RPC 2.0 client over NDJSON (one JSON object per
  line; protocol/README.md). One connection per thread.
- /proc helpers: the processes that belong to a daemon (found by its state dir
  in their command lines), zombies, RSS, open fds.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDON = os.path.join(REPO, "addon")

# Error codes (protocol/README.md, "Errors").
UNKNOWN_SESSION = -32001
NO_INSTANCE = -32002
SANDBOX_VIOLATION = -32003
TIMEOUT = -32004
CRASHED = -32005
CANCELLED = -32006
SCRIPT_ERROR = -32010
OVERLOADED = -32029
INVALID_PARAMS = -32602

# session.open requirements that pick a launcher: Debian's executable is
# Blender 3.4, the bpy module 4.4.
LAUNCHER_REQUIREMENT = {"executable": "<4", "module": ">=4"}


def have_launcher(launcher):
    """The Blender for "executable" or "module" if this machine has it, else None."""
    return blender_executable() if launcher == "executable" else bpy_python()


def animated_scene(last_frame, travel):
    """Blender Python for a scene farm jobs can render: a cube sliding along X from -travel to
    +travel over frames 1..last_frame before a fixed scene camera, lit by a sun, so frames differ."""
    return """
import bpy
s = bpy.context.scene
s.frame_start, s.frame_end = 1, %(last)d
bpy.ops.mesh.primitive_cube_add(size=1.5, location=(-%(travel)s, 0, 0))
cube = bpy.context.object
cube.keyframe_insert('location', frame=1)
cube.location = (%(travel)s, 0, 0)
cube.keyframe_insert('location', frame=%(last)d)
cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
cam.location = (0, -10, 0); cam.rotation_euler = (1.5708, 0, 0)
s.collection.objects.link(cam)
s.camera = cam
sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
sun.rotation_euler = (0.6, 0.2, 0.3)
s.collection.objects.link(sun)
""" % {"last": last_frame, "travel": travel}


def blenderd_binary():
    return os.environ.get("BLENDERD_BIN") or os.path.join(REPO, ".build", "debug", "blenderd")


def blenderctl_binary():
    """$BLENDERCTL_BIN, else the blenderctl built beside the blenderd in use."""
    return os.environ.get("BLENDERCTL_BIN") or os.path.join(os.path.dirname(blenderd_binary()), "blenderctl")


def missing_reason():
    """Why a daemon-level test cannot run here, or None."""
    exe = blenderd_binary()
    if not os.access(exe, os.X_OK):
        return ("blenderd not built: %s is missing (run `swift build`, which scripts/test.sh does, "
                "or set BLENDERD_BIN to a built blenderd)" % exe)
    if not os.path.exists("/usr/bin/blender") and not os.path.exists(bpy_python() or ""):
        return "no Blender: neither /usr/bin/blender nor .venv/bin/python (bpy)"
    return None


def blender_executable():
    path = os.environ.get("BLENDERD_TEST_BLENDER") or "/usr/bin/blender"
    return path if os.path.exists(path) else None


def bpy_python():
    path = os.environ.get("BLENDERD_TEST_BPY_PYTHON") or os.path.join(REPO, ".venv", "bin", "python")
    return path if os.path.exists(path) else None


class RpcError(Exception):
    def __init__(self, error):
        super().__init__("%s %s %s" % (error.get("code"), error.get("message"), json.dumps(error.get("data"))[:2000]))
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data") or {}


class Client:
    """One NDJSON connection. `call` returns the result or raises RpcError;
    `request` returns the whole response object. Not for sharing across threads."""

    def __init__(self, path, timeout=120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self.next_id = 0
        self.stray = []  # messages that were not the response awaited (notifications, other ids)

    def send(self, method, params=None, id=None):
        if id is None:
            self.next_id += 1
            id = self.next_id
        msg = {"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}}
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        return id

    def read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("the daemon closed the connection")
        return json.loads(line)

    def request(self, method, params=None, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        id = self.send(method, params)
        while True:
            msg = self.read()
            if msg.get("id") == id and ("result" in msg or "error" in msg):
                return msg
            self.stray.append(msg)

    def call(self, method, timeout=None, **params):
        msg = self.request(method, params, timeout=timeout)
        if "error" in msg:
            raise RpcError(msg["error"])
        return msg["result"]

    def pending(self, wait=0.3):
        """Whatever arrives within `wait` seconds with nothing asked (stray replies)."""
        self.sock.settimeout(wait)
        got = []
        try:
            while True:
                line = self.file.readline()
                if not line:
                    break
                got.append(json.loads(line))
        except (socket.timeout, TimeoutError, OSError):
            pass
        return got

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Daemon:
    """A blenderd child on `socket_path` with `state_dir`. `env` adds to (or,
    with value None, removes from) the test's environment."""

    def __init__(self, base, socket_path=None, state_dir=None, warm=1, max_instances=2, sandbox="strict",
                 extra_args=(), env=None, launchers=("executable", "module"), log_name="blenderd.log"):
        self.base = str(base)
        os.makedirs(self.base, exist_ok=True)
        self.socket_path = socket_path or os.path.join(self.base, "sock", "blenderd.sock")
        self.state_dir = state_dir or os.path.join(self.base, "state")
        self.log_path = os.path.join(self.base, log_name)
        args = [blenderd_binary(), "--socket", self.socket_path, "--state-dir", self.state_dir,
                "--warm", str(warm), "--max-instances", str(max_instances), "--sandbox", sandbox,
                "--addon", ADDON, "--log-level", os.environ.get("BLENDERD_TEST_LOG_LEVEL", "info")]
        exe, python = blender_executable(), bpy_python()
        if "executable" in launchers and exe:
            args += ["--blender", exe]
        else:
            args += ["--no-blender"]
        if "module" in launchers and python:
            args += ["--bpy-python", python]
        args += list(extra_args)
        self.args = args
        full_env = dict(os.environ)
        full_env.pop("BLENDERD_SOCKET", None)
        full_env.pop("BLENDERD_BPY_PYTHON", None)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        self.env = full_env
        self.proc = None
        self.start()

    def start(self, timeout=30):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, env=self.env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("blenderd exited with %s at start-up; log:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                with Client(self.socket_path, timeout=5) as c:
                    c.call("daemon.ping")
                return
            except (OSError, ConnectionError, ValueError):
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("blenderd did not answer on %s within %d s; log:\n%s" % (self.socket_path, timeout, self.log_tail()))

    @property
    def pid(self):
        return self.proc.pid

    def client(self, timeout=120):
        return Client(self.socket_path, timeout=timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, count, timeout=60, client=None):
        """Until instance.list shows at least `count` instances in state ready."""
        own = client is None
        client = client or self.client()
        try:
            deadline = time.monotonic() + timeout
            while True:
                instances = client.call("instance.list")["instances"]
                if sum(1 for i in instances if i["state"] == "ready") >= count:
                    return instances
                if time.monotonic() > deadline:
                    raise AssertionError("instances not ready after %d s: %s\nlog:\n%s"
                                         % (timeout, [(i["id"], i["state"]) for i in instances], self.log_tail()))
                time.sleep(0.1)
        finally:
            if own:
                client.close()

    def log_tail(self, chars=6000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-chars:]
        except OSError:
            return "(no log)"

    def terminate(self, timeout=20):
        """SIGTERM and wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            self.log.close()
        except Exception:
            pass

    stop = terminate


# -- /proc ---------------------------------------------------------------------------

def _read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def cmdline(pid):
    raw = _read("/proc/%d/cmdline" % pid, "rb")
    return raw.split(b"\0") if raw else []


def processes_mentioning(text):
    """Host pids (not zombies) whose command line contains `text` (a daemon's
    state dir: every bwrap, prlimit and worker of that daemon names its workspace)."""
    needle = text.encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        raw = _read("/proc/%s/cmdline" % name, "rb")
        if raw and needle in raw and state(int(name)) not in (None, "Z"):
            found.append(int(name))
    return found


def stat_fields(pid):
    text = _read("/proc/%d/stat" % pid)
    if not text:
        return None
    # comm is parenthesised and may contain spaces: split after the last ')'
    return text[text.rindex(")") + 2:].split()


def state(pid):
    fields = stat_fields(pid)
    return fields[0] if fields else None


def ppid(pid):
    fields = stat_fields(pid)
    return int(fields[1]) if fields else None


def children(pid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit() and ppid(int(name)) == pid:
            out.append(int(name))
    return out


def zombies_under(pid):
    return [c for c in children(pid) if state(c) == "Z"]


def rss_bytes(pid):
    for line in (_read("/proc/%d/status" % pid) or "").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def process_count():
    return sum(1 for name in os.listdir("/proc") if name.isdigit())


def pid_alive(pid):
    st = state(pid)
    return st is not None and st != "Z"


def status_field(pid, field):
    for line in (_read("/proc/%d/status" % pid) or "").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


# -- latency probe -------------------------------------------------------------------

class Pinger:
    """`with Pinger(daemon) as p:` pings daemon.ping in a loop on its own
    connection while the body runs; p.latencies_ms, p.p99(), p.errors."""

    def __init__(self, daemon, interval=0.005):
        self.daemon = daemon
        self.interval = interval
        self.latencies_ms = []
        self.errors = []
        self._stop = threading.Event()
        self._ready = threading.Event()

    def _run(self):
        try:
            client = self.daemon.client(timeout=10)
            client.call("daemon.ping")  # connection set-up is not what is measured
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on
            self.errors.append(repr(exc))
            self._ready.set()
            return
        self._ready.set()
        with client:
            while not self._stop.is_set():
                start = time.perf_counter()
                try:
                    client.call("daemon.ping")
                except Exception as exc:  # noqa: BLE001 - recorded and asserted on
                    self.errors.append(repr(exc))
                    return
                self.latencies_ms.append((time.perf_counter() - start) * 1000)
                self._stop.wait(self.interval)

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, name="pinger", daemon=True)
        self.thread.start()
        self._ready.wait(15)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(15)
        return False

    def percentile(self, q):
        values = sorted(self.latencies_ms)
        if not values:
            return None
        return values[min(len(values) - 1, int(q * len(values)))]

    def p99(self):
        return self.percentile(0.99)

    def summary(self):
        return "%d pings, p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
            len(self.latencies_ms), self.percentile(0.5) or 0, self.p99() or 0, max(self.latencies_ms or [0]))
