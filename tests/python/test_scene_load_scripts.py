"""scene.load through the daemon never runs scripts embedded in the .blend.

An "armed" file holds a text block registered to run on load (use_module) and
a Python driver; each would write a marker into the loading instance's
workspace (its HOME). Loaded with scene.load {path} and {data}, restored as a
checkpoint afterwards: no marker on the host, `scripts_blocked` >= 1. The
control at the end opens the same file with use_scripts=True and the markers
do appear, so the file really is armed. (The worker-level twin is
test_sandbox_blender.py::test_scene_load_never_runs_embedded_scripts.)"""

import base64
import os
import shutil
import time

import pytest

from daemon_harness import LAUNCHER_REQUIREMENT, Daemon, have_launcher, missing_reason

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=missing_reason() or "")

ARM = (
    "import bpy, os\n"
    "t = bpy.data.texts.new('autorun.py')\n"
    "t.write(\"import os\\nopen(os.path.join(os.path.expanduser('~'), 'text-ran'), 'w').write('ran')\\n\")\n"
    "t.use_module = True\n"
    "ob = bpy.data.objects.new('Driven', None)\n"
    "bpy.context.scene.collection.objects.link(ob)\n"
    "fc = ob.driver_add('location', 0)\n"
    "fc.driver.type = 'SCRIPTED'\n"
    "fc.driver.expression = \"open(__import__('os').path.expanduser('~') + '/driver-ran', 'w').write('ran') * 0.0 + 1.0\"\n"
    "bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath('armed.blend'), copy=True)\n"
)
MARKERS = ("text-ran", "driver-ran")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("sceneload"), warm=1, max_instances=3)
    yield d
    assert d.terminate() == 0, d.log_tail()


def workspace_of(client, session):
    for inst in client.call("instance.list")["instances"]:
        if inst.get("session") == session:
            return inst["workspace"]
    raise AssertionError("no instance for %s" % session)


def markers(workspace):
    return [m for m in MARKERS if os.path.exists(os.path.join(workspace, m))]


@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_scene_load_never_runs_embedded_scripts(daemon, tmp_path, launcher):
    if not have_launcher(launcher):
        pytest.skip("%s launcher not available" % launcher)
    need = LAUNCHER_REQUIREMENT[launcher]
    with daemon.client() as c:
        # Build the armed file in one session and take it out of its workspace.
        maker = c.call("session.open", blender=need)["session"]
        c.call("script.exec", session=maker, code=ARM)
        armed = str(tmp_path / "armed.blend")
        shutil.copy(os.path.join(workspace_of(c, maker), "armed.blend"), armed)
        assert markers(workspace_of(c, maker)) == []  # building it ran nothing
        c.call("session.close", session=maker)

        s = c.call("session.open", blender=need)["session"]
        ws = workspace_of(c, s)
        loaded = c.call("scene.load", session=s, path=armed)
        assert loaded["scripts_blocked"] >= 1 and loaded["objects"] == 1, loaded
        c.call("scene.info", session=s)  # evaluates the depsgraph: the driver's chance to run
        c.call("script.exec", session=s, code="import bpy\nbpy.context.view_layer.update()")
        with open(armed, "rb") as f:
            inline = c.call("scene.load", session=s, data=base64.b64encode(f.read()).decode())
        assert inline["scripts_blocked"] >= 1, inline
        c.call("scene.info", session=s)
        assert markers(ws) == [], "scene.load ran an embedded script"
        after_load = inline.get("checkpoint") or c.call("scene.checkpoint", session=s)["id"]
        names = c.call("script.exec", session=s, code="import bpy\nresult = [sorted(o.name for o in bpy.data.objects), "
                                                       "sorted(t.name for t in bpy.data.texts)]")["value"]
        assert names == [["Driven"], ["autorun.py"]], names

        # Control: the same file opened with scripts allowed does write the markers.
        shutil.copy(armed, os.path.join(ws, "control.blend"))
        c.call("script.exec", session=s, code="import bpy, os\n"
               "bpy.ops.wm.open_mainfile(filepath=os.path.abspath('control.blend'), use_scripts=True)\n"
               "bpy.context.view_layer.update()")
        c.call("scene.info", session=s)
        deadline = time.monotonic() + 2
        while len(markers(ws)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert markers(ws) == list(MARKERS), "the control did not run: the test would prove nothing"

        # Restoring a checkpoint of the armed scene runs nothing either.
        for m in MARKERS:
            os.remove(os.path.join(ws, m))
        restored = c.call("scene.restore", session=s, checkpoint=after_load)
        assert restored["checkpoint"] == after_load
        c.call("scene.info", session=s)
        c.call("script.exec", session=s, code="import bpy\nbpy.context.view_layer.update()")
        assert markers(ws) == [], "scene.restore ran an embedded script"
        c.call("session.close", session=s)
