"""The add-on as a package: pure layers free of bpy, the zip, the manifest."""

import ast
import glob
import os
import re
import subprocess
import sys
import zipfile

import pytest

from blender_worker import ADDON, REPO
from blenderd import attach

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

PACKAGE = os.path.join(ADDON, "blenderd")
PURE = ["rpc", "script", "serve.py", "attach.py"]


def test_pure_layers_never_import_bpy():
    code = ("import sys; import blenderd, blenderd.rpc, blenderd.serve, blenderd.attach, "
            "blenderd.script.capture, blenderd.script.hints, blenderd.script.astscan, "
            "blenderd.script.jsonsafe, blenderd.script.changes, blenderd.script.tracebacks; "
            "bad = [m for m in ('bpy', 'mathutils', 'bmesh') if m in sys.modules]; "
            "sys.exit('imported: %s' % bad if bad else 0)")
    subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=ADDON), check=True)


def test_pure_sources_have_no_bpy_import_statement():
    for entry in PURE:
        path = os.path.join(PACKAGE, entry)
        files = [path] if path.endswith(".py") else glob.glob(os.path.join(path, "*.py"))
        for f in files:
            tree = ast.parse(open(f, encoding="utf-8").read())
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                assert not any(n.split(".")[0] in ("bpy", "bmesh", "mathutils") for n in names), f


def _manifest_text():
    with open(os.path.join(PACKAGE, "blender_manifest.toml"), encoding="utf-8") as f:
        return f.read()


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_manifest_fields_and_bl_info_agree():
    m = tomllib.loads(_manifest_text())
    assert m["schema_version"] == "1.0.0" and m["id"] == "blenderd" and m["type"] == "add-on"
    assert re.fullmatch(r"\d+\.\d+\.\d+", m["version"])
    assert m["license"] == ["SPDX:GPL-3.0-or-later"] and m["blender_version_min"] == "4.2.0"
    assert isinstance(m["permissions"], dict) and "Unix socket" in m["permissions"]["network"]
    init = ast.parse(open(os.path.join(PACKAGE, "__init__.py"), encoding="utf-8").read())
    bl_info = next(ast.literal_eval(n.value) for n in init.body
                   if isinstance(n, ast.Assign) and n.targets[0].id == "bl_info")
    assert ".".join(map(str, bl_info["version"])) == m["version"]
    assert bl_info["blender"] <= (3, 4, 0)


def _blender_ext_cli():
    found = glob.glob(os.path.join(REPO, ".venv", "lib", "python3*", "site-packages", "bpy", "*",
                                   "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py"))
    return found[0] if found else None


def test_zip_layout_and_extension_validation(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ADDON, "build_zip.py"), "--out", str(tmp_path)],
                         check=True, capture_output=True, text=True).stdout.strip()
    names = zipfile.ZipFile(out).namelist()
    assert "blenderd/__init__.py" in names and "blenderd/blender_manifest.toml" in names
    assert "blenderd/rpc/framing.py" in names and "blenderd/worker_main.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert all(n.startswith("blenderd/") for n in names)  # one folder: 3.x installer needs it
    cli = _blender_ext_cli()
    if cli is None or tomllib is None:
        pytest.skip("Blender's extension CLI (bpy 4.2+ in .venv) is not available to validate the zip")
    for target in (out, PACKAGE):
        res = subprocess.run([sys.executable, cli, "validate", target], capture_output=True, text=True)
        assert res.returncode == 0 and "Success" in res.stdout, res.stdout + res.stderr


def test_default_socket_and_token_paths():
    assert attach.default_socket_path({"BLENDERD_SOCKET": "/x/s.sock", "XDG_RUNTIME_DIR": "/r"}) == "/x/s.sock"
    assert attach.default_socket_path({"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/blenderd/blenderd.sock"
    assert attach.default_socket_path({}, uid=7) == "/tmp/blenderd-7/blenderd.sock"
    assert attach.default_token_path("/run/user/7/blenderd/blenderd.sock") == "/run/user/7/blenderd/attach.token"


def test_read_token(tmp_path):
    (tmp_path / "t").write_text("  abc\n")
    assert attach.read_token(str(tmp_path / "t")) == "abc"
    (tmp_path / "e").write_text("\n")
    with pytest.raises(ValueError):
        attach.read_token(str(tmp_path / "e"))
