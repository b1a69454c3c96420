"""Ray adapter benchmark (bench/ray/run.sh runs it): what Ray adds over calling the local daemon
directly, and frames per minute with 1 vs 2 blenderd nodes.

Part "overhead" (one node, one instance, calls one at a time, rounds alternating the sides):
  exec     a trivial script.exec ("result = 1") in an open session: the plain client on the node's
           daemon socket vs a FarmSession pinned to that node (driver -> actor -> daemon)
  task     a whole stateless script (session.open + exec + close): the plain client vs
           RenderFarm.map_scripts with one script (a Ray task needing {"blenderd": 1})
  floors   a no-op Ray task round trip and a no-op actor method round trip (no daemon)
Part "frames": one fixed job (FRAMES frames of an animated scene, Cycles, chunk CHUNK) as
  direct   job.submit on one daemon (max-instances 1), no Ray
  1 node   RenderFarm.submit_frames on a cluster of one node ({"blenderd": 1})
  2 nodes  the same on a cluster of two nodes of this machine ({"blenderd": 1} each)

Prints `ray ...` lines (grep '^ray ' for the figures). Environment: BLENDERD (binary), BPY_PYTHON
(a python with bpy 4.4), ADDON, RAY_BENCH_RUNS (exec calls per side and round, default 200),
RAY_BENCH_TASKS (stateless scripts per side and round, default 20), RAY_BENCH_ROUNDS (default 3),
RAY_BENCH_FRAMES (default 24), RAY_BENCH_CHUNK (default 4), RAY_BENCH_RES (default 320x180),
RAY_BENCH_SAMPLES (default 16), RAY_BENCH_PARTS (default "overhead,frames").
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLIENT = os.path.join(ROOT, "clients", "python")
sys.path.insert(0, CLIENT)
os.environ["PYTHONPATH"] = CLIENT + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
# Ray on the loopback interface only (see tests/python/test_ray.py).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

from blenderd_client import Client  # noqa: E402
from blenderd_client.ray import RenderFarm  # noqa: E402

BLENDERD = os.environ.get("BLENDERD") or os.path.join(ROOT, ".build", "release", "blenderd")
BPY_PYTHON = os.environ.get("BPY_PYTHON") or os.path.join(ROOT, ".venv", "bin", "python")
ADDON = os.environ.get("ADDON") or os.path.join(ROOT, "addon")
RUNS = int(os.environ.get("RAY_BENCH_RUNS", "200"))
TASKS = int(os.environ.get("RAY_BENCH_TASKS", "20"))
ROUNDS = int(os.environ.get("RAY_BENCH_ROUNDS", "3"))
FRAMES = int(os.environ.get("RAY_BENCH_FRAMES", "24"))
CHUNK = int(os.environ.get("RAY_BENCH_CHUNK", "4"))
RES = [int(v) for v in os.environ.get("RAY_BENCH_RES", "320x180").split("x")]
SAMPLES = int(os.environ.get("RAY_BENCH_SAMPLES", "16"))
PARTS = os.environ.get("RAY_BENCH_PARTS", "overhead,frames").split(",")
DAEMON_ARGS = ["--no-blender", "--bpy-python", BPY_PYTHON, "--addon", ADDON]
NODE = {"num_cpus": 1, "resources": {"blenderd": 1}, "node_ip_address": "127.0.0.1"}

ANIMATED = """
import bpy
s = bpy.context.scene
s.frame_start, s.frame_end = 1, %d
bpy.ops.mesh.primitive_cube_add(size=1.5, location=(-3, 0, 0))
cube = bpy.context.object
cube.keyframe_insert('location', frame=1)
cube.location = (3, 0, 0)
cube.keyframe_insert('location', frame=%d)
bpy.ops.mesh.primitive_uv_sphere_add(radius=1, location=(0, 2, 0))
cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
cam.location = (0, -10, 1); cam.rotation_euler = (1.47, 0, 0)
s.collection.objects.link(cam)
s.camera = cam
sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
sun.rotation_euler = (0.6, 0.2, 0.3)
s.collection.objects.link(sun)
""" % (FRAMES, FRAMES)


def stats(samples_s):
    ms = sorted(s * 1000 for s in samples_s)
    return {"p50": statistics.median(ms), "mean": statistics.fmean(ms), "p90": ms[int(0.9 * (len(ms) - 1))],
            "n": len(ms)}


def line(name, st):
    print("ray %-34s p50 %8.2f ms  mean %8.2f ms  p90 %8.2f ms  (n=%d)" % (name, st["p50"], st["mean"], st["p90"],
                                                                           st["n"]), flush=True)


class Cluster1:
    """A Ray cluster of `nodes` nodes on this machine, a RenderFarm on it; close() tears down."""

    def __init__(self, nodes):
        self.temp = tempfile.mkdtemp(prefix="ray-bench-")
        self.cluster = Cluster(initialize_head=True,
                               head_node_args=dict(NODE, temp_dir=self.temp, include_dashboard=False))
        for _ in range(nodes - 1):
            self.cluster.add_node(**NODE)
        ray.init(address=self.cluster.address, _node_ip_address="127.0.0.1", log_to_driver=False)
        self.farm = RenderFarm(blenderd=BLENDERD, sandbox="strict", args=DAEMON_ARGS)

    def close(self):
        self.farm.shutdown()
        ray.shutdown()
        self.cluster.shutdown()
        shutil.rmtree(self.temp, ignore_errors=True)


@ray.remote(num_cpus=0)
def noop():
    return 1


def timed(samples, times, call):
    """Calls `call` `times` times, appending each call's seconds to `samples`; returns the results."""
    results = []
    for _ in range(times):
        t = time.perf_counter()
        results.append(call())
        samples.append(time.perf_counter() - t)
    return results


