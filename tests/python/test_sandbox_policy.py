"""The audit policy's decisions on synthetic audit events (argument tuples as
CPython 3.10/3.11 pass them), without a hook or Blender."""

import os
import socket

import pytest

from blenderd.sandbox.config import SandboxConfig
from blenderd.sandbox.policy import Policy, permission_hints


@pytest.fixture
def dirs(tmp_path):
    ws, scratch, home = tmp_path / "ws", tmp_path / "scratch", tmp_path / "home"
    for d in (ws, scratch, home):
        d.mkdir()
    return ws, scratch, home


def make(dirs, tier="standard", network=False):
    ws, scratch, _ = dirs
    cfg = SandboxConfig(tier, str(ws), read_only=["/usr"], writable=[str(scratch)], network=network)
    return Policy(cfg, read_extra=["/proc/meminfo"], write_extra=["/dev/null"], pid=os.getpid())


def check(policy, event, *args):
    return policy.check(event, args)


def test_open_for_writing(dirs):
    ws, scratch, home = dirs
    p = make(dirs)
    assert check(p, "open", str(ws / "out.png"), "w", 0) is None
    assert check(p, "open", str(scratch / "t"), "a+", 0) is None
    assert check(p, "open", "/dev/null", "wb", 0) is None
    v = check(p, "open", str(home / "x"), "w", 0)
    assert v.action == "write" and v.target == str(home / "x") and v.event == "open"
    assert str(ws) in v.hints[0] and "standard" in v.message
    # os.open passes mode None and the flags
    assert check(p, "open", str(home / "x"), None, os.O_WRONLY | os.O_CREAT).action == "write"
    assert check(p, "open", str(home / "x"), None, os.O_RDONLY) is None  # reading: standard tier
    assert check(p, "open", 3, "w", 0) is None  # an fd: nothing to judge
    assert check(p, "open", os.fsencode(str(home / "b")), "xb", 0).target == str(home / "b")


def test_relative_paths_resolve_against_cwd(dirs, monkeypatch):
    ws, _, home = dirs
    p = make(dirs)
    monkeypatch.chdir(ws)
    assert check(p, "open", "out.txt", "w", 0) is None
    assert check(p, "open", "../home/x", "w", 0).target == str(home / "x")


def test_symlink_out_of_the_workspace_counts_as_outside(dirs):
    ws, _, home = dirs
    os.symlink(str(home), str(ws / "link"))
    p = make(dirs)
    assert check(p, "open", str(ws / "link" / "f"), "w", 0).target == str(home / "f")
    # removing the link itself (not followed) is fine
    assert check(p, "os.remove", str(ws / "link"), None) is None


def test_reading_in_the_strict_tier(dirs):
    ws, _, home = dirs
    strict = make(dirs, tier="strict")
    assert check(strict, "open", "/usr/lib/os-release", "r", 0) is None
    assert check(strict, "open", str(ws / "in.obj"), "rb", 0) is None
    assert check(strict, "open", "/proc/self/status", "r", 0) is None  # /proc/<own pid>
    assert check(strict, "open", "/proc/meminfo", "r", 0) is None  # read_extra
    v = check(strict, "open", str(home / ".ssh" / "id"), "r", 0)
    assert v.action == "read" and "strict" in v.message
    assert check(strict, "os.listdir", str(home)).action == "read"
    assert check(strict, "open", "/proc/1/environ", "r", 0).action == "read"
    assert check(make(dirs), "open", str(home / "x"), "r", 0) is None  # standard: Landlock's job


def test_delete_rename_mkdir_and_friends(dirs):
    ws, scratch, home = dirs
    p = make(dirs)
    assert check(p, "os.remove", str(home / "f"), None).action == "delete"
    assert check(p, "os.rmdir", str(home), None).action == "delete"
    assert check(p, "shutil.rmtree", str(home), None).action == "delete"
    assert check(p, "shutil.rmtree", str(ws / "sub"), None) is None
    assert check(p, "os.rename", str(ws / "a"), str(scratch / "b"), None, None) is None
    assert check(p, "os.rename", str(ws / "a"), str(home / "b"), None, None).target == str(home / "b")
    assert check(p, "os.rename", str(home / "a"), str(ws / "b"), None, None).target == str(home / "a")
    assert check(p, "os.mkdir", str(home / "d"), 0o777, None).action == "write"
    assert check(p, "os.symlink", "/etc/passwd", str(ws / "l"), None) is None
    assert check(p, "os.chmod", str(home / "f"), 0o777, None).action == "write"
    assert check(p, "os.chown", str(home / "f"), 0, 0, None).action == "write"
    assert check(p, "os.truncate", str(home / "f"), 0).action == "write"
    assert check(p, "os.truncate", 5, 0) is None
    assert check(p, "shutil.copyfile", "/usr/x", str(home / "y")).target == str(home / "y")
    assert check(p, "shutil.move", str(ws / "a"), str(home / "b")).action == "write"
    assert check(p, "tempfile.mkstemp", str(home / "tmpx")).action == "write"


