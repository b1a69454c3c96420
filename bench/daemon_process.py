"""A blenderd for a benchmark to talk to (bench/checkpoint, bench/render): started on a socket
in the run's temporary directory with the launchers the bench measures, waited for until enough
instances are ready, stopped with its whole process group (its sandboxed Blenders) afterwards.
Stdlib only; `die(message)` is the calling bench's way of giving up (it names the bench)."""

import json
import os
import signal
import socket
import subprocess
import time


def start_daemon(blenderd, tmp, launchers, args, ready, die, timeout=60):
    """(process, socket path) of a blenderd with `args` added, once `ready` instances are ready.
    `launchers`: {"executable": path, "module": python} (either or both)."""
    sock = os.path.join(tmp, "bd.sock")
    argv = [blenderd, "--socket", sock, "--state-dir", os.path.join(tmp, "state"), "--log-level", "warning", *args]
    argv += ["--blender", launchers["executable"]] if "executable" in launchers else ["--no-blender"]
    if "module" in launchers:
        argv += ["--bpy-python", launchers["module"]]
    log_path = os.path.join(tmp, "blenderd.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def log_tail():
        with open(log_path, "rb") as handle:
            return handle.read()[-3000:].decode("utf-8", "replace")

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            die("blenderd exited (%s); log:\n%s" % (proc.returncode, log_tail()))
        if _ready_instances(sock) >= ready:
            return proc, sock
        time.sleep(0.2)
    stop_daemon(proc)
    die("blenderd not ready within %d s; log:\n%s" % (timeout, log_tail()))


def stop_daemon(proc):
    """SIGTERM to the daemon's process group (it stops its instances), SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ready_instances(sock):
    """How many instances instance.list calls ready; 0 while the socket does not answer yet."""
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(10)
            conn.connect(sock)
            conn.sendall(b'{"jsonrpc":"2.0","id":1,"method":"instance.list"}\n')
            reply = json.loads(conn.makefile("rb").readline())
    except (OSError, ValueError):
        return 0
    instances = (reply.get("result") or {}).get("instances", [])
    return sum(1 for i in instances if i.get("state") == "ready")
