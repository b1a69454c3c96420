"""One connection to the daemon: the socket, a writer lock and a reader thread.

The reader thread reads every frame and routes it, so many calls (from several threads, or a
render stream and a job watcher at once) share one connection:

- a response goes to the call waiting for its id;
- a notification of a call (`render.progress`, `render.image`, `scene.export.file`: params carry
  `request`) goes to that call's queue, ahead of the call's response (the daemon sends them first);
- a notification of an `events.subscribe` subscription (params carry `subscription`) goes to that
  subscription's queue;
- `job.progress` / `job.frame` go to their job's queue (kept for a job until someone reads them);
- anything else goes to `Connection.on_notification` (if set) and a bounded backlog.

An attachment frame (header framing, `binary` delivery) is read right after the message that
announces it and handed over with it as `Incoming.attachment`.
"""

from __future__ import annotations

import collections
import itertools
import os
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Optional

from . import framing as _framing
from .errors import ClientError, ConnectionClosed, Error, ProtocolError

# Kept for a job nobody watches yet (job.progress comes twice a second); older progress is dropped
# first, frames never.
JOB_BACKLOG = 4096
UNROUTED_BACKLOG = 1024


def default_socket_path() -> str:
    """Where the daemon listens unless told otherwise, resolved like the daemon does
    (protocol/README.md, Transport): $BLENDERD_SOCKET, else $XDG_RUNTIME_DIR/blenderd/blenderd.sock,
    else /tmp/blenderd-$UID/blenderd.sock."""
    explicit = os.environ.get("BLENDERD_SOCKET")
    if explicit:
        return explicit
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "blenderd", "blenderd.sock")
    return "/tmp/blenderd-%d/blenderd.sock" % os.getuid()


@dataclass
class Incoming:
    """A message from the daemon and, when it announced one, its attachment frame's bytes."""

    message: Dict[str, Any]
    attachment: Optional[bytes] = None

    @property
    def method(self) -> Optional[str]:
        return self.message.get("method")

    @property
    def params(self) -> Dict[str, Any]:
        params = self.message.get("params")
        return params if isinstance(params, dict) else {}


class _Closed:
    """Put into every queue when the connection ends, with the reason."""

    def __init__(self, error: Error) -> None:
        self.error = error


