"""Escape attempts against a real blenderd (strict sandbox, both launchers),
each through `script.exec` in an ordinary session and each checked from
OUTSIDE the sandbox: files that must not exist or change on the host, a
listener that must hear nothing, processes that must still be alive, the
daemon's connection count, /proc of the worker as the host sees it.

Most attacks run twice: as written (the audit hook must answer -32003 with
action/target/policy) and again with the hook switched off from inside
(`audit._enforcing = False`; the hook is not a boundary, docs/security.md), so
the OS layers (bubblewrap, Landlock, rlimits) are shown to hold on their own.

One daemon for the whole module: `--sandbox strict --warm 2 --max-instances 4`,
its own socket and state dir, HOME set to a throwaway home holding secret.txt,
and a secret in its environment. Every test uses one session and closes it.

`known_bug` marks an escape or leak that currently SUCCEEDS, as a strict xfail (it
turns into a failure the day the bug is fixed, so the mark must go). None is marked
now: the four this file found (a planted symlink in scene.load and in checkpoints,
state surviving into the next session, RLIMIT_NPROC not binding root) are fixed.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid

import pytest

from daemon_harness import (ADDON, CRASHED, LAUNCHER_REQUIREMENT, REPO, SANDBOX_VIOLATION, SCRIPT_ERROR, TIMEOUT,
                            Daemon, Pinger, RpcError, have_launcher, missing_reason, pid_alive,
                            process_count, status_field)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")

LAUNCHERS = ["executable", "module"]
BYPASS = "from blenderd.sandbox import audit\naudit._enforcing = False\n"
# daemon.ping p99 while a bomb runs (the brief's bar). A machine loaded far beyond its cores by
# other work can miss it through no fault of the daemon: BLENDERD_TEST_PING_P99_MS relaxes it there.
PING_P99_MS = float(os.environ.get("BLENDERD_TEST_PING_P99_MS", "10"))


def known_bug(reason, condition=True):
    return pytest.mark.xfail(condition=condition, strict=True, reason="KNOWN BUG (reported): " + reason)


# -- fixtures -----------------------------------------------------------------------

class Env:
    pass


@pytest.fixture(scope="module")
def env():
    e = Env()
    # HOME and the state dir outside /tmp, as in a real deployment (~/.local/state/blenderd):
    # inside the sandbox /tmp is a private tmpfs that the audit hook lets scripts write, so a
    # host path under /tmp is only "missing" there; under /var/tmp the hook's rules apply too.
    e.base = tempfile.mkdtemp(prefix="bd-escape-", dir="/var/tmp")
    e.home = os.path.join(e.base, "home")
    os.mkdir(e.home)
    e.secret = "home-secret-" + uuid.uuid4().hex
    with open(os.path.join(e.home, "secret.txt"), "w") as f:
        f.write(e.secret)
    e.env_secret = "env-secret-" + uuid.uuid4().hex
    # A directory on the host's real /tmp (exists on the host, not in the sandbox's /tmp).
    e.host_tmp = tempfile.mkdtemp(prefix="bd-escape-")
    e.daemon = Daemon(e.base, warm=2, max_instances=4, sandbox="strict",
                      env={"HOME": e.home, "BLENDERD_ESCAPE_SECRET": e.env_secret})
    e.client = e.daemon.client()
    info = e.client.call("daemon.info")
    assert info["sandbox"]["tier"] == "strict", info["sandbox"]
    missing = {"scene.checkpoint", "scene.restore", "scene.load"} - set(info["capabilities"]["methods"])
    assert not missing, "blenderd at %s is older than these tests (no %s): rebuild it" % (e.daemon.args[0], missing)
    e.daemon.wait_ready(2, client=e.client)
    yield e
    e.client.close()
    code = e.daemon.terminate()
    shutil.rmtree(e.base, ignore_errors=True)
    shutil.rmtree(e.host_tmp, ignore_errors=True)
    assert code == 0, "blenderd exited %s; log:\n%s" % (code, e.daemon.log_tail())


class Session:
    def __init__(self, env, launcher):
        self.env, self.launcher = env, launcher
        self.client = env.daemon.client()
        opened = self.client.call("session.open", blender=LAUNCHER_REQUIREMENT[launcher])
        assert opened["kind"] == launcher, opened
        self.id, self.instance = opened["session"], opened["instance"]
        self.responses = []  # every raw response text, to search for leaked secrets
        self.closed = False

    def info(self):
        """This session's instance as instance.list shows it (pid: the worker's host pid)."""
        for inst in self.client.call("instance.list")["instances"]:
            if inst.get("session") == self.id or inst["id"] == self.current_instance():
                return inst
        raise AssertionError("instance of %s not listed" % self.id)

    def current_instance(self):
        for s in self.client.call("session.list")["sessions"]:
            if s["session"] == self.id:
                return s["instance"]
        return self.instance

    @property
    def workspace(self):
        return self.info()["workspace"]

    def exec(self, code, bypass=False, timeout=30):
        msg = self.client.request("script.exec", {"session": self.id, "code": (BYPASS if bypass else "") + code,
                                                  "timeout_s": timeout}, timeout=timeout + 60)
        self.responses.append(json.dumps(msg))
        if "error" in msg:
            raise RpcError(msg["error"])
        return msg["result"]

    def value(self, code, bypass=False, timeout=30):
        return self.exec(code, bypass, timeout).get("value")

    def fails(self, code, bypass=True, codes=(SCRIPT_ERROR,), timeout=30):
        """The exec fails with one of `codes`; returns the error."""
        with pytest.raises(RpcError) as info:
            self.exec(code, bypass, timeout)
        assert info.value.code in codes, (info.value.code, info.value.data)
        return info.value

    def violation(self, code, action, target=None):
        """The audit hook's -32003 with what was tried, on what, under which policy."""
        err = self.fails(code, bypass=False, codes=(SANDBOX_VIOLATION,))
        data = err.data
        assert err.message == "Sandbox violation"
        assert data["action"] == action and data["policy"] == "strict", data
        if target is not None:
            assert target in data["target"], data
        assert data["hints"] and isinstance(data["line"], int), data
        return data

    def said(self):
        return "\n".join(self.responses)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.client.call("session.close", session=self.id)
        finally:
            self.client.close()


