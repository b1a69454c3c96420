"""Test harness: spawn a real worker the way the daemon does (socketpair end
as fd 3, new session) and talk to it with the add-on's own Channel.

Launchers:
  executable  `blender -b --factory-startup ... --python addon/blenderd/worker_main.py -- --fd 3`
  module      `<python with bpy> -m blenderd.worker --fd 3`, PYTHONPATH=addon
Override the binaries with BLENDERD_TEST_BLENDER / BLENDERD_TEST_BPY_PYTHON.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from blenderd.rpc import Channel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDON = os.path.join(REPO, "addon")
WORKER_MAIN = os.path.join(ADDON, "blenderd", "worker_main.py")
READY_TIMEOUT = 90  # a cold first start on a loaded 2-core CI machine


def blender_executable():
    return os.environ.get("BLENDERD_TEST_BLENDER") or shutil.which("blender")


def bpy_python():
    path = os.environ.get("BLENDERD_TEST_BPY_PYTHON") or os.path.join(REPO, ".venv", "bin", "python")
    return path if os.path.exists(path) else None


def availability(launcher):
    """(argv, env) to start the worker, or (None, reason it cannot run here)."""
    env = dict(os.environ)
    if launcher == "executable":
        exe = blender_executable()
        if not exe:
            return None, "no Blender executable (install Debian's `blender` or set BLENDERD_TEST_BLENDER)"
        argv = [exe, "-b", "--factory-startup", "-noaudio", "-Y", "--python-exit-code", "1",
                "--python", WORKER_MAIN, "--", "--fd", "3"]
        return (argv, env), None
    python = bpy_python()
    if not python:
        return None, "no Python with bpy (.venv/bin/python missing; set BLENDERD_TEST_BPY_PYTHON)"
    probe = subprocess.run([python, "-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('bpy') is None)"],
                           capture_output=True)
    if probe.returncode != 0:
        return None, "%s cannot import bpy (pip install bpy)" % python
    env["PYTHONPATH"] = ADDON + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return ([python, "-m", "blenderd.worker", "--fd", "3"], env), None


# What the daemon passes as read_only (Sources/Sandbox/SandboxPolicy.swift,
# systemPaths + workerPaths): the system, the add-on and the venv. The worker adds
# its own runtime (Python's prefixes, Blender's resources) itself.
SYSTEM_PATHS = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
    "/etc/fonts", "/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
    "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/mtab",
    "/etc/OpenCL", "/etc/glvnd", "/etc/vulkan",
]


def sandbox_policy(workspace, tier="standard", writable=(), network=False):
    """A --sandbox policy like the daemon's for a worker whose session directory is `workspace`."""
    read_only = SYSTEM_PATHS + [ADDON, os.path.join(REPO, ".venv")]
    return {"tier": tier, "workspace": str(workspace), "read_only": read_only,
            "writable": [str(w) for w in writable], "network": network}


class Worker:
    def __init__(self, launcher, sandbox=None, extra_args=(), cpus=None):
        """`sandbox`: a policy dict passed as --sandbox JSON (None: trusted);
        `extra_args` are appended verbatim (a malformed --sandbox, say);
        `cpus`: the CPU numbers it runs on, set before exec as blenderd
        --instance-cpus does with taskset (None: wherever the scheduler puts it)."""
        spec, reason = availability(launcher)
        if spec is None:
            raise LookupError(reason)
        argv, env = spec
        if sandbox is not None:
            argv = argv + ["--sandbox", json.dumps(sandbox)]
        argv = argv + list(extra_args)
        self.launcher = launcher
        parent, child = socket.socketpair()
        child_fd = child.fileno()

        def as_fd3():  # runs in the child between fork and exec
            os.dup2(child_fd, 3)
            if cpus:
                os.sched_setaffinity(0, cpus)

        # a file, not a pipe: nobody drains a pipe, and a full one would hang Blender
        self.log = tempfile.TemporaryFile()
        started = time.monotonic()
        # pass_fds=(3,): close_fds runs after preexec_fn and must keep fd 3
        self.proc = subprocess.Popen(argv, env=env, preexec_fn=as_fd3, pass_fds=(3,),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        child.close()
        self.channel = Channel(parent)
        msg = self.channel.read(timeout=READY_TIMEOUT)
        self.spawn_ms = (time.monotonic() - started) * 1000
        if msg is None or msg.method != "worker.ready":
            self.kill()
            raise RuntimeError("worker did not send worker.ready (got %r); output:\n%s" % (msg, self.output()))
        self.ready = msg.params

    def call(self, method, timeout=120, **params):
        return self.channel.request(method, params, timeout=timeout)

    def exec(self, code, **params):
        return self.call("script.exec", code=code, **params)

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def interrupt(self):
        os.kill(self.proc.pid, signal.SIGINT)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.channel.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("worker.shutdown", timeout=30)
                self.proc.wait(30)
            except Exception:
                pass
        self.kill()
