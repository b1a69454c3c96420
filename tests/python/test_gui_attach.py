"""GUI mode end to end, minus the window: a fake daemon listens on a Unix
socket, Blender enables the add-on, connects, sends worker.attach with the
token, serves requests from the timer callback, and detaches on
worker.shutdown."""

import os
import socket
import subprocess

import pytest

from blender_worker import ADDON, availability
from blenderd.rpc import Channel, RpcError, errors

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gui_driver.py")


def _accept(server, proc, timeout=90):
    """Accept the add-on's connection, failing fast (with its output) if Blender died."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return server.accept()[0]
        except socket.timeout:
            if proc.poll() is not None:
                pytest.fail("Blender exited before connecting:\n" + proc.stdout.read().decode("utf-8", "replace"))
    pytest.fail("Blender did not connect within %ds" % timeout)


@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_attach_serve_detach(launcher, tmp_path):
    spec, reason = availability(launcher)
    if spec is None:
        pytest.skip("%s launcher: %s" % (launcher, reason))
    argv, env = spec
    if launcher == "executable":
        argv = argv[:argv.index("--python") + 1] + [DRIVER]
    else:
        argv = [argv[0], DRIVER]
    sock_path = str(tmp_path / "d.sock")
    token_path = tmp_path / "attach.token"
    token_path.write_text("s3cret\n")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    server.settimeout(0.5)
    extra = ["--", sock_path, str(token_path)] if launcher == "executable" else [sock_path, str(token_path)]
    proc = subprocess.Popen(argv + extra, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        conn = _accept(server, proc)
        conn.settimeout(None)  # Channel waits with select(); no socket-level timeout
        daemon = Channel(conn)
        attach = daemon.read(timeout=60)
        assert attach.kind == "request" and attach.method == "worker.attach"
        assert attach.params["token"] == "s3cret" and attach.params["kind"] == "gui"
        assert attach.params["protocol"] == 1 and "blender" in attach.params
        daemon.respond(attach.id, {"instance": "gui-1"})
        assert daemon.request("worker.ping", timeout=30) == {}
        res = daemon.request("script.exec", {"code": "bpy.ops.mesh.primitive_cube_add()\n"
                                                     "result = bpy.context.active_object.name"}, timeout=30)
        assert res["value"].startswith("Cube")
        info = daemon.request("scene.info", {"limit": 5}, timeout=30)
        assert res["value"] in [o["name"] for o in info["objects"]]
        assert daemon.request("api.describe", {"target": "Object"}, timeout=30)["kind"] == "type"
        with pytest.raises(RpcError) as info:  # never wipe an artist's scene
            daemon.request("worker.reset", timeout=30)
        assert info.value.code == errors.METHOD_NOT_FOUND
        assert daemon.request("worker.shutdown", timeout=30) == {}
        out = proc.communicate(timeout=60)[0].decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.close()
    assert "GUI-STATUS: detached by the daemon" in out, out
    assert "GUI-DONE" in out, out
    assert proc.returncode == 0, out
