"""One node's share of a farm job under Slurm (blenderd-farm.sbatch runs one per node).

Task i of n (SLURM_PROCID, SLURM_NTASKS) takes every n-th frame starting at the i-th, so frames of
uneven cost spread evenly, and submits them as one job.submit to the daemon on its own node; the
daemon renders them in chunks over its instances (retrying a chunk whose Blender died) and writes
them to --output. Prints one line per frame; exits 1 if any frame failed.
"""

import argparse
import os
import re
import sys
import time

from blenderd_client import Client, JobFrame, JobProgress


def parse_frames(text):
    """job.submit's syntax ("1-24", "1-10,20,30-40:2") → sorted frame numbers."""
    found = set()
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*(?::\s*(\d+)\s*)?)?", item)
        if not match:
            raise SystemExit("bad frame item %r in %r" % (item, text))
        start, end, step = int(match.group(1)), match.group(2), match.group(3)
        found.update(range(start, int(end) + 1, int(step or 1)) if end else [start])
    return sorted(found)


def connect(path, timeout):
    """The node's daemon, once it answers and has an instance ready (it starts alongside us)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client = Client(path, timeout=None)
            client.wait_ready(1, timeout=max(1.0, deadline - time.monotonic()))
            return client
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("no blenderd answered on %s within %.0f s" % (path, timeout))
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--blend", required=True, help="a .blend every node can read")
    ap.add_argument("--frames", default="1-24")
    ap.add_argument("--output", required=True, help="a directory every node can write (shared storage)")
    ap.add_argument("--chunk", type=int, default=2)
    ap.add_argument("--engine")
    ap.add_argument("--samples", type=int)
    ap.add_argument("--resolution", help="WxH")
    ap.add_argument("--wait", type=float, default=120, help="seconds to wait for the daemon")
    args = ap.parse_args()

    rank, size = int(os.environ.get("SLURM_PROCID", 0)), int(os.environ.get("SLURM_NTASKS", 1))
    host = os.uname().nodename
    mine = parse_frames(args.frames)[rank::size]
    if not mine:
        print("[%s task %d/%d] no frames for this node" % (host, rank, size))
        return 0
    params = {"chunk": args.chunk, "engine": args.engine, "samples": args.samples,
              "resolution": [int(v) for v in args.resolution.split("x")] if args.resolution else None}
    params = {k: v for k, v in params.items() if v is not None}
    os.makedirs(args.output, exist_ok=True)
    with connect(args.socket, args.wait) as client:
        started = time.monotonic()
        job = client.submit_job(",".join(map(str, mine)), blend=os.path.abspath(args.blend),
                                output=os.path.abspath(args.output), **params)
        print("[%s task %d/%d] job %s: %d frames in %d chunks" % (host, rank, size, job.id, job.frames, job.chunks),
              flush=True)
        for event in job.watch():
            if isinstance(event, JobFrame):
                print("[%s] frame %d -> %s (%dx%d, %.0f ms)" % (host, event.frame, event.path, event.width,
                                                               event.height, event.duration_ms), flush=True)
            elif isinstance(event, JobProgress) and event.final:
                final = event
        status = job.status()
    print("[%s task %d/%d] %s: %d done, %d failed in %.1f s" % (host, rank, size, final.state, final.done,
                                                               final.failed, time.monotonic() - started))
    for failure in status.get("failed") or []:
        print("[%s] failed: %s" % (host, failure), file=sys.stderr)
    return 0 if final.state == "done" and not final.failed else 1


if __name__ == "__main__":
    sys.exit(main())
