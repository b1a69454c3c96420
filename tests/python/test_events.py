"""events.subscribe on a real daemon with real Blender (bpy 4.4): other connections follow a
session — exec results (good and failing), checkpoints, images as each subscriber asked
(inline, path, binary over header framing), the session's end, instance state changes — bad
params are refused while the daemon keeps serving, and a subscriber that never reads does not
stall the session it follows."""

import base64
import json
import os
import socket
import struct
import time

import pytest

from daemon_harness import (INVALID_PARAMS, SCRIPT_ERROR, UNKNOWN_SESSION, Client, Daemon, RpcError, animated_scene,
                            bpy_python, missing_reason)

pytestmark = pytest.mark.skipif(missing_reason() is not None or bpy_python() is None,
                                reason=missing_reason() or "no bpy module (.venv/bin/python)")

SCENE = ("import bpy\nbpy.ops.mesh.primitive_cube_add(size=2)\nbpy.ops.mesh.primitive_uv_sphere_add(location=(2.4, 0, 0))\n"
         "print('hello from A')\nresult = len(bpy.data.objects)\n")
RENDER = dict(views=2, resolution=[64, 36], samples=1, engine="CYCLES")


def png_size(data):
    """(width, height) from a PNG's IHDR; fails unless `data` is a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def read_until(client, done, timeout=120):
    """Notifications on a subscriber's NDJSON connection until `done(message, so_far)` (included)."""
    client.sock.settimeout(timeout)
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = client.read()
        got.append(msg)
        if done(msg, got):
            return got
    raise AssertionError("no end within %d s; got %s" % (timeout, [m.get("method") for m in got]))


