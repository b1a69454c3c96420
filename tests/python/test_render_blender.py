"""render.views against real Blender, both launchers: images decode and show
the object, views differ, progress arrives, the scene is the same afterwards
(also after a failing render), denoise/device fallbacks, the sandbox.

Small renders (64x36 to 320x180, few samples) keep this suite short on a
2-core machine; EEVEE on llvmpipe (no GPU here) is the slow part."""

import os
import time

import pytest

from blenderd.render import images
from blenderd.rpc import RpcError, errors

# Three primitives at different places and colours: every orbit view sees a
# different arrangement, so views differ in content, not just in noise.
SCENE = """
bpy.ops.mesh.primitive_cube_add(size=2, location=(0, 0, 0))
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.8, location=(2.4, 0, 0))
bpy.ops.mesh.primitive_cone_add(location=(0, 2.4, 0))
for ob, rgb in zip(bpy.context.scene.objects, [(0.8, 0.1, 0.1), (0.1, 0.7, 0.1), (0.1, 0.2, 0.9)]):
    mat = bpy.data.materials.new(ob.name + 'Mat')
    mat.diffuse_color = rgb + (1.0,)
    mat.use_nodes = True
    mat.node_tree.nodes['Principled BSDF'].inputs['Base Color'].default_value = rgb + (1.0,)
    ob.data.materials.append(mat)
"""

# The user's own settings, all different from what a render sets.
USER_SETTINGS = """
s = bpy.context.scene; r = s.render
r.engine = 'BLENDER_WORKBENCH'
r.resolution_x, r.resolution_y, r.resolution_percentage = 333, 222, 50
r.film_transparent = True
r.image_settings.file_format = 'JPEG'
r.image_settings.quality = 42
r.filepath = '//user_out/'
s.cycles.samples = 7
s.cycles.seed = 3
s.cycles.use_denoising = False
s.eevee.taa_render_samples = 9
"""

SETTINGS = """
s = bpy.context.scene; r = s.render; im = r.image_settings
result = {
  'engine': r.engine, 'res': [r.resolution_x, r.resolution_y, r.resolution_percentage],
  'film': r.film_transparent, 'border': r.use_border, 'comp': r.use_compositing, 'seq': r.use_sequencer,
  'single': r.use_single_layer, 'filepath': r.filepath, 'ext': r.use_file_extension,
  'format': [im.file_format, im.color_mode, im.color_depth, im.quality, im.compression],
  'camera': s.camera.name if s.camera else None, 'world': s.world.name if s.world else None,
  'cycles': [s.cycles.samples, s.cycles.seed, s.cycles.use_denoising, s.cycles.device],
  'eevee': s.eevee.taa_render_samples,
  'prefs': bpy.context.preferences.addons['cycles'].preferences.compute_device_type,
  'data': {k: sorted(x.name for x in getattr(bpy.data, k))
           for k in ('objects', 'cameras', 'lights', 'worlds', 'images', 'materials', 'meshes')},
  'handlers': len(bpy.app.handlers.render_stats),
}
"""

FINGERPRINT_SAVE = "import blenderd\nfrom blenderd.methods import snapshot\nblenderd._test_fp = snapshot.take()\n"
FINGERPRINT_DIFF = ("import blenderd\nfrom blenderd.methods import snapshot\nfrom blenderd.script import changes\n"
                    "result = changes.diff(blenderd._test_fp, snapshot.take())\n")


def version(worker):
    return tuple(worker.ready["blender"]["version_tuple"])


def setup_scene(worker, extra=""):
    worker.call("worker.reset")
    worker.exec(SCENE + extra)


def drain(worker):
    """Notifications the channel queued while the call ran (Channel.request keeps them)."""
    out = []
    while True:
        msg = worker.channel.read(timeout=0)
        if msg is None:
            return out
        out.append(msg)


