"""A session survives its daemon: `kill -9` (and SIGTERM, the graceful
variant) takes every sandboxed Blender of the daemon along within 5 s, and a
daemon restarted on the same --state-dir and socket lists the session, resumes
it with its token and continues from the last checkpoint."""

import os
import signal
import time

import pytest

from daemon_harness import (LAUNCHER_REQUIREMENT, Daemon, RpcError, blender_executable, bpy_python, missing_reason,
                            pid_alive, processes_mentioning)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def have(launcher):
    return blender_executable() if launcher == "executable" else bpy_python()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_session_survives_a_daemon_restart(tmp_path, launcher, sig):
    if not have(launcher):
        pytest.skip("%s launcher not available" % launcher)
    daemon = Daemon(tmp_path, warm=1, max_instances=2)
    try:
        with daemon.client() as c:
            opened = c.call("session.open", blender=LAUNCHER_REQUIREMENT[launcher])
            session, token = opened["session"], opened["token"]
            res = c.call("script.exec", session=session,
                         code="import bpy\nbpy.ops.mesh.primitive_cube_add(location=(1, 2, 3))\n"
                              "bpy.context.object.name = 'Survivor'")
            checkpoint = res["checkpoint"]
            assert checkpoint, res
            # a second exec that fails: no checkpoint, the scene stays at the first one
            with pytest.raises(RpcError):
                c.call("script.exec", session=session, code="import bpy\nbpy.data.objects['Survivor'].name = 'X'\n1/0")
            worker = next(i["pid"] for i in c.call("instance.list")["instances"] if i.get("session") == session)
            sandboxed = processes_mentioning(daemon.state_dir)
        assert worker in sandboxed and len(sandboxed) >= 4, sandboxed  # daemon + bwrap, its init, worker

        os.kill(daemon.pid, sig)
        daemon.proc.wait(20)
        gone_by = time.monotonic() + 5
        # A dying process loses its command line (its memory) before it turns
        # into a zombie, so wait for the worker's own pid as well.
        while (processes_mentioning(daemon.state_dir) or pid_alive(worker)) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert processes_mentioning(daemon.state_dir) == [], "outlived the daemon by 5 s"
        assert not pid_alive(worker)
        if sig == signal.SIGTERM:
            assert daemon.proc.returncode == 0, daemon.log_tail()
        daemon.log.close()

        daemon.start()  # same --socket, same --state-dir (a kill -9 left the socket file behind)
        with daemon.client() as c:
            listed = {s["session"]: s for s in c.call("session.list")["sessions"]}
            assert session in listed, listed
            assert listed[session]["checkpoint"] == checkpoint and listed[session]["attached"] is False
            assert listed[session]["mine"] is False
            with pytest.raises(RpcError) as info:
                c.call("session.resume", session=session, token="t" + "0" * 32)
            assert info.value.code == -32020, info.value
            resumed = c.call("session.resume", session=session, token=token)
            assert resumed["session"] == session and resumed["kind"] == launcher, resumed
            if "restored_checkpoint" in resumed:  # protocol 0.2
                assert resumed["restored_checkpoint"] == checkpoint, resumed
            objects = c.call("script.exec", session=session,
                             code="import bpy\nresult = [(o.name, tuple(o.location)) for o in bpy.data.objects]")["value"]
            assert objects == [["Survivor", [1.0, 2.0, 3.0]]], objects
            c.call("session.close", session=session)
    finally:
        code = daemon.terminate()
    assert code == 0, daemon.log_tail()
