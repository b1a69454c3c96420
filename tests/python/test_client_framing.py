"""blenderd_client's framing and routing against a fake daemon on a socketpair (no Blender, no
daemon): both framings' bytes, attachment frames bound to the message that announced them,
notifications routed to their call, error codes mapped to exception classes, replies out of
order across threads, a connection that ends mid-call, a reply that never comes."""

import base64
import io
import json
import pickle
import socket
import threading

import pytest

from blenderd_client import (Client, ConnectionClosed, InstanceCrashed, ProtocolError, ReplyTimeout,
                             SandboxViolation, ScriptError, Timeout, errors)
from blenderd_client import framing

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


# -- the fake daemon's side of the wire (written independently of the client's reader) -----------

def header_frame(obj=None, raw=None):
    if raw is not None:
        return b"Content-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n" % len(raw) + raw
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FakeDaemon:
    """Reads requests from its end of a socketpair and answers with `script(request, send)`."""

    def __init__(self, sock, mode, script):
        self.sock, self.mode, self.script = sock, mode, script
        self.file = sock.makefile("rb")
        self.requests = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def read_request(self):
        if self.mode == "ndjson":
            line = self.file.readline()
            return json.loads(line) if line else None
        length = None
        while True:
            line = self.file.readline()
            if not line:
                return None
            if line == b"\r\n":
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.file.read(length))

    def send(self, obj=None, raw=None):
        if self.mode == "ndjson":
            self.sock.sendall(json.dumps(obj).encode() + b"\n")
        else:
            self.sock.sendall(header_frame(obj, raw))

    def run(self):
        while True:
            try:
                request = self.read_request()
            except (OSError, ValueError):
                return
            if request is None:
                return
            self.requests.append(request)
            if self.script(request, self) == "close":
                self.sock.shutdown(socket.SHUT_RDWR)
                return


def pair(mode, script, timeout=10):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fake = FakeDaemon(theirs, mode, script)
    return Client.from_socket(ours, framing=mode, timeout=timeout), fake


def result(request, value):
    return {"jsonrpc": "2.0", "id": request["id"], "result": value}


# -- bytes ------------------------------------------------------------------------------------------

def test_encode_both_framings():
    msg = {"jsonrpc": "2.0", "id": 1, "method": "daemon.ping", "params": {"é": 1}}
    nd = framing.encode(msg, "ndjson")
    assert nd.endswith(b"\n") and nd.count(b"\n") == 1 and json.loads(nd) == msg
    hd = framing.encode(msg, "header")
    head, body = hd.split(b"\r\n\r\n", 1)
    assert head == b"Content-Length: %d" % len(body) and json.loads(body) == msg
    assert len(body) == len(json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode())  # bytes, not chars
    with pytest.raises(ValueError):
        framing.encode(msg, "xml")


def test_header_reader_frames_attachments_and_errors():
    stream = io.BytesIO(
        b"content-length: 2\r\nX-Unknown: y\r\n\r\n{}"
        + b"Content-Type: application/octet-stream\r\nContent-Length: 4\r\n\r\n\x00\r\n\xff"
        + b"Content-Length: 13\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{\"a\":[1,2,3]}")
    reader = framing.FrameReader(stream, "header")
    assert reader.read().message == {}
    assert reader.read().attachment == b"\x00\r\n\xff"  # binary bodies are read by length, CRLF and all
    assert reader.read().message == {"a": [1, 2, 3]}
    with pytest.raises(ConnectionClosed):
        reader.read()
    with pytest.raises(ProtocolError, match="without Content-Length"):
        framing.FrameReader(io.BytesIO(b"X: 1\r\n\r\n{}"), "header").read()
    with pytest.raises(ProtocolError, match="before the end of a frame"):
        framing.FrameReader(io.BytesIO(b"Content-Length: 10\r\n\r\n{}"), "header").read()
    with pytest.raises(ProtocolError, match="not JSON"):
        framing.FrameReader(io.BytesIO(b"Content-Length: 3\r\n\r\n{{{"), "header").read()


def test_ndjson_reader_skips_blank_lines_and_tolerates_crlf():
    reader = framing.FrameReader(io.BytesIO(b"\n  \n{\"x\":1}\r\n[{\"y\":2}]\n"), "ndjson")
    assert reader.read().message == {"x": 1}
    assert reader.read().message == [{"y": 2}]
    with pytest.raises(ConnectionClosed):
        reader.read()


# -- routing through a Client ----------------------------------------------------------------------

def render_script(request, fake):
    """render.views-like: progress, an image (binary: a frame follows), a notification of another
    request, then the response."""
    if request["method"] != "render.views":
        fake.send(result(request, {"pong": True}))
        return
    rid = request["id"]
    binary = request["params"].get("delivery") == "binary"
    fake.send({"jsonrpc": "2.0", "method": "render.progress",
               "params": {"session": "s1", "request": rid, "index": 0, "view": 1, "views": 2, "pass": "final",
                          "elapsed_ms": 0, "instance": "i1"}})
    for index in (0, 1):
        image = PNG + bytes([index])
        attachment = {"bytes": len(image), "mime": "image/png"}
        if not binary:
            attachment["base64"] = base64.b64encode(image).decode()
        fake.send({"jsonrpc": "2.0", "method": "render.image",
                   "params": {"session": "s1", "request": rid, "index": index, "view": index + 1, "views": 2,
                              "width": 4, "height": 2, "mime": "image/png", "engine": "CYCLES", "device": "CPU",
                              "duration_ms": 5, "bytes": len(image), "pass": "final", "camera": "orbit-%d" % index,
                              "instance": "i1", "attachment": attachment}})
        if binary:
            fake.send(raw=image)
        if index == 0:  # someone else's notification in between: must not be taken as this call's
            fake.send({"jsonrpc": "2.0", "method": "render.progress", "params": {"request": 999, "index": 7}})
    fake.send(result(request, {"images": [{"index": 0}, {"index": 1}], "engine": "CYCLES", "delivery":
                               "binary" if binary else "inline"}))