def render(worker, tmp_path, name, **params):
    params.setdefault("output_dir", str(tmp_path / name))
    started = time.monotonic()
    result = worker.call("render.views", timeout=300, **params)
    result["_wall_s"] = time.monotonic() - started
    result["_notes"] = drain(worker)
    return result


def render_error(worker, **params):
    with pytest.raises(RpcError) as info:
        worker.call("render.views", timeout=300, **params)
    drain(worker)
    return info.value


def check_png(image, width, height, min_std=4.0):
    """Decode the PNG; returns (mean, std) of its luma."""
    data = open(image["path"], "rb").read()
    assert data.startswith(images.PNG_SIGNATURE)
    header, rows = images.png_decode(data)
    assert (header["width"], header["height"]) == (width, height) == (image["width"], image["height"])
    assert image["bytes"] == len(data) and image["mime"] == "image/png"
    mean, std, _ = images.luma_stats(header, rows)
    assert std > min_std, "blank-looking image %s: luma std %.2f" % (image["path"], std)
    return mean, std


def check_views_differ(images_):
    stats = [check_png(im, im["width"], im["height"]) for im in images_]
    blobs = [open(im["path"], "rb").read() for im in images_]
    assert len(set(blobs)) == len(blobs), "identical image files"
    assert len({(round(m, 1), round(s, 1)) for m, s in stats}) == len(stats), stats


def timing(worker, label, result):
    per_view = ", ".join("%.0f" % im["duration_ms"] for im in result["images"])
    print("\n[%s] Blender %s %s: %d views %s ms each, %.2f s in all"
          % (worker.launcher, worker.ready["blender"]["version"], label, len(result["images"]), per_view,
             result["duration_ms"] / 1000))


# -- engines ---------------------------------------------------------------------------

def test_cycles_five_views(worker, tmp_path):
    setup_scene(worker)
    res = render(worker, tmp_path, "cycles", views=5, resolution=[160, 90], samples=8)
    timing(worker, "Cycles 160x90 8 samples", res)
    assert res["engine"] == "CYCLES" and res["device"] == "CPU"
    assert [im["index"] for im in res["images"]] == [0, 1, 2, 3, 4]
    assert [os.path.basename(im["path"]) for im in res["images"]] == ["view-%d.png" % i for i in range(5)]
    assert res["added"] == {"light": True, "world": True}
    assert res["denoise"] == {"requested": False, "applied": False}
    check_views_differ(res["images"])
    im = res["images"][2]
    assert im["camera"] == "orbit-2" and im["orbit"]["azimuth_deg"] == 45 + 2 * 72
    assert im["engine"] == "CYCLES" and im["device"] == "CPU" and im["pass"] == "final"
    # one render.image per view, in order, each before the reply; a start progress for each
    notes = res["_notes"]
    assert [n.params["index"] for n in notes if n.method == "render.image"] == [0, 1, 2, 3, 4]
    for n in notes:
        if n.method == "render.image":
            assert n.params == next(i for i in res["images"] if i["index"] == n.params["index"])
    starts = {}
    for n in notes:
        if n.method == "render.progress":
            starts.setdefault(n.params["index"], n.params)
    assert sorted(starts) == [0, 1, 2, 3, 4]
    assert starts[3]["view"] == 4 and starts[3]["views"] == 5 and starts[3]["pass"] == "final"
    assert starts[3]["samples_total"] == 8


def test_workbench_views(worker, tmp_path):
    setup_scene(worker)
    res = render(worker, tmp_path, "wb", views=3, resolution=[160, 90], engine="WORKBENCH")
    timing(worker, "Workbench 160x90", res)
    assert res["engine"] == "BLENDER_WORKBENCH" and res["samples"] is None
    check_views_differ(res["images"])


