"""Ray adapter: a render farm of blenderd nodes (`pip install "blenderd-client[ray]"`).

blenderd stays the per-machine unit that keeps Blender warm and sandboxed; Ray schedules across
machines. Each machine ("node") that should render declares a Ray custom resource `blenderd`
equal to how many Blender instances it runs at once:

    ray start --head --resources '{"blenderd": 2}'            # and on every other machine:
    ray start --address HEAD:6379 --resources '{"blenderd": 2}'

    import ray
    from blenderd_client.ray import RenderFarm

    ray.init(address="auto")
    farm = RenderFarm()                              # a BlenderNode actor (+ its blenderd) per node
    refs = farm.submit_frames("shot.blend", "1-240", chunk=4, engine="CYCLES", samples=64)
    for frame, image in zip(refs, ray.get(list(refs.values()))):
        image.save("out/frame-%04d.png" % frame)

    views = ray.get(farm.render_views(scene_script, views=8, resolution=[640, 360]))
    results = ray.get(farm.map_scripts([code_a, code_b, code_c]))   # dicts: ok, value, error, ...

    with farm.session(blender=">=4.2") as s:        # pinned: every call goes to one node's daemon
        s.exec("import bpy; bpy.ops.mesh.primitive_cube_add()")
        images = ray.get(s.render_views(views=4))

- `BlenderNode` (one actor per node, named "blenderd-node:<node id>" in namespace "blenderd",
  no CPU, pinned to its node) starts that node's blenderd with --warm/--max-instances = the
  node's `blenderd` resource on a socket and state directory of its own (or connects to a daemon
  already running there: `RenderFarm(socket=...)`). The daemon gets SIGKILL when the actor's
  process dies (PR_SET_PDEATHSIG), and blenderd's own instances die with it.
- Stateless work runs as Ray tasks that each need `{"blenderd": 1}`, so a node never gets more
  work than it has instances; a task talks to its node's daemon over the Unix socket. Ray retries
  a task whose node or worker died (max_retries) on another node; results are keyed (one ObjectRef
  per frame, per view), so every frame arrives exactly once.
- Sessions are stateful: `farm.session()` binds to one node's actor and every follow-up call is
  an actor method call there. A session does not survive its node's loss (the error says so).

Errors: daemon errors inside tasks come back as `FarmTaskError` (picklable: `code`, `message`,
`data`, `node_id`; `.error()` rebuilds the blenderd_client exception); a FarmSession raises the
blenderd_client exceptions themselves (ScriptError, SandboxViolation, ...).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import socket as _socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

try:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError("blenderd_client.ray needs Ray: pip install 'blenderd-client[ray]' (ray>=2.9)") from _missing

from .client import Client
from .errors import BlenderdError, error_from_response
from .jobs import JobFrame, JobProgress
from .session import ExecResult
from .transport import default_socket_path

RESOURCE = "blenderd"
NAMESPACE = "blenderd"
ACTOR_PREFIX = "blenderd-node:"
SCRIPT_ERROR = -32010
SANDBOX_VIOLATION = -32003

__all__ = ["RenderFarm", "FarmSession", "FarmImage", "FarmFile", "FarmTaskError", "NodeConfig", "BlenderNode",
           "RESOURCE", "NAMESPACE", "parse_frames", "node_actor"]


# -- values that travel through Ray (plain, picklable) ----------------------------------------

@dataclass
class NodeConfig:
    """How each node's BlenderNode runs its daemon. Paths are resolved on the node.

    blenderd: the executable (default $BLENDERD_BIN on the node, else `blenderd` on PATH).
    socket: connect to a daemon already running on every node at this path instead of starting
        one ("" = the default path, $BLENDERD_SOCKET or the daemon's own default).
    args: more blenderd flags (--bpy-python, --blender, --addon, --gpus, ...).
    warm, max_instances: default the node's `blenderd` resource.
    base_dir: where per-node sockets, state and caches go (default a new temporary directory).
    """

    blenderd: Optional[str] = None
    socket: Optional[str] = None
    args: Tuple[str, ...] = ()
    sandbox: str = "strict"
    warm: Optional[int] = None
    max_instances: Optional[int] = None
    base_dir: Optional[str] = None
    env: Dict[str, str] = field(default_factory=dict)
    start_timeout: float = 60.0
    ready_timeout: float = 180.0


@dataclass
class FarmImage:
    """One rendered image: a farm frame (`frame`) or a view (`index`), its bytes, and where it was
    rendered (`node_id`, `host`, `instance`)."""

    data: bytes
    width: int
    height: int
    mime: str
    node_id: str
    host: str
    instance: Optional[str] = None
    frame: Optional[int] = None
    index: Optional[int] = None
    duration_ms: float = 0.0

    def save(self, dest: str) -> str:
        folder = os.path.dirname(os.path.abspath(dest))
        os.makedirs(folder, exist_ok=True)
        with open(dest, "wb") as handle:
            handle.write(self.data)
        return dest


@dataclass
class FarmFile:
    """A scene.export through a pinned session: the main file's bytes and its further files."""

    name: str
    format: str
    mime: str
    data: bytes
    objects: int
    node_id: str
    files: Dict[str, bytes] = field(default_factory=dict)

    def save(self, dest: str) -> str:
        if os.path.isdir(dest):
            dest = os.path.join(dest, self.name)
        with open(dest, "wb") as handle:
            handle.write(self.data)
        for name, data in self.files.items():
            with open(os.path.join(os.path.dirname(os.path.abspath(dest)), name), "wb") as handle:
                handle.write(data)
        return dest


class FarmTaskError(Exception):
    """A daemon error inside a farm task, with the node it happened on (the task failed; Ray
    reports it as the task's error). `error()` gives the blenderd_client exception."""

    def __init__(self, code: int, message: str, data: Optional[Dict[str, Any]] = None, method: Optional[str] = None,
                 node_id: Optional[str] = None) -> None:
        self.code = code
        self.message = message
        self.data = data or {}
        self.method = method
        self.node_id = node_id
        reason = self.data.get("reason") or self.data.get("message")
        super().__init__("%s%s (%d)%s on node %s" % (method + ": " if method else "", message, code,
                                                      ": %s" % reason if reason else "", (node_id or "?")[:12]))

    def __reduce__(self) -> Any:
        return (FarmTaskError, (self.code, self.message, self.data, self.method, self.node_id))

    @classmethod
    def wrap(cls, error: BlenderdError, node_id: str) -> "FarmTaskError":
        return cls(error.code, error.message, dict(error.data), error.method, node_id)

    def error(self) -> BlenderdError:
        return error_from_response({"code": self.code, "message": self.message, "data": self.data},
                                   method=self.method)


def _error_dict(error: BlenderdError) -> Dict[str, Any]:
    return {"code": error.code, "message": error.message, "data": dict(error.data), "method": error.method}


# -- frames ---------------------------------------------------------------------------------

_ITEM = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*(?::\s*(\d+)\s*)?)?$")