def exec_then_tasks(sides, open_session, exec_key, task_key, task):
    """One side of a round: RUNS execs in one session (after a first, untimed), then TASKS tasks."""
    with open_session() as s:
        s.exec("result = 1")
        timed(sides[exec_key], RUNS, lambda: s.exec("result = 1"))
    return timed(sides[task_key], TASKS, task)


def direct_task(client):
    """A stateless script the way a client without Ray runs one: a session of its own."""
    with client.session() as s:
        s.exec("result = 1")


def overhead():
    c = Cluster1(1)
    try:
        node = c.farm.nodes()[0]
        direct = Client(node["socket"], timeout=120)
        direct.wait_ready(1)
        ray.get(noop.remote())
        actor = c.farm._actors[node["node_id"]]
        ray.get(actor.info.remote())
        assert ray.get(c.farm.map_scripts(["result = 1"])[0])["ok"]  # a task worker started, the actor found
        sides = {"exec direct": [], "exec FarmSession": [], "task direct": [], "task map_scripts": [],
                 "floor ray task": [], "floor actor call": []}
        for rnd in range(ROUNDS):
            order = ["direct", "farm"] if rnd % 2 == 0 else ["farm", "direct"]
            for side in order:
                if side == "direct":
                    exec_then_tasks(sides, direct.session, "exec direct", "task direct", lambda: direct_task(direct))
                else:
                    results = exec_then_tasks(sides, c.farm.session, "exec FarmSession", "task map_scripts",
                                              lambda: ray.get(c.farm.map_scripts(["result = 1"])[0]))
                    for r in results:
                        assert r["ok"], r
            for _ in range(RUNS):
                t = time.perf_counter()
                ray.get(noop.remote())
                sides["floor ray task"].append(time.perf_counter() - t)
                t = time.perf_counter()
                ray.get(actor.info.remote())
                sides["floor actor call"].append(time.perf_counter() - t)
        direct.close()
        st = {k: stats(v) for k, v in sides.items()}
        for k in sides:
            line(k, st[k])
        for what, a, b in (("exec", "exec FarmSession", "exec direct"), ("task", "task map_scripts", "task direct")):
            print("ray overhead %-5s ratio p50 %.2fx (+%.2f ms)  mean %.2fx (+%.2f ms)" % (
                what, st[a]["p50"] / st[b]["p50"], st[a]["p50"] - st[b]["p50"],
                st[a]["mean"] / st[b]["mean"], st[a]["mean"] - st[b]["mean"]), flush=True)
    finally:
        c.close()


def make_blend():
    c = Cluster1(1)
    try:
        with c.farm.session() as s:
            s.exec(ANIMATED)
            return s.export("blend").data
    finally:
        c.close()