def test_eevee_views(worker, tmp_path):
    """EEVEE renders headless here with no GPU: Blender makes an offscreen GL
    context on Mesa's llvmpipe (3.4: EEVEE Legacy; bpy 4.4: EEVEE Next over EGL)."""
    setup_scene(worker)
    res = render(worker, tmp_path, "eevee", views=2, resolution=[64, 36], engine="EEVEE", samples=1)
    timing(worker, "EEVEE 64x36 1 sample", res)
    assert res["engine"] == ("BLENDER_EEVEE_NEXT" if version(worker) >= (4, 2, 0) else "BLENDER_EEVEE")
    assert res["device"] == "CPU" and any("software" in n for n in res["notes"])
    check_views_differ(res["images"])


def test_jpeg_exr_and_transparency(worker, tmp_path):
    setup_scene(worker)
    jpg = render(worker, tmp_path, "jpg", views=2, resolution=[64, 36], engine="WORKBENCH", format="JPEG")
    for im in jpg["images"]:
        data = open(im["path"], "rb").read()
        assert data.startswith(images.JPEG_SOI) and im["path"].endswith(".jpg") and im["mime"] == "image/jpeg"
        assert images.image_header(data)[("width")] == 64 and images.image_header(data)["height"] == 36
    exr = render(worker, tmp_path, "exr", views=1, resolution=[64, 36], samples=1, format="EXR", transparent=True)
    data = open(exr["images"][0]["path"], "rb").read()
    assert data.startswith(images.EXR_MAGIC) and exr["images"][0]["mime"] == "image/x-exr"
    assert images.image_header(data) == {"format": "EXR", "width": 64, "height": 36, "channels": 4}
    png = render(worker, tmp_path, "alpha", views=1, resolution=[64, 36], samples=1, transparent=True)
    header, rows = images.png_decode(open(png["images"][0]["path"], "rb").read())
    assert header["channels"] == 4
    alphas = [row[x] for row in rows for x in range(3, len(row), 4)]
    assert min(alphas) == 0 and max(alphas) == 255  # see-through background, opaque object


def test_named_cameras_indices_and_preview(worker, tmp_path):
    setup_scene(worker, "cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))\n"
                        "cam.location = (8, -8, 6); cam.rotation_euler = (1.1, 0, 0.785)\n"
                        "bpy.context.scene.collection.objects.link(cam)\n"
                        "bpy.context.scene.camera = cam\n"
                        "bpy.data.objects.new('NotACam', None)\n")
    res = render(worker, tmp_path, "named", cameras=["Cam"], resolution=[64, 36], samples=2)
    assert [im["camera"] for im in res["images"]] == ["Cam"] and "orbit" not in res["images"][0]
    check_png(res["images"][0], 64, 36)
    sub = render(worker, tmp_path, "sub", views=5, indices=[3, 1], resolution=[64, 36], samples=1,
                 **{"pass": "preview"})
    assert [im["index"] for im in sub["images"]] == [1, 3] and sub["views"] == 5
    assert sorted(os.listdir(tmp_path / "sub")) == ["view-1-preview.png", "view-3-preview.png"]
    assert {im["pass"] for im in sub["images"]} == {"preview"}
    assert [(im["view"], im["views"]) for im in sub["images"]] == [(1, 2), (2, 2)]
    # a view index this call does not have, an unknown camera, a non-camera
    assert render_error(worker, views=2, indices=[2], output_dir=str(tmp_path / "x")).data["param"] == "indices"
    err = render_error(worker, cameras=["Cam", "Nope", "NotACam"], output_dir=str(tmp_path / "x"))
    assert err.code == errors.INVALID_PARAMS and err.data["param"] == "cameras"
    assert err.data["unknown"] == ["Nope", "NotACam"] and err.data["available"] == ["Cam"]


def test_empty_scene_has_nothing_to_render(worker, tmp_path):
    worker.call("worker.reset")
    worker.exec("bpy.data.objects.new('Empty', None)\nbpy.context.scene.collection.objects.link(bpy.data.objects['Empty'])")
    err = render_error(worker, output_dir=str(tmp_path / "none"))
    assert err.code == errors.INVALID_PARAMS and err.data["reason"] == "nothing to render"


