"""`Client`: one connection to blenderd, calls by name, and the daemon-wide methods.

    from blenderd_client import Client
    with Client() as client:                      # $BLENDERD_SOCKET or the daemon's default path
        print(client.info()["version"])
        with client.session(blender=">=4.2") as session:
            print(session.exec("result = 1 + 1").value)

A Client is safe to share between threads: every call gets its own id and its own queue, and one
reader thread routes replies and notifications (transport.py).
"""

from __future__ import annotations

import queue
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Union, cast

from . import framing as _framing
from .errors import ProtocolError, ReplyTimeout, error_from_response
from .transport import Connection, Incoming, _Closed, default_socket_path

Params = Dict[str, Any]


def clean(params: Optional[Params]) -> Params:
    """Params without the members left as None (an OPTIONAL null counts as absent anyway; leaving
    them out keeps the wire small and transcripts readable)."""
    return {k: v for k, v in (params or {}).items() if v is not None}


class PendingCall:
    """A request in flight. `notifications()` yields the call's notifications as they arrive and
    ends when the response is in; `result()` waits for it (raising the mapped BlenderdError);
    `cancel()` sends request.cancel for it."""

    def __init__(self, client: "Client", request_id: Any, method: str, replies: "queue.Queue[Any]",
                 timeout: Optional[float]) -> None:
        self.client = client
        self.id = request_id
        self.method = method
        self._replies = replies
        self._timeout = timeout
        self._response: Optional[Incoming] = None
        self.attachment: Optional[bytes] = None  # the response's attachment frame (binary delivery)

    @property
    def done(self) -> bool:
        return self._response is not None

    def _next(self) -> Incoming:
        try:
            item = self._replies.get(timeout=self._timeout)
        except queue.Empty:
            self.client._connection.forget_call(self.id)
            raise ReplyTimeout("no reply to %s (id %r) within %s s" % (self.method, self.id, self._timeout),
                               self.id) from None
        if isinstance(item, _Closed):
            raise item.error
        return cast(Incoming, item)

    def notifications(self) -> Iterator[Incoming]:
        """The call's notifications (render.progress, render.image, ...), in order, until its
        response arrives."""
        while self._response is None:
            item = self._next()
            if item.method is None:
                self._response = item
                return
            yield item

    def result(self, on_notification: Optional[Callable[[Incoming], None]] = None) -> Any:
        """The call's result. Notifications still coming go to `on_notification`. Raises the
        BlenderdError subclass of an error response.

        A KeyboardInterrupt while waiting (Ctrl-C, a notebook's stop button) cancels the call on
        the daemon before it propagates: otherwise Blender would go on running the script, and
        the session stay busy, until the script's own time limit."""
        try:
            for item in self.notifications():
                if on_notification is not None:
                    on_notification(item)
        except KeyboardInterrupt:
            self._cancel_quietly()
            raise
        assert self._response is not None
        message = self._response.message
        if "error" in message:
            raise error_from_response(message["error"], self.id, self.method)
        self.attachment = self._response.attachment
        return message.get("result")

    def cancel(self) -> Dict[str, Any]:
        """request.cancel for this call: `{cancelled, stage}`. The call itself is then answered
        -32006 Cancelled (or its result, if it completed first)."""
        return self.client.cancel(self.id)

    def _cancel_quietly(self) -> None:
        """Sends request.cancel without waiting for either answer (the caller is leaving)."""
        if self._response is not None:
            return
        self.client._connection.forget_call(self.id)
        try:
            sent = self.client.call_async("request.cancel", {"id": self.id}, timeout=None)
            self.client._connection.forget_call(sent.id)
        except Exception:  # the connection is gone: so is the call's claim on the session
            pass


