"""render.views and job.submit through a real daemon, both launchers: request.cancel
stops a render at the interrupt stage (the instance survives, the scene keeps
nothing of the render); job frames delivered inline, binary and by path; `parallel`
never waits behind other clients for helpers; orbit views rendered again from the
parameters a render.image reported."""

import base64
import os
import threading
import time

import pytest

from blenderd.render import images
from daemon_harness import (CANCELLED, INVALID_PARAMS, LAUNCHER_REQUIREMENT, Daemon, RpcError, blender_executable,
                            bpy_python, missing_reason)

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


def have(launcher):
    return blender_executable() if launcher == "executable" else bpy_python()


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
    if not have(launcher):
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