@pytest.fixture(params=LAUNCHERS)
def session(request, env):
    if not have_launcher(request.param):
        pytest.skip("%s launcher not available" % request.param)
    s = Session(env, request.param)
    yield s
    s.close()


@pytest.fixture
def module_session(env):
    """One launcher only, for the costly attacks (bombs): the bpy module."""
    launcher = "module" if have_launcher("module") else "executable"
    s = Session(env, launcher)
    yield s
    s.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


# -- 1. files -------------------------------------------------------------------------

def test_secret_in_home_is_not_readable(env, session):
    secret = os.path.join(env.home, "secret.txt")
    session.violation("data = open(%r).read()\n" % secret, "read", secret)
    # Hook off: the host's HOME is simply not in the sandbox's mount namespace.
    err = session.fails("result = open(%r).read()\n" % secret)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
    err = session.fails("import os\nresult = os.listdir(%r)\n" % env.home)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
    # Python's idea of HOME is the session directory, not the daemon's HOME.
    assert session.value("import os\nresult = os.path.expanduser('~')") == session.workspace
    assert env.secret not in session.said()


def test_writes_outside_the_session_dir_never_reach_the_host(env, session):
    home_file = os.path.join(env.home, unique("out") + ".txt")
    tmp_file = os.path.join(env.host_tmp, unique("out") + ".txt")
    blend_file = os.path.join(env.home, unique("save") + ".blend")
    session.violation("open(%r, 'w').write('x')\n" % home_file, "write", home_file)
    err = session.fails("open(%r, 'w').write('x')\n" % home_file)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError", "OSError"), err.data
    # C code writing (no audit event): Blender's own save.
    session.fails("import bpy\nbpy.ops.wm.save_as_mainfile(filepath=%r, copy=True)\n" % blend_file)
    # /tmp inside is a private tmpfs: the write "works" there, and the host never sees it.
    wrote = session.value("import os\nos.makedirs(%r, exist_ok=True)\nopen(%r, 'w').write('x')\n"
                          "result = os.path.exists(%r)" % (env.host_tmp, tmp_file, tmp_file), bypass=True)
    assert wrote is True
    for path in (home_file, tmp_file, blend_file):
        assert not os.path.exists(path), path
    assert os.listdir(env.host_tmp) == []


# -- 2. network -----------------------------------------------------------------------

def test_tcp_connect_to_a_host_listener(session):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        session.violation("import socket\ns = socket.create_connection(('127.0.0.1', %d), timeout=2)\n" % port,
                          "network", "127.0.0.1:%d" % port)
        err = session.fails("import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', %d))\n" % port)
        # EACCES from Landlock's TCP rule (ECONNREFUSED would mean only the empty netns stopped it)
        assert err.data["type"] in ("PermissionError", "ConnectionRefusedError"), err.data
        with pytest.raises((socket.timeout, TimeoutError)):
            listener.accept()
    finally:
        listener.close()


