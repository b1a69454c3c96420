"""The add-on in a windowed Blender 3.x (Xvfb): real timer ticks, a real
3D View for operators. Skipped when there is no Blender executable or no
xvfb-run; bpy (the module) has no windowed mode."""

import os
import shutil
import socket
import subprocess
import time

import pytest

from blender_worker import blender_executable
from blenderd.rpc import Channel, RpcError

START = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gui_window_start.py")


def test_windowed_blender_attaches_and_serves(tmp_path):
    exe = blender_executable()
    if not exe:
        pytest.skip("no Blender executable (install Debian's `blender` or set BLENDERD_TEST_BLENDER)")
    if not shutil.which("xvfb-run"):
        pytest.skip("xvfb-run is not installed (apt-get install xvfb)")
    sock_path = str(tmp_path / "d.sock")
    (tmp_path / "attach.token").write_text("tok\n")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    server.settimeout(0.5)
    log = open(tmp_path / "blender.log", "w")
    # Blender saves quit.blend into its temporary directory on quit: the test's, not /tmp.
    env = dict(os.environ, TMPDIR=str(tmp_path), TEMP=str(tmp_path), TMP=str(tmp_path))
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", exe, "--factory-startup",
                             "-noaudio", "--python", START, "--", sock_path, str(tmp_path / "attach.token")],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 120
        conn = None
        while conn is None:
            try:
                conn = server.accept()[0]
            except socket.timeout:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("windowed Blender did not connect:\n" + (tmp_path / "blender.log").read_text()[-3000:])
        conn.settimeout(None)
        daemon = Channel(conn)
        attach = daemon.read(timeout=60)
        assert attach.method == "worker.attach" and attach.params["headless"] is False
        assert attach.params["token"] == "tok"
        daemon.respond(attach.id, {"instance": "gui-1"})
        # view3d.* needs a 3D View: headless workers can't, the attached GUI can
        res = daemon.request("script.exec", {"code": "bpy.ops.mesh.primitive_monkey_add()\n"
                                                     "bpy.ops.view3d.view_all()\n"
                                                     "result = bpy.context.area.type"}, timeout=60)
        assert res["value"] == "VIEW_3D" and res["changes"]["objects"] == {"added": ["Suzanne"]}
        with pytest.raises(RpcError) as info:
            daemon.request("script.exec", {"code": "bpy.ops.mesh.subdivide()"}, timeout=60)
        assert "mode_set(mode='EDIT')" in "\n".join(info.value.data["hints"])
        # quit from a timer once we have detached
        daemon.request("script.exec", {"code": "bpy.app.timers.register("
                                               "lambda: bpy.ops.wm.quit_blender() and None, first_interval=0.5)"},
                       timeout=60)
        assert daemon.request("worker.shutdown", timeout=60) == {}
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
        server.close()
        log.close()
