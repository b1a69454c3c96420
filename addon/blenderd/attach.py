"""Where a GUI Blender finds the daemon, and the attach session logic that
does not need `bpy` (so it is tested without a UI).

The GUI cannot block Blender's UI on a socket, so `AttachSession.pump()` is
called from a `bpy.app.timers` callback: it takes whatever is readable
(never waits), answers queued requests on the main thread, and says when to
be called again.
"""

import os
import socket

from . import serve
from .rpc import Channel, ChannelClosed, RpcError

POLL_INTERVAL = 0.05  # s between timer ticks while idle: snappy, and ~free
MAX_PER_TICK = 8  # requests per tick before letting the UI redraw


def default_socket_path(env=None, uid=None):
    """The daemon socket, resolved like every blenderd tool (protocol/README.md)."""
    env = os.environ if env is None else env
    if env.get("BLENDERD_SOCKET"):
        return env["BLENDERD_SOCKET"]
    if env.get("XDG_RUNTIME_DIR"):
        return os.path.join(env["XDG_RUNTIME_DIR"], "blenderd", "blenderd.sock")
    return "/tmp/blenderd-%d/blenderd.sock" % (os.getuid() if uid is None else uid)


def default_token_path(socket_path):
    """The attach token lives beside the socket, in the daemon's 0700 directory."""
    return os.path.join(os.path.dirname(socket_path), "attach.token")


def read_token(path):
    with open(path, "r", encoding="utf-8") as f:
        token = f.read().strip()
    if not token:
        raise ValueError("token file %s is empty" % path)
    return token


class AttachSession:
    """One connection of a GUI Blender to the daemon.

    States: attaching (worker.attach sent) -> attached -> closed. `status`
    is a line for the UI panel.
    """

    def __init__(self, channel, handlers, attach_params):
        self.channel = channel
        self.handlers = handlers
        self.state = "attaching"
        self.status = "attaching..."
        self.instance = None
        self.served = 0
        self.last_method = None
        self._attach_id = "attach"
        channel.send({"jsonrpc": "2.0", "id": self._attach_id, "method": "worker.attach",
                      "params": attach_params})

    @classmethod
    def connect(cls, socket_path, token, handlers, ready_params, timeout=2.0):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(socket_path)
        except OSError:
            sock.close()
            raise
        sock.settimeout(None)  # reads go through select(0); writes may block briefly
        params = dict(ready_params, token=token)
        return cls(Channel(sock), handlers, params)

    def close(self, status=None):
        if self.state != "closed":
            self.state = "closed"
            self.channel.close()
        if status:
            self.status = status

    def pump(self):
        """Serve what is readable now. Returns seconds until the next call,
        or None once the session is closed (which unregisters the timer)."""
        if self.state == "closed":
            return None
        try:
            for _ in range(MAX_PER_TICK):
                msg = self.channel.read(timeout=0)
                if msg is None:
                    break
                if not self._on_message(msg):
                    return None
        except (ChannelClosed, OSError) as exc:
            self.close("disconnected: %s" % exc)
            return None
        if self.channel.eof:
            self.close("daemon closed the connection")
            return None
        return POLL_INTERVAL

    def _on_message(self, msg):
        if msg.kind in ("response", "error") and msg.id == self._attach_id:
            if msg.kind == "error":
                self.close("attach refused: %s" % msg.error.message)
                return False
            self.state = "attached"
            self.instance = (msg.result or {}).get("instance") if isinstance(msg.result, dict) else None
            self.status = "attached" + (" as %s" % self.instance if self.instance else "")
            return True
        if msg.kind == "request" and self.state != "attached":
            # The daemon must wait for our attach to succeed before sending work.
            self.channel.respond_error(msg.id, RpcError(-32600, "worker not attached yet"))
            return True
        self.last_method = msg.method
        keep_going = serve.handle(self.channel, self.handlers, msg)
        if msg.kind == "request":
            self.served += 1
        if not keep_going:
            self.close("detached by the daemon")
            return False
        return True
