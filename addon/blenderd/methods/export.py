"""scene.export: the current scene (or a selection) to glb, gltf, obj, fbx, usd,
stl, ply or blend, with whichever exporter this Blender has
(`blenderd.render.exporters` holds the table).

A selection is exported by selecting it for the operator's "selected only"
option; the user's selection and active object are put back afterwards.
"""

import os
import time

import bpy

from ..render import exporters, options
from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from . import lifecycle


def _ms(start):
    return round((time.perf_counter() - start) * 1000, 3)


def _operator(op_id):
    """(callable, property identifiers) of bpy.ops.<op_id>, or None when this
    Blender does not have it (add-on disabled, build without USD, ...)."""
    module, name = op_id.split(".")
    try:
        op = getattr(getattr(bpy.ops, module), name)
        rna = op.get_rna_type()
    except Exception:
        return None
    return op, {p.identifier for p in rna.properties}


def available_operators():
    ids = {op for spec in exporters.FORMATS.values() for op, _ in spec["operators"]}
    ids |= {op for spec in exporters.FORMATS.values() for op in spec["importers"]}
    return {op for op in ids if _operator(op) is not None}


def _numpy_available():
    # glTF's exporter needs numpy; Debian's Blender 3.4 uses the system Python,
    # which has it only with python3-numpy installed.
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


def _listing(directory):
    try:
        return {e.name: (e.stat().st_mtime_ns, e.stat().st_size) for e in os.scandir(directory) if e.is_file()}
    except OSError:
        return {}


def _descendants(obs):
    out, stack = [], list(obs)
    while stack:
        ob = stack.pop()
        if ob not in out:
            out.append(ob)
            stack.extend(ob.children)
    return out


class Selection:
    """Select exactly `objects` in the view layer for an exporter, and put the
    user's selection and active object back on exit."""

    def __init__(self, view_layer, objects):
        self.view_layer = view_layer
        self.objects = objects

    def __enter__(self):
        layer_objects = self.view_layer.objects
        self.saved = [(ob, ob.select_get(view_layer=self.view_layer)) for ob in layer_objects]
        self.active = layer_objects.active
        wanted = {ob.as_pointer() for ob in self.objects}
        for ob in layer_objects:
            ob.select_set(ob.as_pointer() in wanted, view_layer=self.view_layer)
        if self.objects and self.objects[0].name in layer_objects:
            layer_objects.active = self.objects[0]
        return self

    def __exit__(self, *exc):
        for ob, selected in self.saved:
            try:
                if ob.select_get(view_layer=self.view_layer) != selected:
                    ob.select_set(selected, view_layer=self.view_layer)
            except (ReferenceError, RuntimeError):
                pass
        try:
            self.view_layer.objects.active = self.active
        except (ReferenceError, RuntimeError):
            pass
        return False