# -- progress --------------------------------------------------------------------------

def test_progress_at_least_once_a_second(worker, tmp_path):
    """One view sized to take a few seconds: the ticker thread must keep
    reporting while Blender's render operator holds the main thread."""
    # Adaptive sampling off (a scene setting the render keeps): time grows with samples.
    setup_scene(worker, "bpy.context.scene.cycles.use_adaptive_sampling = False\n")
    samples = 120  # ~3 s on the 2-core development machine
    for attempt in range(3):
        res = render(worker, tmp_path, "slow%d" % attempt, views=1, resolution=[320, 180], samples=samples)
        duration_s = res["images"][0]["duration_ms"] / 1000
        if duration_s > 2.2 or attempt == 2:
            break
        samples = int(samples * 3 / max(duration_s, 0.3))  # a faster machine: long enough to measure a rate
    progress = [n.params for n in res["_notes"] if n.method == "render.progress"]
    print("\n[%s] Blender %s: one Cycles view 320x180 %d samples in %.2f s, %d progress notifications, "
          "samples seen: %s" % (worker.launcher, worker.ready["blender"]["version"], samples, duration_s,
                                len(progress), sorted({p.get("samples_done") for p in progress} - {None})))
    assert duration_s > 2, "render too fast to test the rate (%.2f s)" % duration_s
    elapsed = [p["elapsed_ms"] for p in progress]
    assert elapsed[0] < 100 and elapsed == sorted(elapsed)
    gaps = [b - a for a, b in zip([0.0] + elapsed, elapsed + [duration_s * 1000])]
    assert max(gaps) < 1000, gaps  # at least once per second, start to end
    assert all(p["samples_total"] == samples and p["index"] == 0 and p["views"] == 1 for p in progress)
    if version(worker) >= (4, 0, 0):  # 3.x hands render_stats handlers no text
        assert any("samples_done" in p for p in progress)
    assert res["progress_notifications"] == len(progress)


# -- the scene is left as it was ---------------------------------------------------------

def test_scene_unchanged_after_render(worker, tmp_path):
    setup_scene(worker, USER_SETTINGS)
    worker.exec(FINGERPRINT_SAVE)
    before = worker.exec(SETTINGS)["value"]
    res = render(worker, tmp_path, "fp", views=2, resolution=[64, 36], samples=2, transparent=True, seed=5)
    assert res["added"] == {"light": True, "world": True}
    assert worker.exec(FINGERPRINT_DIFF)["value"] == {}
    assert worker.exec(SETTINGS)["value"] == before
    # and with the user's own light and world: nothing added
    worker.exec("import bpy\nw = bpy.data.worlds.new('UserWorld'); w.use_nodes = True; bpy.context.scene.world = w\n"
                "l = bpy.data.objects.new('Lamp', bpy.data.lights.new('Lamp', 'POINT')); l.location = (3, -3, 4)\n"
                "bpy.context.scene.collection.objects.link(l)\n")
    worker.exec(FINGERPRINT_SAVE)
    before = worker.exec(SETTINGS)["value"]
    res = render(worker, tmp_path, "fp2", views=1, resolution=[64, 36], engine="WORKBENCH")
    assert res["added"] == {"light": False, "world": False}
    assert worker.exec(FINGERPRINT_DIFF)["value"] == {}
    assert worker.exec(SETTINGS)["value"] == before


