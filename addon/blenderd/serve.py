"""The worker's request loop, shared by the headless launchers and the GUI.

Pure (no bpy): a method table maps names to `handler(params) -> result`;
handlers raise `RpcError` for expected failures. One request at a time, on
the calling thread, which must be Blender's main thread.
"""

import contextlib
import os
import signal
import sys
import threading
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
# > 0 while a cooperative handler (a render) runs: SIGINT sets `_interrupted` and the handler
# stops at its next safe point instead of taking a KeyboardInterrupt wherever it is.
_cooperative = 0
_interrupted = threading.Event()
_told_cooperative = threading.Event()  # this request's SIGINT went to a cooperative handler
_break_hooks = []  # called on the watcher thread when SIGINT reaches a cooperative handler


def on_sigint(signum, frame):
    """SIGINT handler for workers: interrupt a running request (it becomes
    -32006), ignore the signal otherwise. Raising while idle could cut a
    reply frame in half and desynchronise the channel. A cooperative handler
    (`cooperative()`) is not raised into: it polls `interrupted()`."""
    if not _busy:
        return
    _interrupted.set()
    if _cooperative or _told_cooperative.is_set():
        # Cooperative: a KeyboardInterrupt here could land in its cleanup (a render's
        # `finally` that removes its temporary camera) and leave the scene dirty.
        # Told: the watcher already told a cooperative handler, which stops by itself.
        _told_cooperative.set()
        return
    raise KeyboardInterrupt


def interrupted():
    """True once SIGINT arrived during the running request."""
    return _interrupted.is_set()


@contextlib.contextmanager
def cooperative(on_interrupt=None):
    """Run a block that checks `interrupted()` between steps. Python runs signal
    handlers only on the main thread between bytecodes, and a render blocks the
    main thread in C for a whole view: the watcher thread (`watch_interrupts`)
    sees SIGINT at once and calls `on_interrupt` (e.g. to break the render
    mid-view), from that thread."""
    global _cooperative
    _cooperative += 1
    if on_interrupt is not None:
        _break_hooks.append(on_interrupt)
    try:
        if on_interrupt is not None and _interrupted.is_set():
            on_interrupt()
        yield
    finally:
        _cooperative -= 1
        if on_interrupt is not None:
            _break_hooks.remove(on_interrupt)


def watch_interrupts():
    """Start the watcher thread: Python's C-level signal handler writes each
    signal's number to a wakeup fd at once, whatever the main thread is doing;
    a thread reading it learns of SIGINT while a render blocks the main thread.
    Call from the main thread (set_wakeup_fd's rule). Returns False if the
    wakeup fd cannot be set up (cooperative handlers then stop between steps
    once the main thread runs Python again)."""
    try:
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except (OSError, ValueError) as exc:
        log("no SIGINT watcher: %s" % exc)
        return False

    def run():
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            if signal.SIGINT in data and _busy and _cooperative:
                _told_cooperative.set()
                _interrupted.set()
                for hook in list(_break_hooks):
                    try:
                        hook()
                    except Exception as exc:  # a failed break leaves the between-steps check
                        log("interrupt hook failed: %s" % exc)

    threading.Thread(target=run, name="blenderd-sigint", daemon=True).start()
    return True


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
    _interrupted.clear()
    _told_cooperative.clear()
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
