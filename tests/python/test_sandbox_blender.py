"""The sandbox and checkpoints on real Blender, both launchers: Landlock and the
audit hook as a script meets them, checked from outside (files that must not
exist, a listener that must hear nothing, a signal that must not arrive)."""

import os
import signal
import socket
import subprocess
import time

import pytest

from blenderd.rpc import RpcError, errors
from blenderd.sandbox import landlock

from conftest import REPO, sandbox_dirs, start_worker

try:
    KERNEL_ABI = landlock.abi_version()
except OSError:
    KERNEL_ABI = None
needs_landlock = pytest.mark.skipif(KERNEL_ABI is None, reason="no Landlock in this kernel")


def failure(worker, code, expect=None):
    with pytest.raises(RpcError) as info:
        worker.exec(code)
    if expect is not None:
        assert info.value.code == expect, (info.value, info.value.data)
    return info.value


def violation(worker, code):
    err = failure(worker, code, errors.SANDBOX_VIOLATION)
    assert err.message == "Sandbox violation"
    for key in ("action", "target", "policy", "message", "hints", "line", "traceback", "stdout", "stderr",
                "stdout_truncated", "stderr_truncated", "changes"):
        assert key in err.data, key
    return err.data


def layers(ready):
    return {layer["name"]: layer for layer in ready["sandbox"]["layers"]}


# -- the report ------------------------------------------------------------------

@needs_landlock
def test_ready_reports_the_layers(sandboxed):
    sandbox = sandboxed.ready["sandbox"]
    assert sandbox["tier"] == "standard"
    ll, hook = layers(sandboxed.ready)["landlock"], layers(sandboxed.ready)["audit_hook"]
    assert ll["status"] == "applied" and ll["abi"] == KERNEL_ABI and "ABI %d" % KERNEL_ABI in ll["detail"]
    assert str(sandboxed.workspace) in ll["detail"] and "TCP" in ll["detail"]
    assert "skipped" not in ll, ll.get("skipped")
    assert hook["status"] == "applied" and "reason" not in hook


def test_no_sandbox_reports_not_applied(worker):
    sandbox = worker.ready["sandbox"]
    assert sandbox["tier"] == "trusted"
    assert [layer["name"] for layer in sandbox["layers"]] == ["landlock", "audit_hook"]
    for layer in sandbox["layers"]:
        assert layer["status"] == "not_applied" and "--sandbox" in layer["reason"]


