"""Headless worker entry: `python -m blenderd.worker --fd 3` with `bpy`
importable (the bpy-module launcher); `worker_main.py` calls `main` for the
Blender executable launcher.

In background mode `bpy.app.timers` never fire, so the worker owns Blender's
main thread: read a request, run it, reply, until EOF or worker.shutdown.
"""

import argparse
import signal
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="blenderd.worker")
    parser.add_argument("--fd", type=int, default=3, help="inherited socket to the daemon (default 3)")
    parser.add_argument("--max-frame", type=int, default=64 * 1024 * 1024)
    parser.add_argument("--no-die-with-parent", dest="die_with_parent", action="store_false",
                        help="keep running if the spawning process dies (default: SIGKILL on its death)")
    parser.add_argument("--sandbox", metavar="JSON", default=None,
                        help="sandbox policy {tier, workspace, read_only, writable, network}; "
                             "absent: a trusted worker, nothing applied")
    return parser.parse_args(argv)


def die_with_parent():
    """Linux: SIGKILL this process when its parent dies, even mid-script.

    EOF on the channel already ends an idle worker, but a busy one would run
    its script to the end; libuv's spawn has no hook to set this from the
    daemon, so the worker does it first thing. Returns False where unsupported.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import os

    PR_SET_PDEATHSIG = 1
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # The parent died before prctl took effect. (A parent of 1 is normal behind bubblewrap,
    # whose pid namespace makes bwrap's init our parent; bwrap's --die-with-parent covers us.)
    if os.getppid() != parent:
        os._exit(0)
    return True


def main(argv=None, kind="module"):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .sandbox import config as sandbox_config
    from .serve import log, on_sigint, serve, watch_interrupts

    sandbox = None
    if args.sandbox is not None:
        try:
            sandbox = sandbox_config.parse(args.sandbox)
        except sandbox_config.ConfigError as exc:
            # Never start unconfined because of a malformed policy.
            log("bad --sandbox argument: %s" % exc)
            return 2
    if args.die_with_parent:
        die_with_parent()
    import bpy  # noqa: F401  (the module launcher: importing it starts Blender)

    from .methods import handler_table, lifecycle
    from .rpc import Channel

    # SIGINT is the daemon's "interrupt the running script" (request.cancel):
    # a KeyboardInterrupt inside a request (answered -32006), ignored when
    # idle, whatever handler Blender installed.
    signal.signal(signal.SIGINT, on_sigint)
    # Renders block the main thread in C, where Python runs no signal handler: a thread
    # watching the wakeup fd tells them at once (serve.cooperative).
    watch_interrupts()
    try:
        channel = Channel.from_fd(args.fd, max_frame=args.max_frame)
    except OSError as exc:
        log("fd %d is not a usable socket: %s" % (args.fd, exc))
        return 2
    lifecycle.select_gpu()  # before ready: worker.ready reports the device
    # Start from the same empty scene a reset leaves: Blender's startup file has a cube, a
    # camera and a light, and a session must not see different scenes depending on whether
    # its instance is fresh or reused.
    lifecycle.reset({})
    lifecycle.headless_preferences()
    # The engine and device probes run unconfined (GPU drivers open their device
    # files there); then Landlock and the audit hook, last before ready, so no
    # request and no user code ever runs unconfined.
    ready = lifecycle.ready_params(kind)
    ready["sandbox"] = lifecycle.enter_sandbox(sandbox)
    ready["startup_ms"] = lifecycle.process_age_ms()
    channel.notify("worker.ready", ready)
    return serve(channel, handler_table(kind, sandbox, notify=channel.notify))


if __name__ == "__main__":
    sys.exit(main(kind="module"))
