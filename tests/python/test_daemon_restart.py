"""A session survives its daemon: `kill -9` (and SIGTERM, the graceful
variant) takes every sandboxed Blender of the daemon along within 5 s, and a
daemon restarted on the same --state-dir and socket lists the session, resumes
it with its token and continues from the last checkpoint."""

import json
import os
import re
import signal
import time

import pytest

from daemon_harness import (LAUNCHER_REQUIREMENT, Daemon, RpcError, have_launcher, missing_reason,
                            pid_alive, processes_mentioning)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")


def journal_lines(state_dir, session, at_least, timeout=5.0):
    """The session's journal.jsonl as dicts, once it has `at_least` lines."""
    path = os.path.join(state_dir, "sessions", session, "journal.jsonl")
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = [json.loads(line) for line in f if line.strip()]
        if len(lines) >= at_least or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_session_survives_a_daemon_restart(tmp_path, launcher, sig):
    if not have_launcher(launcher):
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
            # The journal has both calls, numbered, within its flush period (lines are written
            # in batches, not on the reply's path) and before the daemon goes.
            journal = journal_lines(daemon.state_dir, session, at_least=2)
            assert [(line["method"], line["ok"], line["seq"]) for line in journal] == \
                [("script.exec", True, 1), ("script.exec", False, 2)], journal
            assert journal[0]["checkpoint"] == checkpoint and "Survivor" in journal[0]["code"], journal[0]
            assert journal[0]["duration_ms"] == res["duration_ms"] and res["worker_ms"] >= res["duration_ms"], (journal[0], res)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", journal[0]["at"]), journal[0]
            assert journal[1]["error"] == -32010 and journal[1]["type"] == "ZeroDivisionError", journal[1]
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
            # The restarted daemon numbers on from the lines on disk.
            journal = journal_lines(daemon.state_dir, session, at_least=3)
            assert [line["seq"] for line in journal] == [1, 2, 3], journal
            c.call("session.close", session=session)
        assert not os.path.exists(os.path.join(daemon.state_dir, "sessions", session)), "a closed session's directory stays"
    finally:
        code = daemon.terminate()
    assert code == 0, daemon.log_tail()
