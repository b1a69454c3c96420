"""A small blocking JSON-RPC channel over one stream socket.

The worker serves one request at a time on Blender's main thread, so a
blocking socket is the simplest correct thing: no event loop, no threads.
The GUI add-on uses the same class with `read(timeout=0)` from a timer.
"""

import collections
import itertools
import select
import socket
import threading
import time

from . import errors, framing, messages
from .errors import RpcError


class ChannelClosed(ConnectionError):
    """The peer closed the connection (or it failed) while we needed it."""


# Embedded in Blender, SIGPIPE may not be ignored as plain Python does: a
# write to a daemon that died must raise, not kill the process silently.
_SEND_FLAGS = getattr(socket, "MSG_NOSIGNAL", 0)


class Channel:
    def __init__(self, sock, max_frame=framing.DEFAULT_MAX_FRAME, framing_kind="header"):
        self.sock = sock
        self.framing_kind = framing_kind
        if framing_kind == "header":
            self._decoder = framing.HeaderDecoder(max_frame)
        elif framing_kind == "ndjson":
            self._decoder = framing.LineDecoder(max_frame)
        else:
            raise ValueError("framing must be 'header' or 'ndjson'")
        self._inbox = collections.deque()
        self._awaiting = None  # message whose announced attachment has not arrived yet
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()  # whole frames only, even if a thread sends
        self.eof = False
        self.eof_reason = None

    @classmethod
    def from_fd(cls, fd, **kwargs):
        # socket() with fileno detects family and type; it owns the fd afterwards.
        return cls(socket.socket(fileno=fd), **kwargs)

    @classmethod
    def connect_unix(cls, path, **kwargs):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return cls(sock, **kwargs)

    def fileno(self):
        return self.sock.fileno()

    def close(self):
        self.eof = True
        try:
            self.sock.close()
        except OSError:
            pass

    # -- sending -------------------------------------------------------------

    def send(self, msg, attachment=None):
        """Send one message; with `attachment` (bytes) also its binary frame.

        The caller puts `"attachment": {"bytes": N, "mime": ...}` in params or
        result; this checks the size matches so the peer can pair them.
        """
        body = messages.encode(msg)
        if self.framing_kind == "ndjson":
            if attachment is not None:
                raise ValueError("attachments need header framing")
            data = framing.encode_line(body)
        else:
            data = framing.encode_frame(body)
            if attachment is not None:
                declared = messages.classify(msg).announced_attachment
                if declared is None or declared["bytes"] != len(attachment):
                    raise ValueError("message must announce the attachment with its exact byte count")
                data += framing.encode_attachment(attachment)
        with self._send_lock:
            try:
                self.sock.sendall(data, _SEND_FLAGS)
            except (BrokenPipeError, ConnectionResetError) as exc:
                self.eof = True
                raise ChannelClosed("peer closed the connection: %s" % exc) from exc

    def notify(self, method, params=None):
        self.send(messages.notification(method, params))

    def respond(self, id, result, attachment=None):
        self.send(messages.response(id, result), attachment)

    def respond_error(self, id, error):
        self.send(messages.error_response(id, error))

    def request(self, method, params=None, timeout=None):
        """Send a request and block for its response; other messages that
        arrive meanwhile stay queued for `read`. Raises RpcError for an
        error response, ChannelClosed on EOF, TimeoutError on timeout."""
        msg_id = next(self._ids)
        self.send(messages.request(msg_id, method, params))
        deadline = None if timeout is None else time.monotonic() + timeout
        held = []
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                msg = self.read(remaining)
                if msg is None:
                    if self.eof:
                        raise ChannelClosed(self.eof_reason or "connection closed")
                    raise TimeoutError("no response to %s within %ss" % (method, timeout))
                if msg.kind in ("response", "error") and msg.id == msg_id:
                    if msg.kind == "error":
                        raise msg.error
                    return msg.result
                held.append(msg)
        finally:
            self._inbox.extendleft(reversed(held))

    # -- receiving -----------------------------------------------------------

    def read(self, timeout=None):
        """Next message, or None on EOF (then `eof` is True) or timeout.

        `timeout=None` blocks; `0` only takes what is already readable.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._inbox:
            if self.eof:
                return None
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
                readable, _, _ = select.select([self.sock], [], [], remaining)
                if not readable:
                    return None
            try:
                data = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError) as exc:
                data, self.eof_reason = b"", str(exc)
            if not data:
                self.eof = True
                if not self._decoder.idle or self._awaiting is not None:
                    self.eof_reason = self.eof_reason or "connection closed inside a frame"
                return None
            self.feed(data)
        return self._inbox.popleft()

    def feed(self, data):
        """Decode `data` into queued messages (public for tests and for
        callers that read the socket themselves)."""
        try:
            events = self._decoder.feed(data)
        except framing.FramingError as exc:
            # Cannot resync: report once, then behave as closed.
            self._inbox.append(messages.invalid(RpcError(errors.PARSE_ERROR, "framing: %s" % exc,
                                                         {"reason": "bad_header"})))
            self.eof = True
            self.eof_reason = "framing error: %s" % exc
            return
        for event in events:
            self._on_frame(event)

    def _on_frame(self, event):
        if isinstance(event, framing.OversizeFrame):
            if self._awaiting is not None and event.content_type and "octet-stream" in event.content_type:
                self._awaiting = None
            self._inbox.append(messages.invalid(RpcError(
                errors.INVALID_REQUEST,
                "frame of %d bytes exceeds the %d byte limit" % (event.length, event.limit),
                {"reason": "frame_too_large", "bytes": event.length, "limit": event.limit})))
            return
        if event.is_binary:
            pending, self._awaiting = self._awaiting, None
            if pending is None:
                self._inbox.append(messages.invalid(RpcError(
                    errors.INVALID_REQUEST, "binary frame that no message announced",
                    {"reason": "unexpected_attachment"})))
                return
            expected = pending.announced_attachment["bytes"]
            if len(event.body) != expected:
                self._inbox.append(messages.invalid(RpcError(
                    errors.INVALID_REQUEST,
                    "attachment has %d bytes, %d were announced" % (len(event.body), expected),
                    {"reason": "attachment_size_mismatch"}), pending.id))
                return
            pending.attachment = event.body
            self._inbox.append(pending)
            return
        if self._awaiting is not None:
            stale, self._awaiting = self._awaiting, None
            self._inbox.append(messages.invalid(RpcError(
                errors.INVALID_REQUEST, "announced attachment did not follow its message",
                {"reason": "attachment_missing"}), stale.id))
        msg = messages.parse(event.body)
        if self.framing_kind == "header" and msg.kind != "invalid" and msg.announced_attachment is not None:
            self._awaiting = msg
        else:
            self._inbox.append(msg)