def test_scene_unchanged_after_failing_render(worker, tmp_path):
    """The second view cannot be written (a directory is in the way): -32011
    naming that view, the first image exists, and nothing of the render stays."""
    setup_scene(worker, USER_SETTINGS)
    out = tmp_path / "fail"
    (out / "view-1.png").mkdir(parents=True)
    worker.exec(FINGERPRINT_SAVE)
    before = worker.exec(SETTINGS)["value"]
    err = render_error(worker, views=3, resolution=[64, 36], samples=1, output_dir=str(out))
    assert err.code == errors.RENDER_ERROR and err.message == "Render error"
    assert err.data["index"] == 1 and err.data["engine"] == "CYCLES" and "view-1.png" in err.data["reason"]
    assert (out / "view-0.png").is_file() and not (out / "view-2.png").exists()
    assert err.data["images"] == [str(out / "view-0.png")]
    assert worker.exec(FINGERPRINT_DIFF)["value"] == {}
    assert worker.exec(SETTINGS)["value"] == before
    assert worker.call("worker.ping") == {}


def test_evaluation_after_a_raster_render(worker, tmp_path):
    """The first EEVEE/Workbench render creates a GPU context; GPU subdivision
    would then take a final Subdivision Surface off the CPU, and scene.info's
    evaluated geometry would change after a render. Headless workers turn it off."""
    setup_scene(worker)
    render(worker, tmp_path, "wb", views=1, resolution=[64, 36], engine="WORKBENCH")
    worker.exec("bpy.data.objects['Cube'].modifiers.new('sub', 'SUBSURF').levels = 1\n")
    cube = worker.call("scene.object", name="Cube")
    assert cube["evaluated"]["faces"] == 24  # subdivided once: 6 * 4
    assert -0.9 < cube["bounds_world"]["min"][0] < -0.8  # the subdivided cube's corners pull in


@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_rasterizers_without_opengl_fail_cleanly(launcher, tmp_path, monkeypatch):
    """Where no OpenGL context can be made, Blender aborts the process on an
    EEVEE or Workbench render; the worker answers -32011 instead and lives on.
    Simulated by giving libglvnd no EGL vendor."""
    from conftest import start_worker

    (tmp_path / "no-vendor.json").write_text("{}")
    monkeypatch.setenv("__EGL_VENDOR_LIBRARY_FILENAMES", str(tmp_path / "no-vendor.json"))
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    w = start_worker(launcher)
    try:
        w.exec(SCENE)
        err = render_error(w, views=1, resolution=[64, 36], engine="WORKBENCH", output_dir=str(tmp_path / "x"))
        assert err.code == errors.RENDER_ERROR and "OpenGL" in err.data["reason"] and "CYCLES" in err.data["hint"]
        assert err.data["engine"] == "BLENDER_WORKBENCH"
        res = render(w, tmp_path, "cycles", views=1, resolution=[64, 36], samples=1)
        check_png(res["images"][0], 64, 36)
    finally:
        w.close()


# -- denoise and devices ------------------------------------------------------------------

def test_denoise_where_supported(worker, tmp_path):
    setup_scene(worker)
    res = render(worker, tmp_path, "dn", views=1, resolution=[64, 36], samples=2, denoise=True)
    if version(worker) < (4, 0, 0):  # Debian's 3.4: Cycles without OpenImageDenoise
        assert res["denoise"]["applied"] is False and "OpenImageDenoise" in res["denoise"]["reason"]
    else:
        assert res["denoise"] == {"requested": True, "applied": True, "denoiser": "OPENIMAGEDENOISE"}
    check_png(res["images"][0], 64, 36)
    # 3.4 once crashed loading a file after a failed denoised render: the worker still works
    assert worker.call("checkpoint.save", path=str(tmp_path / "after.blend"))["bytes"] > 0
    assert worker.call("checkpoint.load", path=str(tmp_path / "after.blend"))["objects"] == 3


def test_devices_without_a_gpu(worker, tmp_path):
    if any(d["type"] != "CPU" for d in worker.ready["devices"]):
        pytest.skip("this machine has a Cycles GPU device")
    setup_scene(worker)
    err = render_error(worker, views=1, resolution=[64, 36], device="gpu", output_dir=str(tmp_path / "g"))
    assert err.code == errors.NO_INSTANCE
    assert err.data["devices"] == worker.ready["devices"] and "GPU" in err.data["reason"]
    assert not (tmp_path / "g").exists()
    res = render(worker, tmp_path, "auto", views=1, resolution=[64, 36], samples=1, device="auto")
    assert res["device"] == "CPU" and any("rendered on the CPU" in n for n in res["notes"])


