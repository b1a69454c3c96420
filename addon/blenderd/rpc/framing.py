"""Byte-level framing: LSP-style header frames and newline-delimited JSON.

Pure state machines with no I/O so they can be tested by splitting input at
every byte boundary. The channel feeds them whatever `recv` returned.

Header framing (the worker protocol's only framing)::

    Content-Length: 17\r\n
    \r\n
    {"jsonrpc":"2.0"}

A frame whose `Content-Type` is `application/octet-stream` is a binary
attachment; everything else is a JSON body. Pairing an attachment with the
message that announced it is the channel's job, not the framer's.
"""

JSON_CONTENT_TYPE = "application/vscode-jsonrpc; charset=utf-8"
BINARY_CONTENT_TYPE = "application/octet-stream"

DEFAULT_MAX_FRAME = 64 * 1024 * 1024  # ARCHITECTURE.md default
DEFAULT_MAX_HEADER = 8 * 1024  # a header never needs more; bounds memory on garbage

_TERMINATOR = b"\r\n\r\n"


class FramingError(Exception):
    """The stream cannot be resynchronised (no Content-Length, garbage header).

    After this the decoder refuses more input: the only safe reaction is to
    close the connection.
    """


class Frame:
    __slots__ = ("body", "content_type")

    def __init__(self, body, content_type=None):
        self.body = body
        self.content_type = content_type

    @property
    def is_binary(self):
        return _media_type(self.content_type) == BINARY_CONTENT_TYPE

    def __repr__(self):
        return "Frame(%d bytes, %r)" % (len(self.body), self.content_type)

    def __eq__(self, other):
        return isinstance(other, Frame) and (self.body, self.content_type) == (other.body, other.content_type)


class OversizeFrame:
    """A frame longer than the limit. Its body was skipped, not buffered.

    Recoverable: the length is known, so the stream stays in sync and the
    receiver can answer with an error and go on.
    """

    __slots__ = ("length", "limit", "content_type")

    def __init__(self, length, limit, content_type=None):
        self.length = length
        self.limit = limit
        self.content_type = content_type

    def __repr__(self):
        return "OversizeFrame(%d > %d)" % (self.length, self.limit)

    def __eq__(self, other):
        return isinstance(other, OversizeFrame) and (self.length, self.limit) == (other.length, other.limit)


def _media_type(content_type):
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def encode_frame(body, content_type=None):
    """One header frame. `body` is bytes; `content_type` None means JSON."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = "Content-Length: %d\r\n" % len(body)
    if content_type is not None:
        head += "Content-Type: %s\r\n" % content_type
    return head.encode("ascii") + b"\r\n" + bytes(body)


def encode_attachment(data):
    return encode_frame(data, BINARY_CONTENT_TYPE)


class HeaderDecoder:
    """Incremental decoder for header frames.

    `feed(data)` returns the list of `Frame`/`OversizeFrame` completed by
    `data`; partial input is kept. Raises `FramingError` on a header that
    cannot be parsed (and then on every later call).
    """

    _HEADER, _BODY, _SKIP = range(3)

    def __init__(self, max_frame=DEFAULT_MAX_FRAME, max_header=DEFAULT_MAX_HEADER):
        self.max_frame = max_frame
        self.max_header = max_header
        self._buf = bytearray()
        self._state = self._HEADER
        self._scan_from = 0  # where to resume looking for the terminator
        self._remaining = 0
        self._content_type = None
        self._failed = None

    @property
    def idle(self):
        """True between frames: EOF here is clean, elsewhere it truncated a frame."""
        return self._state == self._HEADER and not self._buf

    def feed(self, data):
        if self._failed is not None:
            raise FramingError(self._failed)
        events = []
        self._buf += data
        while True:
            if self._state == self._HEADER:
                end = self._buf.find(_TERMINATOR, self._scan_from)
                if end < 0:
                    if len(self._buf) > self.max_header:
                        self._fail("header longer than %d bytes without a blank line" % self.max_header)
                    # the terminator may straddle this chunk and the next
                    self._scan_from = max(0, len(self._buf) - 3)
                    return events
                if end > self.max_header:
                    self._fail("header longer than %d bytes" % self.max_header)
                length, content_type = self._parse_header(bytes(self._buf[:end]))
                del self._buf[: end + 4]
                self._scan_from = 0
                self._content_type = content_type
                self._remaining = length
                if length > self.max_frame:
                    events.append(OversizeFrame(length, self.max_frame, content_type))
                    self._state = self._SKIP
                else:
                    self._state = self._BODY
            elif self._state == self._BODY:
                if len(self._buf) < self._remaining:
                    return events
                body = bytes(self._buf[: self._remaining])
                del self._buf[: self._remaining]
                events.append(Frame(body, self._content_type))
                self._state = self._HEADER
            else:  # _SKIP: drop the oversize body without keeping it
                drop = min(len(self._buf), self._remaining)
                del self._buf[:drop]
                self._remaining -= drop
                if self._remaining:
                    return events
                self._state = self._HEADER

    def _fail(self, reason):
        self._failed = reason
        raise FramingError(reason)

    def _parse_header(self, raw):
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            self._fail("header is not ASCII")
        length = None
        content_type = None
        for line in text.split("\r\n"):
            name, sep, value = line.partition(":")
            if not sep:
                self._fail("malformed header line %r" % line[:80])
            name = name.strip().lower()
            value = value.strip()
            if name == "content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    self._fail("bad Content-Length %r" % value[:40])
                length = int(value)
            elif name == "content-type":
                content_type = value
            # other headers are allowed and ignored, as in LSP
        if length is None:
            self._fail("header without Content-Length")
        return length, content_type


def encode_line(body):
    """One NDJSON line. JSON text from `json.dumps` never holds a raw newline."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if b"\n" in body:
        raise ValueError("NDJSON body must not contain a newline")
    return bytes(body) + b"\n"


class LineDecoder:
    """Incremental decoder for newline-delimited JSON (one message per line).

    Blank lines are skipped. A line over `max_frame` yields `OversizeFrame`
    and is discarded up to its newline, so the stream stays usable.
    """

    def __init__(self, max_frame=DEFAULT_MAX_FRAME):
        self.max_frame = max_frame
        self._buf = bytearray()
        self._skipping = 0  # >0: bytes dropped so far of an oversize line

    @property
    def idle(self):
        return not self._buf and not self._skipping

    def feed(self, data):
        events = []
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if self._skipping:
                if nl < 0:
                    self._skipping += len(self._buf)
                    self._buf.clear()
                    return events
                events.append(OversizeFrame(self._skipping + nl, self.max_frame))
                del self._buf[: nl + 1]
                self._skipping = 0
                continue
            if nl < 0:
                if len(self._buf) > self.max_frame:
                    self._skipping = len(self._buf)
                    self._buf.clear()
                return events
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if len(line) > self.max_frame:
                events.append(OversizeFrame(len(line), self.max_frame))
                continue
            if line.strip():
                events.append(Frame(line.rstrip(b"\r")))
