"""worker.ready payload, ping, reset, shutdown."""

import os
import platform
import sys
import time

import bpy

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..script import hints
from ..serve import Stop, log

PROTOCOL_VERSION = 1
# Blender's temp dir, in the session directory when /tmp is not writable.
TEMP_SUBDIR = ".blender-tmp"
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


def runtime_paths():
    """Directories this worker reads code and data from: Python's prefixes (the
    venv and the Python it was made from), Blender's resources, the add-on.
    Granted read-only besides the daemon's `read_only`, so a policy that forgot
    one cannot break a lazy import halfway through a session."""
    paths = [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # the add-on package
             os.path.dirname(os.path.realpath(bpy.app.binary_path)) if bpy.app.binary_path else None]
    for kind in ("LOCAL", "SYSTEM"):
        try:
            paths.append(bpy.utils.resource_path(kind))
        except Exception:
            pass
    out = []
    for p in paths:
        if p and p.startswith("/") and os.path.normpath(p) != "/":
            p = os.path.realpath(p)
            if os.path.exists(p) and p not in out:
                out.append(p)
    return out


def disable_autoexec():
    """Scripts embedded in .blend files (registered text blocks, Python drivers)
    must never run: the executable launcher starts Blender with -Y, which turns
    auto-run on. Setting the preference clears the global flag too (its RNA
    update does), and every load passes use_scripts=False on top."""
    filepaths = bpy.context.preferences.filepaths
    filepaths.use_scripts_auto_execute = True  # a real change, so the update runs
    filepaths.use_scripts_auto_execute = False


def headless_preferences():
    """Preferences of a headless worker (never saved: background Blender does not
    write preferences at exit). No preview image in saved .blend files: in
    background Blender renders it from the scene camera and also writes a
    freedesktop thumbnail under ~/.cache, which checkpoints must not pay for."""
    bpy.context.preferences.filepaths.file_preview_type = "NONE"
    # GPU subdivision leaves a final Subdivision Surface modifier to the GPU once a GPU
    # context exists, which the first EEVEE or Workbench render creates: afterwards the
    # evaluated mesh (scene.info's bounds and counts, orbit framing) would lack it.
    # Nothing is drawn headless, so evaluate it on the CPU always.
    if hasattr(bpy.context.preferences.system, "use_gpu_subdivision"):
        bpy.context.preferences.system.use_gpu_subdivision = False
    disable_autoexec()


def enter_sandbox(config):
    """Confine this process per `config` (None: trusted). Returns the report."""
    from ..sandbox import confine
    from ..sandbox.config import within_any

    if config is None:
        return confine.trusted_report()
    # Scripts see the session directory as home and working directory, so
    # relative paths and "~" land where they may write.
    os.makedirs(config.workspace, exist_ok=True)
    os.chdir(config.workspace)
    os.environ["HOME"] = config.workspace
    writable = [os.path.realpath(p) for p in config.write_roots]
    tempdir = bpy.app.tempdir
    if tempdir and not within_any(os.path.dirname(os.path.realpath(tempdir.rstrip("/"))), writable):
        # Blender removes its temp dir at exit, which needs the right to delete
        # in its parent (/tmp): move it into the session directory instead of
        # granting that. The preference's update purges the old one.
        base = os.path.join(config.workspace, TEMP_SUBDIR)
        os.makedirs(base, exist_ok=True)
        bpy.context.preferences.filepaths.temporary_directory = base
        tempdir = bpy.app.tempdir
    tempdir = tempdir.rstrip("/") if tempdir else None
    if tempdir:
        import tempfile
        if not within_any(os.path.realpath(tempfile.gettempdir()), writable):
            # No writable /tmp (Landlock without bubblewrap): tempfile uses Blender's temp dir.
            tempfile.tempdir = tempdir
            os.environ["TMPDIR"] = tempdir
    gpu = os.environ.get("BLENDERD_GPU_INDEX") is not None
    return confine.confine(config, tempdir=tempdir, runtime_paths=runtime_paths(), gpu=gpu, log=log)


def ensure_tempdir():
    """Re-create Blender's temp dir if it is gone. When it lives in the session
    directory, the daemon empties that between leases of a warm instance, and
    Blender (renders, tempfile) would then fail to write there."""
    tempdir = bpy.app.tempdir
    if tempdir and not os.path.isdir(tempdir):
        try:
            os.makedirs(tempdir, mode=0o700, exist_ok=True)
        except OSError as exc:
            log("cannot re-create the temp dir %s: %s" % (tempdir, exc))


def ready_params(kind, sandbox=None):
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
    if sandbox is None:
        from ..sandbox import confine
        sandbox = confine.trusted_report("an attached GUI Blender: the artist's own session" if kind == "gui"
                                         else "no --sandbox: a trusted worker")
    params["sandbox"] = sandbox
    return params


def ping(params):
    return {}


def reset(params):
    """Empty scene, preferences untouched (except that script auto-run is
    switched off again, as at start-up).

    read_homefile(use_factory_startup=True, use_empty=True) takes ~5 ms on
    3.4 and 4.4; read_factory_settings(use_empty=True) also resets the
    preferences, which re-registers every add-on (50-95 ms) and would drop
    Cycles device settings. Both leave one empty "Scene" with factory render
    settings; data from the script (objects, meshes, images, texts, orphans,
    non-persistent handlers) is gone either way.
    """
    Params(params)
    ensure_tempdir()
    start = time.perf_counter()
    result = bpy.ops.wm.read_homefile(use_factory_startup=True, use_empty=True)
    duration = (time.perf_counter() - start) * 1000
    if "FINISHED" not in result:
        raise RpcError(errors.INTERNAL_ERROR, "read_homefile returned %s" % sorted(result))
    disable_autoexec()  # a script may have turned it on; the next session must not inherit that
    return {"duration_ms": round(duration, 3)}


def shutdown(params):
    raise Stop({})