class HeaderClient:
    """A header-framed (Content-Length) connection, which can receive attachment frames."""

    def __init__(self, path, timeout=120):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def frame(self):
        """(content_type, body) of the next frame."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        fields = dict(line.split(b":", 1) for line in head.split(b"\r\n"))
        fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
        length = int(fields[b"content-length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return fields.get(b"content-type", b"application/vscode-jsonrpc; charset=utf-8").decode(), body

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the daemon closed the connection")
        self.buffer += chunk

    def close(self):
        self.sock.close()


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path, warm=1, max_instances=2, launchers=("module",))
    yield d
    d.stop()


def test_subscribers_follow_a_session(daemon):
    with daemon.client() as a, daemon.client() as b, daemon.client() as c:
        # C follows everything (files by path) from before the session exists.
        everything = c.call("events.subscribe", all=True, delivery="path")
        assert everything["all"] is True and everything["delivery"] == "path" and "session" not in everything
        session = a.call("session.open", blender=">=4")["session"]
        followed = b.call("events.subscribe", session=session, delivery="inline")
        assert followed == {"subscription": followed["subscription"], "session": session, "all": False, "delivery": "inline"}
        assert followed["subscription"] != everything["subscription"]
        # F follows the same session over header framing, images as attachment frames.
        f = HeaderClient(daemon.socket_path)
        f.send({"jsonrpc": "2.0", "id": 1, "method": "events.subscribe", "params": {"session": session, "delivery": "binary"}})
        kind, body = f.frame()
        binary = json.loads(body)["result"]
        assert binary["delivery"] == "binary", binary

        good = a.call("script.exec", session=session, code=SCENE)
        with pytest.raises(RpcError) as failed:
            a.call("script.exec", session=session, code="x = 1\n1/0\n")
        assert failed.value.code == SCRIPT_ERROR
        marked = a.call("scene.checkpoint", session=session, label="mark")
        inline = a.call("render.views", session=session, delivery="inline", timeout=300, **RENDER)
        by_path = a.call("render.views", session=session, delivery="path", timeout=300, **RENDER)
        assert len(inline["images"]) == 2 and len(by_path["images"]) == 2

        # C (all, path): the images as files on the host (read before the session's directory,
        # where they are, goes with the session).
        got_c = read_until(c, lambda m, so_far: sum(x["method"] == "render.image" for x in so_far) == 4)
        seen = [m for m in got_c if m["method"] == "render.image"]
        for image in seen:
            assert image["params"]["subscription"] == everything["subscription"] and image["params"]["session"] == session
            with open(image["params"]["attachment"]["path"], "rb") as fh:
                assert png_size(fh.read()) == (64, 36)
        a.call("session.close", session=session)

        # B: everything of the session, in order, images inline.
        got = read_until(b, lambda m, _: m.get("method") == "session.state" and m["params"]["state"] == "closed")
        assert all(m["params"]["subscription"] == followed["subscription"] for m in got)
        assert all(m["params"].get("session") == session for m in got if m["method"] != "instance.state")
        methods = [m["method"] for m in got]
        results = [m["params"] for m in got if m["method"] == "exec.result"]
        assert len(results) == 2, methods
        assert results[0]["ok"] is True and "hello from A" in results[0]["stdout"]
        assert results[0]["value"] == good["value"] and results[0]["checkpoint"] == good["checkpoint"] and results[0]["duration_ms"] >= 0
        assert results[1]["ok"] is False and "error" in results[1] and "checkpoint" not in results[1]
        assert results[1]["error"]["code"] == SCRIPT_ERROR and results[1]["error"]["message"] == "Script error"
        assert results[1]["error"]["data"]["type"] == "ZeroDivisionError" and results[1]["error"]["data"]["line"] == 2
        saved = [m["params"] for m in got if m["method"] == "checkpoint.saved"]
        assert [s["checkpoint"] for s in saved] == [good["checkpoint"], marked["id"]], saved
        assert saved[0]["auto"] is True and saved[1]["auto"] is False and saved[1]["label"] == "mark"
        # The automatic checkpoint is announced before the exec's result that names it.
        assert methods.index("checkpoint.saved") < methods.index("exec.result")
        images = [m["params"] for m in got if m["method"] == "render.image"]
        assert len(images) == 4, methods
        for image in images:
            data = base64.b64decode(image["attachment"]["base64"])
            assert png_size(data) == (64, 36) and image["attachment"]["bytes"] == len(data) == image["bytes"]
        assert any(m == "render.progress" for m in methods)
        assert methods[-1] == "session.state" and got[-1]["params"]["reason"]

        # F: the same images, each as an attachment frame right after its notification.
        frames = 0
        while True:
            kind, body = f.frame()
            msg = json.loads(body)
            assert msg["params"]["subscription"] == binary["subscription"]
            if msg["method"] == "render.image":
                attachment_kind, data = f.frame()
                assert attachment_kind == "application/octet-stream"
                assert png_size(data) == (64, 36) and len(data) == msg["params"]["attachment"]["bytes"]
                assert "base64" not in msg["params"]["attachment"]
                frames += 1
            if msg["method"] == "session.state" and msg["params"]["state"] == "closed":
                break
        assert frames == 4
        f.close()

        # C (all): the session's life and the instances' states.
        got = got_c + read_until(c, lambda m, _: m.get("method") == "session.state" and m["params"]["state"] == "closed")
        states = [m["params"]["state"] for m in got if m["method"] == "session.state"]
        assert states == ["opened", "closed"], states
        assert len([m for m in got if m["method"] == "exec.result"]) == 2
        # ... until the session's instance has gone (a sandboxed instance serves one session).
        instance = good_instance = next(m["params"]["instance"] for m in got
                                        if m["method"] == "instance.state" and m["params"].get("session") == session)
        more = read_until(c, lambda m, _: m.get("method") == "instance.state" and m["params"]["instance"] == instance
                          and m["params"]["state"] == "dead")
        transitions = [(m["params"]["instance"], m["params"]["state"], m["params"].get("session"))
                       for m in got + more if m["method"] == "instance.state"]
        assert (good_instance, "busy", session) in transitions, transitions
        assert more[-1]["params"]["session"] == session and more[-1]["params"]["reason"], more[-1]

        # Unsubscribed: nothing more arrives for it; the answer comes right after what was queued.
        ended = b.call("events.unsubscribe", subscription=followed["subscription"])
        assert ended == {"subscription": followed["subscription"], "unsubscribed": True}
        with pytest.raises(RpcError) as again:
            b.call("events.unsubscribe", subscription=followed["subscription"])
        assert again.value.code == INVALID_PARAMS and again.value.data["path"] == "params.subscription"


def test_bad_params_are_refused_and_the_daemon_keeps_serving(daemon):
    with daemon.client() as a, daemon.client() as b:
        cases = [
            ({}, INVALID_PARAMS, "params"),
            ({"all": False}, INVALID_PARAMS, "params"),
            ({"session": "s0", "all": True}, INVALID_PARAMS, "params"),
            ({"all": True, "delivery": "binary"}, INVALID_PARAMS, "params.delivery"),  # NDJSON connection
            ({"all": True, "delivery": "jpeg"}, INVALID_PARAMS, "params.delivery"),
            ({"all": True, "topics": []}, INVALID_PARAMS, "params.topics"),
        ]
        for params, code, path in cases:
            with pytest.raises(RpcError) as bad:
                a.call("events.subscribe", **params)
            assert bad.value.code == code and bad.value.data["path"] == path, (params, bad.value.data)
            assert bad.value.data["reason"]
        with pytest.raises(RpcError) as unknown:
            a.call("events.subscribe", session="s0123")
        assert unknown.value.code == UNKNOWN_SESSION and unknown.value.data == {"session": "s0123"}
        # Another connection's subscription is not found; its own is.
        mine = b.call("events.subscribe", all=True)["subscription"]
        with pytest.raises(RpcError) as other:
            a.call("events.unsubscribe", subscription=mine)
        assert other.value.code == INVALID_PARAMS and other.value.data["path"] == "params.subscription"
        assert a.call("daemon.ping") == {"pong": True}
        assert b.call("events.unsubscribe", subscription=mine)["unsubscribed"] is True
        # A closed session cannot be followed.
        session = a.call("session.open", blender=">=4")["session"]
        a.call("session.close", session=session)
        with pytest.raises(RpcError) as closed:
            b.call("events.subscribe", session=session)
        assert closed.value.code == UNKNOWN_SESSION
        assert b.call("daemon.ping") == {"pong": True}


def test_a_subscriber_that_never_reads_does_not_stall_the_session(tmp_path):
    daemon = Daemon(tmp_path, warm=1, max_instances=2, launchers=("module",),
                    extra_args=["--max-queue-bytes", "65536", "--slow-client-timeout", "600"])
    try:
        with daemon.client() as a, daemon.client() as late:
            session = a.call("session.open", blender=">=4")["session"]
            # D subscribes and then never reads a byte; `late` reads only once A is done.
            d = Client(daemon.socket_path)
            d.call("events.subscribe", session=session, delivery="inline")
            late_id = late.call("events.subscribe", session=session)["subscription"]
            execs = 12
            for n in range(execs):
                code = (SCENE if n == 0 else "") + "print('x' * 200000)\nresult = %d\n" % n
                res = a.call("script.exec", session=session, code=code)
                assert res["value"] == n
            images = a.call("render.views", session=session, delivery="inline", timeout=300,
                            **dict(RENDER, resolution=[320, 180]))
            assert len(images["images"]) == 2
            a.call("session.close", session=session)
            assert a.call("daemon.ping") == {"pong": True}

            # Over its 64 KiB limit the late reader lost notifications (the session's close among
            # them); once it has drained it is told how many.
            got = read_until(late, lambda m, _: m.get("method") == "events.dropped")
            results = [m["params"] for m in got if m["method"] == "exec.result"]
            assert 0 < len(results) < execs, len(results)
            assert [r["value"] for r in results] == list(range(len(results)))  # the first ones, in order
            assert got[-1]["params"] == {"subscription": late_id, "dropped": got[-1]["params"]["dropped"]}
            assert got[-1]["params"]["dropped"] >= execs - len(results)
            assert all(m["params"]["subscription"] == late_id for m in got)
            assert late.call("daemon.ping") == {"pong": True}
            log = open(daemon.log_path, encoding="utf-8", errors="replace").read()
            assert "dropping its notifications" in log
            d.close()
    finally:
        daemon.stop()


def test_subscribers_get_the_job_events(daemon):
    """A job submitted from a session reaches that session's subscribers and `all`
    subscribers: job.progress up to `done` and one job.frame per frame, with the frame's
    bytes inline for an inline subscriber; a subscriber of another session gets none."""
    with daemon.client() as a, daemon.client() as b, daemon.client() as c, daemon.client() as d:
        session = a.call("session.open", blender=">=4")["session"]
        other = d.call("session.open", blender=">=4")["session"]
        followed = b.call("events.subscribe", session=session, delivery="inline")["subscription"]
        everything = c.call("events.subscribe", all=True)["subscription"]
        unrelated = d.call("events.subscribe", session=other, delivery="inline")["subscription"]
        # The pool has two instances; the job needs one of them. D's subscription outlives its session.
        d.call("session.close", session=other)
        a.call("script.exec", session=session, code=animated_scene(2, 2))
        job = a.call("job.submit", session=session, frames="1-2", chunk=1, engine="WORKBENCH",
                     resolution=[32, 18])["job"]

        def finished(message, _):
            return message.get("method") == "job.progress" and message["params"]["state"] in ("done", "failed", "cancelled")

        for client, subscription in ((b, followed), (c, everything)):
            got = [m for m in read_until(client, finished) if m["method"].startswith("job.")]
            assert all(m["params"]["job"] == job and m["params"]["subscription"] == subscription for m in got), got
            assert got[-1]["params"]["state"] == "done" and got[-1]["params"]["done"] == 2, got[-1]
            frames = sorted((m["params"] for m in got if m["method"] == "job.frame"), key=lambda p: p["frame"])
            assert [f["frame"] for f in frames] == [1, 2], frames
            for f in frames:
                if client is b:  # inline: the PNG itself
                    assert png_size(base64.b64decode(f["bytes"] if isinstance(f["bytes"], str) else f["attachment"]["base64"])) == (32, 18)
        a.call("session.close", session=session)
        # D followed another session: nothing of the job reached it.
        stray = [m for m in d.pending(1.0) if m.get("params", {}).get("subscription") == unrelated
                 and m["method"].startswith("job.")]
        assert stray == [], stray
