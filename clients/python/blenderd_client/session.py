"""`Session`: one lease of a Blender instance's scene, the unit of an LLM's modelling loop.

    with client.session(blender=">=4.2", timeout_s=60) as session:
        try:
            session.exec(code)
        except ScriptError as error:
            print(error.explain(code))          # type, line, the offending text, hints
        for image in session.render_views(views=4):
            image.save("out")

Entering opens it (session.open), leaving closes it (session.close). Every call on a session runs
in order on its instance; after each successful exec the daemon checkpoints the scene (policy
"auto"), and a crash, timeout or cancel puts it back at the last checkpoint (the error's
`restored_checkpoint` says which).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Union

from .client import clean
from .errors import UnknownSession
from .render import Export, Progress, RenderStream, export_from

if TYPE_CHECKING:
    from .client import Client
    from .jobs import Job

_OPEN_PARAMS = ("device", "headless", "blender", "engine", "timeout_s", "idle_timeout_s", "sandbox", "checkpoint")


@dataclass
class ExecResult:
    """script.exec's result: what the script printed, its `result` variable (`value`), what it
    changed in the scene, how long Blender took, and the checkpoint taken after it."""

    stdout: str
    stderr: str
    value: Any
    duration_ms: float
    changes: Dict[str, Any]
    checkpoint: Optional[str]
    reports: List[Any] = field(default_factory=list)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    checkpoint_error: Optional[str] = None
    # The worker's whole handling of the call (duration_ms plus snapshots and change tracking);
    # None from a worker older than the field.
    worker_ms: Optional[float] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_result(cls, r: Dict[str, Any]) -> "ExecResult":
        return cls(stdout=r.get("stdout", ""), stderr=r.get("stderr", ""), value=r.get("value"),
                   duration_ms=r.get("duration_ms", 0.0), changes=r.get("changes") or {},
                   checkpoint=r.get("checkpoint"), reports=r.get("reports") or [],
                   stdout_truncated=bool(r.get("stdout_truncated")), stderr_truncated=bool(r.get("stderr_truncated")),
                   checkpoint_error=r.get("checkpoint_error"), worker_ms=r.get("worker_ms"), raw=r)


@dataclass
class Checkpoint:
    """A saved state of the session's scene (scene.checkpoint, scene.checkpoints)."""

    id: str
    bytes: int
    created_at: str
    auto: bool
    exec: int
    label: Optional[str] = None
    duration_ms: Optional[float] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Checkpoint":
        return cls(id=d["id"], bytes=d.get("bytes", 0), created_at=d.get("created_at", ""), auto=bool(d.get("auto")),
                   exec=d.get("exec", 0), label=d.get("label"), duration_ms=d.get("duration_ms"))


@dataclass
class Checkpoints:
    """scene.checkpoints: the list (oldest first), the current one, the policy, the retention."""

    checkpoints: List[Checkpoint]
    current: Optional[str]
    policy: str
    keep: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.checkpoints)

    def __len__(self) -> int:
        return len(self.checkpoints)

    @property
    def ids(self) -> List[str]:
        return [c.id for c in self.checkpoints]