# -- the sandbox -------------------------------------------------------------------------

def _tree(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def test_render_in_the_sandbox_writes_only_the_workspace(sandboxed):
    ws = sandboxed.workspace
    sandboxed.call("worker.reset")
    sandboxed.exec(SCENE)
    home_before = _tree(sandboxed.home)
    ws_before = _tree(ws)
    res = sandboxed.call("render.views", views=2, resolution=[64, 36], samples=1, engine="CYCLES",
                         output_dir=str(ws / "renders"), timeout=300)
    drain(sandboxed)
    assert [im["path"] for im in res["images"]] == [str(ws / "renders" / ("view-%d.png" % i)) for i in range(2)]
    new = _tree(ws) - ws_before
    assert {p for p in new if not p.startswith(".blender-tmp")} == {"renders", "renders/view-0.png",
                                                                     "renders/view-1.png"}, new
    assert _tree(sandboxed.home) == home_before
    err = render_error(sandboxed, views=1, output_dir=str(sandboxed.home / "renders"))
    assert err.code == errors.INVALID_PARAMS and err.data == {"param": "output_dir", "workspace": str(ws)}
    assert not (sandboxed.home / "renders").exists()


# -- cancelling --------------------------------------------------------------------------

def test_sigint_stops_a_render_and_leaves_the_scene_clean(worker, tmp_path):
    """request.cancel's SIGINT during render.views: the worker answers -32006 (not a
    crash, not a render error) after at most the view it is on, announces no image
    after the interrupt, stays alive, and nothing of the render stays in the scene.
    A render blocks the main thread in C, where Python's SIGINT handler cannot run:
    the worker's watcher thread tells the render (serve.cooperative)."""
    from blenderd.rpc import messages

    setup_scene(worker, USER_SETTINGS)
    worker.exec(FINGERPRINT_SAVE)
    before = worker.exec(SETTINGS)["value"]
    out = tmp_path / "cancel"
    views = 8
    worker.channel.send(messages.request("cancel-me", "render.views", {
        "views": views, "resolution": [320, 180], "samples": 512, "output_dir": str(out)}))
    first = None
    while first is None:
        msg = worker.channel.read(timeout=120)
        assert msg is not None, worker.output()
        if msg.kind == "notification" and msg.method == "render.image":
            first = msg.params
    time.sleep(0.3)  # into the second view (each takes seconds at 512 samples)
    worker.interrupt()
    after_interrupt = []
    while True:
        msg = worker.channel.read(timeout=120)
        assert msg is not None, worker.output()
        if msg.kind in ("response", "error") and msg.id == "cancel-me":
            break
        if msg.kind == "notification" and msg.method == "render.image":
            after_interrupt.append(msg.params["index"])
    assert msg.kind == "error", "the render finished all %d views despite SIGINT" % views
    assert msg.error.code == errors.CANCELLED, msg.error
    assert msg.error.data["stage"] in ("between views", "mid-view")
    if worker.launcher == "module":
        # bpy 4.4 lets the worker break Blender's render (methods/render_break.py).
        assert msg.error.data["stage"] == "mid-view"
    # At most the view that was rendering when SIGINT came is announced after it.
    assert len(after_interrupt) <= 1 and len(os.listdir(out)) <= 2 + 1
    assert worker.proc.poll() is None and worker.call("worker.ping") == {}
    assert worker.exec(FINGERPRINT_DIFF)["value"] == {}
    assert worker.exec(SETTINGS)["value"] == before
    # The next render runs to the end (the interrupt does not linger).
    res = render(worker, tmp_path, "after-cancel", views=2, resolution=[64, 36], samples=1)
    assert [im["index"] for im in res["images"]] == [0, 1]
