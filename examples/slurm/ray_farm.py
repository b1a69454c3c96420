"""The driver of blenderd-ray.sbatch: a RenderFarm over the Ray cluster's blenderd nodes renders
the frames and writes each to --output (as it arrives; a node lost mid-job costs a re-render of its
chunk elsewhere, never a missing or doubled frame)."""

import argparse
import os
import sys
import time

import ray

from blenderd_client.ray import RenderFarm


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", required=True, help="the Ray head, HOST:PORT")
    ap.add_argument("--nodes", type=int, default=1, help="wait until this many blenderd nodes joined")
    ap.add_argument("--blend", required=True)
    ap.add_argument("--frames", default="1-24")
    ap.add_argument("--output", required=True)
    ap.add_argument("--chunk", type=int, default=2)
    ap.add_argument("--engine")
    ap.add_argument("--samples", type=int)
    ap.add_argument("--resolution", help="WxH")
    ap.add_argument("--blenderd", help="blenderd on the nodes (default $BLENDERD_BIN there, else PATH)")
    ap.add_argument("--daemon-args", default=os.environ.get("BLENDERD_ARGS", ""),
                    help="more blenderd flags (default $BLENDERD_ARGS)")
    args = ap.parse_args()

    deadline = time.monotonic() + 120
    while True:  # ray.init waits for the head; the workers join a little later
        try:
            ray.init(address=args.address, log_to_driver=False)
            break
        except ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    while sum(1 for n in ray.nodes() if n["Alive"] and n["Resources"].get("blenderd")) < args.nodes:
        if time.monotonic() > deadline:
            raise SystemExit("fewer than %d blenderd nodes joined within 120 s" % args.nodes)
        time.sleep(1)

    farm = RenderFarm(blenderd=args.blenderd or os.environ.get("BLENDERD"), args=args.daemon_args.split())
    print("nodes: %s" % ", ".join("%s (pool %d)" % (n["host"], n["pool"]) for n in farm.nodes()), flush=True)
    params = {"engine": args.engine, "samples": args.samples,
              "resolution": [int(v) for v in args.resolution.split("x")] if args.resolution else None}
    started = time.monotonic()
    refs = farm.submit_frames(os.path.abspath(args.blend), args.frames, chunk=args.chunk,
                              **{k: v for k, v in params.items() if v is not None})
    os.makedirs(args.output, exist_ok=True)
    by_ref = {ref: frame for frame, ref in refs.items()}
    pending = list(refs.values())
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        image = ray.get(done[0])
        path = image.save(os.path.join(args.output, "frame-%04d.png" % by_ref[done[0]]))
        print("frame %d -> %s (%dx%d, %s)" % (image.frame, path, image.width, image.height, image.host), flush=True)
    print("%d frames in %.1f s" % (len(refs), time.monotonic() - started))
    farm.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
