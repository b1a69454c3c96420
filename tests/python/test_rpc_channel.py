import socket
import threading

import pytest

from blenderd.rpc import Channel, ChannelClosed, RpcError, errors, framing, messages


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    left, right = Channel(a), Channel(b)
    yield left, right
    left.close()
    right.close()


def test_notification_and_request_roundtrip(pair):
    left, right = pair

    def serve_one():
        msg = right.read()
        assert msg.kind == "request" and msg.method == "echo"
        right.notify("progress", {"n": 1})  # arrives while left waits for its response
        right.respond(msg.id, msg.params)

    t = threading.Thread(target=serve_one)
    t.start()
    assert left.request("echo", {"v": "\u2603"}, timeout=5) == {"v": "\u2603"}
    t.join()
    held = left.read(timeout=1)
    assert held.kind == "notification" and held.method == "progress"


def test_error_response_raises_rpcerror(pair):
    left, right = pair

    def serve_one():
        msg = right.read()
        right.respond_error(msg.id, RpcError(errors.SCRIPT_ERROR, "boom", {"line": 3}))

    t = threading.Thread(target=serve_one)
    t.start()
    with pytest.raises(RpcError) as info:
        left.request("script.exec", {"code": "x"}, timeout=5)
    t.join()
    assert info.value.code == -32010 and info.value.data == {"line": 3}


def test_request_timeout_and_eof(pair):
    left, right = pair
    with pytest.raises(TimeoutError):
        left.request("slow", timeout=0.05)
    right.close()
    with pytest.raises(ChannelClosed):
        left.request("gone", timeout=5)


def test_read_timeout_zero_returns_none_without_blocking(pair):
    left, _ = pair
    assert left.read(timeout=0) is None and not left.eof


def test_attachment_pairs_with_its_announcement(pair):
    left, right = pair
    data = bytes(range(256)) * 10
    left.send(messages.notification("render.image", {"attachment": {"bytes": len(data), "mime": "image/png"}}), data)
    left.notify("after")
    msg = right.read(timeout=5)
    assert msg.method == "render.image" and msg.attachment == data
    assert right.read(timeout=5).method == "after"


def test_send_refuses_unannounced_or_wrong_size_attachment(pair):
    left, _ = pair
    with pytest.raises(ValueError):
        left.send(messages.notification("n", {}), b"abc")
    with pytest.raises(ValueError):
        left.send(messages.notification("n", {"attachment": {"bytes": 2}}), b"abc")


def _raw(sock_channel, data):
    sock_channel.sock.sendall(data)


def test_unexpected_and_missing_attachments_are_reported(pair):
    left, right = pair
    _raw(left, framing.encode_attachment(b"zz"))
    msg = right.read(timeout=5)
    assert msg.kind == "invalid" and msg.error.data["reason"] == "unexpected_attachment"
    announce = messages.notification("n", {"attachment": {"bytes": 2}})
    _raw(left, framing.encode_frame(messages.encode(announce)) + framing.encode_frame(b'{"jsonrpc":"2.0","method":"x"}'))
    msg = right.read(timeout=5)
    assert msg.kind == "invalid" and msg.error.data["reason"] == "attachment_missing"
    assert right.read(timeout=5).method == "x"


def test_oversize_frame_then_usable():
    a, b = socket.socketpair()
    left, right = Channel(a), Channel(b, max_frame=64)
    left.notify("big", {"pad": "x" * 200})
    left.notify("small")
    msg = right.read(timeout=5)
    assert msg.kind == "invalid" and msg.error.code == errors.INVALID_REQUEST
    assert msg.error.data["reason"] == "frame_too_large"
    assert right.read(timeout=5).method == "small"


def test_eof_inside_frame_is_reported(pair):
    left, right = pair
    _raw(left, b"Content-Length: 10\r\n\r\n{")
    left.sock.shutdown(socket.SHUT_WR)
    assert right.read(timeout=5) is None and right.eof
    assert "inside a frame" in right.eof_reason


def test_bad_header_reports_once_then_closed(pair):
    left, right = pair
    _raw(left, b"Bogus\r\n\r\n")
    msg = right.read(timeout=5)
    assert msg.kind == "invalid" and msg.error.code == errors.PARSE_ERROR
    assert right.read(timeout=5) is None and right.eof


def test_ndjson_channel(pair):
    a, b = socket.socketpair()
    left, right = Channel(a, framing_kind="ndjson"), Channel(b, framing_kind="ndjson")
    left.notify("hello", {"x": 1})
    assert right.read(timeout=5).params == {"x": 1}
    with pytest.raises(ValueError):
        left.send(messages.notification("n", {"attachment": {"bytes": 1}}), b"x")


def test_from_fd_takes_ownership():
    a, b = socket.socketpair()
    ch = Channel.from_fd(a.detach())
    Channel(b).notify("x")
    assert ch.read(timeout=5).method == "x"
    ch.close()
