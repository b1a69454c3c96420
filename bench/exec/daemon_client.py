#!/usr/bin/env python3
"""A minimal client for blenderd's client socket: session.open -> script.exec ... -> session.close.

It is the add-on's own `Channel` (stdlib only, `addon/blenderd/rpc`) connected to the daemon's
Unix socket, with the same header framing the worker channel uses. That is deliberate: the direct
path (`warm_direct.py`) talks to a worker through the very same class, so both paths pay the
same client-side encode/decode and the difference between them is the daemon alone.
(`--framing ndjson` measures the newline-delimited framing instead.)

As a program: `daemon_client.py --socket PATH --check` exits 0 when daemon.ping is answered
(run.sh waits for the daemon with it).
"""

import argparse
import sys

import common  # noqa: F401  (puts addon/ on sys.path)
from blenderd.rpc import Channel, RpcError, errors


class Unsupported(Exception):
    """The daemon answered -32601: it does not serve this method yet."""


class DaemonSession:
    def __init__(self, socket_path, open_params=None, framing="header", timeout=120):
        self.timeout = timeout
        self.channel = Channel.connect_unix(socket_path, framing_kind=framing)
        try:
            opened = self._call("session.open", open_params or {})
        except Exception:
            self.channel.close()
            raise
        self.session = opened["session"]
        self.instance = opened.get("instance")
        blender = opened.get("blender")
        # `blender` is the instance's version; accept "4.4.0" or {"version": "4.4.0", ...}
        self.blender = blender.get("version") if isinstance(blender, dict) else blender
        self.opened = opened

    def _call(self, method, params):
        try:
            return self.channel.request(method, params, timeout=self.timeout)
        except RpcError as exc:
            if exc.code == errors.METHOD_NOT_FOUND:
                raise Unsupported("%s: -32601 %s" % (method, exc)) from exc
            raise

    def exec(self, code):
        return self._call("script.exec", {"session": self.session, "code": code})

    def close(self):
        try:
            self._call("session.close", {"session": self.session})
        finally:
            self.channel.close()


def check(socket_path, timeout):
    try:
        channel = Channel.connect_unix(socket_path)
    except OSError:
        return False
    try:
        channel.request("daemon.ping", {}, timeout=timeout)
        return True
    except Exception:
        return False
    finally:
        channel.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--check", action="store_true", help="exit 0 if daemon.ping is answered")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    if args.check:
        sys.exit(0 if check(args.socket, args.timeout) else 1)
    session = DaemonSession(args.socket)
    try:
        print(session.exec(common.SCRIPT))
    finally:
        session.close()


if __name__ == "__main__":
    main()
