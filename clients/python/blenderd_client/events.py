"""events.subscribe: follow a session (or the whole daemon) from another connection.

    with Client() as watcher, watcher.subscribe(session_id) as events:
        for event in events:
            if event.method == "exec.result":
                print("exec", "ok" if event.params["ok"] else event.params["error"]["message"])
            elif event.image is not None:
                event.image.save("seen")

What arrives (each Event's `params` carries `subscription`, and `session` where one applies):
exec.result, checkpoint.saved, session.state, instance.state, and the stream notifications
(render.progress, render.image, scene.export.file, job.progress, job.frame) with the delivery the
subscription asked for ("none": metadata only, the default; "inline"; "binary" on header framing;
"path"). A subscription ends with its connection, or `unsubscribe()`.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional

from .errors import ReplyTimeout
from .framing import payload
from .transport import Incoming, _Closed

if TYPE_CHECKING:
    from .client import Client
    from .render import Image


@dataclass
class Event:
    """One notification of a subscription. `data`/`path`: the file of a render.image,
    scene.export.file or job.frame when the delivery carries one."""

    method: str
    params: Dict[str, Any]
    subscription: Optional[str] = None
    session: Optional[str] = None
    data: Optional[bytes] = None
    path: Optional[str] = None
    incoming: Optional[Incoming] = field(default=None, repr=False)

    @classmethod
    def from_incoming(cls, incoming: Incoming) -> "Event":
        p = incoming.params
        data, path = payload(p.get("attachment"), incoming.attachment)
        return cls(method=incoming.method or "", params=p, subscription=p.get("subscription"),
                   session=p.get("session"), data=data, path=path or p.get("path"), incoming=incoming)

    @property
    def image(self) -> Optional["Image"]:
        """The Image of a render.image event, else None."""
        if self.method != "render.image" or self.incoming is None:
            return None
        from .render import Image
        return Image.from_notification(self.incoming)

    @property
    def state(self) -> Optional[str]:
        """session.state / instance.state / job.progress: the state."""
        return self.params.get("state")


class Subscription:
    """An events.subscribe subscription: iterate for Events (blocks until the next one; ends when
    the connection closes or after `unsubscribe()`), or `next(timeout)` for one at a time."""

    def __init__(self, client: "Client", result: Dict[str, Any]) -> None:
        self.client = client
        self.result = result
        self.id: str = result["subscription"]
        self.session: Optional[str] = result.get("session")
        self.all: bool = bool(result.get("all"))
        self.delivery: Optional[str] = result.get("delivery")
        self._queue = client._connection.subscription_queue(self.id)
        self.active = True

    def __repr__(self) -> str:
        return "<Subscription %s to %s>" % (self.id, "all" if self.all else self.session)

    def next(self, timeout: Optional[float] = None) -> Event:
        """The next event; ReplyTimeout after `timeout` seconds without one; ConnectionClosed when
        the connection ended; StopIteration after unsubscribe."""
        if not self.active and self._queue.empty():
            raise StopIteration
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise ReplyTimeout("no event on subscription %s within %s s" % (self.id, timeout)) from None
        if item is None:  # put by unsubscribe, so a thread blocked here wakes up
            self.active = False
            raise StopIteration
        if isinstance(item, _Closed):
            self.active = False
            raise item.error
        return Event.from_incoming(item)

    def __iter__(self) -> Iterator[Event]:
        while self.active or not self._queue.empty():
            try:
                yield self.next()
            except StopIteration:
                return

    def unsubscribe(self) -> bool:
        """events.unsubscribe; later events are no longer delivered."""
        if not self.active:
            return False
        self.active = False
        try:
            result = self.client.call_object("events.unsubscribe", {"subscription": self.id})
        finally:
            self.client._connection.drop_subscription(self.id)
            self._queue.put(None)
        return bool(result.get("unsubscribed"))

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.active and self.client._connection.closed is None:
            self.unsubscribe()


def subscribe(client: "Client", session: Any = None, *, all: Optional[bool] = None,
              delivery: Optional[str] = None) -> Subscription:
    """events.subscribe to `session` (an id or a Session), or to everything (`all`, the default
    when no session is given)."""
    session_id = getattr(session, "id", session)
    params: Dict[str, Any] = {"delivery": delivery}
    if session_id is not None:
        params["session"] = session_id
        if all:
            params["all"] = True  # the daemon refuses both; let it say so
    else:
        params["all"] = True if all is None else all
    return Subscription(client, client.call_object("events.subscribe", params))
