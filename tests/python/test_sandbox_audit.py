"""The audit hook on the real interpreter, without Blender: the event names and
argument layouts the policy relies on are CPython's, so check them live. Each
test runs a child Python (an audit hook cannot be removed again)."""

import json
import os
import subprocess
import sys

from conftest import ADDON

CHILD = r'''
import ctypes, json, os, shutil, socket, subprocess, sys
sys.path.insert(0, ADDON)
from blenderd.sandbox import audit
from blenderd.sandbox.config import SandboxConfig

cfg = SandboxConfig(TIER, WS, read_only=["/usr"], writable=[])
audit.install(cfg, read_extra=READ_EXTRA)

def attempt(name, fn):
    try:
        fn()
        out[name] = "ok"
    except audit.SandboxViolation as exc:
        out[name] = {"action": exc.violation.action, "target": exc.violation.target,
                     "frames": exc.violation.frames, "errno": exc.errno, "is_perm": isinstance(exc, PermissionError)}
    except Exception as exc:
        out[name] = "%s: %s" % (type(exc).__name__, exc)

out = {}
# outside enforcement: the worker's own I/O is never judged
attempt("unenforced write", lambda: open(os.path.join(HOME, "unenforced"), "w").close())
with audit.enforcing() as seen:
    attempt("write inside", lambda: open(os.path.join(WS, "in.txt"), "w").close())
    attempt("write outside", lambda: open(os.path.join(HOME, "out.txt"), "w").close())
    attempt("os.open outside", lambda: os.open(os.path.join(HOME, "o2"), os.O_WRONLY | os.O_CREAT))
    attempt("read outside", lambda: open(os.path.join(HOME, "secret")).read())
    attempt("remove outside", lambda: os.remove(os.path.join(HOME, "secret")))
    attempt("rmtree outside", lambda: shutil.rmtree(HOME))
    attempt("mkdir inside", lambda: os.mkdir(os.path.join(WS, "sub")))
    attempt("subprocess", lambda: subprocess.run(["true"]))
    attempt("os.system", lambda: os.system("true"))
    attempt("execv", lambda: os.execv("/bin/true", ["true"]))
    attempt("fork", lambda: os.fork())
    attempt("socket", lambda: socket.socket())
    attempt("getaddrinfo", lambda: socket.getaddrinfo("localhost", 80))
    attempt("ctypes", lambda: ctypes.CDLL("libm.so.6"))
    attempt("kill other", lambda: os.kill(os.getppid(), 0))
    attempt("kill self", lambda: os.kill(os.getpid(), 0))
    attempt("import", lambda: __import__("colorsys"))
    n = len(seen)
out["recorded"] = n
out["after"] = len(audit._violations)
print(json.dumps(out))
'''


def run_child(tmp_path, tier="standard", read_extra=()):
    ws, home = tmp_path / "ws", tmp_path / "home"
    ws.mkdir()
    home.mkdir()
    (home / "secret").write_text("s3cret")
    code = ("ADDON, WS, HOME, TIER, READ_EXTRA = %r, %r, %r, %r, %r\n"
            % (ADDON, str(ws), str(home), tier, list(read_extra)) + CHILD)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), ws, home


def test_real_events_standard(tmp_path):
    out, ws, home = run_child(tmp_path)
    assert out["unenforced write"] == "ok" and out["write inside"] == "ok" and out["mkdir inside"] == "ok"
    assert out["kill self"] == "ok" and out["import"] == "ok"
    assert out["read outside"] == "ok"  # standard tier: reads are Landlock's business
    expect = {
        "write outside": ("write", str(home / "out.txt")),
        "os.open outside": ("write", str(home / "o2")),
        "remove outside": ("delete", str(home / "secret")),
        "rmtree outside": ("delete", str(home)),
        "subprocess": ("subprocess", "true"),
        "os.system": ("subprocess", "true"),
        "execv": ("exec", "true"),
        "fork": ("fork", "os.fork"),
        "socket": ("network", "socket(AF_INET, SOCK_STREAM)"),
        "getaddrinfo": ("network", "localhost:80"),
        "ctypes": ("ctypes", "libm.so.6"),
        "kill other": ("signal", str(os.getpid())),
    }
    for name, (action, target) in expect.items():
        got = out[name]
        assert isinstance(got, dict), (name, got)
        assert (got["action"], got["target"]) == (action, target), name
        assert got["errno"] == 13 and got["is_perm"]
    assert out["recorded"] == len(expect) and out["after"] == len(expect)
    assert not (home / "out.txt").exists() and (home / "secret").exists()


def test_real_events_strict_reads(tmp_path):
    # The worker passes its runtime (Python's prefixes) as read_extra, so lazy
    # imports of the standard library keep working in the strict tier.
    runtime = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)]
    out, ws, home = run_child(tmp_path, tier="strict", read_extra=runtime)
    assert out["read outside"]["action"] == "read"
    assert out["read outside"]["target"] == str(home / "secret")
    assert out["import"] == "ok"


def test_strict_without_the_runtime_flags_imports(tmp_path):
    out, _, _ = run_child(tmp_path, tier="strict")
    assert out["import"]["action"] == "read" and out["import"]["target"].endswith("colorsys.py")
