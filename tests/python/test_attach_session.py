"""The GUI attach state machine without Blender: fake handlers, a socketpair
for the daemon, and pump() called as the timer would."""

import socket

from blenderd.attach import AttachSession
from blenderd.rpc import Channel
from blenderd.serve import Stop


def make(handlers=None):
    a, b = socket.socketpair()
    daemon = Channel(a)

    def shutdown(params):
        raise Stop({})

    table = {"worker.ping": lambda p: {"pong": True}, "worker.shutdown": shutdown}
    table.update(handlers or {})
    session = AttachSession(Channel(b), table, {"token": "t", "kind": "gui"})
    return daemon, session


def test_attach_then_serve_then_detach():
    daemon, session = make()
    attach = daemon.read(timeout=5)
    assert attach.method == "worker.attach" and attach.params["token"] == "t"
    assert session.pump() is not None and session.state == "attaching"  # nothing readable: no wait
    daemon.respond(attach.id, {"instance": "gui-1"})
    daemon.send({"jsonrpc": "2.0", "id": 1, "method": "worker.ping"})
    session.pump()
    assert session.state == "attached" and session.status == "attached as gui-1"
    assert daemon.read(timeout=5).result == {"pong": True} and session.served == 1
    daemon.send({"jsonrpc": "2.0", "id": 2, "method": "worker.shutdown"})
    assert session.pump() is None and session.state == "closed"
    assert daemon.read(timeout=5).result == {}


def test_requests_before_attach_are_refused():
    daemon, session = make()
    daemon.read(timeout=5)
    daemon.send({"jsonrpc": "2.0", "id": 9, "method": "worker.ping"})
    session.pump()
    reply = daemon.read(timeout=5)
    assert reply.kind == "error" and reply.id == 9


def test_refused_attach_closes_with_reason():
    daemon, session = make()
    attach = daemon.read(timeout=5)
    daemon.send({"jsonrpc": "2.0", "id": attach.id, "error": {"code": -32020, "message": "Unauthorized"}})
    assert session.pump() is None and "attach refused: Unauthorized" in session.status


def test_daemon_going_away_closes():
    daemon, session = make()
    daemon.close()
    assert session.pump() is None and session.state == "closed"
