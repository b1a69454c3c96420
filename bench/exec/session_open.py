#!/usr/bin/env python3
"""session.open on a warm pool, and how soon a closed session's instance is ready again (the
worker.reset the pool runs on release, seen from outside), through a running blenderd.

usage: session_open.py SOCKET [-n N] [--blender RANGE]      (stdlib only)
"""

import argparse
import json
import socket
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("socket")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--blender", default="4.4")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(args.socket)
    stream = sock.makefile("rwb")
    counter = [0]

    def call(method, **params):
        counter[0] += 1
        stream.write(json.dumps({"jsonrpc": "2.0", "id": counter[0], "method": method, "params": params}).encode() + b"\n")
        stream.flush()
        reply = json.loads(stream.readline())
        if "error" in reply:
            raise SystemExit("%s failed: %s" % (method, reply["error"]))
        return reply["result"]

    def wait_ready(instance):
        started = time.perf_counter()
        while True:
            states = {i["id"]: i["state"] for i in call("instance.list")["instances"]}
            if states.get(instance) == "ready":
                return (time.perf_counter() - started) * 1000
            time.sleep(0.0002)

    opens, readies = [], []
    first = call("session.open", blender=args.blender)  # make sure an instance of that version is warm
    call("session.close", session=first["session"])
    wait_ready(first["instance"])
    for _ in range(args.n):
        started = time.perf_counter()
        opened = call("session.open", blender=args.blender)
        opens.append((time.perf_counter() - started) * 1000)
        call("session.close", session=opened["session"])
        readies.append(wait_ready(opened["instance"]))

    def line(name, values):
        values = sorted(values)
        return "%s n=%d p50_ms=%.3f p90_ms=%.3f max_ms=%.3f" % (
            name, len(values), statistics.median(values), values[int(len(values) * 0.9) - 1], values[-1])

    print(line("session.open (warm pool)", opens))
    print(line("close -> ready again (worker.reset + bookkeeping, polled)", readies))


if __name__ == "__main__":
    main()