def test_bad_sandbox_argument_exits_2(tmp_path):
    from blender_worker import availability

    for launcher in ("module", "executable"):
        spec, reason = availability(launcher)
        if spec is None:
            continue
        argv, env = spec
        proc = subprocess.run(argv + ["--sandbox", '{"tier": "strict", "workspace": "relative"}'], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (launcher, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "blenderd-worker: bad --sandbox argument: 'workspace' must be an absolute path" in proc.stderr


# -- files ---------------------------------------------------------------------------

def test_writes_inside_the_workspace_work(sandboxed):
    res = sandboxed.exec("import os\nopen('note.txt', 'w').write('hi')\n"
                         "os.makedirs('sub/dir', exist_ok=True)\nresult = [os.getcwd(), os.path.expanduser('~')]")
    assert res["value"] == [str(sandboxed.workspace)] * 2
    assert (sandboxed.workspace / "note.txt").read_text() == "hi" and (sandboxed.workspace / "sub/dir").is_dir()


def test_write_outside_is_a_violation(sandboxed):
    target = sandboxed.home / "out.txt"
    data = violation(sandboxed, "x = 1\nwith open(%r, 'w') as f:\n    f.write('x')\n" % str(target))
    assert (data["action"], data["target"], data["policy"], data["line"]) == ("write", str(target), "standard", 2)
    assert data["traceback"] == [{"line": 2, "function": "<module>", "text": "with open(%r, 'w') as f:" % str(target)}]
    assert any(str(sandboxed.workspace) in h for h in data["hints"])
    assert not target.exists()


@needs_landlock
def test_write_outside_by_blender_is_blocked_by_landlock(sandboxed):
    # C code opens the file: no audit event, the kernel says no.
    target = sandboxed.home / "out.blend"
    err = failure(sandboxed, "bpy.ops.wm.save_as_mainfile(filepath=%r, copy=True)\n" % str(target),
                  errors.SCRIPT_ERROR)
    assert "Permission denied" in err.data["message"]
    assert any(str(sandboxed.workspace) in h for h in err.data["hints"]), err.data["hints"]
    assert not target.exists() and not os.path.exists(str(target) + "@")


@needs_landlock
def test_reading_a_secret_outside_is_denied(sandboxed):
    err = failure(sandboxed, "data = open(%r).read()\n" % str(sandboxed.home / "secret.txt"), errors.SCRIPT_ERROR)
    assert err.data["type"] == "PermissionError" and err.data["line"] == 1
    assert any(str(sandboxed.workspace) in h for h in err.data["hints"])
    err = failure(sandboxed, "import os\nresult = os.listdir(%r)\n" % str(sandboxed.home), errors.SCRIPT_ERROR)
    assert err.data["type"] == "PermissionError"
    # another process's environment (here the test's own)
    err = failure(sandboxed, "data = open('/proc/%d/environ', 'rb').read()\n" % os.getpid(), errors.SCRIPT_ERROR)
    assert err.data["type"] == "PermissionError"


# -- network, signals, processes -------------------------------------------------

def test_tcp_connect_is_blocked(sandboxed):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        data = violation(sandboxed, "import socket\ns = socket.create_connection(('127.0.0.1', %d))\n" % port)
        assert data["action"] == "network" and "127.0.0.1" in data["target"] and data["line"] == 2
        assert any("no network" in h for h in data["hints"])
        if KERNEL_ABI is not None and KERNEL_ABI >= 4:
            # the hook is not the boundary: switched off, the kernel still refuses
            res = sandboxed.exec("from blenderd.sandbox import audit\naudit._enforcing = False\nimport socket\n"
                                 "s = socket.socket()\ntry:\n    s.connect(('127.0.0.1', %d))\n    result = 'connected'\n"
                                 "except OSError as exc:\n    result = exc.errno\nfinally:\n    s.close()\n" % port)
            assert res["value"] == 13  # EACCES
        with pytest.raises(socket.timeout):
            listener.accept()  # the listener got nothing
    finally:
        listener.close()


def test_signalling_the_test_process_is_blocked(sandboxed):
    got = []
    old = signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    try:
        data = violation(sandboxed, "import os, signal\nos.kill(%d, signal.SIGUSR1)\n" % os.getpid())
        assert (data["action"], data["target"], data["line"]) == ("signal", str(os.getpid()), 2)
        if KERNEL_ABI is not None and KERNEL_ABI >= 6:
            res = sandboxed.exec("from blenderd.sandbox import audit\naudit._enforcing = False\nimport os, signal\n"
                                 "try:\n    os.kill(%d, signal.SIGUSR1)\n    result = 'sent'\n"
                                 "except OSError as exc:\n    result = exc.errno\n" % os.getpid())
            assert res["value"] == 1  # EPERM: Landlock's signal scope
        time.sleep(0.1)
        assert got == []
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert sandboxed.exec("import os, signal\nos.kill(os.getpid(), 0)\nresult = 1")["value"] == 1


@pytest.mark.parametrize("code, action, target, line", [
    ("x = 1\nimport subprocess\nsubprocess.run(['ls', '-l'])\n", "subprocess", "ls -l", 3),
    ("import os\nos.system('echo hi')\n", "subprocess", "echo hi", 2),
    ("import os\nos.execv('/bin/true', ['true'])\n", "exec", "true", 2),
    ("import ctypes\n\ndef load():\n    return ctypes.CDLL('libm.so.6')\n\nload()\n", "ctypes", "libm.so.6", 4),
])
def test_processes_and_ctypes_are_violations(sandboxed, code, action, target, line):
    data = violation(sandboxed, code)
    assert (data["action"], data["target"], data["policy"], data["line"]) == (action, target, "standard", line)
    assert data["traceback"][-1]["line"] == line and data["hints"]


def test_a_caught_violation_is_still_reported(sandboxed):
    data = violation(sandboxed, "import subprocess\ntry:\n    subprocess.run(['ls'])\nexcept PermissionError as exc:\n"
                                "    print('caught', type(exc).__name__)\nresult = 'finished'\n")
    assert data["caught"] is True and data["line"] == 3 and data["action"] == "subprocess"
    assert data["stdout"] == "caught SandboxViolation\n"
    assert sandboxed.call("worker.ping") == {}


# -- checkpoints ------------------------------------------------------------------

def _objects(worker):
    info = worker.call("scene.info", limit=1000)
    return {o["name"]: (o["location"], o["dimensions"]) for o in info["objects"]}


def test_checkpoint_round_trip_restores_the_chair(sandboxed):
    w = sandboxed
    w.call("worker.reset")
    with open(os.path.join(REPO, "examples", "chair.py"), encoding="utf-8") as f:
        w.exec(f.read())
    before = _objects(w)
    assert len(before) > 10
    cp = str(w.workspace / "checkpoints" / "0001.blend")
    saves = [w.call("checkpoint.save", path=cp) for _ in range(5)]
    assert saves[0]["path"] == cp and saves[0]["bytes"] == os.path.getsize(cp) > 100_000
    w.exec("for ob in list(bpy.data.objects)[:3]:\n    bpy.data.objects.remove(ob)\n"
           "bpy.ops.mesh.primitive_cube_add(size=9)\nbpy.data.objects['Cube'].name = 'Intruder'\n")
    assert _objects(w) != before
    loads = [w.call("checkpoint.load", path=cp) for _ in range(5)]
    assert loads[0]["objects"] == len(before)
    assert _objects(w) == before
    # the next script sees the loaded scene as its starting point
    assert w.exec("x = 1")["changes"] == {}
    name = sorted(before)[0]
    assert w.exec("bpy.data.objects[%r].location.z += 1" % name)["changes"]["objects"] == {"modified": [name]}
    # worker.reset under Landlock (it reads the factory startup from memory)
    assert w.call("worker.reset")["duration_ms"] < 1000 and _objects(w) == {}
    save_ms = sorted(s["duration_ms"] for s in saves)
    load_ms = sorted(s["duration_ms"] for s in loads)
    print("\n[%s] Blender %s, chair (%d objects, %d bytes): checkpoint.save %s ms, checkpoint.load %s ms"
          % (w.launcher, w.ready["blender"]["version"], len(before), saves[0]["bytes"],
             "/".join("%.1f" % t for t in save_ms), "/".join("%.1f" % t for t in load_ms)))
    assert save_ms[0] <= 50 and load_ms[0] <= 50


def test_checkpoint_in_a_subdirectory_keeps_relative_paths(sandboxed):
    w = sandboxed
    w.call("worker.reset")
    w.exec("import os\nimg = bpy.data.images.new('tex', 4, 4)\nimg.filepath_raw = os.path.abspath('tex.png')\n"
           "img.file_format = 'PNG'\nimg.save()\nimg.use_fake_user = True\n"
           "bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath('user.blend'), copy=True)\n")
    w.call("scene.load", path=str(w.workspace / "user.blend"))
    w.call("checkpoint.save", path=str(w.workspace / "checkpoints" / "tex.blend"))
    w.call("worker.reset")
    w.call("checkpoint.load", path=str(w.workspace / "checkpoints" / "tex.blend"))
    res = w.exec("import os\nimg = bpy.data.images['tex']\n"
                 "result = [img.filepath, os.path.normpath(bpy.path.abspath(img.filepath)), tuple(img.size)]")
    assert res["value"] == ["//../tex.png", str(w.workspace / "tex.png"), [4, 4]]
    w.call("worker.reset")


def test_checkpoint_paths_must_be_absolute_and_in_the_workspace(sandboxed):
    for method in ("checkpoint.save", "checkpoint.load", "scene.load"):
        for path in ("rel.blend", str(sandboxed.home / "x.blend"), str(sandboxed.workspace / ".." / "home" / "x.blend")):
            with pytest.raises(RpcError) as info:
                sandboxed.call(method, path=path)
            assert info.value.code == errors.INVALID_PARAMS and info.value.data["param"] == "path", (method, path)
    with pytest.raises(RpcError) as info:
        sandboxed.call("checkpoint.load", path=str(sandboxed.workspace / "missing.blend"))
    assert info.value.code == errors.INVALID_PARAMS and "no such file" in info.value.message
    (sandboxed.workspace / "junk.blend").write_bytes(b"not a blend file")
    with pytest.raises(RpcError) as info:
        sandboxed.call("scene.load", path=str(sandboxed.workspace / "junk.blend"))
    assert info.value.code == errors.INVALID_PARAMS and info.value.data["reason"]
    assert sandboxed.call("worker.ping") == {}


def test_scene_load_never_runs_embedded_scripts(sandboxed):
    """A .blend whose registered text block and Python driver would each write a
    marker when run. scene.load must run neither; the file is shown to be armed
    by loading it with use_scripts=True at the end."""
    w = sandboxed
    ws = w.workspace
    text_marker, driver_marker = ws / "text-ran", ws / "driver-ran"
    armed = str(ws / "armed.blend")
    w.call("worker.reset")
    w.exec("t = bpy.data.texts.new('autorun.py')\n"
           "t.write(\"open(%r, 'w').write('ran')\\n\")\n"
           "t.use_module = True\n"
           "ob = bpy.data.objects.new('Driven', None)\n"
           "bpy.context.scene.collection.objects.link(ob)\n"
           "fc = ob.driver_add('location', 0)\n"
           "fc.driver.type = 'SCRIPTED'\n"
           "fc.driver.expression = \"len(open(%r, 'w').write('ran')) * 0.0 + 1.0\"\n"
           % (str(text_marker), str(driver_marker)))
    w.call("checkpoint.save", path=armed)
    w.call("worker.reset")
    assert not text_marker.exists() and not driver_marker.exists()

    res = w.call("scene.load", path=armed)
    assert res["scripts_blocked"] == 1 and res["objects"] == 1 and res["duration_ms"] < 1000
    w.call("scene.info")  # evaluates the depsgraph, hence the driver
    probe = w.exec("bpy.context.view_layer.update()\nresult = [bpy.app.autoexec_fail, bpy.app.autoexec_fail_message]")
    assert probe["value"][0] is True
    assert not text_marker.exists() and not driver_marker.exists()

    # The global flag: the executable launcher starts Blender with -Y, yet a
    # load that does not say use_scripts follows the flag, which the worker cleared.
    w.exec("bpy.ops.wm.open_mainfile(filepath=%r)\nbpy.context.view_layer.update()" % armed)
    assert not text_marker.exists() and not driver_marker.exists()

    # Control: the file really is armed.
    w.exec("bpy.ops.wm.open_mainfile(filepath=%r, use_scripts=True)\n" % armed)
    assert text_marker.read_text() == "ran"
    w.call("scene.info")
    assert driver_marker.read_text() == "ran"
    w.call("scene.load", path=armed)  # and a later load turns auto-run off again
    text_marker.unlink()
    driver_marker.unlink(missing_ok=True)
    w.call("scene.info")
    assert not driver_marker.exists()
    w.call("worker.reset")


# -- strict tier, start-up and shutdown ---------------------------------------------

@needs_landlock
def test_strict_tier_reads_and_temp_dir(tmp_path):
    from blender_worker import sandbox_policy

    workspace, home = sandbox_dirs(tmp_path)
    w = start_worker("module", sandbox=sandbox_policy(workspace, tier="strict"))
    try:
        assert w.ready["sandbox"]["tier"] == "strict"
        data = violation(w, "secret = open(%r).read()\n" % str(home / "secret.txt"))
        assert (data["action"], data["target"], data["policy"], data["line"]) == \
            ("read", str(home / "secret.txt"), "strict", 1)
        # imports of not-yet-loaded standard modules still work (the worker's runtime is readable)
        assert w.exec("import colorsys, json, wave\nresult = colorsys.rgb_to_hsv(1, 0, 0)[2]")["value"] == 1.0
        # tempfile works without a writable /tmp: it uses Blender's temp dir in the workspace
        res = w.exec("import tempfile\nwith tempfile.NamedTemporaryFile() as f:\n    result = f.name")
        assert res["value"].startswith(str(workspace / ".blender-tmp") + "/")
        # The daemon empties the workspace between leases of a warm instance: the worker
        # re-creates the temp dir on its next call.
        import shutil
        shutil.rmtree(str(workspace / ".blender-tmp"))
        res = w.exec("import tempfile\nwith tempfile.NamedTemporaryFile() as f:\n    result = f.name")
        assert res["value"].startswith(str(workspace / ".blender-tmp") + "/")
    finally:
        w.close()
    # Blender removed its temp dir at exit (it could: the dir is in the workspace)
    assert os.listdir(str(workspace / ".blender-tmp")) == []
