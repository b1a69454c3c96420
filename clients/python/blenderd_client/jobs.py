"""Farm jobs: frames of a .blend (or a session's checkpoint) rendered in chunks across the pool.

    job = client.submit_job("1-24", session=session.id, engine="CYCLES", samples=16)
    for event in job.watch():
        if isinstance(event, JobFrame):
            print("frame", event.frame, "->", event.path)
    print(job.status()["state"])

The daemon sends job.progress and job.frame to the connection that submitted the job, so `watch`
works on that Client; `status` and `cancel` work from any connection.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Union

from .errors import ReplyTimeout
from .framing import payload
from .render import _read
from .transport import Incoming, _Closed

if TYPE_CHECKING:
    from .client import Client

FINAL_STATES = ("done", "failed", "cancelled")


@dataclass
class JobProgress:
    """job.progress: counts of frames (failed and running count frames too)."""

    job: str
    state: str
    done: int
    total: int
    failed: int
    running: int
    elapsed_ms: float

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass
class JobFrame:
    """job.frame: one frame's file is in place (`path` in frames_dir; `data` when the job asked for
    the bytes to be delivered)."""

    job: str
    frame: int
    path: Optional[str]
    width: int
    height: int
    size: int
    mime: str
    instance: Optional[str]
    duration_ms: float
    data: Optional[bytes] = None
    params: Dict[str, Any] = field(default_factory=dict, repr=False)

    def read(self) -> bytes:
        return _read(self.data, self.path, "frame %d came without bytes or path" % self.frame)


JobEvent = Union[JobProgress, JobFrame]


def job_event(incoming: Incoming) -> Optional[JobEvent]:
    p = incoming.params
    if incoming.method == "job.progress":
        return JobProgress(job=p.get("job", ""), state=p.get("state", ""), done=p.get("done", 0),
                           total=p.get("total", 0), failed=p.get("failed", 0), running=p.get("running", 0),
                           elapsed_ms=p.get("elapsed_ms", 0.0))
    if incoming.method == "job.frame":
        data, path = payload(p.get("attachment"), incoming.attachment)
        return JobFrame(job=p.get("job", ""), frame=p.get("frame", 0), path=path or p.get("path"),
                        width=p.get("width", 0), height=p.get("height", 0), size=p.get("bytes", 0),
                        mime=p.get("mime", ""), instance=p.get("instance"), duration_ms=p.get("duration_ms", 0.0),
                        data=data, params=p)
    return None


class Job:
    """A submitted job: `id`, `frames`, `chunks`, `frames_dir`, `blender` (from job.submit)."""

    def __init__(self, client: "Client", submitted: Dict[str, Any]) -> None:
        self.client = client
        self.submitted = submitted
        self.id: str = submitted["job"]
        self.frames: Optional[int] = submitted.get("frames")
        self.chunks: Optional[int] = submitted.get("chunks")
        self.frames_dir: Optional[str] = submitted.get("frames_dir")
        self.blender: Optional[str] = submitted.get("blender")
        self.last_progress: Optional[JobProgress] = None

    def __repr__(self) -> str:
        return "<Job %s: %s frames in %s chunks>" % (self.id, self.frames, self.chunks)

    def status(self) -> Dict[str, Any]:
        """job.status: state, done, failed (each with its reason), frames_dir, instances, ..."""
        return self.client.call_object("job.status", {"job": self.id})

    def cancel(self) -> Dict[str, Any]:
        """job.cancel: `{cancelled, state}`; frames done before stay in frames_dir."""
        return self.client.call_object("job.cancel", {"job": self.id})

    def watch(self, timeout: Optional[float] = None) -> Iterator[JobEvent]:
        """job.progress and job.frame as they come, until the job's final job.progress (done,
        failed or cancelled). `timeout`: the longest wait for the next event (ReplyTimeout)."""
        connection = self.client._connection
        try:
            while True:
                item = connection.next_job_event(self.id, timeout)
                if item is None:
                    raise ReplyTimeout("no job.progress or job.frame for job %s within %s s" % (self.id, timeout))
                if isinstance(item, _Closed):
                    raise item.error
                event = job_event(item)
                if event is None:
                    continue
                if isinstance(event, JobProgress):
                    self.last_progress = event
                yield event
                if isinstance(event, JobProgress) and event.final:
                    return
        finally:
            if self.last_progress is not None and self.last_progress.final:
                connection.drop_job(self.id)

    def wait(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Watch until the job ends; its job.status."""
        for _ in self.watch(timeout):
            pass
        return self.status()


def submit(client: "Client", frames: str, data: Optional[bytes] = None, **params: Any) -> Job:
    """job.submit (see Client.submit_job); `data` is a .blend's bytes (sent base64)."""
    merged = dict(params)
    merged["frames"] = frames
    if data is not None:
        merged["data"] = base64.b64encode(data).decode("ascii")
    return Job(client, client.call_object("job.submit", merged))