@pytest.mark.parametrize("mode", ["header", "ndjson"])
def test_render_stream_binds_images_and_progress(mode):
    client, fake = pair(mode, render_script)
    with client:
        from blenderd_client.session import Session
        session = Session(client)._adopt({"session": "s1", "instance": "i1"})
        progress = []
        stream = session.render_views(2, on_progress=progress.append)
        images = list(stream)
        assert [im.index for im in images] == [0, 1]
        assert [im.read() for im in images] == [PNG + b"\x00", PNG + b"\x01"]
        assert images[1].camera == "orbit-1" and images[0].width == 4 and images[0].size == len(PNG) + 1
        assert [p.index for p in progress] == [0]  # request 999's progress went elsewhere
        assert stream.result["delivery"] == ("binary" if mode == "header" else "inline")
        assert [n.params["index"] for n in client.backlog] == [7]
        sent = fake.requests[-1]
        assert sent["params"] == {"session": "s1", "views": 2, "delivery": stream.result["delivery"]}
        assert client.ping() is True  # the connection is in step after the binary frames


@pytest.mark.parametrize("code,cls,attr,value", [
    (-32010, ScriptError, "line", 16),
    (-32003, SandboxViolation, "action", "network"),
    (-32004, Timeout, "restored_checkpoint", "c2"),
    (-32005, InstanceCrashed, "signal", 9),
    (-32099, errors.BlenderdError, "code", -32099),
])
def test_error_codes_map_to_classes(code, cls, attr, value):
    data = {"type": "KeyError", "message": "x", "line": 16, "hints": ["use this"], "action": "network",
            "restored_checkpoint": "c2", "exit": {"code": None, "signal": 9},
            "traceback": [{"line": 16, "function": "<module>", "text": "boom()"}]}

    def script(request, fake):
        fake.send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": code, "message": "M", "data": data}})

    client, _ = pair("header", script)
    with client, pytest.raises(cls) as info:
        client.call("script.exec", session="s1", code="boom()")
    assert type(info.value) is cls
    assert getattr(info.value, attr) == value
    assert info.value.data == data and info.value.message == "M" and info.value.method == "script.exec"
    if cls is ScriptError:
        assert info.value.hints == ["use this"] and info.value.traceback[0].text == "boom()"
        assert "line 16: boom()" in info.value.explain() and "hint: use this" in info.value.explain()
    # Whole across a process boundary (multiprocessing, Ray): same class, code, data, method.
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is cls and getattr(copy, attr) == value and str(copy) == str(info.value)
    assert (copy.code, copy.message, copy.data, copy.method) == (info.value.code, "M", data, "script.exec")


def test_concurrent_calls_answered_out_of_order():
    held = []

    def script(request, fake):
        held.append(request)
        if len(held) == 2:  # answer the second first
            for r in reversed(held):
                fake.send(result(r, {"echo": r["params"]["n"]}))

    client, _ = pair("header", script)
    got = {}
    with client:
        threads = [threading.Thread(target=lambda n=n: got.__setitem__(n, client.call("x.echo", n=n)["echo"]))
                   for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert got == {1: 1, 2: 2}


def test_connection_ending_mid_call_raises_connection_closed():
    client, _ = pair("ndjson", lambda request, fake: "close")
    with client, pytest.raises(ConnectionClosed):
        client.call("script.exec", session="s1", code="x")
    with pytest.raises(ConnectionClosed):
        client.call("daemon.ping")  # and stays closed


def test_reply_timeout():
    client, _ = pair("header", lambda request, fake: None, timeout=0.3)
    with client, pytest.raises(ReplyTimeout) as info:
        client.call("daemon.ping")
    assert info.value.request_id == 1 and isinstance(info.value, TimeoutError)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is ReplyTimeout and copy.request_id == 1 and str(copy) == str(info.value)


def test_binary_frame_without_announcement_is_a_protocol_error():
    def script(request, fake):
        fake.send(raw=b"stray")

    client, _ = pair("header", script)
    with client, pytest.raises(ProtocolError, match="nobody announced"):
        client.call("daemon.ping")


def test_default_socket_path(monkeypatch):
    from blenderd_client import default_socket_path
    monkeypatch.setenv("BLENDERD_SOCKET", "/x/y.sock")
    assert default_socket_path() == "/x/y.sock"
    monkeypatch.delenv("BLENDERD_SOCKET")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/5")
    assert default_socket_path() == "/run/user/5/blenderd/blenderd.sock"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    import os
    assert default_socket_path() == "/tmp/blenderd-%d/blenderd.sock" % os.getuid()


def test_saving_into_a_folder_written_with_a_slash(tmp_path):
    from blenderd_client import Image
    image = Image(index=3, width=4, height=2, mime="image/png", engine="CYCLES", device="CPU", duration_ms=1,
                  size=len(PNG), data=PNG, pass_name="preview")
    saved = image.save(str(tmp_path / "new" / "dir") + "/")
    assert saved == str(tmp_path / "new" / "dir" / "view-3-preview.png") and open(saved, "rb").read() == PNG
    assert image.save(str(tmp_path / "file.png")) == str(tmp_path / "file.png")  # a file path stays one
