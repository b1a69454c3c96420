"""The two framings of the daemon's socket (protocol/README.md, Framing and Attachments).

Pure byte handling, no sockets: an encoder per framing and a reader that pulls frames from any
binary stream with `read`/`readline` (a socket's `makefile("rb")`, `io.BytesIO`). The daemon picks
a connection's framing from the first byte it receives, so the first message sent fixes it.

- NDJSON: one compact JSON message per line; cannot carry binary.
- header: LSP base protocol (`Content-Length: N\\r\\n\\r\\n` + body); a frame with
  `Content-Type: application/octet-stream` is an attachment: the raw bytes of the file announced
  by the message just before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, BinaryIO, Dict, List, Optional, Tuple, Union

from .errors import ConnectionClosed, ProtocolError

NDJSON = "ndjson"
HEADER = "header"
FRAMINGS = (NDJSON, HEADER)

# The daemon refuses a header section over 8 KiB; a client reading one that long is out of sync.
MAX_HEADER_BYTES = 8192
OCTET_STREAM = "application/octet-stream"

Message = Dict[str, Any]


@dataclass
class Frame:
    """One frame read: a JSON message, or (header framing only) an attachment's raw bytes."""

    message: Optional[Message] = None
    attachment: Optional[bytes] = None


def encode(message: Union[Message, List[Message]], framing: str) -> bytes:
    """The bytes that send `message` (a request object or a batch) in `framing`."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if framing == NDJSON:
        return body + b"\n"
    if framing == HEADER:
        return b"Content-Length: %d\r\n\r\n" % len(body) + body
    raise ValueError("framing must be %r or %r, not %r" % (NDJSON, HEADER, framing))


def _decode_json(body: bytes) -> Message:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("the daemon sent a frame that is not JSON: %s (%r...)" % (exc, body[:80])) from None
    if not isinstance(value, (dict, list)):
        raise ProtocolError("the daemon sent JSON that is not a message: %r" % (body[:80],))
    return value  # type: ignore[return-value]  # a batch reply is a list; callers check


class FrameReader:
    """Reads frames of one framing from `stream`; `read()` blocks for the next one."""

    def __init__(self, stream: BinaryIO, framing: str) -> None:
        if framing not in FRAMINGS:
            raise ValueError("framing must be %r or %r, not %r" % (NDJSON, HEADER, framing))
        self.stream = stream
        self.framing = framing

    def read(self) -> Frame:
        return self._read_line_frame() if self.framing == NDJSON else self._read_header_frame()

    def _read_line_frame(self) -> Frame:
        while True:
            line = self.stream.readline()
            if not line:
                raise ConnectionClosed("the daemon closed the connection")
            if line.strip():
                return Frame(message=_decode_json(line))

    def _read_header_frame(self) -> Frame:
        length: Optional[int] = None
        content_type = ""
        seen = 0
        while True:
            line = self.stream.readline(MAX_HEADER_BYTES + 1)
            if not line:
                if seen == 0:
                    raise ConnectionClosed("the daemon closed the connection")
                raise ProtocolError("the connection ended inside a frame's header section")
            seen += len(line)
            if seen > MAX_HEADER_BYTES:
                raise ProtocolError("a header section longer than %d bytes: out of sync" % MAX_HEADER_BYTES)
            if line in (b"\r\n", b"\n"):
                if length is None:
                    if seen == len(line):
                        continue  # blank lines between frames are harmless
                    raise ProtocolError("a frame without Content-Length")
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError("a header line without ':': %r" % line[:80])
            key = name.strip().lower()
            if key == "content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    raise ProtocolError("a non-numeric Content-Length: %r" % value.strip()) from None
            elif key == "content-type":
                content_type = value.strip().split(";")[0].strip().lower()
        body = self._read_exactly(length)
        if content_type == OCTET_STREAM:
            return Frame(attachment=body)
        return Frame(message=_decode_json(body))

    def _read_exactly(self, count: int) -> bytes:
        chunks = []
        remaining = count
        while remaining > 0:
            chunk = self.stream.read(remaining)
            if not chunk:
                raise ProtocolError("the connection ended %d bytes before the end of a frame" % remaining)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


def announces_frame(attachment: Any) -> bool:
    """True when an `attachment` object means "the next frame is the bytes": it carries neither
    `base64` (inline) nor `path` (path delivery)."""
    return isinstance(attachment, dict) and "base64" not in attachment and "path" not in attachment


def announced_attachment(message: Message) -> Optional[Dict[str, Any]]:
    """The `attachment` object a message announces (in `params` of a notification, `result` of a
    response), if it has one."""
    holder = message.get("params") if "method" in message else message.get("result")
    if isinstance(holder, dict):
        attachment = holder.get("attachment")
        if isinstance(attachment, dict):
            return attachment
    return None


def payload(attachment: Any, frame: Optional[bytes]) -> Tuple[Optional[bytes], Optional[str]]:
    """(data, path) of a delivered file: base64 decoded (inline), the attachment frame's bytes
    (binary), or the path in the session directory (path); (None, None) without an attachment."""
    if not isinstance(attachment, dict):
        return frame, None
    if "base64" in attachment:
        import base64
        return base64.b64decode(attachment["base64"]), None
    if "path" in attachment:
        return None, attachment["path"]
    return frame, None