def test_dir_fd_relative_paths(dirs):
    ws, _, home = dirs
    p = make(dirs)
    fd = os.open(str(home), os.O_RDONLY)
    try:
        assert check(p, "os.remove", "f", fd).target == str(home / "f")
    finally:
        os.close(fd)


def test_processes(dirs):
    p = make(dirs)
    v = check(p, "subprocess.Popen", "ls", ["ls", "-l", "a b"], None, None)
    assert v.action == "subprocess" and v.target == "ls -l 'a b'" and "bpy.ops" in v.hints[0]
    assert check(p, "os.system", b"rm -rf /").target == "rm -rf /"
    assert check(p, "os.exec", "/bin/sh", ["sh", "-c", "x"], None).action == "exec"
    assert check(p, "os.posix_spawn", "/bin/ls", ["ls"], {}).action == "subprocess"
    assert check(p, "os.fork").action == "fork"
    assert check(p, "os.forkpty").action == "fork"
    assert check(p, "pty.spawn", ["sh"]).target == "sh"


def test_network(dirs):
    p = make(dirs)
    v = check(p, "socket.__new__", None, socket.AF_INET, socket.SOCK_STREAM, 0)
    assert v.action == "network" and v.target == "socket(AF_INET, SOCK_STREAM)"
    assert "embed the data" in v.hints[0]
    assert check(p, "socket.connect", None, ("127.0.0.1", 80)).target == "127.0.0.1:80"
    assert check(p, "socket.getaddrinfo", "example.org", 443, 0, 0, 0).target == "example.org:443"
    assert check(p, "urllib.Request", "https://example.org/x", None, {}, "GET").target == "https://example.org/x"
    assert check(p, "http.client.connect", None, "example.org", 80).target == "example.org:80"
    assert check(make(dirs, network=True), "socket.connect", None, ("127.0.0.1", 80)) is None


def test_ctypes(dirs):
    p = make(dirs)
    assert check(p, "ctypes.dlopen", "libc.so.6").target == "libc.so.6"
    assert check(p, "ctypes.call_function", 1234, ()).target == "ctypes.call_function"
    assert check(p, "ctypes.cdata", 1234).action == "ctypes"
    assert check(p, "ctypes.dlsym", object(), "system").target == "system"


def test_signals(dirs):
    p = make(dirs)
    assert check(p, "os.kill", os.getpid(), 0) is None
    v = check(p, "os.kill", 1, 9)
    assert v.action == "signal" and v.target == "1"
    assert check(p, "os.killpg", 1, 9).action == "signal"
    assert check(p, "signal.pthread_kill", 123, 10) is None  # a thread of this process


def test_unrelated_events_pass(dirs):
    p = make(dirs)
    for event in ("exec", "compile", "import", "sys._getframe", "object.__getattr__", "marshal.loads"):
        assert check(p, event, None) is None


def test_permission_hints(dirs):
    ws, _, home = dirs
    roots = [str(ws)]
    err = PermissionError(13, "Permission denied", str(home / "secret"))
    hint = permission_hints(err, str(ws), roots)
    assert len(hint) == 1 and str(ws) in hint[0] and str(home / "secret") in hint[0]
    assert permission_hints(PermissionError(13, "Permission denied", str(ws / "x")), str(ws), roots) == []
    assert permission_hints(FileNotFoundError(2, "nope", "/x"), str(ws), roots) == []
    blender = RuntimeError("Error: Cannot open file /etc/x.blend@ for writing: Permission denied\n")
    assert "/etc/x.blend@" in permission_hints(blender, str(ws), roots)[0]
    assert permission_hints(RuntimeError("Error: no camera"), str(ws), roots) == []
    assert permission_hints(ValueError("Permission denied /x"), str(ws), roots) == []
