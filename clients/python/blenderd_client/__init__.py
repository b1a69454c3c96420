"""blenderd_client: the Python client of blenderd (stdlib only, Python 3.9+).

    from blenderd_client import Client, ScriptError

    with Client() as client, client.session(blender=">=4.2") as session:
        try:
            session.exec(code)
        except ScriptError as error:
            print(error.explain(code))
        for image in session.render_views(views=5):
            image.save("out")
        session.export("glb").save("out/model.glb")

Guide: docs/python-client.md in the blenderd repository.
"""

from .client import Client, PendingCall
from .errors import (
    BlenderdError, Cancelled, ClientError, ConnectionClosed, Error, InstanceCrashed, InternalError, InvalidParams,
    InvalidRequest, MethodNotFound, NoInstanceFits, Overloaded, ParseError, ProtocolError, RenderError, ReplyTimeout,
    SandboxViolation, ScriptError, Timeout, TracebackFrame, Unauthorized, UnknownSession, error_from_response,
)
from .events import Event, Subscription
from .framing import HEADER, NDJSON
from .jobs import Job, JobEvent, JobFrame, JobProgress
from .render import Export, ExportFile, Image, Progress, RenderStream
from .session import Checkpoint, Checkpoints, ExecResult, Session
from .transport import Incoming, default_socket_path

__version__ = "0.1.0"

__all__ = [
    "Client", "PendingCall", "Session", "ExecResult", "Checkpoint", "Checkpoints", "RenderStream", "Image",
    "Progress", "Export", "ExportFile", "Job", "JobEvent", "JobFrame", "JobProgress", "Subscription", "Event",
    "Incoming", "default_socket_path", "NDJSON", "HEADER",
    "Error", "ClientError", "ConnectionClosed", "ProtocolError", "ReplyTimeout", "BlenderdError", "ScriptError",
    "SandboxViolation", "Timeout", "InstanceCrashed", "Cancelled", "NoInstanceFits", "UnknownSession",
    "Unauthorized", "Overloaded", "RenderError", "InvalidParams", "MethodNotFound", "InvalidRequest", "ParseError",
    "InternalError", "TracebackFrame", "error_from_response",
]

# The Ray adapter needs Ray (pip install "blenderd-client[ray]"): its names load on first use, so
# importing blenderd_client never imports ray.
_RAY_NAMES = ("RenderFarm", "FarmSession", "FarmImage", "FarmFile", "FarmTaskError")


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name in _RAY_NAMES:
        from . import ray as _ray
        return getattr(_ray, name)
    raise AttributeError("module 'blenderd_client' has no attribute %r" % name)
