"""render.frames against real Blender, both launchers: an animated scene's
frames decode at the asked size and differ as the animation moves, one
render.frame per frame before the reply, progress from the ticker thread,
the scene's settings and current frame afterwards as before (also after a
failure), the camera rules, and the sandbox's output_dir rule.

Tiny renders (48x27, Cycles 1-2 samples or Workbench) keep this short."""

import os
import time

import pytest

from blenderd.render import images
from blenderd.rpc import RpcError, errors

# A cube that slides along X over frames 1-24 in front of a fixed camera, lit.
ANIMATED = """
import bpy
s = bpy.context.scene
s.frame_start, s.frame_end = 1, 24
bpy.ops.mesh.primitive_cube_add(size=1.5, location=(-3, 0, 0))
cube = bpy.context.object
cube.keyframe_insert('location', frame=1)
cube.location = (3, 0, 0)
cube.keyframe_insert('location', frame=24)
mat = bpy.data.materials.new('Red'); mat.diffuse_color = (0.8, 0.1, 0.1, 1)
mat.use_nodes = True
mat.node_tree.nodes['Principled BSDF'].inputs['Base Color'].default_value = (0.8, 0.1, 0.1, 1)
cube.data.materials.append(mat)
cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
cam.location = (0, -10, 0); cam.rotation_euler = (1.5708, 0, 0)
s.collection.objects.link(cam)
side = bpy.data.objects.new('SideCam', bpy.data.cameras.new('SideCam'))
side.location = (10, 0, 0); side.rotation_euler = (1.5708, 0, 1.5708)
s.collection.objects.link(side)
s.camera = cam
sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
sun.rotation_euler = (0.6, 0.2, 0.3)
s.collection.objects.link(sun)
s.frame_set(5)
"""

SETTINGS = """
s = bpy.context.scene; r = s.render; im = r.image_settings
result = {
  'engine': r.engine, 'res': [r.resolution_x, r.resolution_y, r.resolution_percentage],
  'format': [im.file_format, im.color_mode, im.color_depth, im.quality],
  'camera': s.camera.name if s.camera else None, 'frame': s.frame_current,
  'cube_x': round(bpy.data.objects['Cube'].location.x, 4),
  'cycles': [s.cycles.samples, s.cycles.use_denoising, s.cycles.device],
  'images': sorted(i.name for i in bpy.data.images), 'handlers': len(bpy.app.handlers.render_stats),
}
"""


def drain(worker):
    out = []
    while True:
        msg = worker.channel.read(timeout=0)
        if msg is None:
            return out
        out.append(msg)


def frames(worker, out_dir, **params):
    params.setdefault("output_dir", str(out_dir))
    result = worker.call("render.frames", timeout=300, **params)
    result["_notes"] = drain(worker)
    return result


def frames_error(worker, **params):
    with pytest.raises(RpcError) as info:
        worker.call("render.frames", timeout=300, **params)
    drain(worker)
    return info.value


def setup(worker):
    worker.call("worker.reset")
    worker.exec(ANIMATED)


def decode(frame, width, height):
    data = open(frame["path"], "rb").read()
    header, rows = images.png_decode(data)
    assert (header["width"], header["height"]) == (width, height) == (frame["width"], frame["height"])
    assert frame["bytes"] == len(data) and frame["mime"] == "image/png"
    return data


def test_frames_of_an_animation(worker, tmp_path):
    setup(worker)
    before = worker.exec(SETTINGS)["value"]
    res = frames(worker, tmp_path / "out", frames=[1, 12, 24, 12], engine="CYCLES", samples=2,
                 resolution=[48, 27])
    print("\n[%s] Blender %s: 3 frames 48x27 Cycles 2 samples in %.0f ms (%s ms each)"
          % (worker.launcher, worker.ready["blender"]["version"], res["duration_ms"],
             ", ".join("%.0f" % f["duration_ms"] for f in res["frames"])))
    assert [f["frame"] for f in res["frames"]] == [1, 12, 24]  # the duplicate dropped
    assert [os.path.basename(f["path"]) for f in res["frames"]] == ["frame-0001.png", "frame-0012.png",
                                                                   "frame-0024.png"]
    blobs = [decode(f, 48, 27) for f in res["frames"]]
    assert len(set(blobs)) == 3, "the cube moves: every frame differs"
    assert res["engine"] == "CYCLES" and res["camera"] == "Cam" and res["resolution"] == [48, 27]
    assert res["format"] == "PNG" and res["samples"] == 2
    # one render.frame per frame, in order, before the reply, equal to the result's entries
    announced = [n.params for n in res["_notes"] if n.method == "render.frame"]
    assert announced == res["frames"]
    progress = [n.params for n in res["_notes"] if n.method == "render.progress"]
    assert list(dict.fromkeys(p["frame"] for p in progress)) == [1, 12, 24]
    assert all(p["position"] == [1, 12, 24].index(p["frame"]) + 1 for p in progress)
    assert all(p["frames"] == 3 and p["samples_total"] == 2 for p in progress)
    assert res["progress_notifications"] == len(progress)
    # the order on the channel: a frame's progress precedes its render.frame
    order = [(n.method, n.params["frame"]) for n in res["_notes"]]
    for f in (1, 12, 24):
        assert order.index(("render.progress", f)) < order.index(("render.frame", f))
    # nothing of the call stays: settings, current frame (and the animation evaluated there)
    assert worker.exec(SETTINGS)["value"] == before


