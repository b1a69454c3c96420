"""Landlock through ctypes, without Blender: a child Python restricts itself with
the worker's rule set and then tries what a script might. Skipped where the
kernel has no Landlock (the worker reports that instead of failing)."""

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from blenderd.sandbox import landlock

from conftest import ADDON

try:
    ABI, WHY = landlock.abi_version(), ""
except OSError as exc:
    ABI, WHY = None, "no Landlock here: %s" % exc


CHILD = r'''
import errno, json, os, socket, sys, threading
sys.path.insert(0, ADDON)
from blenderd.sandbox import confine
from blenderd.sandbox.config import SandboxConfig

cfg = SandboxConfig("standard", WS, read_only=["/usr", "/lib", "/lib64", "/etc/ld.so.cache"], writable=[])
runtime = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)] + [ADDON]
layer = confine.apply_landlock(cfg, runtime_paths=runtime)
out = {"layer": layer}

def attempt(name, fn):
    try:
        out[name] = ["ok", fn()]
    except OSError as exc:
        out[name] = [errno.errorcode.get(exc.errno, str(exc.errno))]

def write(path):
    with open(path, "w") as f:
        f.write("x")

attempt("write inside", lambda: write(os.path.join(WS, "in.txt")))
attempt("write outside", lambda: write(os.path.join(HOME, "out.txt")))
attempt("read secret", lambda: open(os.path.join(HOME, "secret")).read())
attempt("read /usr", lambda: len(os.listdir("/usr/lib")) > 0)
attempt("read own /proc", lambda: len(open("/proc/self/status").read()) > 0)
attempt("read parent environ", lambda: open("/proc/%d/environ" % os.getppid(), "rb").read()[:0])
attempt("read meminfo", lambda: len(open("/proc/meminfo").read()) > 0)
attempt("cpu count", lambda: os.cpu_count())
attempt("dev null", lambda: write("/dev/null"))
attempt("tcp connect", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=5).close())
attempt("kill parent", lambda: os.kill(os.getppid(), SIG))
attempt("kill self", lambda: os.kill(os.getpid(), 0))
result = {}
t = threading.Thread(target=lambda: result.setdefault("thread", os.path.exists(os.path.join(HOME, "secret")) and
                                                   _try(lambda: open(os.path.join(HOME, "secret")).read())))
def _try(fn):
    try:
        fn(); return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno)
t.start(); t.join()
out["read secret from a new thread"] = [result["thread"]]
print(json.dumps(out))
'''


@pytest.mark.skipif(ABI is None, reason=WHY)
def test_landlock_restricts_a_process(tmp_path):
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    home.mkdir()
    (home / "secret").write_text("s3cret")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    got = []
    old = signal.signal(signal.SIGUSR1, lambda *a: got.append("signal"))
    try:
        code = ("ADDON, WS, HOME, PORT, SIG = %r, %r, %r, %d, %d\n"
                % (ADDON, str(ws), str(home), listener.getsockname()[1], signal.SIGUSR1) + CHILD)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        with pytest.raises(socket.timeout):
            listener.accept()  # the listener got nothing
    finally:
        signal.signal(signal.SIGUSR1, old)
        listener.close()
    layer = out.pop("layer")
    assert layer["status"] == "applied" and layer["abi"] == ABI, layer
    assert "ABI %d" % ABI in layer["detail"]
    assert out["write inside"][0] == "ok" and (ws / "in.txt").read_text() == "x"
    assert out["write outside"] == ["EACCES"] and not (home / "out.txt").exists()
    assert out["read secret"] == ["EACCES"]
    assert out["read secret from a new thread"] == ["EACCES"]  # threads started later inherit it
    assert out["read /usr"][0] == "ok" and out["read own /proc"][0] == "ok" and out["read meminfo"][0] == "ok"
    assert out["read parent environ"] == ["EACCES"]
    assert out["cpu count"][1] and out["dev null"][0] == "ok" and out["kill self"][0] == "ok"
    if ABI >= 4:
        assert out["tcp connect"] == ["EACCES"]
    if ABI >= 6:
        assert out["kill parent"] == ["EPERM"] and got == []


def test_rights_per_abi():
    assert landlock.fs_rights(1) == (1 << 13) - 1
    assert landlock.fs_rights(2) & landlock.REFER and not landlock.fs_rights(2) & landlock.TRUNCATE
    assert landlock.fs_rights(3) & landlock.TRUNCATE and not landlock.fs_rights(4) & landlock.IOCTL_DEV
    assert landlock.fs_rights(5) == (1 << 16) - 1 == landlock.fs_rights(7)
