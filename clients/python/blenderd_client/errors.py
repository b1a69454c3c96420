"""Exceptions: one class per JSON-RPC error code of the protocol (protocol/README.md, Errors),
plus the client's own failures (the connection, a reply that never came).

Everything raised here derives from `Error`. Errors the daemon answered derive from
`BlenderdError` and carry `code`, `message` and `data` exactly as sent; the properties of each
class read the members its code documents (absent members read as None, never KeyError), so a
program acts on them without digging in `data`. Unknown codes become plain `BlenderdError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Type

# The codes (fixed; ARCHITECTURE.md and protocol/README.md).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNKNOWN_SESSION = -32001
NO_INSTANCE_FITS = -32002
SANDBOX_VIOLATION = -32003
TIMEOUT = -32004
INSTANCE_CRASHED = -32005
CANCELLED = -32006
SCRIPT_ERROR = -32010
RENDER_ERROR = -32011
UNAUTHORIZED = -32020
OVERLOADED = -32029


class Error(Exception):
    """Root of everything this package raises."""


# -- the client's own failures -----------------------------------------------------------------

class ClientError(Error):
    """Something failed on this side of the socket; the daemon said nothing about it."""


class ConnectionClosed(ClientError, ConnectionError):
    """The connection ended (the daemon stopped, or closed it: see the daemon's log). Calls in
    flight fail with this; reconnect with a new Client (sessions survive: `Session.resume`)."""


class ProtocolError(ClientError):
    """The daemon sent bytes this client cannot read as a frame: the connection is unusable."""


class ReplyTimeout(ClientError, TimeoutError):
    """No reply within the client-side `timeout` given to the Client or the call. The request may
    still be running in the daemon (cancel it with `Client.cancel(request_id)`)."""

    def __init__(self, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.request_id = request_id


# -- errors the daemon answered ----------------------------------------------------------------

@dataclass(frozen=True)
class TracebackFrame:
    """One frame of the submitted code's traceback (outermost first)."""

    line: Optional[int]
    function: str
    text: str


class BlenderdError(Error):
    """An error response from the daemon: `code`, `message` (fixed per code; act on code and
    data, never on message), `data` (what to act on; {} when absent) and the `request_id`."""

    code: int = 0

    def __init__(self, code: int, message: str, data: Optional[Mapping[str, Any]] = None,
                 request_id: Any = None, method: Optional[str] = None) -> None:
        self.code = code
        self.message = message
        self.data: Dict[str, Any] = dict(data) if isinstance(data, Mapping) else (
            {"value": data} if data is not None else {})
        self.request_id = request_id
        self.method = method
        super().__init__(self._summary())

    def __reduce__(self) -> Any:
        # Exception pickles `args` (only the summary), which __init__ cannot take back: errors
        # must cross process boundaries whole (multiprocessing, Ray) with their code and data.
        return (type(self), (self.code, self.message, self.data, self.request_id, self.method))

    def _summary(self) -> str:
        reason = self.data.get("reason")
        text = "%s (%d)" % (self.message, self.code)
        if self.method:
            text = "%s: %s" % (self.method, text)
        return "%s: %s" % (text, reason) if reason else text

    # Members several codes share.
    @property
    def reason(self) -> Optional[str]:
        value = self.data.get("reason")
        return value if isinstance(value, str) else None

    @property
    def restored(self) -> bool:
        """True when the daemon put the session back at a checkpoint (or tried to): the data has
        `restored_checkpoint`, which may be null (no checkpoint: the scene is empty)."""
        return "restored_checkpoint" in self.data

    @property
    def restored_checkpoint(self) -> Optional[str]:
        return self.data.get("restored_checkpoint")

    @property
    def restore_error(self) -> Optional[str]:
        return self.data.get("restore_error")

    @property
    def session(self) -> Optional[str]:
        return self.data.get("session")


class _ScriptFailure(BlenderdError):
    """What a script error and a sandbox violation share: the worker's view of the script."""

    @property
    def type(self) -> Optional[str]:
        return self.data.get("type")

    @property
    def line(self) -> Optional[int]:
        line = self.data.get("line")
        return line if isinstance(line, int) else None

    @property
    def hints(self) -> List[str]:
        return [h for h in self.data.get("hints") or [] if isinstance(h, str)]

    @property
    def traceback(self) -> List[TracebackFrame]:
        frames = []
        for item in self.data.get("traceback") or []:
            if isinstance(item, dict):
                frames.append(TracebackFrame(item.get("line"), str(item.get("function") or ""),
                                             str(item.get("text") or "")))
        return frames

    @property
    def stdout(self) -> str:
        return self.data.get("stdout") or ""

    @property
    def stderr(self) -> str:
        return self.data.get("stderr") or ""

    @property
    def changes(self) -> Dict[str, Any]:
        return self.data.get("changes") or {}

    @property
    def error_message(self) -> str:
        """The exception's own message (data.message), e.g. `'bpy_prop_collection[key]: ...'`."""
        return self.data.get("message") or self.reason or self.message

    def explain(self, code: Optional[str] = None) -> str:
        """A few lines an author (or an LLM) can act on: the exception, the offending line (from
        `code` when given, else the traceback), the hints."""
        lines = ["%s: %s" % (self.type or self.message, self.error_message)]
        if self.line:
            text = ""
            if code is not None:
                source = code.splitlines()
                if 0 < self.line <= len(source):
                    text = source[self.line - 1].strip()
            if not text:
                text = next((f.text for f in reversed(self.traceback) if f.line == self.line), "")
            lines.append("line %d: %s" % (self.line, text) if text else "line %d" % self.line)
        lines.extend("hint: " + hint for hint in self.hints)
        return "\n".join(lines)


class ScriptError(_ScriptFailure):
    """-32010: the submitted Python raised. `type`, `line`, `traceback`, `hints`, `stdout`,
    `stderr`, `changes`; `restored_checkpoint` when the daemon rolled the scene back."""

    code = SCRIPT_ERROR

    def _summary(self) -> str:
        where = " (line %d)" % self.line if self.line else ""
        return "%s: %s%s" % (self.type or "Script error", self.error_message, where)


class SandboxViolation(_ScriptFailure):
    """-32003: the script tried what its sandbox forbids. `action` (write, read, network,
    subprocess, ...), `target`, `policy`, `hints`, `line`, `caught`."""

    code = SANDBOX_VIOLATION

    @property
    def action(self) -> Optional[str]:
        return self.data.get("action")

    @property
    def target(self) -> Optional[str]:
        return self.data.get("target")

    @property
    def policy(self) -> Optional[str]:
        return self.data.get("policy")

    @property
    def caught(self) -> bool:
        return bool(self.data.get("caught"))

    def _summary(self) -> str:
        where = " (line %d)" % self.line if self.line else ""
        return "sandbox violation: %s %s%s" % (self.action, self.target, where)


class Timeout(BlenderdError):
    """-32004: the call ran past its wall-clock limit; the instance was killed and the session
    continues on a fresh one at `restored_checkpoint` (None: an empty scene)."""

    code = TIMEOUT

    @property
    def timeout_s(self) -> Optional[float]:
        return self.data.get("timeout_s")

    @property
    def instance(self) -> Optional[str]:
        return self.data.get("instance")


class InstanceCrashed(BlenderdError):
    """-32005: the Blender process died during the call. `exit` ({code, signal}), `instance`,
    `output_tail`; the session continues on a fresh instance at `restored_checkpoint`."""

    code = INSTANCE_CRASHED

    @property
    def exit(self) -> Optional[Dict[str, Any]]:
        return self.data.get("exit")

    @property
    def signal(self) -> Optional[int]:
        return (self.exit or {}).get("signal")

    @property
    def exit_code(self) -> Optional[int]:
        return (self.exit or {}).get("code")

    @property
    def instance(self) -> Optional[str]:
        return self.data.get("instance")

    @property
    def output_tail(self) -> List[str]:
        return list(self.data.get("output_tail") or [])


class Cancelled(BlenderdError):
    """-32006: cancelled by `request.cancel` (`stage`), its session closing, or shutdown."""

    code = CANCELLED

    @property
    def stage(self) -> Optional[str]:
        return self.data.get("stage")


class NoInstanceFits(BlenderdError):
    """-32002: nothing configured or attached can meet the requirements; `available` lists what
    the daemon offers (relax the requirements to one of them)."""

    code = NO_INSTANCE_FITS

    @property
    def requirements(self) -> Dict[str, Any]:
        return self.data.get("requirements") or {}

    @property
    def available(self) -> List[Dict[str, Any]]:
        return list(self.data.get("available") or [])


class UnknownSession(BlenderdError):
    """-32001: the session id does not exist (closed, expired, never opened)."""

    code = UNKNOWN_SESSION


class Unauthorized(BlenderdError):
    """-32020: `reason` peer_uid, bad_token or not_owner (resume the session with its token)."""

    code = UNAUTHORIZED


class Overloaded(BlenderdError):
    """-32029: retry after `retry_after` seconds (reason: queue_full, queue_timeout, ...)."""

    code = OVERLOADED

    @property
    def retry_after(self) -> Optional[float]:
        return self.data.get("retry_after")


class RenderError(BlenderdError):
    """-32011: a render or export failed. `engine`, `index` (the view), `delivered` (views
    delivered before), `hint`."""

    code = RENDER_ERROR

    @property
    def hint(self) -> Optional[str]:
        return self.data.get("hint")

    @property
    def index(self) -> Optional[int]:
        return self.data.get("index")

    @property
    def delivered(self) -> List[int]:
        return list(self.data.get("delivered") or [])


class InvalidParams(BlenderdError):
    """-32602: fix the value at `path` as `reason` says (pick from `available`)."""

    code = INVALID_PARAMS

    @property
    def path(self) -> Optional[str]:
        return self.data.get("path")

    @property
    def available(self) -> List[Any]:
        return list(self.data.get("available") or [])


class MethodNotFound(BlenderdError):
    """-32601: no such method on this daemon (`did_you_mean`, or a newer daemon is needed)."""

    code = METHOD_NOT_FOUND

    @property
    def did_you_mean(self) -> Optional[str]:
        return self.data.get("did_you_mean")


class InvalidRequest(BlenderdError):
    code = INVALID_REQUEST


class ParseError(BlenderdError):
    code = PARSE_ERROR


class InternalError(BlenderdError):
    code = INTERNAL_ERROR


ERROR_CLASSES: Dict[int, Type[BlenderdError]] = {cls.code: cls for cls in (
    ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, UnknownSession,
    NoInstanceFits, SandboxViolation, Timeout, InstanceCrashed, Cancelled, ScriptError, RenderError,
    Unauthorized, Overloaded)}


def error_from_response(error: Any, request_id: Any = None, method: Optional[str] = None) -> BlenderdError:
    """The exception for a response's `error` member."""
    if not isinstance(error, dict):
        return InternalError(INTERNAL_ERROR, "Malformed error", {"reason": "error member %r" % (error,)},
                             request_id, method)
    code = error.get("code")
    code = code if isinstance(code, int) else INTERNAL_ERROR
    cls = ERROR_CLASSES.get(code, BlenderdError)
    return cls(code, str(error.get("message") or ""), error.get("data"), request_id, method)
