"""blenderd_client.subscribe against a real daemon (bpy 4.4): a second Client follows a session
(exec results good and failing, checkpoints, rendered images in the delivery it asked, the
session's end), an `all` subscriber on NDJSON sees the session too, unsubscribe ends the
iteration, and bad subscribe params map to InvalidParams / UnknownSession."""

import struct
import threading

import pytest

from blenderd_client import Client, InvalidParams, ReplyTimeout, ScriptError, UnknownSession

import daemon_harness
from daemon_harness import Daemon

pytestmark = pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                                reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")

CUBE = "import bpy\nbpy.ops.mesh.primitive_cube_add(size=2)\nprint('built')\nresult = len(bpy.data.objects)"


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("client-events"), warm=1, max_instances=2, launchers=("module",))
    yield d
    d.terminate()


def collect_until_closed(subscription, sink, timeout=120):
    """Every event until this session's session.state closed."""
    while True:
        event = subscription.next(timeout=timeout)
        sink.append(event)
        if event.method == "session.state" and event.state == "closed":
            return


@pytest.mark.parametrize("delivery", ["binary", "none"])
def test_a_second_client_follows_a_session(daemon, delivery):
    with Client(daemon.socket_path, timeout=300) as owner, Client(daemon.socket_path, timeout=300) as watcher:
        session = owner.open_session(blender=">=4")
        subscription = watcher.subscribe(session.id, delivery=delivery)
        assert subscription.id and subscription.session == session.id and subscription.delivery == delivery
        events = []
        reader = threading.Thread(target=collect_until_closed, args=(subscription, events))
        reader.start()
        good = session.exec(CUBE)
        with pytest.raises(ScriptError):
            session.exec("raise ValueError('nope')")
        images = list(session.render_views(1, resolution=[48, 27], engine="CYCLES", samples=1))
        session.close()
        reader.join(120)
        assert not reader.is_alive()

        methods = [e.method for e in events]
        results = [e.params for e in events if e.method == "exec.result"]
        assert [r["ok"] for r in results] == [True, False]
        assert results[0]["stdout"] == "built\n" and results[0]["value"] == 1 and results[0]["checkpoint"] == good.checkpoint
        assert results[1]["error"]["code"] == -32010 and results[1]["error"]["data"]["type"] == "ValueError"
        saved = [e for e in events if e.method == "checkpoint.saved"]
        assert saved and saved[0].params["checkpoint"] == good.checkpoint and saved[0].params["auto"] is True
        assert all(e.subscription == subscription.id for e in events)
        seen = [e.image for e in events if e.method == "render.image"]
        assert len(seen) == 1 and seen[0].index == 0 and (seen[0].width, seen[0].height) == (48, 27)
        if delivery == "binary":
            assert seen[0].data == images[0].data and png_size(seen[0].data) == (48, 27)
        else:
            assert seen[0].data is None and seen[0].path is None  # metadata only
        assert "render.progress" in methods
        assert methods[-1] == "session.state" and events[-1].state == "closed"


def test_all_subscriber_on_ndjson_and_unsubscribe(daemon):
    with Client(daemon.socket_path, timeout=300) as owner, \
            Client(daemon.socket_path, framing="ndjson", timeout=300) as watcher:
        subscription = watcher.subscribe()  # everything
        assert subscription.all and subscription.session is None
        with owner.session(blender=">=4") as session:
            session.exec(CUBE)
            seen = []
            while True:
                event = subscription.next(timeout=120)
                seen.append(event)
                if event.method == "exec.result" and event.session == session.id:
                    break
            assert event.params["ok"] is True
        assert subscription.unsubscribe() is True
        drained = list(subscription)  # what came before the unsubscribe, then the iteration ends
        assert all(e.subscription == subscription.id for e in drained)
        with pytest.raises(StopIteration):
            subscription.next(timeout=1)


def test_bad_subscribe_params(daemon):
    with Client(daemon.socket_path) as client:
        with pytest.raises(UnknownSession):
            client.subscribe("s-no-such-session")
        with pytest.raises(InvalidParams) as both:
            client.subscribe("s-anything", all=True)
        assert both.value.path
        with pytest.raises(InvalidParams) as ndjson_binary:
            with Client(daemon.socket_path, framing="ndjson") as nd:
                nd.subscribe(delivery="binary")
        assert ndjson_binary.value.path == "params.delivery"
        with client.session(blender=">=4") as session:
            quiet = session.subscribe()  # on the owner's own connection
            with pytest.raises(ReplyTimeout):
                quiet.next(timeout=0.3)  # an idle session: no event
            session.exec("result = 2")
            assert quiet.next(timeout=60).method in ("exec.result", "checkpoint.saved")
        assert client.ping()