def parse_frames(frames: Union[str, int, Iterable[int]]) -> List[int]:
    """"1-24", "1-10,20,30-40:2", 7 or [1, 5, 9] → sorted unique frame numbers (job.submit's
    syntax, so a chunk can be handed to the daemon as a comma list)."""
    if isinstance(frames, int):
        return [frames]
    if not isinstance(frames, str):
        out = sorted({int(f) for f in frames})
        if not out:
            raise ValueError("no frames")
        return out
    found = set()
    for item in frames.split(","):
        match = _ITEM.match(item)
        if not match:
            raise ValueError("bad frame item %r in %r (N, a-b or a-b:step)" % (item, frames))
        start, end, step = int(match.group(1)), match.group(2), match.group(3)
        if end is None:
            found.add(start)
            continue
        stop, by = int(end), int(step or 1)
        if stop < start or by < 1:
            raise ValueError("bad frame range %r: needs a <= b and step >= 1" % item)
        found.update(range(start, stop + 1, by))
    if not found:
        raise ValueError("no frames in %r" % frames)
    return sorted(found)


# -- the per-node actor ---------------------------------------------------------------------

def _die_with_parent_fn() -> Any:
    """A preexec_fn setting PR_SET_PDEATHSIG=SIGKILL, resolved before fork (nothing to look up or
    allocate in the child)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    kill = int(signal.SIGKILL)

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, kill, 0, 0, 0)
    return preexec


class _BlenderNodeImpl:
    """Lives on one node: its blenderd (started or connected) and the sessions pinned there."""

    def __init__(self, node_id: str, pool: int, config: NodeConfig) -> None:
        self.node_id = node_id
        self.host = _socket.gethostname()
        self.pool = max(1, int(pool))
        self.config = config
        self.proc: Optional[subprocess.Popen] = None
        self.owns_dir = config.base_dir is None
        base = config.base_dir or tempfile.mkdtemp(prefix="blenderd-ray-")
        self.base_dir = os.path.join(base, node_id[:12]) if config.base_dir else base
        os.makedirs(self.base_dir, mode=0o700, exist_ok=True)
        os.chmod(self.base_dir, 0o700)  # blenderd serves only from a private socket directory
        self.sessions: Dict[str, Any] = {}
        self.lock = threading.Lock()
        self.socket_dir: Optional[str] = None
        if config.socket is not None:
            self.socket_path = config.socket or default_socket_path()
            self.log_path = None
        else:
            self.socket_path = os.path.join(self.base_dir, "blenderd.sock")
            if len(self.socket_path.encode()) > 100:  # sun_path holds 108 bytes
                self.socket_dir = tempfile.mkdtemp(prefix="blenderd-ray-sock-")
                self.socket_path = os.path.join(self.socket_dir, "blenderd.sock")
            self.log_path = os.path.join(self.base_dir, "blenderd.log")
            self._start_daemon()
        self.client = Client(self.socket_path, timeout=None)
        self.client.wait_ready(1, timeout=config.ready_timeout)

    def _binary(self) -> str:
        found = self.config.blenderd or os.environ.get("BLENDERD_BIN") or shutil.which("blenderd")
        if not found or not os.access(found, os.X_OK):
            raise RuntimeError("no blenderd on node %s (%s): pass RenderFarm(blenderd=PATH), set BLENDERD_BIN on the "
                               "node, or put blenderd on its PATH" % (self.node_id[:12], self.host))
        return found

    def _start_daemon(self) -> None:
        warm = self.config.warm if self.config.warm is not None else self.pool
        most = self.config.max_instances if self.config.max_instances is not None else self.pool
        args = [self._binary(), "--socket", self.socket_path, "--state-dir", os.path.join(self.base_dir, "state"),
                "--warm", str(warm), "--max-instances", str(most), "--sandbox", self.config.sandbox]
        args += list(self.config.args)
        env = dict(os.environ)
        env.pop("BLENDERD_SOCKET", None)
        env.update(self.config.env)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the daemon writes it for its whole life
        spawned = threading.Event()
        outcome: Dict[str, Any] = {}
        preexec = _die_with_parent_fn()

        # PR_SET_PDEATHSIG fires when the *thread* that forked dies, so the fork happens on a thread
        # that lives exactly as long as the daemon (it waits for it), not on a Ray worker thread.
        def keeper() -> None:
            try:
                outcome["proc"] = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                                   stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                                   preexec_fn=preexec)
            except OSError as exc:
                outcome["error"] = exc
            finally:
                spawned.set()
            if "proc" in outcome:
                outcome["proc"].wait()
            log.close()

        threading.Thread(target=keeper, name="blenderd-keeper", daemon=True).start()
        spawned.wait()
        if "error" in outcome:
            raise RuntimeError("could not start %s: %s" % (args[0], outcome["error"]))
        self.proc = outcome["proc"]
        deadline = time.monotonic() + self.config.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("blenderd exited with %s at start-up on %s; log:\n%s"
                                   % (self.proc.returncode, self.host, self.log_tail()))
            if os.path.exists(self.socket_path):
                try:
                    with Client(self.socket_path, timeout=5, connect_timeout=5) as probe:
                        probe.ping()
                    return
                except (OSError, BlenderdError):
                    pass
            if time.monotonic() > deadline:
                self.shutdown()
                raise RuntimeError("blenderd did not answer on %s within %.0f s; log:\n%s"
                                   % (self.socket_path, self.config.start_timeout, self.log_tail()))
            time.sleep(0.05)

    def log_tail(self, chars: int = 4000) -> str:
        if not self.log_path:
            return "(a daemon this node did not start)"
        try:
            with open(self.log_path, "rb") as handle:
                return handle.read().decode("utf-8", "replace")[-chars:]
        except OSError:
            return "(no log)"

    def info(self) -> Dict[str, Any]:
        return {"node_id": self.node_id, "host": self.host, "socket": self.socket_path, "pool": self.pool,
                "pid": self.proc.pid if self.proc else None, "base_dir": self.base_dir, "actor_pid": os.getpid(),
                "sessions": len(self.sessions)}

    def ping(self) -> bool:
        return self.client.ping()

    # Sessions pinned to this node. Errors travel as dicts and are raised again on the caller's
    # side: raised in the actor, they would reach ray.get wrapped in a RayTaskError subclass, and
    # a FarmSession caller should get the client's own exception (ScriptError, Timeout, ...).
    def open_session(self, requirements: Dict[str, Any]) -> Dict[str, Any]:
        try:
            session = self.client.open_session(**requirements)
        except BlenderdError as error:
            return {"error": _error_dict(error)}
        with self.lock:
            self.sessions[session.id] = session
        return {"session": session.id, "instance": session.instance, "blender": session.blender,
                "node_id": self.node_id, "host": self.host}

    def _session(self, sid: str) -> Any:
        with self.lock:
            session = self.sessions.get(sid)
        if session is None:
            raise KeyError(sid)
        return session

    def call(self, sid: str, op: str, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        try:
            session = self._session(sid)
        except KeyError:
            return {"error": {"code": -32001, "message": "Unknown session",
                              "data": {"reason": "session %s is not pinned to node %s (closed?)" % (sid, self.node_id[:12])}}}
        try:
            if op == "exec":
                value: Any = session.exec(**kwargs).raw
            elif op == "scene_info":
                value = session.scene_info(**kwargs)
            elif op == "object":
                value = session.object(**kwargs)
            elif op == "describe":
                value = session.describe(**kwargs)
            elif op == "checkpoint":
                value = session.checkpoint(**kwargs).__dict__
            elif op == "checkpoints":
                value = session._call("scene.checkpoints")
            elif op == "restore":
                value = session.restore(**kwargs)
            elif op == "load":
                value = session.load(**kwargs)
            elif op == "close":
                with self.lock:
                    self.sessions.pop(sid, None)
                value = session.close()
            else:
                raise ValueError("unknown session op %r" % op)
        except BlenderdError as error:
            return {"error": _error_dict(error)}
        return {"value": value, "node_id": self.node_id}

    def export(self, sid: str, kwargs: Dict[str, Any]) -> Any:
        try:
            exported = self._session(sid).export(delivery="binary", **kwargs)
        except BlenderdError as error:
            raise FarmTaskError.wrap(error, self.node_id) from None
        return FarmFile(name=exported.name, format=exported.format, mime=exported.mime, data=exported.read(),
                        objects=exported.objects, node_id=self.node_id,
                        files={f.name: f.data or b"" for f in exported.files})

    def render_views(self, sid: str, count: int, options: Dict[str, Any]) -> Any:
        try:
            images = _render(self._session(sid), options, self.node_id, self.host)
        except BlenderdError as error:
            raise FarmTaskError.wrap(error, self.node_id) from None
        return _as_returns(images, count, "views")

    def shutdown(self) -> None:
        """Close pinned sessions, stop the daemon this node started (SIGTERM, then SIGKILL)."""
        with self.lock:
            sessions, self.sessions = list(self.sessions.values()), {}
        for session in sessions:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        try:
            self.client.close()
        except Exception:  # noqa: BLE001
            pass
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.owns_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
        if self.socket_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def __del__(self) -> None:
        try:
            self.shutdown()
        except Exception:  # noqa: BLE001
            pass


# One actor per node; threaded so pinned sessions and info calls run side by side.
BlenderNode = ray.remote(_BlenderNodeImpl)


def actor_name(node_id: str) -> str:
    return ACTOR_PREFIX + node_id


def node_actor(node_id: str, pool: int, config: NodeConfig) -> Any:
    """The BlenderNode actor of `node_id`, created (pinned there, no CPU) if it is not running."""
    return BlenderNode.options(
        name=actor_name(node_id), namespace=NAMESPACE, get_if_exists=True, num_cpus=0, max_restarts=0,
        max_concurrency=max(8, 4 * pool),
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
    ).remote(node_id, pool, config)


def _blenderd_nodes() -> Dict[str, int]:
    """Alive nodes with a `blenderd` resource: node id → its amount."""
    out = {}
    for node in ray.nodes():
        amount = (node.get("Resources") or {}).get(RESOURCE, 0)
        if node.get("Alive") and amount >= 1:
            out[node["NodeID"]] = int(amount)
    return out


# -- inside tasks: the local node's daemon --------------------------------------------------

_LOCAL: Dict[str, Dict[str, Any]] = {}  # node id → its actor's info, per worker process


def _local(config: NodeConfig) -> Tuple[Dict[str, Any], Client]:
    node_id = ray.get_runtime_context().get_node_id()
    for attempt in (1, 2):
        info = _LOCAL.get(node_id)
        if info is None:
            try:
                actor = ray.get_actor(actor_name(node_id), namespace=NAMESPACE)
            except ValueError:  # a node that joined after the farm looked: start its actor now
                actor = node_actor(node_id, _blenderd_nodes().get(node_id, 1), config)
            info = ray.get(actor.info.remote())
            _LOCAL[node_id] = info
        try:
            return info, Client(info["socket"], timeout=None)
        except OSError:
            # The cached daemon is gone (the farm was shut down and started again): look again.
            _LOCAL.pop(node_id, None)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _blend_file(info: Dict[str, Any], data: bytes) -> str:
    """The .blend's bytes as a file in the node's cache (written once per content), for the daemon
    to read: no base64, no frame-size limit."""
    folder = os.path.join(info["base_dir"], "blends")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, hashlib.sha256(data).hexdigest()[:32] + ".blend")
    if not os.path.exists(path):
        partial = "%s.%s.part" % (path, uuid.uuid4().hex)
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    return path


def _as_returns(items: List[Any], count: int, what: str) -> Any:
    if len(items) != count:
        raise FarmTaskError(-32011, "Render error", {"reason": "expected %d %s, got %d" % (count, what, len(items))})
    return items[0] if count == 1 else tuple(items)


def _render(session: Any, options: Dict[str, Any], node_id: str, host: str) -> List[FarmImage]:
    images = []
    for image in session.render_views(delivery="binary", **options):
        if image.pass_name != "final":
            continue
        images.append(FarmImage(data=image.read(), width=image.width, height=image.height, mime=image.mime,
                                node_id=node_id, host=host, instance=image.instance, index=image.index,
                                duration_ms=image.duration_ms))
    images.sort(key=lambda i: i.index or 0)
    return images


def _prepare(session: Any, info: Dict[str, Any], scene: Optional[Tuple[str, Any]]) -> None:
    if scene is None:
        return
    kind, value = scene
    if kind == "blend_ref":  # a ref nested in a tuple is not resolved before the task runs
        kind, value = "blend", ray.get(value)
    if kind == "blend":
        session.load(path=_blend_file(info, value))
    elif kind == "path":
        session.load(path=value)
    else:
        session.exec(value)


def _chunk_task(config: NodeConfig, blend: Any, frames: List[int], params: Dict[str, Any]) -> Any:
    info, client = _local(config)
    out_dir = os.path.join(info["base_dir"], "out", uuid.uuid4().hex)
    try:
        path = _blend_file(info, blend) if isinstance(blend, bytes) else blend
        job = client.submit_job(",".join(str(f) for f in frames), blend=path, chunk=len(frames), output=out_dir,
                                delivery="binary", **params)
        got: Dict[int, FarmImage] = {}
        final: Optional[JobProgress] = None
        for event in job.watch():
            if isinstance(event, JobFrame) and event.frame not in got:
                got[event.frame] = FarmImage(data=event.read(), width=event.width, height=event.height,
                                             mime=event.mime, node_id=info["node_id"], host=info["host"],
                                             instance=event.instance, frame=event.frame,
                                             duration_ms=event.duration_ms)
            elif isinstance(event, JobProgress):
                final = event
        missing = [f for f in frames if f not in got]
        if missing:
            status = job.status()
            raise FarmTaskError(-32011, "Render error", {"reason": "frames %s not rendered (job %s)" % (missing, job.id),
                                                         "state": final.state if final else None,
                                                         "failed": status.get("failed")},
                                "job.submit", info["node_id"])
        return _as_returns([got[f] for f in frames], len(frames), "frames")
    except BlenderdError as error:
        raise FarmTaskError.wrap(error, info["node_id"]) from None
    finally:
        client.close()
        shutil.rmtree(out_dir, ignore_errors=True)


def _views_task(config: NodeConfig, scene: Optional[Tuple[str, Any]], requirements: Dict[str, Any],
                options: Dict[str, Any], count: int) -> Any:
    info, client = _local(config)
    try:
        with client.session(**requirements) as session:
            _prepare(session, info, scene)
            return _as_returns(_render(session, options, info["node_id"], info["host"]), count, "views")
    except BlenderdError as error:
        raise FarmTaskError.wrap(error, info["node_id"]) from None
    finally:
        client.close()


def _script_task(config: NodeConfig, code: str, scene: Optional[Tuple[str, Any]], requirements: Dict[str, Any],
                 timeout_s: Optional[float]) -> Dict[str, Any]:
    """A script's outcome as data: a script that fails is an answer, not a reason to retry."""
    info, client = _local(config)
    out: Dict[str, Any] = {"ok": False, "value": None, "stdout": "", "stderr": "", "error": None,
                           "node_id": info["node_id"], "host": info["host"], "instance": None, "duration_ms": None}
    try:
        with client.session(**requirements) as session:
            out["instance"] = session.instance
            _prepare(session, info, scene)
            result = session.exec(code, timeout_s=timeout_s)
            out.update(ok=True, value=result.value, stdout=result.stdout, stderr=result.stderr,
                       duration_ms=result.duration_ms)
    except BlenderdError as error:
        out["error"] = _error_dict(error)
        if error.code in (SCRIPT_ERROR, SANDBOX_VIOLATION):
            out["stdout"] = error.data.get("stdout", "")
            out["stderr"] = error.data.get("stderr", "")
    finally:
        client.close()
    return out


