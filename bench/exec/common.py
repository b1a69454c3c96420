"""Shared by the exec benchmarks: the script every side runs, percentiles, output lines.

Stdlib only. The add-on's transport (`addon/blenderd/rpc`, pure Python) and the test harness
that spawns a worker the way the daemon does (`tests/python/blender_worker.py`) are put on
sys.path so the benchmark drives the same code the tests do, not a copy of it.
"""

import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for _path in (os.path.join(REPO, "addon"), os.path.join(REPO, "tests", "python")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# The trivial script: add a cube, print the object count. It then deletes the cube and its
# mesh, so every run starts from the same scene: a warm instance that kept 500 cubes would make
# later runs slower (change tracking looks at every datablock) and measure scene growth, not
# the cost of running a script. A cold spawn pays for the deletion too, so the work is equal.
SCRIPT = """import bpy
bpy.ops.mesh.primitive_cube_add()
cube = bpy.context.active_object
print("objects:", len(bpy.data.objects))
mesh = cube.data
bpy.data.objects.remove(cube)
bpy.data.meshes.remove(mesh)
"""
MARKER = "objects: "  # proof in stdout that the script really ran

LAUNCHERS = ("executable", "module")


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100): a value that was measured."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(samples_ms):
    s = sorted(samples_ms)
    return {"n": len(s), "p50_ms": percentile(s, 50), "p90_ms": percentile(s, 90),
            "p99_ms": percentile(s, 99), "min_ms": s[0] if s else float("nan"),
            "max_ms": s[-1] if s else float("nan")}


def fmt(value):
    if isinstance(value, float):
        return "%.4f" % value if value < 10 else "%.1f" % value
    return str(value).replace(" ", "_")


def result_line(**fields):
    """One `exec key=value ...` line: run.sh reads these (like bench/loadgen's output)."""
    return "exec " + " ".join("%s=%s" % (k, fmt(v)) for k, v in fields.items())


def cpu_list(text):
    """argparse type for "1" or "0-2,5": the set of CPU numbers."""
    cpus = set()
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ValueError("not a CPU list like 1 or 0-2,5: %r" % text)
    if not cpus or min(cpus) < 0:
        raise ValueError("not a CPU list like 1 or 0-2,5: %r" % text)
    return cpus


def die(message, status=2):
    sys.stderr.write("%s: %s\n" % (os.path.basename(sys.argv[0]), message))
    sys.exit(status)