class Connection:
    """A connected socket with one reader thread. Use `Client`, which builds on this."""

    def __init__(self, socket_path: Optional[str] = None, framing: str = _framing.HEADER,
                 connect_timeout: Optional[float] = 10.0, sock: Optional[socket.socket] = None) -> None:
        if framing not in _framing.FRAMINGS:
            raise ValueError("framing must be %r or %r, not %r" % (_framing.NDJSON, _framing.HEADER, framing))
        self.framing = framing
        self.socket_path = socket_path or default_socket_path()
        if sock is None:
            if len(self.socket_path.encode()) > 107:
                raise ClientError("socket path longer than 107 bytes (the kernel's limit): %s" % self.socket_path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(connect_timeout)
            try:
                sock.connect(self.socket_path)
            except OSError as exc:
                sock.close()
                raise ConnectionClosed(
                    "cannot connect to blenderd at %s: %s (is the daemon running? set BLENDERD_SOCKET "
                    "or pass socket_path)" % (self.socket_path, exc.strerror or exc)) from exc
        sock.settimeout(None)  # the reader blocks; waits are bounded by queues, not the socket
        self.sock = sock
        self._reader = _framing.FrameReader(sock.makefile("rb"), framing)
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()  # guards the routing tables below
        self._ids = itertools.count(1)
        self._calls: Dict[Any, "queue.Queue[Any]"] = {}
        self._subscriptions: Dict[str, "queue.Queue[Any]"] = {}
        self._dropped: "set[str]" = set()  # unsubscribed: late events are dropped, not queued
        self._jobs: Dict[str, Deque[Any]] = {}
        self._job_cond = threading.Condition(self._lock)
        self.backlog: Deque[Incoming] = collections.deque(maxlen=UNROUTED_BACKLOG)
        self.on_notification: Optional[Callable[[Incoming], None]] = None
        self.closed: Optional[Error] = None
        self._closing = False
        self._thread = threading.Thread(target=self._read_loop, name="blenderd-client-reader", daemon=True)
        self._thread.start()

    # -- writing -------------------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def send(self, message: Any) -> None:
        data = _framing.encode(message, self.framing)
        with self._write_lock:
            if self.closed is not None:
                raise self.closed
            try:
                self.sock.sendall(data)
            except OSError as exc:
                raise ConnectionClosed("writing to the daemon failed: %s" % exc) from exc

    def start_call(self, request_id: Any, message: Dict[str, Any]) -> "queue.Queue[Any]":
        """Register `request_id` and send; the queue receives the call's notifications, then its
        response (or a `_Closed`)."""
        replies: "queue.Queue[Any]" = queue.Queue()
        with self._lock:
            if self.closed is not None:
                raise self.closed
            self._calls[request_id] = replies
        try:
            self.send(message)
        except Error:
            self.forget_call(request_id)
            raise
        return replies

    def forget_call(self, request_id: Any) -> None:
        with self._lock:
            self._calls.pop(request_id, None)

    # -- subscriptions and jobs ----------------------------------------------------------------

    def subscription_queue(self, subscription: str) -> "queue.Queue[Any]":
        with self._lock:
            found = self._subscriptions.get(subscription)
            if found is None:
                found = self._subscriptions[subscription] = queue.Queue()
                if self.closed is not None:
                    found.put(_Closed(self.closed))
            return found

    def drop_subscription(self, subscription: str) -> None:
        with self._lock:
            self._subscriptions.pop(subscription, None)
            self._dropped.add(subscription)

    def next_job_event(self, job: str, timeout: Optional[float]) -> Any:
        """The oldest notification of `job` not yet read (waits up to `timeout`; None on timeout),
        or a `_Closed`."""
        with self._job_cond:
            self._job_cond.wait_for(lambda: bool(self._jobs.get(job)) or self.closed is not None, timeout)
            events = self._jobs.get(job)
            if events:
                return events.popleft()
            if self.closed is not None:
                return _Closed(self.closed)
            return None

    def drop_job(self, job: str) -> None:
        with self._lock:
            self._jobs.pop(job, None)

    # -- reading -------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        error: Error
        try:
            while True:
                incoming = self._read_one()
                self._route(incoming)
        except Error as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - any failure ends the connection, reported to callers
            error = ProtocolError("reading from the daemon failed: %r" % exc)
        if self._closing:
            error = ConnectionClosed("the connection was closed by this client")
        self._fail_all(error)

    def _read_one(self) -> Incoming:
        frame = self._reader.read()
        if frame.message is None:
            raise ProtocolError("an attachment frame nobody announced (out of sync)")
        message = frame.message
        if isinstance(message, list):  # a batch reply: route each element
            return Incoming({"batch": message})
        incoming = Incoming(message)
        announced = _framing.announced_attachment(message)
        if announced is not None and _framing.announces_frame(announced):
            if self.framing != _framing.HEADER:
                raise ProtocolError("an NDJSON message announced an attachment frame")
            follow = self._reader.read()
            if follow.attachment is None:
                raise ProtocolError("an announced attachment frame did not follow its message")
            incoming.attachment = follow.attachment
        return incoming

    def _route(self, incoming: Incoming) -> None:
        message = incoming.message
        if "batch" in message and len(message) == 1:
            for element in message["batch"]:
                if isinstance(element, dict):
                    self._route(Incoming(element))
            return
        if "method" not in message:  # a response
            with self._lock:
                target = self._calls.pop(message.get("id"), None)
            if target is not None:
                target.put(incoming)
            return
        params = incoming.params
        method = incoming.method or ""
        with self._lock:
            subscription = params.get("subscription")
            if isinstance(subscription, str):
                if subscription in self._dropped:
                    return
                target = self._subscriptions.get(subscription)
                if target is None:  # events can arrive before events.subscribe's reply is read
                    target = self._subscriptions[subscription] = queue.Queue()
                target.put(incoming)
                return
            if "request" in params and params.get("request") in self._calls:
                self._calls[params["request"]].put(incoming)
                return
            job = params.get("job")
            if method.startswith("job.") and isinstance(job, str):
                events = self._jobs.setdefault(job, collections.deque())
                if len(events) >= JOB_BACKLOG:
                    for index, old in enumerate(events):
                        if old.method == "job.progress":
                            del events[index]
                            break
                    else:
                        events.popleft()
                events.append(incoming)
                self._job_cond.notify_all()
                return
        self.backlog.append(incoming)
        callback = self.on_notification
        if callback is not None:
            try:
                callback(incoming)
            except Exception:  # noqa: BLE001 - a user's callback must not kill the reader
                pass

    def _fail_all(self, error: Error) -> None:
        with self._lock:
            self.closed = error
            closed = _Closed(error)
            for target in list(self._calls.values()) + list(self._subscriptions.values()):
                target.put(closed)
            self._calls.clear()
            self._job_cond.notify_all()

    def close(self) -> None:
        """Close the socket; the reader ends and every waiter gets ConnectionClosed."""
        self._closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(5)
        with self._lock:
            if self.closed is None:
                self.closed = ConnectionClosed("the connection was closed by this client")
        try:
            self._reader.stream.close()
        except OSError:
            pass