class Session:
    """A session on `client`. Construct through `client.session(...)` (context manager) or
    `client.open_session(...)`; `id`, `token` (keep it to resume), `instance`, `blender` (the
    version leased), `kind`, `headless` are set once open."""

    def __init__(self, client: "Client", **requirements: Any) -> None:
        unknown = set(requirements) - set(_OPEN_PARAMS)
        if unknown:
            raise TypeError("unknown session.open params %s (known: %s)" % (sorted(unknown), ", ".join(_OPEN_PARAMS)))
        self.client = client
        self.requirements = clean(requirements)
        self.id: Optional[str] = None
        self.token: Optional[str] = None
        self.instance: Optional[str] = None
        self.blender: Optional[str] = None
        self.kind: Optional[str] = None
        self.headless: Optional[bool] = None
        self.opened: Dict[str, Any] = {}
        self.closed = False

    def _adopt(self, result: Dict[str, Any]) -> "Session":
        self.opened = result
        self.id = result["session"]
        self.token = result.get("token")
        self.instance = result.get("instance")
        self.blender = result.get("blender")
        self.kind = result.get("kind")
        self.headless = result.get("headless")
        self.closed = False
        return self

    def open(self) -> "Session":
        """session.open with the requirements given (waits for an instance when none is free)."""
        if self.id is not None and not self.closed:
            return self
        return self._adopt(self.client.call_object("session.open", self.requirements))

    @classmethod
    def resume(cls, client: "Client", session: str, token: str) -> "Session":
        """session.resume: become the owner of a session (detached, or another connection's)."""
        return cls(client)._adopt(client.call_object("session.resume", {"session": session, "token": token}))

    def close(self) -> bool:
        """session.close; True when it closed, False when it was already gone (closed, expired)."""
        if self.id is None or self.closed:
            return False
        self.closed = True
        try:
            return bool(self.client.call_object("session.close", {"session": self.id}).get("closed"))
        except UnknownSession:
            return False

    def __enter__(self) -> "Session":
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        if self.client._connection.closed is None:
            self.close()

    def __repr__(self) -> str:
        return "<Session %s on %s (Blender %s)>" % (self.id, self.instance, self.blender)

    def _call(self, method: str, params: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Dict[str, Any]:
        merged = dict(params or {})
        merged["session"] = self._session_id()
        return self.client.call_object(method, merged, **kwargs)

    # -- scripts and the scene -----------------------------------------------------------------

    def exec(self, code: str, timeout_s: Optional[float] = None, capture_limit: Optional[int] = None,
             timeout: Union[float, None, str] = "default") -> ExecResult:
        """script.exec: run `code` in the session's Blender (a fresh namespace; set `result` to
        return a value). Raises ScriptError, SandboxViolation, Timeout, InstanceCrashed, ..."""
        return ExecResult.from_result(self._call("script.exec", {"code": code, "timeout_s": timeout_s,
                                                                 "capture_limit": capture_limit}, timeout=timeout))

    def scene_info(self, offset: Optional[int] = None, limit: Optional[int] = None) -> Dict[str, Any]:
        """scene.info: objects (paged), totals, the scene's summary and world bounds."""
        return self._call("scene.info", {"offset": offset, "limit": limit})

    def object(self, name: str) -> Dict[str, Any]:
        """scene.object: one object in detail (transforms, bounds, mesh counts, materials, ...)."""
        return self._call("scene.object", {"name": name})

    def describe(self, target: str) -> Dict[str, Any]:
        """api.describe: an operator, RNA type, node type or property as *this* Blender has it."""
        return self._call("api.describe", {"target": target})

    # -- checkpoints -----------------------------------------------------------------------------

    def checkpoint(self, label: Optional[str] = None) -> Checkpoint:
        """scene.checkpoint: save the scene now (labelled ones are kept for the session's life)."""
        return Checkpoint.from_dict(self._call("scene.checkpoint", {"label": label}))

    def checkpoints(self) -> Checkpoints:
        r = self._call("scene.checkpoints")
        return Checkpoints([Checkpoint.from_dict(c) for c in r.get("checkpoints", [])], r.get("current"),
                           r.get("policy", ""), r.get("keep", 0))

    def restore(self, checkpoint: Union[str, Checkpoint]) -> Dict[str, Any]:
        """scene.restore: the whole scene back to `checkpoint`, which becomes current."""
        ident = checkpoint.id if isinstance(checkpoint, Checkpoint) else checkpoint
        return self._call("scene.restore", {"checkpoint": ident})

    def load(self, path: Optional[str] = None, data: Optional[bytes] = None) -> Dict[str, Any]:
        """scene.load: a .blend by `path` (readable by the daemon) or its bytes (`data`), with
        scripts disabled."""
        encoded = base64.b64encode(data).decode("ascii") if data is not None else None
        return self._call("scene.load", {"path": path, "data": encoded})

    # -- renders and exports -----------------------------------------------------------------------

    def render_views(self, views: Optional[int] = None, *, on_progress: Optional[Callable[[Progress], None]] = None,
                     delivery: Optional[str] = None, timeout: Union[float, None, str] = "default",
                     **options: Any) -> RenderStream:
        """render.views: `views` orbit views (or `cameras=[...]`) with resolution, scale, engine
        (CYCLES, EEVEE, WORKBENCH), samples, denoise, device, format, transparent, seed, preview,
        parallel, timeout_s. Iterate the returned RenderStream for each Image as it arrives;
        `on_progress(Progress)` gets render.progress."""
        params = dict(options)
        params.update({"views": views, "delivery": delivery or self.client.default_delivery()})
        call = self.client.call_async("render.views", dict(clean(params), session=self._session_id()),
                                      timeout=timeout)
        return RenderStream(call, on_progress)

    def export(self, format: str = "glb", delivery: Optional[str] = None, selection: Optional[Sequence[str]] = None,
               timeout_s: Optional[float] = None, timeout: Union[float, None, str] = "default") -> Export:
        """scene.export: glb, gltf, obj, fbx, usd, stl, ply or blend; the Export holds the bytes
        (`data`) or, with delivery="path", the file's `path`."""
        params = {"session": self._session_id(), "format": format,
                  "delivery": delivery or self.client.default_delivery(),
                  "selection": list(selection) if selection is not None else None, "timeout_s": timeout_s}
        return export_from(self.client.call_async("scene.export", params, timeout=timeout))

    def submit_job(self, frames: str, checkpoint: Optional[str] = None, **params: Any) -> "Job":
        """job.submit of this session's scene (its current checkpoint, or `checkpoint`)."""
        return self.client.submit_job(frames, session=self._session_id(), checkpoint=checkpoint, **params)

    def subscribe(self, delivery: Optional[str] = None) -> Any:
        """events.subscribe to this session, on this session's own connection. To watch from
        elsewhere use another Client: `Client().subscribe(session.id)`."""
        return self.client.subscribe(self._session_id(), delivery=delivery)

    def _session_id(self) -> str:
        if self.id is None:
            raise RuntimeError("the session is not open (use `with client.session(...)` or .open())")
        return self.id
