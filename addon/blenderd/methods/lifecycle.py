"""worker.ready payload, ping, reset, shutdown."""

import os
import platform
import time

import bpy

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..script import hints
from ..serve import Stop, log

PROTOCOL_VERSION = 1
_IMPORTED_AT = time.monotonic()


def process_age_ms():
    """Milliseconds since this process started (Linux /proc); falls back to
    the time since this module was imported."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 overall, 20 after "pid (comm)"
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        return int(round((uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000))
    except (OSError, ValueError, IndexError):
        return int((time.monotonic() - _IMPORTED_AT) * 1000)


def render_engines():
    """Engine identifiers this Blender accepts. The enum is dynamic (add-on
    engines register at runtime), so ask Blender by assigning an impossible
    value and reading the allowed list from its error; nothing changes."""
    render = bpy.context.scene.render
    try:
        render.engine = "__blenderd_probe__"
    except TypeError as exc:
        parsed = hints.parse_enum_error(str(exc))
        if parsed:
            return parsed[1]
    return [item.identifier for item in render.bl_rna.properties["engine"].enum_items]


def cycles_devices():
    """[{type, name, id}] from Cycles' preferences; [] if Cycles is unavailable.

    In factory-startup background mode the add-on is normally enabled; if
    not, enable it for this session only (factory settings are never saved).
    An artist's GUI Blender is left as the artist set it up.
    """
    try:
        addons = bpy.context.preferences.addons
        if "cycles" not in addons:
            if not bpy.app.background:
                return []
            import addon_utils
            addon_utils.enable("cycles", default_set=True)
        prefs = addons["cycles"].preferences
        if hasattr(prefs, "refresh_devices"):
            prefs.refresh_devices()
        else:
            prefs.get_devices()
        return [{"type": d.type, "name": d.name, "id": d.id} for d in prefs.devices]
    except Exception as exc:  # no GPU runtime, no Cycles build: not fatal
        log("cycles devices unavailable: %s" % exc)
        return []


# Preference order when the daemon names no type: OptiX is CUDA plus RT cores.
GPU_TYPES = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")
_selected_gpu = None  # set by select_gpu(); reported in worker.ready


def select_gpu():
    """Enable exactly the GPU the daemon pinned this worker to (headless only).

    The daemon sets BLENDERD_GPU_INDEX (the driver's index, for reporting) and
    CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES to that index, so the driver
    shows this process one device; BLENDERD_GPU_TYPE names the Cycles device
    type (else the first of GPU_TYPES that has a device). Every other device,
    the CPU included, is disabled so renders never spill onto a device another
    instance owns. Returns the `gpu` member of worker.ready, or None (logged)
    when the device cannot be enabled; the daemon then treats the instance as
    a CPU one. Preferences are kept across worker.reset, so this runs once.
    """
    global _selected_gpu
    index = os.environ.get("BLENDERD_GPU_INDEX")
    if index is None or not bpy.app.background:
        return None
    wanted = os.environ.get("BLENDERD_GPU_TYPE", "").upper()
    try:
        addons = bpy.context.preferences.addons
        if "cycles" not in addons:
            import addon_utils
            addon_utils.enable("cycles", default_set=True)
        prefs = addons["cycles"].preferences
        for gpu_type in ([wanted] if wanted else list(GPU_TYPES)):
            try:
                prefs.compute_device_type = gpu_type
            except TypeError:  # this build has no such backend
                continue
            if hasattr(prefs, "refresh_devices"):
                prefs.refresh_devices()
            else:
                prefs.get_devices()
            devices = [d for d in prefs.devices if d.type == gpu_type]
            if not devices:
                continue
            chosen = devices[0]
            for d in prefs.devices:
                d.use = d.id == chosen.id
            _selected_gpu = {"index": int(index), "type": gpu_type, "name": chosen.name, "id": chosen.id}
            log("GPU %s: %s %s (%s)" % (index, gpu_type, chosen.name, chosen.id))
            return _selected_gpu
        prefs.compute_device_type = "NONE"
        log("BLENDERD_GPU_INDEX=%s but no %s device is visible; rendering on the CPU"
            % (index, wanted or "/".join(GPU_TYPES)))
    except Exception as exc:  # never fail start-up over a device
        log("cannot select GPU %s: %s" % (index, exc))
    return None


def ready_params(kind):
    build_hash = bpy.app.build_hash
    if isinstance(build_hash, bytes):
        build_hash = build_hash.decode("ascii", "replace")
    blender = {
        "version": "%d.%d.%d" % tuple(bpy.app.version),
        "version_tuple": list(bpy.app.version),
        "version_string": bpy.app.version_string,
    }
    if build_hash and build_hash != "unknown":
        blender["build_hash"] = build_hash
    params = {
        "protocol": PROTOCOL_VERSION,
        "kind": kind,
        "headless": bool(bpy.app.background),
        "pid": os.getpid(),
        "blender": blender,
        "python": platform.python_version(),
        "engines": render_engines(),
        "devices": cycles_devices(),
        "startup_ms": process_age_ms(),
    }
    if os.environ.get("BLENDERD_GPU_INDEX") is not None and bpy.app.background:
        params["gpu"] = _selected_gpu  # null: pinned, but the device could not be enabled
    return params


def ping(params):
    return {}


def reset(params):
    """Empty scene, preferences untouched.

    read_homefile(use_factory_startup=True, use_empty=True) takes ~5 ms on
    3.4 and 4.4; read_factory_settings(use_empty=True) also resets the
    preferences, which re-registers every add-on (50-95 ms) and would drop
    Cycles device settings. Both leave one empty "Scene" with factory render
    settings; data from the script (objects, meshes, images, texts, orphans,
    non-persistent handlers) is gone either way.
    """
    Params(params)
    start = time.perf_counter()
    result = bpy.ops.wm.read_homefile(use_factory_startup=True, use_empty=True)
    duration = (time.perf_counter() - start) * 1000
    if "FINISHED" not in result:
        raise RpcError(errors.INTERNAL_ERROR, "read_homefile returned %s" % sorted(result))
    return {"duration_ms": round(duration, 3)}


def shutdown(params):
    raise Stop({})