# -- the driver's side ----------------------------------------------------------------------

def _scene_arg(scene: Union[None, bytes, str], on_nodes: bool = False) -> Optional[Tuple[str, Any]]:
    """bytes → a .blend's content; a str naming a .blend file → its bytes (read here, sent through
    Ray's object store) or, with on_nodes, the path as every node sees it; any other str → a
    script that builds the scene."""
    if scene is None:
        return None
    if isinstance(scene, (bytes, bytearray)):
        return ("blend", bytes(scene))
    if scene.endswith(".blend") and "\n" not in scene:
        if on_nodes:
            return ("path", os.path.abspath(scene))
        with open(scene, "rb") as handle:
            return ("blend", handle.read())
    return ("script", scene)


def _raise(reply: Dict[str, Any]) -> Any:
    if "error" in reply:
        e = reply["error"]
        raise error_from_response({"code": e["code"], "message": e["message"], "data": e.get("data")},
                                  method=e.get("method"))
    return reply["value"]


_REMOTE: Dict[str, Any] = {}  # the task functions as Ray remote functions, made once per process


class FarmSession:
    """A session pinned to one node (its BlenderNode actor): every call runs on that node's
    daemon, in order, on the same scene. Blocking calls return values; renders return ObjectRefs."""

    def __init__(self, actor: Any, opened: Dict[str, Any]) -> None:
        self.actor = actor
        self.id: str = opened["session"]
        self.instance: Optional[str] = opened.get("instance")
        self.blender: Optional[str] = opened.get("blender")
        self.node_id: str = opened["node_id"]
        self.host: Optional[str] = opened.get("host")
        self.closed = False

    def __repr__(self) -> str:
        return "<FarmSession %s on node %s (%s, Blender %s)>" % (self.id, self.node_id[:12], self.host, self.blender)

    def _call(self, op: str, **kwargs: Any) -> Any:
        return _raise(ray.get(self.actor.call.remote(self.id, op, {k: v for k, v in kwargs.items() if v is not None})))

    def exec(self, code: str, timeout_s: Optional[float] = None) -> ExecResult:
        """script.exec on the pinned node; raises ScriptError, SandboxViolation, ... as the client does.
        The result's `raw["node_id"]` names the node."""
        reply = ray.get(self.actor.call.remote(self.id, "exec", {"code": code, "timeout_s": timeout_s}))
        raw = dict(_raise(reply))
        raw["node_id"] = reply["node_id"]
        return ExecResult.from_result(raw)

    def scene_info(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("scene_info", **kwargs)

    def object(self, name: str) -> Dict[str, Any]:
        return self._call("object", name=name)

    def describe(self, target: str) -> Dict[str, Any]:
        return self._call("describe", target=target)

    def checkpoint(self, label: Optional[str] = None) -> Dict[str, Any]:
        return self._call("checkpoint", label=label)

    def checkpoints(self) -> Dict[str, Any]:
        return self._call("checkpoints")

    def restore(self, checkpoint: str) -> Dict[str, Any]:
        return self._call("restore", checkpoint=checkpoint)

    def load(self, path: Optional[str] = None, data: Optional[bytes] = None) -> Dict[str, Any]:
        return self._call("load", path=path, data=data)

    def render_views(self, views: Optional[int] = None, *, cameras: Optional[Sequence[str]] = None,
                     **options: Any) -> List[Any]:
        """render.views on the pinned node: one ObjectRef per view (FarmImage), final pass only."""
        count = len(cameras) if cameras else (views or 5)
        params = dict(options, views=None if cameras else count, cameras=list(cameras) if cameras else None)
        params = {k: v for k, v in params.items() if v is not None}
        refs = self.actor.render_views.options(num_returns=count).remote(self.id, count, params)
        return [refs] if count == 1 else list(refs)

    def export(self, format: str = "glb", **kwargs: Any) -> FarmFile:
        return ray.get(self.actor.export.remote(self.id, dict(kwargs, format=format)))

    def close(self) -> bool:
        if self.closed:
            return False
        self.closed = True
        try:
            return bool(self._call("close"))
        except ray.exceptions.RayActorError:
            return False

    def __enter__(self) -> "FarmSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class RenderFarm:
    """Spreads Blender work over the Ray cluster's blenderd nodes (call ray.init first).

    Every keyword is a NodeConfig field (blenderd, socket, args, sandbox, warm, max_instances,
    base_dir, env, start_timeout, ready_timeout). `max_retries`: how often Ray re-runs a task
    whose node or worker died (exceptions raised by blenderd are answers, not retried)."""

    def __init__(self, *, max_retries: int = 3, start: bool = True, **config: Any) -> None:
        if not ray.is_initialized():
            raise RuntimeError("RenderFarm needs a Ray connection: call ray.init(...) first")
        if "args" in config:
            config["args"] = tuple(config["args"])
        self.config = NodeConfig(**config)
        self.max_retries = max_retries
        self._actors: Dict[str, Any] = {}
        self._next = 0
        if start:
            self.start()

    # nodes
    def start(self) -> List[Dict[str, Any]]:
        """A BlenderNode on every alive node with a `blenderd` resource (new ones too); waits until
        each daemon has an instance ready. Returns the nodes' info."""
        nodes = _blenderd_nodes()
        if not nodes:
            raise RuntimeError("no Ray node declares a %r resource: start nodes with "
                               "ray start --resources '{\"%s\": N}'" % (RESOURCE, RESOURCE))
        for node_id, pool in nodes.items():
            if node_id not in self._actors:
                self._actors[node_id] = node_actor(node_id, pool, self.config)
        return self.nodes()

    def nodes(self) -> List[Dict[str, Any]]:
        """Info of each live node's BlenderNode (node_id, host, socket, pool, pid, ...)."""
        alive = _blenderd_nodes()
        for node_id in list(self._actors):
            if node_id not in alive:
                self._actors.pop(node_id)
        return ray.get([actor.info.remote() for actor in self._actors.values()])

    def shutdown(self) -> None:
        """Stop every node's daemon (and its actor)."""
        names, actors, self._actors = list(self._actors), list(self._actors.values()), {}
        for actor in actors:
            try:
                ray.get(actor.shutdown.remote(), timeout=30)
            except Exception:  # noqa: BLE001 - a node already gone
                pass
            ray.kill(actor)
        # ray.kill returns at once; a farm started right after must not get the dying actor back
        # from get_if_exists, so wait until the names are free.
        deadline = time.monotonic() + 30
        for node_id in names:
            while time.monotonic() < deadline:
                try:
                    ray.get_actor(actor_name(node_id), namespace=NAMESPACE)
                except ValueError:
                    break
                time.sleep(0.1)

    def _task(self, fn: Any, **options: Any) -> Any:
        remote = _REMOTE.get(fn.__name__)
        if remote is None:
            remote = _REMOTE[fn.__name__] = ray.remote(fn)
        return remote.options(num_cpus=0, resources={RESOURCE: 1}, max_retries=self.max_retries,
                                      retry_exceptions=[ConnectionError], scheduling_strategy="SPREAD", **options)

    # stateless work
    def submit_frames(self, blend: Union[bytes, str], frames: Union[str, int, Iterable[int]], *, chunk: int = 4,
                      blend_on_nodes: bool = False, **params: Any) -> Dict[int, Any]:
        """Render `frames` of a .blend (its bytes, or a path: read here and shipped through Ray, or,
        with blend_on_nodes=True, a path every node can read, as on a shared file system) in chunks
        of `chunk` frames, one Ray task per chunk on a node's free instance. job.submit params:
        engine, samples, resolution, format, camera, blender, timeout_s. Returns {frame: ObjectRef
        of FarmImage}, one per frame; a chunk whose node dies is rendered again elsewhere."""
        if chunk < 1:
            raise ValueError("chunk must be >= 1")
        numbers = parse_frames(frames)
        kind, value = _scene_arg(blend, on_nodes=blend_on_nodes) or ("", None)
        if kind not in ("blend", "path"):
            raise ValueError("blend must be a .blend's bytes or a path ending in .blend")
        source = ray.put(value) if kind == "blend" else value
        params = {k: v for k, v in params.items() if v is not None}
        refs: Dict[int, Any] = {}
        for start in range(0, len(numbers), chunk):
            part = numbers[start:start + chunk]
            out = self._task(_chunk_task, num_returns=len(part)).remote(self.config, source, part, params)
            for frame, ref in zip(part, [out] if len(part) == 1 else out):
                refs[frame] = ref
        return refs

    def render_views(self, scene: Union[None, bytes, str] = None, views: Optional[int] = None, *,
                     cameras: Optional[Sequence[str]] = None, requirements: Optional[Dict[str, Any]] = None,
                     **options: Any) -> List[Any]:
        """render.views of one scene in a fresh session on some node: `scene` is a .blend (bytes or
        path) or a script that builds it (None: the default scene). Options as Session.render_views
        (resolution, engine, samples, ...). One ObjectRef per view, in view order."""
        count = len(cameras) if cameras else (views or 5)
        params = dict(options, views=None if cameras else count, cameras=list(cameras) if cameras else None)
        params = {k: v for k, v in params.items() if v is not None}
        out = self._task(_views_task, num_returns=count).remote(self.config, _scene_arg(scene),
                                                                 dict(requirements or {}), params, count)
        return [out] if count == 1 else list(out)

    def map_scripts(self, scripts: Iterable[str], *, scene: Union[None, bytes, str] = None,
                    timeout_s: Optional[float] = None, **requirements: Any) -> List[Any]:
        """Each script in a fresh session of its own (session.open `requirements`), after `scene`
        is loaded or built. One ObjectRef per script, to a dict: ok, value, stdout, stderr, error
        ({code, message, data} or None), node_id, host, instance, duration_ms."""
        prepared = _scene_arg(scene)
        if prepared is not None and prepared[0] == "blend":  # one copy in the object store for all
            prepared = ("blend_ref", ray.put(prepared[1]))
        return [self._task(_script_task).remote(self.config, code, prepared, requirements, timeout_s)
                for code in scripts]

    # pinned sessions
    def session(self, node: Optional[str] = None, **requirements: Any) -> FarmSession:
        """A session on one node (`node`: a node id; default the nodes in turn), open now; use
        `with` or close() it. Its calls all go to that node."""
        if not self._actors:
            self.start()
        if node is None:
            ids = sorted(self._actors)
            node = ids[self._next % len(ids)]
            self._next += 1
        actor = self._actors.get(node)
        if actor is None:
            raise ValueError("no BlenderNode on node %s (nodes: %s)" % (node, sorted(self._actors)))
        reply = ray.get(actor.open_session.remote({k: v for k, v in requirements.items() if v is not None}))
        if "error" in reply:
            _raise(reply)
        return FarmSession(actor, reply)

