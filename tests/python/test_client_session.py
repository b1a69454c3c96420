"""blenderd_client against a real daemon (bpy 4.4, strict sandbox): sessions as context managers
on both framings, exec results, ScriptError with line and hints, SandboxViolation, Timeout and
InstanceCrashed with the checkpoint the daemon restored, checkpoints and restore, UnknownSession,
InvalidParams, NoInstanceFits, request.cancel through a PendingCall."""

import os
import signal
import threading
import time

import pytest

from blenderd_client import (Cancelled, Client, InstanceCrashed, InvalidParams, NoInstanceFits, SandboxViolation,
                             ScriptError, Timeout, UnknownSession)

import daemon_harness
from daemon_harness import Daemon

pytestmark = pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                                reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")

CUBE = "import bpy\nbpy.ops.mesh.primitive_cube_add()\nresult = sorted(o.name for o in bpy.data.objects)"
OLD_API = ("import bpy\n"
           "m = bpy.data.materials.new('Varnish')\n"
           "m.use_nodes = True\n"
           "bsdf = m.node_tree.nodes['Principled BSDF']\n"
           "bsdf.inputs['Specular'].default_value = 0.6\n")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("client-session"), warm=1, max_instances=2, launchers=("module",))
    yield d
    d.terminate()


@pytest.fixture(params=["header", "ndjson"])
def client(request, daemon):
    with Client(daemon.socket_path, framing=request.param, timeout=300) as c:
        yield c


def test_exec_result_and_script_error_with_line_and_hints(client):
    with client.session(blender=">=4") as session:
        assert session.id and session.token and session.blender.startswith("4.") and session.kind == "module"
        ok = session.exec(CUBE + "\nprint('made it')")
        assert ok.value == ["Cube"] and ok.stdout == "made it\n" and ok.checkpoint == "c1"
        assert "Cube" in str(ok.changes) and ok.duration_ms > 0
        with pytest.raises(ScriptError) as info:
            session.exec(OLD_API)
        error = info.value
        assert error.code == -32010 and error.type == "KeyError" and error.line == 5
        assert any("Specular IOR Level" in hint for hint in error.hints), error.hints
        assert error.traceback[-1].line == 5 and "Specular" in error.traceback[-1].text
        assert "line 5: bsdf.inputs['Specular'].default_value = 0.6" in error.explain(OLD_API)
        assert error.restored and error.restored_checkpoint == "c1"  # the material was rolled back
        assert session.exec("import bpy\nresult = len(bpy.data.materials)").value == 0
        session_id = session.id
    # closed on exit: the id is gone
    with pytest.raises(UnknownSession) as gone:
        client.call("scene.info", session=session_id)
    assert gone.value.data["session"] == session_id


def test_sandbox_violation(client):
    with client.session() as session:
        with pytest.raises(SandboxViolation) as info:
            session.exec("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)")
    v = info.value
    assert v.code == -32003 and v.action == "network" and v.target == "192.0.2.1:80" and v.policy == "strict"
    assert v.line == 2 and v.hints and "network" in v.hints[0]


def test_timeout_restores_the_last_checkpoint(client):
    with client.session(blender=">=4") as session:
        first = session.exec(CUBE)
        with pytest.raises(Timeout) as info:
            session.exec("while True:\n    pass", timeout_s=1)
        t = info.value
        assert t.timeout_s == 1 and t.restored_checkpoint == first.checkpoint and t.instance
        # the session goes on, on a fresh instance at that checkpoint
        assert session.exec("import bpy\nresult = sorted(o.name for o in bpy.data.objects)").value == ["Cube"]


def test_crash_restores_the_last_checkpoint(client):
    with client.session(blender=">=4") as session:
        first = session.exec(CUBE)
        with pytest.raises(InstanceCrashed) as info:
            session.exec("import os\nos.kill(os.getpid(), 9)")
        crash = info.value
        assert crash.signal == 9 and crash.restored_checkpoint == first.checkpoint and crash.session == session.id
        assert session.exec("import bpy\nresult = len(bpy.data.objects)").value == 1


def test_checkpoints_and_restore(client):
    with client.session(blender=">=4") as session:
        c1 = session.exec(CUBE).checkpoint
        labelled = session.checkpoint("one cube")
        assert labelled.label == "one cube" and not labelled.auto
        c3 = session.exec(CUBE).checkpoint
        listed = session.checkpoints()
        assert listed.ids == [c1, labelled.id, c3] and listed.current == c3 and listed.policy == "auto"
        assert all(c.bytes > 0 for c in listed)
        restored = session.restore(labelled)
        assert restored["checkpoint"] == labelled.id
        assert session.exec("import bpy\nresult = len(bpy.data.objects)").value == 1
        assert session.scene_info()["total"] == 1
        assert session.object("Cube")["type"] == "MESH"
        described = session.describe("mesh.primitive_cube_add")
        assert "size" in str(described)


def test_bad_params_and_requirements(client):
    with client.session() as session:
        with pytest.raises(InvalidParams) as info:
            session.object("NoSuchThing")
        assert info.value.path == "params.name"
    with pytest.raises(NoInstanceFits) as nofit:
        client.open_session(blender=">=99")
    assert nofit.value.available and nofit.value.requirements["blender"] == ">=99"
    with pytest.raises(TypeError, match="unknown session.open params"):
        client.session(blendr=">=4")


def test_resume_from_another_connection(daemon, client):
    session = client.open_session()
    try:
        session.exec(CUBE)
        with Client(daemon.socket_path) as other:
            taken = other.resume_session(session.id, session.token)
            assert taken.id == session.id
            assert taken.exec("import bpy\nresult = len(bpy.data.objects)").value == 1
            taken.close()
    finally:
        session.close()


def test_cancel_a_running_exec(client):
    with client.session() as session:
        call = client.call_async("script.exec", {"session": session.id, "code": "import time\nwhile True: time.sleep(0.05)"})
        time.sleep(1.0)  # let it reach Blender (a queued cancel would also pass this test, as Cancelled)
        answer = call.cancel()
        assert answer["cancelled"] is True
        with pytest.raises(Cancelled) as info:
            call.result()
        assert info.value.data["reason"] == "request.cancel"


def test_keyboard_interrupt_cancels_the_running_exec(client):
    """Ctrl-C in the program (a real SIGINT from a timer: it interrupts the blocked wait, as
    _thread.interrupt_main would not) cancels the call on the daemon: the session is free again
    within the cancel's escalation, not after the script's timeout."""
    # Python's own Ctrl-C handling, even when the test run inherited SIGINT ignored (a shell
    # starts background jobs so, and Python keeps an inherited SIG_IGN).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with client.session() as session:
            session.exec(CUBE)
            timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            started = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                session.exec("import time\nwhile True: time.sleep(0.05)", timeout_s=300)
            timer.join()
            # The next call waits behind the cancelled one, which the daemon stops (SIGINT, then
            # SIGTERM/SIGKILL 2 s apart) and rolls back to c1.
            assert session.exec("import bpy\nresult = sorted(o.name for o in bpy.data.objects)").value == ["Cube"]
            assert time.monotonic() - started < 20
    finally:
        signal.signal(signal.SIGINT, previous)


def test_one_client_shared_by_threads(client):
    with client.session() as session:
        results, errors = [], []

        def ping():
            try:
                for _ in range(20):
                    results.append(client.ping())
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=ping) for _ in range(3)]
        for t in threads:
            t.start()
        value = session.exec("result = sum(range(10))").value
        for t in threads:
            t.join(30)
        assert value == 45 and errors == [] and results == [True] * 60
