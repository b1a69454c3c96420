"""The built zip installs and enables as a user would do it: as an
extension on 4.2+ (package `bl_ext.user_default.blenderd`, which is why the
add-on only ever uses `__package__`), as a legacy add-on on 3.x."""

import os
import subprocess
import sys

import pytest

from blender_worker import ADDON, availability

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "install_driver.py")


@pytest.mark.parametrize("launcher", ["executable", "module"])
def test_zip_installs_and_enables(launcher, tmp_path):
    spec, reason = availability(launcher)
    if spec is None:
        pytest.skip("%s launcher: %s" % (launcher, reason))
    argv, env = spec
    env = dict(env)
    env.pop("PYTHONPATH", None)  # the installed copy must be the one imported
    env["BLENDER_USER_RESOURCES"] = str(tmp_path / "user")  # 4.x
    env["BLENDER_USER_SCRIPTS"] = str(tmp_path / "scripts")  # 3.x add-on install target
    env["BLENDER_USER_CONFIG"] = str(tmp_path / "config")
    zip_path = subprocess.run([sys.executable, os.path.join(ADDON, "build_zip.py"), "--out", str(tmp_path)],
                              check=True, capture_output=True, text=True).stdout.strip()
    if launcher == "executable":
        cmd = argv[:argv.index("--python") + 1] + [DRIVER, "--", zip_path]
    else:
        cmd = [argv[0], DRIVER, zip_path]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "INSTALL: ['FINISHED']" in out, out
    assert "MODULE: %s True" % ("bl_ext.user_default.blenderd" if "bl_ext" in out else "blenderd") in out, out
    assert "PANEL: True" in out and "UNREGISTERED: True" in out, out
    assert "PATHS: ('/x/d.sock', '/x/attach.token')" in out, out
    installed = next(line for line in out.splitlines() if line.startswith("FILE:"))
    assert installed.startswith("FILE: " + str(tmp_path)), out  # the zip's copy, not addon/