def frames_direct(blend):
    """The same job on one daemon without Ray (job.submit with the .blend's bytes)."""
    from blenderd_client.jobs import JobFrame
    base = tempfile.mkdtemp(prefix="bd-bench-")
    os.chmod(base, 0o700)
    import subprocess
    proc = subprocess.Popen([BLENDERD, "--socket", os.path.join(base, "s.sock"), "--state-dir",
                             os.path.join(base, "state"), "--warm", "1", "--max-instances", "1",
                             "--sandbox", "strict"] + DAEMON_ARGS,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(base, "s.sock")):
            assert time.monotonic() < deadline and proc.poll() is None, "blenderd did not start"
            time.sleep(0.05)
        with Client(os.path.join(base, "s.sock"), timeout=600) as client:
            client.wait_ready(1)
            t = time.perf_counter()
            job = client.submit_job("1-%d" % FRAMES, data=blend, chunk=CHUNK, engine="CYCLES", samples=SAMPLES,
                                    resolution=RES, delivery="binary")
            got = {e.frame for e in job.watch() if isinstance(e, JobFrame) and e.data}
            elapsed = time.perf_counter() - t
        assert len(got) == FRAMES, got
        return elapsed
    finally:
        proc.terminate()
        proc.wait(20)
        shutil.rmtree(base, ignore_errors=True)


def frames_farm(blend, nodes):
    c = Cluster1(nodes)
    try:
        # Untimed: one single-frame task per node first, so each node's task worker has started and
        # found its daemon (a farm's steady state; Ray's worker start-up is a one-off per node).
        warm = c.farm.submit_frames(blend, "1-%d" % nodes, chunk=1, engine="CYCLES", samples=1, resolution=[32, 18])
        ray.get(list(warm.values()))
        t = time.perf_counter()
        refs = c.farm.submit_frames(blend, "1-%d" % FRAMES, chunk=CHUNK, engine="CYCLES", samples=SAMPLES,
                                    resolution=RES)
        images = ray.get(list(refs.values()))
        elapsed = time.perf_counter() - t
        assert sorted(i.frame for i in images) == list(range(1, FRAMES + 1))
        per_node = {}
        for i in images:
            per_node[i.node_id[:8]] = per_node.get(i.node_id[:8], 0) + 1
        return elapsed, per_node
    finally:
        c.close()


def frames():
    blend = make_blend()
    print("ray frames job: %d frames, Cycles %d samples, %dx%d, chunk %d, bpy 4.4, --sandbox strict"
          % (FRAMES, SAMPLES, RES[0], RES[1], CHUNK), flush=True)
    results = {"direct (no Ray, 1 instance)": [], "RenderFarm 1 node": [], "RenderFarm 2 nodes": []}
    spread = {}
    for _ in range(ROUNDS):
        results["direct (no Ray, 1 instance)"].append(frames_direct(blend))
        for nodes in (1, 2):
            elapsed, per_node = frames_farm(blend, nodes)
            results["RenderFarm %d node%s" % (nodes, "s" if nodes > 1 else "")].append(elapsed)
            spread[nodes] = per_node
    for name, runs in results.items():
        med = statistics.median(runs)
        print("ray frames %-28s %6.1f frames/min  (median %.1f s; runs %s)" % (
            name, FRAMES * 60 / med, med, ", ".join("%.1f" % r for r in runs)), flush=True)
    one, two = (statistics.median(results["RenderFarm 1 node"]), statistics.median(results["RenderFarm 2 nodes"]))
    direct = statistics.median(results["direct (no Ray, 1 instance)"])
    print("ray frames speed-up 2 nodes / 1 node %.2fx; 1 node / direct %.2fx; frames per node with 2 nodes: %s"
          % (one / two, direct / one, spread.get(2)), flush=True)


if __name__ == "__main__":
    print("ray bench: ray %s, blenderd %s, %d cores, load average %.2f" % (
        ray.__version__, BLENDERD, os.cpu_count() or 0, os.getloadavg()[0]), flush=True)
    if "overhead" in PARTS:
        overhead()
    if "frames" in PARTS:
        frames()
    print("ray bench done, load average %.2f" % os.getloadavg()[0], flush=True)