def test_udp_send_to_a_host_socket(session):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    port = receiver.getsockname()[1]
    try:
        session.violation("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                          "s.sendto(b'leak', ('127.0.0.1', %d))\n" % port, "network", "SOCK_DGRAM")
        # Hook off the send may "succeed": it goes to the sandbox's own loopback (a separate netns).
        session.exec("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                     "try:\n    s.sendto(b'leak', ('127.0.0.1', %d))\nexcept OSError:\n    pass\n" % port, bypass=True)
        with pytest.raises((socket.timeout, TimeoutError)):
            receiver.recvfrom(100)
    finally:
        receiver.close()


def test_name_lookup(session):
    session.violation("import socket\nsocket.getaddrinfo('example.com', 443)\n", "network", "example.com")
    err = session.fails("import socket\nresult = socket.getaddrinfo('example.com', 443)\n")
    assert err.data["type"] == "gaierror", err.data
    # no resolver configuration to even try: /etc/resolv.conf and /etc/hosts are not in the sandbox
    assert session.value("import os\nresult = [os.path.exists('/etc/resolv.conf'), os.path.exists('/etc/hosts')]",
                         bypass=True) == [False, False]


def test_abstract_unix_socket_on_the_host(session):
    name = "\0" + unique("blenderd-escape")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(name)
    listener.listen(8)
    listener.settimeout(0.5)
    try:
        session.violation("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(%r)\n" % name, "network")
        err = session.fails("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(%r)\n" % name)
        # another network namespace has other abstract names; Landlock ABI 6 scopes them too
        assert err.data["type"] in ("ConnectionRefusedError", "PermissionError", "FileNotFoundError"), err.data
        with pytest.raises((socket.timeout, TimeoutError)):
            listener.accept()
    finally:
        listener.close()


# -- 3. programs ----------------------------------------------------------------------

PROGRAMS = {
    # name: (code with {m1} {m2} {ran}, action, target fragment)
    "subprocess.run": ("import subprocess\nresult = subprocess.run(['/usr/bin/touch', {m1!r}, {m2!r}, {ran!r}]).returncode\n",
                       "subprocess", "touch"),
    "os.system": ("import os\nresult = os.system('touch {m1} {m2} {ran}')\n", "subprocess", "touch"),
    "os.execv": ("import os\nos.execv('/usr/bin/touch', ['touch', {m1!r}, {m2!r}, {ran!r}])\n", "exec", "touch"),
    "ctypes.system": ("import ctypes\nresult = ctypes.CDLL(None).system(b'touch {m1} {m2} {ran}')\n", "ctypes", ""),
}


@pytest.mark.parametrize("how", sorted(PROGRAMS))
def test_programs_cannot_touch_the_host(env, session, how):
    template, action, target = PROGRAMS[how]
    tag = unique(how.replace(".", "-"))
    m1 = os.path.join(env.home, tag)           # host HOME (not in the sandbox)
    m2 = os.path.join(env.host_tmp, tag)       # host /tmp (the sandbox has its own)
    ran = os.path.join(session.workspace, tag)  # the workspace: proves the program did run
    code = template.format(m1=m1, m2=m2, ran=ran)
    session.violation(code, action, target)
    assert not os.path.exists(ran)
    if how == "os.execv":
        # The worker replaces itself with touch and is gone: a crash, recovered from.
        err = session.fails(code, codes=(CRASHED,))
        assert err.data["session"] == session.id
        assert session.value("result = 'alive again'") == "alive again"
    else:
        session.exec(code, bypass=True)
        assert os.path.exists(ran), "the program did not run: the test would prove nothing"
    assert not os.path.exists(m1) and not os.path.exists(m2), (m1, m2)


# -- 4. the daemon: environment, signals, socket, channel ------------------------------

def test_daemon_environment_is_not_readable(env, session):
    daemon = env.daemon.pid
    session.violation("data = open('/proc/%d/environ', 'rb').read()\n" % daemon, "read", "/proc/%d/environ" % daemon)
    err = session.fails("result = open('/proc/%d/environ', 'rb').read().decode()\n" % daemon)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
    # pid 1 of the sandbox (bwrap) and /proc listing: Landlock keeps /proc to the worker's own entry
    err = session.fails("result = open('/proc/1/environ', 'rb').read().decode()\n")
    assert err.data["type"] == "PermissionError", err.data
    # the worker's own environment was cleared by bwrap: no secret to find there either
    own = session.value("import os\nresult = [dict(os.environ), open('/proc/self/environ', 'rb').read().decode()]",
                        bypass=True)
    assert "BLENDERD_ESCAPE_SECRET" not in own[0] and env.env_secret not in own[1]
    assert own[0]["HOME"] == session.workspace
    assert env.env_secret not in session.said()
    assert env.env_secret in open("/proc/%d/environ" % daemon).read()  # it is there to be found


def test_signals_to_the_daemon_and_another_worker(env, session):
    mine = session.info()
    env.daemon.wait_ready(1, client=session.client)  # another instance (a warm spare) to aim at
    # A ready spare: an instance still stopping after an earlier test's session (every session
    # gets a fresh process) would die on its own and look like a successful kill.
    others = [i for i in session.client.call("instance.list")["instances"]
              if i["id"] != mine["id"] and i["state"] == "ready" and i.get("pid") and pid_alive(i["pid"])]
    assert others, "need a second instance (--warm 2)"
    other = others[0]
    daemon = env.daemon.pid
    session.violation("import os, signal\nos.kill(%d, signal.SIGTERM)\n" % daemon, "signal", str(daemon))
    session.violation("import os, signal\nos.kill(%d, signal.SIGKILL)\n" % other["pid"], "signal", str(other["pid"]))
    res = session.value(
        "import os, signal\nresult = []\nfor pid in (%d, %d):\n    for sig in (signal.SIGTERM, signal.SIGKILL):\n"
        "        try:\n            os.kill(pid, sig)\n            result.append('sent')\n"
        "        except OSError as exc:\n            result.append(exc.errno)\n" % (daemon, other["pid"]), bypass=True)
    assert "sent" not in res, res  # ESRCH: neither pid exists in the sandbox's pid namespace
    time.sleep(0.2)
    assert env.daemon.alive() and pid_alive(daemon)
    assert pid_alive(other["pid"])
    after = {i["id"]: i for i in session.client.call("instance.list")["instances"]}
    assert after[other["id"]]["pid"] == other["pid"] and after[other["id"]]["state"] != "dead"
    # and nothing of the host's process table is visible
    session.violation("import os\nresult = os.listdir('/proc')\n", "read", "/proc")
    err = session.fails("import os\nresult = os.listdir('/proc')\n")
    assert err.data["type"] == "PermissionError", err.data


def test_daemon_socket_is_unreachable(env, session):
    sock_path = env.daemon.socket_path
    token = os.path.join(os.path.dirname(sock_path), "attach.token")
    before = env.client.call("daemon.info")["connections"]
    session.violation("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(%r)\n" % sock_path, "network")
    err = session.fails("import socket\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(2)\ns.connect(%r)\n" % sock_path)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
    err = session.fails("result = open(%r).read()\n" % token)
    assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
    assert session.value("import os\nresult = os.path.exists(%r)" % os.path.dirname(sock_path), bypass=True) is False
    assert env.client.call("daemon.info")["connections"] == before
    assert open(token).read().strip() not in session.said()


def test_worker_channel_does_not_reach_daemon_methods(env, session):
    """The script shares the worker's process, so it can write on the daemon
    channel (fd 3). Daemon methods must not answer there."""
    env.daemon.wait_ready(1, client=session.client)
    victims = [i for i in session.client.call("instance.list")["instances"] if i["id"] != session.info()["id"]]
    assert victims
    victim = victims[0]
    code = (
        "import os, json, select, time\n"
        "def send(obj):\n"
        "    body = json.dumps(obj).encode()\n"
        "    os.write(3, b'Content-Length: %%d\\r\\n\\r\\n' %% len(body) + body)\n"
        "send({'jsonrpc': '2.0', 'id': 'x1', 'method': 'session.list', 'params': {}})\n"
        "send({'jsonrpc': '2.0', 'id': 'x2', 'method': 'instance.stop', 'params': {'instance': %r}})\n"
        "send({'jsonrpc': '2.0', 'id': 'x3', 'method': 'scene.load', 'params': {'path': %r}})\n"
        "got = b''\n"
        "end = time.time() + 1.5\n"
        "while time.time() < end and got.count(b'Content-Length') < 3:\n"
        "    if select.select([3], [], [], 0.1)[0]:\n"
        "        got += os.read(3, 65536)\n"
        "result = got.decode('utf-8', 'replace')\n" % (victim["id"], os.path.join(env.home, "secret.txt")))
    replies = session.value(code, bypass=True)
    bodies = [json.loads(part[part.index("{"):]) for part in replies.split("Content-Length")[1:]]
    assert sorted(b["id"] for b in bodies) == ["x1", "x2", "x3"], replies
    for body in bodies:
        assert body.get("error", {}).get("code") == -32601, body  # method not found on the worker channel
    after = {i["id"]: i for i in session.client.call("instance.list")["instances"]}
    assert victim["id"] in after and after[victim["id"]]["state"] != "dead"
    assert env.secret not in session.said()
    assert session.value("result = 'still served'") == "still served"


# -- 5. other sessions, the add-on ------------------------------------------------------

def test_another_sessions_workspace_is_invisible(env, session):
    first = Session(env, "module" if session.launcher == "executable" else "executable") \
        if have_launcher("module") and have_launcher("executable") else Session(env, session.launcher)
    try:
        secret = unique("workspace-secret")
        first.exec("open('private.txt', 'w').write(%r)" % secret)
        target = os.path.join(first.workspace, "private.txt")
        assert open(target).read() == secret
        assert first.workspace != session.workspace
        session.violation("data = open(%r).read()\n" % target, "read", target)
        err = session.fails("result = open(%r).read()\n" % target)
        assert err.data["type"] in ("FileNotFoundError", "PermissionError"), err.data
        # the parent of the workspaces is not listable (Landlock), or shows only this session's own
        listed = session.value("import os\ntry:\n    result = os.listdir(os.path.dirname(os.getcwd()))\n"
                               "except PermissionError:\n    result = 'EACCES'", bypass=True)
        assert listed in ("EACCES", [os.path.basename(session.workspace)]), listed
        assert secret not in session.said()
        assert open(target).read() == secret
    finally:
        first.close()


def test_addon_files_cannot_be_tampered_with(session):
    worker_py = os.path.join(ADDON, "blenderd", "worker.py")
    targets = [worker_py, os.path.join(ADDON, "blenderd", "sandbox", "audit.py")]
    before = {p: (sha256(p), os.stat(p).st_mtime_ns) for p in targets}
    session.violation("open(%r, 'a').write('\\nimport os  # pwned')\n" % worker_py, "write", worker_py)
    session.violation("import os\nos.remove(%r)\n" % worker_py, "delete", worker_py)
    for code in ("open(%r, 'a').write('# pwned')\n" % worker_py,
                 "import os\nos.remove(%r)\n" % worker_py,
                 "import os\nos.rename(%r, %r)\n" % (worker_py, worker_py + ".bak"),
                 "import os\nos.chmod(%r, 0o777)\n" % worker_py,
                 "open(%r, 'w').write('')\n" % targets[1]):
        err = session.fails(code)
        assert err.data["type"] in ("OSError", "PermissionError"), (code, err.data)  # EROFS / EACCES
    # the module launcher's venv (where `bpy` lives) is read-only too
    venv_file = os.path.join(REPO, ".venv", "pyvenv.cfg")
    if session.launcher == "module" and os.path.exists(venv_file):
        digest = sha256(venv_file)
        session.fails("open(%r, 'a').write('x')\n" % venv_file)
        assert sha256(venv_file) == digest
    assert {p: (sha256(p), os.stat(p).st_mtime_ns) for p in targets} == before


def test_no_new_user_namespace(module_session):
    # --disable-userns: no nested user namespace (a kernel attack surface), even through ctypes.
    # unshare(CLONE_NEWUSER) needs a single-threaded caller: a fresh python3, not Blender.
    probe = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
             "print(libc.unshare(0x10000000), ctypes.get_errno())\n")
    res = module_session.value("import subprocess\nresult = subprocess.run(['/usr/bin/python3', '-c', %r], "
                               "capture_output=True, text=True).stdout.split()" % probe, bypass=True)
    assert res[0] == "-1" and res[1] in ("1", "28"), res  # EPERM, or ENOSPC (max_user_namespaces = 0)


# -- 6. what the host sees of a worker --------------------------------------------------

def test_layers_seen_from_the_host(env, session):
    inst = session.info()
    pid = inst["pid"]
    assert pid and pid_alive(pid) and pid != env.daemon.pid
    assert status_field(pid, "NoNewPrivs") == "1"
    assert status_field(pid, "CapEff") == "0000000000000000"
    assert status_field(pid, "CapPrm") == "0000000000000000"
    for ns in ("user", "pid", "net", "ipc", "uts", "mnt"):
        assert os.readlink("/proc/%d/ns/%s" % (pid, ns)) != os.readlink("/proc/%d/ns/%s" % (env.daemon.pid, ns)), ns
    limits = open("/proc/%d/limits" % pid).read()
    expected = {"Max address space": "8589934592", "Max processes": "512", "Max file size": "2147483648",
                "Max open files": "1024", "Max cpu time": "1800"}
    for name, soft in expected.items():
        line = next(l for l in limits.splitlines() if l.startswith(name))
        assert line[len(name):].split()[0] == soft, line
    layers = {l["name"]: l for l in inst["sandbox"]["layers"]}
    assert inst["sandbox"]["tier"] == "strict"
    for name in ("bubblewrap", "landlock", "no_new_privs", "rlimits", "audit_hook"):
        assert layers[name]["status"] == "applied", layers[name]
    assert inst["workspace"] in layers["landlock"]["detail"]


# -- 7. resources: bombs, disk, loops (with a latency probe on the daemon) ----------------

def _pid_namespace(pid):
    try:
        return os.readlink("/proc/%d/ns/pid" % pid)
    except OSError:
        return None


def _in_namespace(ns):
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit() and _pid_namespace(int(name)) == ns:
            count += 1
    return count


def test_rlimit_nproc_stops_a_fork_loop(module_session):
    # A small python3 child forks (a fresh interpreter forks in ~0.3 ms; Blender in ~30 ms), each
    # child blocking on a pipe; when the loop stops, the parent exits and the children follow (EOF).
    bomb = ("import os, sys\nr, w = os.pipe()\nn, err = 0, None\n"
            "while n < 1500:\n    try:\n        pid = os.fork()\n    except OSError as exc:\n"
            "        err = exc.errno\n        break\n    if pid == 0:\n        os.close(w)\n        os.read(r, 1)\n"
            "        os._exit(0)\n    n += 1\nprint(n, err)\n")
    res = module_session.value("import subprocess\nr = subprocess.run(['/usr/bin/python3', '-c', %r], "
                               "capture_output=True, text=True)\nresult = r.stdout.split()" % bomb, bypass=True)
    forked, err = int(res[0]), res[1]
    threads = module_session.value(
        "import threading\nthreading.stack_size(64 * 1024)\nev = threading.Event()\nstarted = []\nerr = None\n"
        "for i in range(1500):\n    try:\n        t = threading.Thread(target=ev.wait)\n        t.start()\n"
        "        started.append(t)\n    except RuntimeError as exc:\n        err = str(exc)\n        break\n"
        "ev.set()\nfor t in started:\n    t.join()\nresult = [len(started), err]\n", bypass=True)
    assert forked < 512 and err == "11", "fork loop not stopped by RLIMIT_NPROC: %d children, errno %s" % (forked, err)
    assert threads[0] < 512 and threads[1], "thread loop not stopped by RLIMIT_NPROC: %r" % threads


def test_fork_bomb_is_contained(env, module_session):
    """Forks until something stops it, never exits: the exec timeout kills the
    instance, its pid namespace takes every child along, the daemon stays
    responsive and the session continues."""
    s = module_session
    s.exec("import bpy\nbpy.ops.mesh.primitive_cube_add()\nbpy.context.object.name = 'Before'")
    pid = s.info()["pid"]
    ns = _pid_namespace(pid)
    baseline = process_count()
    # Capped at 2000 per call so that a sandbox that does not contain it still cannot hurt the machine.
    bomb = ("import os, signal\nn = 0\nwhile n < 2000:\n    try:\n        pid = os.fork()\n    except OSError:\n"
            "        break\n    if pid == 0:\n        signal.pause()\n        os._exit(0)\n    n += 1\nsignal.pause()\n")
    with Pinger(env.daemon) as ping:
        start = time.monotonic()
        err = s.fails("import subprocess\nsubprocess.run(['/usr/bin/python3', '-c', %r])\n" % bomb,
                      codes=(TIMEOUT,), timeout=6)
        took = time.monotonic() - start
        deadline = time.monotonic() + 10
        while _in_namespace(ns) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _in_namespace(ns)
    assert took < 7.5, took
    assert err.data["timeout_s"] == 6 and err.data["session"] == s.id
    assert left == 0, "%d processes of the bomb's pid namespace still alive" % left
    # The machine's count is back near where it was (the bomb made 2000); the precise check is the
    # namespace count above, this one allows for other work starting processes meanwhile.
    assert process_count() < baseline + 200, (baseline, process_count())
    assert not ping.errors and ping.p99() < PING_P99_MS, ping.summary()
    assert s.value("import bpy\nresult = sorted(o.name for o in bpy.data.objects)") == ["Before"]


def test_memory_bomb_fails_cleanly(env, module_session):
    s = module_session
    # bytes(n) is calloc: address space the rlimit counts, without touching the machine's RAM.
    # The window covers the bomb and the recovery after it (the instance is replaced and the
    # session restored): ~1.5 s of pings, so p99 is a percentile and not the single slowest ping.
    with Pinger(env.daemon) as ping:
        err = s.fails("chunks = []\nwhile True:\n    chunks.append(bytes(256 << 20))\n"
                      "    print(len(chunks) * 256, flush=True)\n", bypass=False, codes=(SCRIPT_ERROR,), timeout=60)
        assert s.value("result = sum(range(10))") == 45
        time.sleep(1.0)
    assert err.data["type"] == "MemoryError" and err.data["line"] == 3, err.data
    got = [int(x) for x in err.data["stdout"].split()]
    assert got and got[-1] < 8192, got[-5:]  # stopped below the 8 GiB address-space limit
    assert env.daemon.alive()
    assert len(ping.latencies_ms) >= 100, ping.summary()
    assert not ping.errors and ping.p99() < PING_P99_MS, ping.summary()


def test_filling_the_disk_is_capped(env, session):
    s = session
    ws = s.workspace
    statvfs = os.statvfs(ws)
    free_before = statvfs.f_bavail * statvfs.f_frsize
    # The writes take ~0.5 s: ping every 2 ms so p99 is a percentile of ~200 pings taken while
    # they run, not the single slowest of ~80.
    with Pinger(env.daemon, interval=0.002) as ping:
        # One huge file: RLIMIT_FSIZE (2 GiB) says EFBIG. Start 128 MiB below the limit (sparse) so the
        # test writes 128 MiB of real data, not 2 GiB, before it hits the limit.
        err = s.fails("f = open('huge.bin', 'wb')\nf.seek((2 << 30) - (128 << 20))\nchunk = b'x' * (16 << 20)\n"
                      "written = 0\nwhile True:\n    f.write(chunk)\n    f.flush()\n    written += len(chunk)\n",
                      bypass=False, timeout=60)
        assert err.data["type"] == "OSError" and "File too large" in err.data["message"], err.data
        err = s.fails("f = open('huge2.bin', 'wb')\nf.truncate(3 << 30)\n", bypass=False)
        assert "File too large" in err.data["message"], err.data
        # /tmp is a 512 MiB tmpfs: ENOSPC, not the host's disk.
        err = s.fails("chunk = b'y' * (64 << 20)\nwith open('/tmp/fill.bin', 'wb') as f:\n    for i in range(40):\n"
                      "        f.write(chunk)\n        f.flush()\n", bypass=False, timeout=60)
        assert "No space left" in err.data["message"], err.data
        s.exec("import os\nos.remove('/tmp/fill.bin')")
    sizes = {name: os.path.getsize(os.path.join(ws, name)) for name in os.listdir(ws) if name.startswith("huge")}
    assert sizes and max(sizes.values()) <= 2 << 30, sizes
    used = sum(os.stat(os.path.join(ws, n)).st_blocks * 512 for n in sizes)
    assert used <= 256 << 20, used  # sparse: only what was really written
    statvfs = os.statvfs(ws)
    assert statvfs.f_bavail * statvfs.f_frsize > free_before - (1 << 30)
    assert env.daemon.alive() and s.value("result = 'fine'") == "fine"
    assert not ping.errors and ping.p99() < PING_P99_MS, ping.summary()


def test_infinite_loop_times_out(env, session):
    s = session
    s.exec("import bpy\nbpy.ops.mesh.primitive_cube_add()\nbpy.context.object.name = 'Kept'")
    loops = ["while True:\n    pass\n",
             # ignores the SIGINT the daemon may send first: only the kill stops it
             "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass\n"]
    with Pinger(env.daemon) as ping:
        for code in loops:
            start = time.monotonic()
            err = s.fails(code, bypass=False, codes=(TIMEOUT,), timeout=2)
            took = time.monotonic() - start
            assert took < 3.0, took
            assert err.data["timeout_s"] == 2 and err.data["session"] == s.id, err.data
            assert err.data["restored_checkpoint"], err.data
            assert s.value("import bpy\nresult = [o.name for o in bpy.data.objects]") == ["Kept"]
    assert not ping.errors and ping.p99() < PING_P99_MS, ping.summary()


# -- 8. the daemon's own file handling on the host ------------------------------------------

def test_workspace_cleanup_does_not_follow_symlinks(env, session):
    keep = tempfile.mkdtemp(prefix="keep-", dir=env.home)
    with open(os.path.join(keep, "file.txt"), "w") as f:
        f.write("keep me")
    ws = session.workspace
    session.exec("import os\nos.symlink(%r, 'dirlink')\nos.makedirs('deep/er')\nos.symlink(%r, 'deep/er/dirlink')\n"
                 "os.symlink(%r, 'filelink')\nos.chmod('deep', 0)\n"
                 % (keep, keep, os.path.join(keep, "file.txt")))
    assert os.path.islink(os.path.join(ws, "dirlink"))
    session.close()
    deadline = time.monotonic() + 10
    while os.path.isdir(ws) and any(n != ".blenderd" for n in os.listdir(ws)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.isdir(ws) or set(os.listdir(ws)) <= {".blenderd"}, os.listdir(ws)
    assert open(os.path.join(keep, "file.txt")).read() == "keep me"


def _plant(s, code):
    s.exec("import os\n" + code)


def test_scene_load_does_not_follow_a_planted_symlink(env, session):
    victim = os.path.join(env.home, unique("victim") + ".txt")
    with open(victim, "w") as f:
        f.write("original")
    _plant(session, "os.makedirs('.blenderd', exist_ok=True)\n"
                    "for n in range(1, 200):\n"
                    "    p = '.blenderd/load-%%d.blend' %% n\n"
                    "    if not os.path.lexists(p):\n"
                    "        os.symlink(%r, p)\n" % victim)
    blob = b"BLENDER-v300" + b"\0" * 64
    try:
        session.client.call("scene.load", session=session.id, data=base64.b64encode(blob).decode())
    except RpcError:
        pass  # refusing is fine; touching the host file is not
    assert open(victim).read() == "original"


def test_checkpoint_files_do_not_follow_a_planted_symlink(env, session):
    victims = tempfile.mkdtemp(prefix="victims-", dir=env.home)
    for name in ["c%d.blend" % n for n in range(1, 8)] + ["restore-c%d.blend" % n for n in range(1, 8)]:
        with open(os.path.join(victims, name), "w") as f:
            f.write("original")
    before = sorted(os.listdir(victims))
    session.exec("import bpy\nbpy.ops.mesh.primitive_cube_add()")  # checkpoint c1
    _plant(session, "import shutil\nshutil.rmtree('.blenderd', ignore_errors=True)\nos.symlink(%r, '.blenderd')\n" % victims)
    checkpoints = session.client.call("scene.checkpoints", session=session.id)["checkpoints"]
    try:
        session.client.call("scene.restore", session=session.id, checkpoint=checkpoints[0]["id"])
    except RpcError:
        pass
    try:
        session.client.call("scene.checkpoint", session=session.id)
    except RpcError:
        pass
    assert sorted(os.listdir(victims)) == before
    for name in before:
        assert open(os.path.join(victims, name)).read() == "original", name


# -- 9. one session's leftovers and the next session ------------------------------------------

@pytest.fixture(scope="module")
def single(tmp_path_factory, env):
    """A daemon with one instance, so the next session surely gets the same one."""
    launchers = ("module",) if have_launcher("module") else ("executable",)
    d = Daemon(tmp_path_factory.mktemp("single"), warm=1, max_instances=1, launchers=launchers,
               env={"HOME": env.home})
    yield d
    d.terminate()


def test_nothing_survives_into_the_next_session(single):
    with single.client() as c:
        a = c.call("session.open")
        c.call("script.exec", session=a["session"], code=(
            "import builtins, threading, os\nbuiltins.LEFT_BEHIND = 'by A'\n"
            "seen = []\nbuiltins.SEEN_BY_A = seen\n"
            "def spy():\n    import time\n    while True:\n        seen.append(sorted(os.listdir('.')))\n        time.sleep(0.05)\n"
            "threading.Thread(target=spy, name='spy-from-A', daemon=True).start()\n"
            "open('/tmp/left-by-A', 'w').write('A')\n"))
        c.call("session.close", session=a["session"])
    with single.client() as c:
        b = c.call("session.open")  # one instance at most: the same one, unless the pool recycled it
        c.call("script.exec", session=b["session"], code="open('b-private.txt', 'w').write('B')\nimport time\ntime.sleep(0.3)")
        seen = c.call("script.exec", session=b["session"], code=(
            "import builtins, threading, os\n"
            "result = [getattr(builtins, 'LEFT_BEHIND', None), [t.name for t in threading.enumerate() if t.name == 'spy-from-A'],"
            " os.path.exists('/tmp/left-by-A'), any('b-private.txt' in x for x in getattr(builtins, 'SEEN_BY_A', []))]"))["value"]
        c.call("session.close", session=b["session"])
    assert seen == [None, [], False, False], "left by session A, seen in session B: %r" % seen
