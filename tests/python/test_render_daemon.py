"""render.views and job.submit through a real daemon, both launchers: request.cancel
stops a render at the interrupt stage (the instance survives, the scene keeps
nothing of the render); job frames delivered inline, binary and by path; `parallel`
never waits behind other clients for helpers; orbit views rendered again from the
parameters a render.image reported."""

import base64
import time

import pytest

from blenderd.render import images
from daemon_harness import (CANCELLED, INVALID_PARAMS, LAUNCHER_REQUIREMENT, Daemon, RpcError, animated_scene,
                            bpy_python, have_launcher, missing_reason)

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")

SCENE = """
import bpy
bpy.ops.mesh.primitive_cube_add(size=1, location=(0, 0, 0.5))
bpy.ops.mesh.primitive_cone_add(radius1=0.4, depth=1.2, location=(1.2, 0, 0.6))
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.35, location=(0, 1.1, 0.35))
"""

# Everything in the scene, to compare before and after a render.
INVENTORY = """
import bpy
s = bpy.context.scene
result = {k: sorted(x.name for x in getattr(bpy.data, k)) for k in ('objects', 'cameras', 'lights', 'worlds')}
result['camera'] = s.camera.name if s.camera else None
result['engine'] = s.render.engine
result['res'] = [s.render.resolution_x, s.render.resolution_y]
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("render-daemon"), warm=1, max_instances=3)
    yield d
    d.terminate()


def instance_of(client, session):
    return next(i for i in client.call("instance.list")["instances"] if i.get("session") == session)


# -- request.cancel --------------------------------------------------------------------------

@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_cancel_stops_a_render_at_the_interrupt_stage(daemon, launcher):
    """request.cancel after the first render.image of a render.views that would take many
    seconds: -32006 with data.stage "interrupted" (SIGINT sufficed: not "killed"), the same
    worker process still serves the session, and its scene has no camera, light or world of
    the render, nor its settings."""
    if not have_launcher(launcher):
        pytest.skip("%s launcher not available" % launcher)
    with daemon.client() as c:
        session = c.call("session.open", blender=LAUNCHER_REQUIREMENT[launcher])["session"]
        try:
            c.call("script.exec", session=session, code=SCENE)
            before = c.call("script.exec", session=session, code=INVENTORY)["value"]
            pid = instance_of(c, session)["pid"]
            render_id = c.send("render.views", {"session": session, "views": 12, "resolution": [320, 180],
                                                "samples": 512, "delivery": "path"})
            while True:
                msg = c.read()
                if msg.get("method") == "render.image":
                    break
                assert msg.get("id") != render_id, "the render ended before its first image: %s" % msg
            time.sleep(0.3)  # into the second view
            cancel_id = c.send("request.cancel", {"id": render_id})
            replies = {}
            images_after = 0
            while len(replies) < 2:
                msg = c.read()
                if msg.get("id") in (render_id, cancel_id):
                    replies[msg["id"]] = msg
                elif msg.get("method") == "render.image":
                    images_after += 1
            assert replies[cancel_id]["result"]["cancelled"] is True
            assert replies[cancel_id]["result"]["stage"] == "interrupt"
            error = replies[render_id]["error"]
            assert error["code"] == CANCELLED, error
            assert error["data"]["reason"] == "request.cancel"
            assert error["data"]["stage"] == "interrupted", error  # not "killed": SIGINT was enough
            assert images_after <= 1
            after = instance_of(c, session)
            assert after["pid"] == pid, "the instance was replaced: %s" % after
            assert c.call("script.exec", session=session, code=INVENTORY)["value"] == before
            assert c.call("scene.info", session=session)["total"] == 3
        finally:
            c.call("session.close", session=session)


# -- job.frame delivery ----------------------------------------------------------------------

# A camera looking at a cube that slides over frames 1-3, lit: frames differ.
ANIMATED = animated_scene(3, 2)


def job_events(next_message, job):
    """job.frame params (with the attachment frame's bytes, if any) until the job's last job.progress."""
    frames = {}
    while True:
        method, params, attachment = next_message()
        if params is None or params.get("job") != job:
            continue
        if method == "job.frame":
            frames[params["frame"]] = (params, attachment)
        elif method == "job.progress" and params["state"] not in ("queued", "running"):
            return frames, params


def check_frames(frames, sizes_from):
    """Three different 64x36 PNGs whose bytes match the file in frames_dir."""
    assert sorted(frames) == [1, 2, 3]
    digests = set()
    for frame, data in sorted(frames.items()):
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "frame %d is not a PNG" % frame
        assert int.from_bytes(data[16:20], "big") == 64 and int.from_bytes(data[20:24], "big") == 36
        with open(sizes_from[frame], "rb") as f:
            assert f.read() == data, "frame %d: the delivered bytes are not the file in frames_dir" % frame
        digests.add(hash(data))
    assert len(digests) == 3, "frames do not differ: the animation did not move"


@pytest.mark.parametrize("delivery", ["inline", "path"])
def test_job_frames_inline_and_path(daemon, delivery):
    with daemon.client() as c:
        session = c.call("session.open", blender=">=4")["session"]
        try:
            c.call("script.exec", session=session, code=ANIMATED)
            submitted = c.call("job.submit", session=session, frames="1-3", chunk=2, resolution=[64, 36],
                               engine="CYCLES", samples=1, delivery=delivery)

            def next_message():
                msg = c.stray.pop(0) if c.stray else c.read()
                return msg.get("method"), msg.get("params"), None

            frames, last = job_events(next_message, submitted["job"])
            assert last["state"] == "done", last
            data, paths = {}, {}
            for frame, (params, _) in frames.items():
                attachment = params["attachment"]
                assert attachment["mime"] == "image/png" and attachment["bytes"] == params["bytes"]
                paths[frame] = params["path"]
                if delivery == "inline":
                    assert "path" not in attachment
                    data[frame] = base64.b64decode(attachment["base64"], validate=True)
                else:
                    assert "base64" not in attachment and attachment["path"] == params["path"]
                    with open(attachment["path"], "rb") as f:
                        data[frame] = f.read()
                assert len(data[frame]) == params["bytes"]
            check_frames(data, paths)
        finally:
            c.call("session.close", session=session)


def test_job_frames_binary(daemon):
    """Header framing: each job.frame is followed by its attachment frame; on NDJSON binary is -32602."""
    from blenderd.rpc import Channel

    with daemon.client() as c:
        with pytest.raises(RpcError) as info:
            c.call("job.submit", session="nope", frames="1-3", delivery="binary")
        assert info.value.code == INVALID_PARAMS and info.value.data["path"] == "params.delivery"
    channel = Channel.connect_unix(daemon.socket_path)
    try:
        session = channel.request("session.open", {"blender": ">=4"}, timeout=120)["session"]
        channel.request("script.exec", {"session": session, "code": ANIMATED}, timeout=120)
        submitted = channel.request("job.submit", {"session": session, "frames": "1-3", "chunk": 3,
                                                   "resolution": [64, 36], "engine": "CYCLES", "samples": 1,
                                                   "delivery": "binary"}, timeout=120)

        def next_message():
            msg = channel.read(timeout=300)
            assert msg is not None, "the daemon closed the connection"
            return msg.method, msg.params, msg.attachment

        frames, last = job_events(next_message, submitted["job"])
        assert last["state"] == "done", last
        data, paths = {}, {}
        for frame, (params, attachment) in frames.items():
            assert params["attachment"] == {"bytes": params["bytes"], "mime": "image/png"}
            assert attachment is not None and len(attachment) == params["bytes"]
            data[frame], paths[frame] = attachment, params["path"]
        check_frames(data, paths)
        channel.request("session.close", {"session": session}, timeout=60)
    finally:
        channel.close()


# -- parallel --------------------------------------------------------------------------------

def test_parallel_uses_only_free_instances(tmp_path):
    """A pool of at most 2 whose other instance is another client's session: render.views with
    parallel 2 does not wait for a helper (it would wait behind that client until its session
    ends); the session's instance renders every view and the result says so. Once that session
    has ended, a helper is spawned in its place: two instances render."""
    if not bpy_python():
        pytest.skip("bpy module launcher not available")
    daemon = Daemon(tmp_path, warm=0, max_instances=2, launchers=("module",))
    try:
        with daemon.client() as a, daemon.client() as b:
            mine = a.call("session.open")["session"]
            other = b.call("session.open")["session"]
            a.call("script.exec", session=mine, code=SCENE)
            own = instance_of(a, mine)["id"]
            params = dict(session=mine, views=4, resolution=[64, 36], samples=1, delivery="path", parallel=2)
            alone = a.call("render.views", timeout=300, **params)
            assert sorted(im["index"] for im in alone["images"]) == [0, 1, 2, 3]
            assert alone["instances"] == [own], alone["instances"]
            assert {im["instance"] for im in alone["images"]} == {own}
            assert any(n.startswith("parallel 2: no other instance was free") for n in alone["notes"]), alone["notes"]

            # That session's instance is recycled when it ends: the pool has room to spawn a helper,
            # which joins while the session's instance renders (8 views of seconds each).
            b.call("session.close", session=other)
            deadline = time.monotonic() + 60
            while len(a.call("instance.list")["instances"]) > 1:  # until its process has exited
                assert time.monotonic() < deadline, a.call("instance.list")
                time.sleep(0.1)
            params.update(views=8, resolution=[256, 144], samples=32)
            shared = a.call("render.views", timeout=300, **params)
            assert sorted(im["index"] for im in shared["images"]) == list(range(8))
            assert len(shared["instances"]) == 2 and shared["instances"][0] == own, (shared["instances"], shared["notes"], shared["duration_ms"])
            assert {im["instance"] for im in shared["images"]} == set(shared["instances"])
            # Two instances of a pool of two: one fewer than asked, and the result says so.
            assert any(n.startswith("parallel 2: 1 more instance rendered") for n in shared["notes"]), shared["notes"]
            assert a.call("script.exec", session=mine, code=INVENTORY)["value"]["cameras"] == []
    finally:
        daemon.terminate()


# -- orbit parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_an_orbit_view_renders_again_from_its_parameters(daemon, launcher):
    """Each orbit view's render.image (and result entry) carries its camera's parameters; passed
    back in `cameras` (as they came, next to a named camera) they render the same view: the
    same camera, and with the same seed and samples the same pixels."""
    if not have_launcher(launcher):
        pytest.skip("%s launcher not available" % launcher)
    with daemon.client() as c:
        session = c.call("session.open", blender=LAUNCHER_REQUIREMENT[launcher])["session"]
        try:
            c.call("script.exec", session=session, code=SCENE + (
                "cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))\n"
                "cam.location = (0, -6, 2); cam.rotation_euler = (1.3, 0, 0)\n"
                "bpy.context.scene.collection.objects.link(cam)\n"))
            common = dict(session=session, resolution=[96, 54], samples=4, seed=7, delivery="path")
            first = c.call("render.views", timeout=300, views=4, **common)
            announced = {m["params"]["index"]: m["params"] for m in c.stray if m.get("method") == "render.image"}
            c.stray.clear()
            for image in first["images"]:
                orbit = image["orbit"]
                assert image["camera"] == "orbit-%d" % image["index"]
                assert set(orbit) >= {"azimuth_deg", "elevation_deg", "distance", "target", "lens", "location",
                                      "rotation_euler"}
                assert announced[image["index"]]["orbit"] == orbit  # the notification says the same
            azimuths = [im["orbit"]["azimuth_deg"] for im in first["images"]]
            assert len(set(azimuths)) == 4
            liked = first["images"][2]
            again = c.call("render.views", timeout=300, cameras=[liked["orbit"], "Cam"], **common)
            redone, named = again["images"]
            assert named["camera"] == "Cam" and "orbit" not in named
            for key in ("azimuth_deg", "elevation_deg", "distance", "lens"):
                assert redone["orbit"][key] == pytest.approx(liked["orbit"][key], abs=1e-5), key
            for key in ("target", "location", "rotation_euler"):
                assert redone["orbit"][key] == pytest.approx(liked["orbit"][key], abs=1e-5), key
            with open(liked["path"], "rb") as f1, open(redone["path"], "rb") as f2:
                # Pixels, not files: Blender's PNG metadata holds the render time.
                assert images.png_decode(f1.read())[1] == images.png_decode(f2.read())[1], \
                    "the view rendered again differs from the first"
            # Only azimuth and elevation: target and distance come from the scene's bounds, as for views.
            bare = {"azimuth_deg": liked["orbit"]["azimuth_deg"], "elevation_deg": liked["orbit"]["elevation_deg"]}
            framed = c.call("render.views", timeout=300, cameras=[bare], **common)["images"][0]
            assert framed["orbit"]["distance"] == pytest.approx(liked["orbit"]["distance"], abs=1e-5)
            # Bad orbit parameters: -32602 naming the entry, before anything renders.
            with pytest.raises(RpcError) as info:
                c.call("render.views", cameras=["Cam", {"azimuth_deg": 0, "elevation_deg": 95}], session=session)
            assert info.value.code == INVALID_PARAMS and info.value.data["path"] == "params.cameras[1].elevation_deg"
            assert c.call("script.exec", session=session, code=INVENTORY)["value"]["cameras"] == ["Cam"]
        finally:
            c.call("session.close", session=session)