def test_workbench_jpeg_and_a_named_camera(worker, tmp_path):
    setup(worker)
    res = frames(worker, tmp_path / "wb", frames=[3], engine="WORKBENCH", resolution=[32, 18], format="JPEG",
                 camera="SideCam", samples=4)
    (frame,) = res["frames"]
    assert frame["mime"] == "image/jpeg" and frame["path"].endswith("frame-0003.jpg")
    header = images.read_header(frame["path"])
    assert (header["width"], header["height"]) == (32, 18)
    assert res["camera"] == "SideCam" and res["samples"] is None and res["notes"]
    assert worker.exec("result = bpy.context.scene.camera.name")["value"] == "Cam"


def test_progress_while_a_frame_renders(worker, tmp_path):
    """One frame sized to take a couple of seconds: the ticker reports meanwhile."""
    setup(worker)
    worker.exec("bpy.context.scene.cycles.use_adaptive_sampling = False")
    samples = 100
    for attempt in range(3):
        res = frames(worker, tmp_path / ("slow%d" % attempt), frames=[10], engine="CYCLES", samples=samples,
                     resolution=[320, 180])
        duration_s = res["frames"][0]["duration_ms"] / 1000
        if duration_s > 2.2 or attempt == 2:
            break
        samples = int(samples * 3 / max(duration_s, 0.3))
    assert duration_s > 2, "render too fast to test the rate (%.2f s)" % duration_s
    elapsed = [n.params["elapsed_ms"] for n in res["_notes"] if n.method == "render.progress"]
    gaps = [b - a for a, b in zip([0.0] + elapsed, elapsed + [duration_s * 1000])]
    assert max(gaps) < 1000, gaps


def test_camera_rules(worker, tmp_path):
    setup(worker)
    err = frames_error(worker, frames=[1], camera="Cube", output_dir=str(tmp_path / "x"))
    assert err.code == errors.INVALID_PARAMS and err.data["param"] == "camera"
    assert err.data["available"] == ["Cam", "SideCam"]
    worker.exec("bpy.context.scene.camera = None")
    err = frames_error(worker, frames=[1], output_dir=str(tmp_path / "x"))
    assert err.code == errors.INVALID_PARAMS and err.data["param"] == "camera"
    assert err.data["reason"] == "no camera"
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("params, param", [
    ({"frames": []}, "frames"),
    ({"frames": [1.5]}, "frames"),
    ({"frames": "1-3"}, "frames"),
    ({"frames": [1], "resolution": [8, 8]}, "resolution"),
    ({"frames": [1], "engine": "POVRAY"}, "engine"),
    ({"frames": [1], "format": "GIF"}, "format"),
    ({"frames": [1], "samples": 0}, "samples"),
    ({"frames": [1], "output_dir": "relative/dir"}, "output_dir"),
])
def test_bad_params(worker, tmp_path, params, param):
    params = dict(params)
    params.setdefault("output_dir", str(tmp_path / "bad"))
    err = frames_error(worker, **params)
    assert err.code == errors.INVALID_PARAMS and err.data["param"] == param


def test_failing_frame_leaves_the_scene_as_it_was(worker, tmp_path):
    """The second frame cannot be written (a directory is in the way): -32011
    naming it, the first frame exists and was announced, nothing of the call stays."""
    setup(worker)
    out = tmp_path / "fail"
    (out / "frame-0002.png").mkdir(parents=True)
    before = worker.exec(SETTINGS)["value"]
    with pytest.raises(RpcError) as info:
        worker.call("render.frames", timeout=300, frames=[1, 2, 3], engine="CYCLES", samples=1,
                    resolution=[32, 18], output_dir=str(out))
    notes = drain(worker)
    err = info.value
    assert err.code == errors.RENDER_ERROR and err.data["frame"] == 2 and err.data["frames"] == [1]
    assert [n.params["frame"] for n in notes if n.method == "render.frame"] == [1]
    assert (out / "frame-0001.png").is_file() and not (out / "frame-0003.png").exists()
    assert worker.exec(SETTINGS)["value"] == before


def test_frames_in_the_sandbox(sandboxed):
    ws = sandboxed.workspace
    setup(sandboxed)
    started = time.monotonic()
    res = sandboxed.call("render.frames", frames=[2, 4], engine="CYCLES", samples=1, resolution=[32, 18],
                         output_dir=str(ws / "frames"), timeout=300)
    drain(sandboxed)
    assert time.monotonic() - started < 120
    assert [f["path"] for f in res["frames"]] == [str(ws / "frames" / n) for n in ("frame-0002.png", "frame-0004.png")]
    err = frames_error(sandboxed, frames=[1], output_dir=str(sandboxed.home / "frames"))
    assert err.code == errors.INVALID_PARAMS and err.data == {"param": "output_dir", "workspace": str(ws)}
    assert not (sandboxed.home / "frames").exists()
