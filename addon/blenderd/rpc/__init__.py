"""Transport for the daemon <-> Blender worker protocol (protocol/worker.md).

Pure Python, standard library only: runs under Blender's bundled Python
(3.10 in 3.x builds, 3.11 in 4.x) and under plain pytest without `bpy`.
"""

from .errors import RpcError
from .channel import Channel, ChannelClosed
from . import errors, framing, messages

__all__ = ["Channel", "ChannelClosed", "RpcError", "errors", "framing", "messages"]