class Client:
    """A connection to blenderd.

    socket_path: default $BLENDERD_SOCKET, else $XDG_RUNTIME_DIR/blenderd/blenderd.sock, else
        /tmp/blenderd-$UID/blenderd.sock (the daemon's own rule).
    framing: "header" (default; carries binary attachments, so images and exports arrive as raw
        bytes) or "ndjson" (one JSON line per message; images come base64-encoded).
    timeout: seconds to wait for each message of a call (its reply, or the next notification of
        a stream) before `ReplyTimeout`; None waits as long as the daemon takes (the daemon has
        its own limits: -32004 Timeout). Each call may override it.
    """

    def __init__(self, socket_path: Optional[str] = None, framing: str = _framing.HEADER,
                 timeout: Optional[float] = None, connect_timeout: Optional[float] = 10.0) -> None:
        self.socket_path = socket_path or default_socket_path()
        self.timeout = timeout
        self._connection = Connection(self.socket_path, framing, connect_timeout)

    @classmethod
    def from_socket(cls, sock: Any, framing: str = _framing.HEADER, timeout: Optional[float] = None) -> "Client":
        """A Client over an already connected socket (tests, a forwarded connection)."""
        self = cls.__new__(cls)
        self.socket_path = "<socket>"
        self.timeout = timeout
        self._connection = Connection(framing=framing, sock=sock)
        return self

    @property
    def framing(self) -> str:
        return self._connection.framing

    @property
    def binary(self) -> bool:
        """True when the connection can carry attachment frames (header framing)."""
        return self._connection.framing == _framing.HEADER

    def default_delivery(self) -> str:
        """What render_views/export ask for when not told: raw frames where the framing allows."""
        return "binary" if self.binary else "inline"

    # -- calls ---------------------------------------------------------------------------------

    def call_async(self, method: str, params: Optional[Params] = None, *,
                   timeout: Union[float, None, str] = "default") -> PendingCall:
        """Send `method` and return at once; the PendingCall gives its notifications and result."""
        request_id = self._connection.next_id()
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": clean(params)}
        replies = self._connection.start_call(request_id, message)
        wait = self.timeout if timeout == "default" else timeout
        return PendingCall(self, request_id, method, replies, wait)  # type: ignore[arg-type]

    def call(self, method: str, params: Optional[Params] = None, *,
             timeout: Union[float, None, str] = "default",
             on_notification: Optional[Callable[[Incoming], None]] = None, **kwargs: Any) -> Any:
        """Call `method` with `params` (a dict, or keyword arguments) and return its result;
        raises the BlenderdError subclass of an error response."""
        merged = dict(params or {})
        merged.update(kwargs)
        return self.call_async(method, merged, timeout=timeout).result(on_notification)

    def call_object(self, method: str, params: Optional[Params] = None, *,
                    timeout: Union[float, None, str] = "default", **kwargs: Any) -> Dict[str, Any]:
        """`call` for methods whose result is an object (all of blenderd's)."""
        result = self.call(method, params, timeout=timeout, **kwargs)
        if not isinstance(result, dict):
            raise ProtocolError("%s answered %r, not an object" % (method, result))
        return result

    def notify(self, method: str, params: Optional[Params] = None) -> None:
        """Send a JSON-RPC notification (no id, no reply)."""
        self._connection.send({"jsonrpc": "2.0", "method": method, "params": clean(params)})

    def cancel(self, request_id: Any) -> Dict[str, Any]:
        """request.cancel: stop a request this connection sent (queued or running)."""
        return self.call_object("request.cancel", {"id": request_id})

    @property
    def backlog(self) -> List[Incoming]:
        """Notifications that belonged to no call, job or subscription (newest last, bounded)."""
        return list(self._connection.backlog)

    def close(self) -> None:
        """Close the connection. Sessions opened on it stay open, detached, until their idle
        timeout (Session.close them first, or use `with client.session(...)`)."""
        self._connection.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- daemon-wide methods -------------------------------------------------------------------

    def ping(self) -> bool:
        return bool(self.call_object("daemon.ping")["pong"])

    def info(self) -> Dict[str, Any]:
        """daemon.info: version, protocol_version, capabilities, counts, sandbox, state_dir."""
        return self.call_object("daemon.info")

    def instances(self) -> List[Dict[str, Any]]:
        return cast(List[Dict[str, Any]], self.call_object("instance.list")["instances"])

    def spawn_instance(self, kind: Optional[str] = None) -> Dict[str, Any]:
        return cast(Dict[str, Any], self.call_object("instance.spawn", {"kind": kind})["instance"])

    def stop_instance(self, instance: str) -> Dict[str, Any]:
        return self.call_object("instance.stop", {"instance": instance})

    def sessions(self) -> List[Dict[str, Any]]:
        return cast(List[Dict[str, Any]], self.call_object("session.list")["sessions"])

    def wait_ready(self, count: int = 1, timeout: float = 60.0) -> List[Dict[str, Any]]:
        """Until instance.list shows `count` instances ready (a daemon just started is probing)."""
        deadline = time.monotonic() + timeout
        while True:
            instances = self.instances()
            if sum(1 for i in instances if i.get("state") == "ready") >= count:
                return instances
            if time.monotonic() > deadline:
                raise ReplyTimeout("fewer than %d instances ready after %.0f s: %s"
                                   % (count, timeout, [(i.get("id"), i.get("state")) for i in instances]))
            time.sleep(0.1)

    # -- sessions, jobs, events (their own modules) --------------------------------------------

    def session(self, **requirements: Any) -> "Session":
        """A Session to use with `with`: session.open on enter (device, headless, blender, engine,
        timeout_s, idle_timeout_s, sandbox, checkpoint), session.close on exit."""
        from .session import Session
        return Session(self, **requirements)

    def open_session(self, **requirements: Any) -> "Session":
        """session.open now; close it yourself (`session.close()`)."""
        return self.session(**requirements).open()

    def resume_session(self, session: str, token: str) -> "Session":
        """session.resume: take over a detached session (after a reconnect or a daemon restart)."""
        from .session import Session
        return Session.resume(self, session, token)

    def submit_job(self, frames: str, **params: Any) -> "Job":
        """job.submit: render `frames` ("1-24", "1-10,20,30-40:2") of a .blend (`blend` path,
        `data` bytes) or a session's checkpoint (`session`, `checkpoint`) across the pool."""
        from .jobs import submit
        return submit(self, frames, **params)

    def job(self, job_id: str) -> "Job":
        """A handle on a job submitted earlier (status, cancel; watch only on the submitting
        connection, which is where the daemon sends job notifications)."""
        from .jobs import Job
        return Job(self, {"job": job_id})

    def subscribe(self, session: Any = None, *, all: Optional[bool] = None,
                  delivery: Optional[str] = None) -> "Subscription":
        """events.subscribe: follow one session's events (its id or Session) or, with no session,
        every event of the daemon. Iterate the Subscription for Event objects."""
        from .events import subscribe
        return subscribe(self, session, all=all, delivery=delivery)


if TYPE_CHECKING:  # the modules import this one; the names are for annotations only
    from .events import Subscription
    from .jobs import Job
    from .session import Session
