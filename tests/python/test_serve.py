"""The worker loop without Blender: fake handlers over a socketpair."""

import socket
import threading

import pytest

from blenderd.rpc import Channel, RpcError, errors, framing
from blenderd.serve import Stop, serve


def _handlers(calls):
    def boom(params):
        raise ValueError("worker bug")

    def bad_params(params):
        raise RpcError(errors.INVALID_PARAMS, "nope", {"param": "x"})

    def shutdown(params):
        raise Stop({})

    def interrupted(params):
        raise KeyboardInterrupt

    return {
        "worker.ping": lambda p: calls.append(p) or {},
        "boom": boom,
        "bad": bad_params,
        "nan": lambda p: float("nan"),
        "int": interrupted,
        "worker.shutdown": shutdown,
    }


@pytest.fixture
def worker():
    a, b = socket.socketpair()
    calls = []
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("code", serve(Channel(b), _handlers(calls))))
    t.start()
    client = Channel(a)
    yield client, calls, result, t
    client.close()
    t.join(5)


def test_requests_errors_and_shutdown(worker):
    client, calls, result, t = worker
    assert client.request("worker.ping", {"a": 1}, timeout=5) == {}
    for method, code in [("nope", errors.METHOD_NOT_FOUND), ("boom", errors.INTERNAL_ERROR),
                         ("bad", errors.INVALID_PARAMS), ("nan", errors.INTERNAL_ERROR),
                         ("int", errors.CANCELLED)]:
        with pytest.raises(RpcError) as info:
            client.request(method, {}, timeout=5)
        assert info.value.code == code, method
    client.notify("worker.ping", {"b": 2})  # notifications get no reply
    assert client.request("worker.shutdown", timeout=5) == {}
    t.join(5)
    assert result["code"] == 0 and calls == [{"a": 1}, {"b": 2}]


def test_invalid_frame_answered_with_null_id(worker):
    client, _, _, _ = worker
    client.sock.sendall(framing.encode_frame(b"{nope"))
    msg = client.read(timeout=5)
    assert msg.kind == "error" and msg.id is None and msg.error.code == errors.PARSE_ERROR
    assert client.request("worker.ping", timeout=5) == {}


def test_eof_exits_zero(worker):
    client, _, result, t = worker
    client.close()
    t.join(5)
    assert result["code"] == 0


def test_sigint_handler_only_interrupts_running_requests():
    from blenderd import serve as serve_module

    serve_module.on_sigint(2, None)  # idle: ignored, a reply is never cut in half
    seen = []

    def handler(params):
        try:
            serve_module.on_sigint(2, None)
        except KeyboardInterrupt:
            seen.append("interrupted")
            raise

    with pytest.raises(RpcError) as info:
        serve_module.dispatch({"x": handler}, "x", {})
    assert info.value.code == errors.CANCELLED and seen == ["interrupted"]
    serve_module.on_sigint(2, None)  # idle again
