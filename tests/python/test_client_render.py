"""blenderd_client's streams against a real daemon (bpy 4.4): render_views yields each Image as its
render.image arrives (binary frames on header framing, base64 on NDJSON, a path with
delivery="path") and the images decode as PNGs of the asked size; export gives a .glb's bytes or
path; a farm job from a session's checkpoint is watched frame by frame."""

import os
import struct

import pytest

from blenderd_client import Client, Image, InvalidParams, JobFrame, JobProgress, Progress

import daemon_harness
from daemon_harness import Daemon

pytestmark = pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                                reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")

# A cube, a sun and a camera looking at it (jobs render the scene's own camera).
SCENE = """
import bpy
bpy.ops.mesh.primitive_cube_add(size=2)
sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
sun.rotation_euler = (0.6, 0.2, 0.3)
bpy.context.scene.collection.objects.link(sun)
cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
cam.location = (0, -8, 2); cam.rotation_euler = (1.35, 0, 0)
bpy.context.scene.collection.objects.link(cam)
bpy.context.scene.camera = cam
result = len(bpy.data.objects)
"""
TINY = {"resolution": [48, 27], "engine": "CYCLES", "samples": 1}


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("client-render"), warm=1, max_instances=2, launchers=("module",))
    yield d
    d.terminate()


@pytest.mark.parametrize("framing,delivery", [("header", None), ("ndjson", None), ("ndjson", "path")])
def test_render_views_streams_images(daemon, framing, delivery):
    with Client(daemon.socket_path, framing=framing, timeout=300) as client, client.session(blender=">=4") as session:
        session.exec(SCENE)
        progress = []
        stream = session.render_views(2, on_progress=progress.append, delivery=delivery, **TINY)
        seen = []
        for image in stream:
            assert isinstance(image, Image)
            assert stream.result is None  # yielded while the call still runs: the response comes last
            seen.append(image)
        assert [im.index for im in seen] == [0, 1]
        for image in seen:
            data = image.read()
            assert png_size(data) == (48, 27) == (image.width, image.height)
            assert image.size == len(data) and image.mime == "image/png" and image.engine == "CYCLES"
            assert image.pass_name == "final" and image.duration_ms > 0 and image.device
            if delivery == "path":
                assert image.data is None and os.path.isabs(image.path)
            else:
                assert image.data is not None and image.path is None
        assert seen[0].read() != seen[1].read()  # two orbit views of one cube differ
        expected = delivery or ("binary" if framing == "header" else "inline")
        assert stream.result["delivery"] == expected and len(stream.result["images"]) == 2
        assert progress and all(isinstance(p, Progress) for p in progress)
        assert {p.index for p in progress} == {0, 1}
        # a view's progress precedes its image: the first progress of view 1 came after image 0
        assert stream.images == seen


def test_export_glb_bytes_and_path(daemon, tmp_path):
    with Client(daemon.socket_path, timeout=300) as client, client.session(blender=">=4") as session:
        session.exec(SCENE)
        glb = session.export("glb")  # binary frame on header framing
        data = glb.read()
        assert data[:4] == b"glTF" and glb.size == len(data) and glb.objects >= 1 and glb.name.endswith(".glb")
        saved = glb.save(str(tmp_path))
        assert open(saved, "rb").read() == data
        by_path = session.export("glb", delivery="path")
        assert by_path.data is None and open(by_path.path, "rb").read()[:4] == b"glTF"
        stl = session.export("stl", delivery="inline")
        assert stl.data and stl.format == "stl"


def test_unknown_camera_is_invalid_params(daemon):
    with Client(daemon.socket_path, timeout=300) as client, client.session(blender=">=4") as session:
        session.exec(SCENE)
        stream = session.render_views(cameras=["NoSuchCamera"], **TINY)
        with pytest.raises(InvalidParams) as info:
            stream.wait()
        assert info.value.path.startswith("params.cameras"), info.value.data
        assert stream.images == []
        assert session.exec("result = 1").value == 1  # the session goes on


@pytest.mark.parametrize("delivery", [None, "binary"])
def test_job_from_a_session_checkpoint(daemon, tmp_path, delivery):
    with Client(daemon.socket_path, timeout=300) as client, client.session(blender=">=4") as session:
        session.exec(SCENE + "\nbpy.context.scene.frame_start = 1\nbpy.context.scene.frame_end = 2")
        job = session.submit_job("1-2", chunk=1, output=str(tmp_path / "frames"), delivery=delivery, **TINY)
        assert job.frames == 2 and job.chunks == 2
        frames, progress = [], []
        for event in job.watch(timeout=300):
            (frames if isinstance(event, JobFrame) else progress).append(event)
        assert sorted(f.frame for f in frames) == [1, 2]
        for frame in frames:
            assert png_size(frame.read()) == (48, 27) and os.path.dirname(frame.path) == str(tmp_path / "frames")
            if delivery == "binary":  # the bytes came in an attachment frame, equal to the file kept
                assert frame.data is not None and frame.data == open(frame.path, "rb").read()
            else:
                assert frame.data is None
        assert isinstance(progress[-1], JobProgress) and progress[-1].state == "done" and progress[-1].done == 2
        status = job.status()
        assert status["state"] == "done" and status["done"] == 2 and status["failed"] == []