class Exporter:
    """scene.export for one worker; `workspace` (None: no sandbox) bounds the path."""

    def __init__(self, workspace=None):
        self.workspace = workspace

    def export(self, params):
        p = Params(params)
        available = available_operators()
        supported = exporters.supported(available)
        fmt = p.str("format", required=True).lower()
        if fmt not in exporters.FORMATS or fmt not in supported:
            reason = ("unknown format %r" % fmt if fmt not in exporters.FORMATS else
                      "this Blender (%s) has no %s exporter" % (bpy.app.version_string, fmt))
            raise RpcError(errors.INVALID_PARAMS, "param 'format': %s" % reason,
                           {"param": "format", "supported": supported, "reason": reason})
        path = options.check_path(p.str("path", required=True), self.workspace, "path")
        wanted_ext = exporters.check_extension(fmt, path)
        if wanted_ext is not None:
            raise RpcError(errors.INVALID_PARAMS, "param 'path' must end with %s for %s" % (" or ".join(wanted_ext), fmt),
                           {"param": "path", "extensions": wanted_ext})
        names = options.str_list(p.raw, "selection")
        scene = bpy.context.scene
        view_layer = bpy.context.view_layer
        if names is not None:
            unknown = [n for n in names if n not in scene.objects]
            if unknown:
                raise RpcError(errors.INVALID_PARAMS, "no object named %s in scene %r"
                               % (", ".join(repr(n) for n in unknown), scene.name),
                               {"param": "selection", "unknown": unknown,
                                "available": sorted(o.name for o in scene.objects)[:50]})
            # A selected parent brings its children: "Chair" means the whole chair.
            chosen = _descendants([scene.objects[n] for n in names])
        else:
            chosen = [ob for ob in view_layer.objects if ob.visible_get(view_layer=view_layer)]
        spec = exporters.FORMATS[fmt]
        if spec.get("needs_numpy") and not _numpy_available():
            raise RpcError(errors.RENDER_ERROR, "Export error", {
                "reason": "glTF export needs numpy, which this Blender's Python (%s) cannot import"
                          % bpy.app.version_string,
                "format": fmt,
                "hint": "install numpy for Blender's Python (Debian's blender uses the system Python: "
                        "apt-get install python3-numpy), or export obj, fbx or blend instead"})
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        lifecycle.ensure_tempdir()
        before = _listing(directory)
        start = time.perf_counter()
        if fmt == "blend":
            operator = self._blend(path, chosen if names is not None else None)
        else:
            operator = self._run_exporter(fmt, path, view_layer, chosen, names is not None)
        duration = _ms(start)
        if not os.path.isfile(path):
            raise RpcError(errors.RENDER_ERROR, "Export error",
                           {"reason": "%s wrote no file at %s" % (operator, path), "format": fmt})
        after = _listing(directory)
        companions = [{"path": os.path.join(directory, name), "bytes": size}
                      for name, (mtime, size) in sorted(after.items())
                      if os.path.join(directory, name) != path and before.get(name) != (mtime, size)]
        result = {"path": path, "bytes": os.path.getsize(path), "mime": spec["mime"], "format": fmt,
                  "objects": sum(1 for ob in chosen if exporters.counts_object(fmt, ob.type)),
                  "operator": operator, "duration_ms": duration, "files": companions}
        if spec.get("single_mesh"):
            result["single_mesh"] = True  # STL and PLY hold one mesh: objects are merged
        if names is not None:
            result["selection"] = [ob.name for ob in chosen]
        return result

    def _run_exporter(self, fmt, path, view_layer, chosen, selected):
        candidates = exporters.choose_operator(fmt, available_operators())
        last_error = None
        for op_id, template in candidates:
            op, known = _operator(op_id)
            kwargs = exporters.operator_kwargs(template, selected, known)
            kwargs["filepath"] = path
            if "check_existing" in known:
                kwargs["check_existing"] = False
            try:
                with Selection(view_layer, chosen) if selected else _nothing():
                    outcome = op(**kwargs)
            except TypeError as exc:
                # An enum value this version lacks (glTF's GLTF_EMBEDDED in 4.2+): try the next.
                last_error = exc
                continue
            except RuntimeError as exc:
                raise RpcError(errors.RENDER_ERROR, "Export error", {
                    "reason": str(exc).strip(), "format": fmt, "operator": op_id}) from None
            if "FINISHED" not in outcome:
                raise RpcError(errors.RENDER_ERROR, "Export error", {
                    "reason": "%s returned %s" % (op_id, sorted(outcome)), "format": fmt, "operator": op_id})
            return op_id
        raise RpcError(errors.RENDER_ERROR, "Export error", {
            "reason": "no exporter for %s accepted the options: %s" % (fmt, last_error), "format": fmt})

    @staticmethod
    def _blend(path, objects):
        if objects is None:
            # As checkpoint.save: an uncompressed copy; bpy.data.filepath stays.
            try:
                bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False, check_existing=False,
                                            relative_remap=True)
            except RuntimeError as exc:
                raise RpcError(errors.RENDER_ERROR, "Export error",
                               {"reason": str(exc).strip(), "format": "blend"}) from None
            return "wm.save_as_mainfile"
        # A selection: a library file with just those objects (and what they use),
        # kept by a fake user since no scene links them; append them to load.
        try:
            bpy.data.libraries.write(path, set(objects), fake_user=True, compress=False)
        except (RuntimeError, OSError) as exc:
            raise RpcError(errors.RENDER_ERROR, "Export error",
                           {"reason": str(exc).strip(), "format": "blend"}) from None
        return "bpy.data.libraries.write"


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
