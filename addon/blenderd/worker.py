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
    return parser.parse_args(argv)


def main(argv=None, kind="module"):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import bpy  # noqa: F401  (the module launcher: importing it starts Blender)

    from .methods import handler_table, lifecycle
    from .rpc import Channel
    from .serve import log, on_sigint, serve

    # SIGINT is the daemon's "interrupt the running script" (request.cancel):
    # a KeyboardInterrupt inside a request (answered -32006), ignored when
    # idle, whatever handler Blender installed.
    signal.signal(signal.SIGINT, on_sigint)
    try:
        channel = Channel.from_fd(args.fd, max_frame=args.max_frame)
    except OSError as exc:
        log("fd %d is not a usable socket: %s" % (args.fd, exc))
        return 2
    channel.notify("worker.ready", lifecycle.ready_params(kind))
    return serve(channel, handler_table(kind))


if __name__ == "__main__":
    sys.exit(main(kind="module"))
