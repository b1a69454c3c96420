"""checkpoint.save, checkpoint.load and scene.load: the scene to and from
.blend files in the session directory.

Saves are uncompressed copies (`copy=True` keeps bpy.data.filepath as it was, so
a save never makes the checkpoint "the current file"). `relative_remap=True`
rebases `//` paths (images, libraries) onto the checkpoint's directory, so they
point at the same files once the checkpoint is loaded; without it a session
that loaded the user's .blend from the session directory and checkpoints into
a subdirectory would lose its textures on restore. It costs nothing measurable.

Loads never run scripts embedded in the file (registered text blocks, Python
drivers), whatever Blender's -Y flag or preferences say. A load does make the
file the current one (bpy.data.filepath): Blender has no load that does not.
"""

import os
import time

import bpy

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..sandbox.config import is_within, normalize
from . import lifecycle


def _ms(start):
    return round((time.perf_counter() - start) * 1000, 3)


class Checkpoints:
    """The three methods for one worker; `workspace` (None: no sandbox) is where
    every path must lie, so a daemon bug cannot make the worker write elsewhere."""

    def __init__(self, workspace=None):
        self.workspace = workspace

    def _path(self, params, must_exist):
        p = Params(params)
        path = p.str("path", required=True)
        if not path.startswith("/"):
            raise RpcError(errors.INVALID_PARAMS, "param 'path' must be an absolute path", {"param": "path"})
        path = normalize(path)
        if self.workspace is not None and not is_within(os.path.realpath(path), os.path.realpath(self.workspace)):
            raise RpcError(errors.INVALID_PARAMS, "param 'path' must lie in the session directory %s"
                           % self.workspace, {"param": "path", "workspace": self.workspace})
        if must_exist and not os.path.isfile(path):
            raise RpcError(errors.INVALID_PARAMS, "no such file: %s" % path, {"param": "path"})
        return path

    def save(self, params):
        path = self._path(params, must_exist=False)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lifecycle.ensure_tempdir()
        start = time.perf_counter()
        try:
            result = bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False,
                                                 check_existing=False, relative_remap=True)
        except RuntimeError as exc:  # the operator's error report (disk full, no permission)
            raise RpcError(errors.INTERNAL_ERROR, "cannot save %s: %s" % (path, str(exc).strip()),
                           {"path": path, "reason": str(exc).strip()}) from None
        duration = _ms(start)
        if "FINISHED" not in result:
            raise RpcError(errors.INTERNAL_ERROR, "save_as_mainfile returned %s" % sorted(result), {"path": path})
        return {"path": path, "bytes": os.stat(path).st_size, "duration_ms": duration}

    def _load(self, path):
        lifecycle.disable_autoexec()  # a script may have turned it back on
        lifecycle.ensure_tempdir()
        start = time.perf_counter()
        try:
            result = bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
        except RuntimeError as exc:  # not a .blend, truncated, from a newer Blender
            raise RpcError(errors.INVALID_PARAMS, "cannot load %s: %s" % (path, str(exc).strip()),
                           {"param": "path", "reason": str(exc).strip()}) from None
        duration = _ms(start)
        if "FINISHED" not in result:
            raise RpcError(errors.INTERNAL_ERROR, "open_mainfile returned %s" % sorted(result), {"path": path})
        # script.exec snapshots bpy.data afresh on every call, so nothing of
        # the previous file lingers in the worker's change tracking.
        return duration

    def load(self, params):
        duration = self._load(self._path(params, must_exist=True))
        return {"duration_ms": duration, "objects": len(bpy.context.scene.objects)}

    def scene_load(self, params):
        duration = self._load(self._path(params, must_exist=True))
        # Registered text blocks are what auto-run would have executed on load.
        blocked = sum(1 for text in bpy.data.texts if text.use_module)
        return {"objects": len(bpy.context.scene.objects), "duration_ms": duration, "scripts_blocked": blocked}
