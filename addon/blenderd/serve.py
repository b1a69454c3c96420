"""The worker's request loop, shared by the headless launchers and the GUI.

Pure (no bpy): a method table maps names to `handler(params) -> result`;
handlers raise `RpcError` for expected failures. One request at a time, on
the calling thread, which must be Blender's main thread.
"""

import sys
import traceback

from .rpc import errors
from .rpc.errors import RpcError


def log(message):
    # fd 2 goes to the daemon's log; never to the protocol fd.
    stream = sys.__stderr__ or sys.stderr
    try:
        stream.write("blenderd-worker: %s\n" % message)
        stream.flush()
    except (OSError, ValueError):
        pass


_busy = False  # True while a handler runs: the only time SIGINT may interrupt


def on_sigint(signum, frame):
    """SIGINT handler for workers: interrupt a running request (it becomes
    -32006), ignore the signal otherwise. Raising while idle could cut a
    reply frame in half and desynchronise the channel."""
    if _busy:
        raise KeyboardInterrupt


class Stop(Exception):
    """Raised by a handler (after its result is sent) to end the loop: `worker.shutdown`."""

    def __init__(self, result=None):
        super().__init__("stop")
        self.result = {} if result is None else result


def dispatch(handlers, method, params):
    global _busy
    handler = handlers.get(method)
    if handler is None:
        raise RpcError(errors.METHOD_NOT_FOUND, "method %r not found" % method,
                       {"method": method, "available": sorted(handlers)})
    _busy = True
    try:
        return handler(params)
    except (RpcError, Stop):
        raise
    except KeyboardInterrupt:
        raise RpcError(errors.CANCELLED, "interrupted")
    except Exception as exc:
        # A worker bug, not the script's (script errors are RpcError -32010).
        log("internal error in %s:\n%s" % (method, traceback.format_exc()))
        raise RpcError(errors.INTERNAL_ERROR, "%s: %s" % (type(exc).__name__, exc),
                       {"type": type(exc).__name__, "traceback": traceback.format_exc().splitlines()[-20:]})
    finally:
        _busy = False


def _reply(channel, msg_id, result=None, error=None):
    try:
        if error is not None:
            channel.respond_error(msg_id, error)
        else:
            channel.respond(msg_id, result)
    except (ValueError, TypeError) as exc:
        # result not encodable (NaN, bytes): still answer, the daemon is waiting
        channel.respond_error(msg_id, RpcError(errors.INTERNAL_ERROR, "unencodable result: %s" % exc))


def handle(channel, handlers, msg):
    """Answer one message. Returns False when the loop must stop."""
    if msg.kind == "invalid":
        channel.respond_error(msg.id, msg.error)
        return True
    if msg.kind in ("response", "error"):
        log("ignored unexpected %s for id %r" % (msg.kind, msg.id))
        return True
    params = msg.params
    try:
        result = dispatch(handlers, msg.method, params)
    except Stop as stop:
        if msg.kind == "request":
            _reply(channel, msg.id, stop.result)
        return False
    except RpcError as exc:
        if msg.kind == "request":
            _reply(channel, msg.id, error=exc)
        else:
            log("notification %s failed: %s" % (msg.method, exc.message))
        return True
    if msg.kind == "request":
        _reply(channel, msg.id, result)
    return True


def serve(channel, handlers):
    """Run until EOF or a handler raises Stop. Returns the process exit code.

    SIGINT while idle is ignored (an interrupt meant for a script that already
    finished); during a request it surfaces as -32006 from the handler.
    """
    while True:
        try:
            msg = channel.read()
        except KeyboardInterrupt:
            continue
        except OSError as exc:
            log("channel read failed: %s" % exc)
            return 1
        if msg is None:
            if channel.eof_reason:
                log("channel closed: %s" % channel.eof_reason)
            return 0
        try:
            if not handle(channel, handlers, msg):
                return 0
        except OSError as exc:  # daemon went away mid-reply
            log("channel write failed: %s" % exc)
            return 0
