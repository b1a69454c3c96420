"""render.views: N orbit views (or given cameras) of the current scene, each
written to a file and announced the moment it exists.

The decisions (engine id, device, denoise, camera placement, file names) are
pure and live in `blenderd.render`; this module applies them to Blender and
undoes everything afterwards: temporary cameras, light and world, and every
render setting it touched, also when a render fails midway (try/finally).

Progress in background mode. `bpy.app.timers` never fire there, and the
render operator blocks the main thread. But `bpy.ops` calls release the GIL
("so operators called can spawn threads which acquire the GIL", bpy_operator),
so a Python thread keeps running during `bpy.ops.render.render`, on 3.4 and
4.4 and for Cycles, EEVEE and Workbench alike (measured: a 250 ms ticker
never missed a beat during 5-60 s renders). That thread sends
`render.progress` every `progress_interval` (0.5 s) from elapsed time; the
channel's send lock keeps frames whole. Samples come from the
`render_stats` handler, which Blender calls on its render thread: 4.x passes
the stats line ("... | Sample 80/256", "Rendering 1 / 16 samples"), 3.x
passes nothing, so 3.4's progress has elapsed time only. Cycles updates its
sample count rarely in background mode (1 -> 80 of 256 in one step after 4 s
on bpy 4.4), which is why elapsed time, not the stats line, drives the ticks.
"""

import contextlib
import math
import os
import threading
import time

import bpy
import mathutils

from ..render import images, options, orbit
from ..rpc import errors
from ..rpc.errors import RpcError
from .. import serve
from ..serve import log
from . import lifecycle
from .render_break import render_break
from .scene import GEOMETRY_TYPES

TEMP_NAME = "blenderd_render"
# A grey that reads as "neutral studio": bright enough to light the sides the
# sun misses, dark enough that a default grey material stands out from it.
WORLD_COLOR = (0.08, 0.08, 0.08, 1.0)
SUN_STRENGTH = 4.0
GPU_NODES = ("/dev/dri", "/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")


def _ms(start):
    return round((time.perf_counter() - start) * 1000, 3)


def cancelled(stage, done, total):
    """-32006 for a render SIGINT stopped (request.cancel, job.cancel, a client that left):
    `stage` says where ("between views", "mid-view"), `done` how many images were announced."""
    data = {"reason": "interrupted", "stage": stage}
    if done is not None:
        data["done"] = done
        data["total"] = total
    return RpcError(errors.CANCELLED, "interrupted", data)


def render_error(reason, engine, index=None):
    data = {"reason": reason, "engine": engine}
    if index is not None:
        data["index"] = index
    return RpcError(errors.RENDER_ERROR, "Render error", data)


class Undo:
    """What a render changed, to put back: attribute values (restored in the
    order they were saved: image_settings.file_format before color_mode, which
    a format change resets) and cleanups (temporary datablocks), run last."""

    def __init__(self):
        self._saved = []
        self._keys = set()
        self._cleanups = []

    def save(self, struct, *attrs):
        for attr in attrs:
            key = (struct.as_pointer(), attr)
            if key in self._keys or not hasattr(struct, attr):
                continue  # first value wins; a setting this Blender lacks is skipped
            self._keys.add(key)
            self._saved.append((struct, attr, getattr(struct, attr)))

    def set(self, struct, attr, value):
        self.save(struct, attr)
        if hasattr(struct, attr):
            setattr(struct, attr, value)

    def on_exit(self, fn, *args):
        self._cleanups.append((fn, args))

    def restore(self):
        for struct, attr, value in self._saved:
            try:
                if getattr(struct, attr) != value:
                    setattr(struct, attr, value)
            except Exception as exc:  # keep restoring the rest
                log("render: cannot restore %s.%s: %s" % (type(struct).__name__, attr, exc))
        for fn, args in reversed(self._cleanups):
            try:
                fn(*args)
            except Exception as exc:
                log("render: cleanup %s failed: %s" % (getattr(fn, "__name__", fn), exc))
        if self._cleanups:
            # Objects removed after a render leave None entries in view_layer.objects until the
            # view layer is synced again; an exporter walking it then fails or crashes Blender
            # (glTF on bpy 4.4 segfaulted on a render.views → scene.export sequence).
            try:
                bpy.context.view_layer.update()
            except Exception as exc:
                log("render: cannot resync the view layer: %s" % exc)


class Progress:
    """render.progress notifications: one when a view starts, then one every
    `interval` seconds from a thread while it renders (see the module doc)."""

    def __init__(self, notify, count, pass_, samples_total, interval):
        self.notify = notify
        self.count = count
        self.pass_ = pass_
        self.samples_total = samples_total
        self.interval = interval
        self.sent = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._current = None
        self._stats = {}
        self._thread = None
        self._broken = False

    def start_view(self, index, position):
        with self._lock:
            self._current = {"index": index, "view": position, "started": time.perf_counter()}
            self._stats = {}
        self._send()
        if self._thread is None and self.notify is not None:
            self._thread = threading.Thread(target=self._run, name="blenderd-render-progress", daemon=True)
            self._thread.start()

    def end_view(self):
        with self._lock:
            self._current = None

    def on_stats(self, *args):
        # Called on Blender's render thread (Cycles) or the main thread; keep it tiny.
        text = args[0] if args and isinstance(args[0], str) else None
        parsed = options.parse_stats(text)
        if parsed:
            with self._lock:
                self._stats.update(parsed)

    def _run(self):
        while not self._stop.wait(self.interval):
            self._send()

    # What the notification calls the current view; render.frames speaks of frames instead.
    label = "render"

    def _params(self, current):
        return {"index": current["index"], "view": current["view"], "views": self.count,
                "pass": self.pass_, "elapsed_ms": _ms(current["started"])}

    def _send(self):
        if self.notify is None or self._broken:
            return
        with self._lock:
            current = self._current
            if current is None:
                return
            params = self._params(current)
            if self.samples_total is not None:
                params["samples_total"] = self.samples_total
            params.update(self._stats)
        try:
            self.notify("render.progress", params)
            self.sent += 1
        except Exception as exc:  # the daemon went away: the reply will fail too
            self._broken = True
            log("%s: progress notification failed: %s" % (self.label, exc))

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _render_result_images():
    return {img.as_pointer() for img in bpy.data.images if img.type == "RENDER_RESULT"}


def _remove_new_render_results(before):
    # The render creates the "Render Result" image: not the user's data. (3.4 logs
    # "Deleting IMRender Result which still has 1 users" for it after a file load:
    # a user-count check made after every reference was cleared, not a dangling one.)
    for img in list(bpy.data.images):
        if img.type == "RENDER_RESULT" and img.as_pointer() not in before:
            bpy.data.images.remove(img)


@contextlib.contextmanager
def rendering(progress, undo):
    """What every render call (render.views, render.frames) runs inside: `progress` fed by
    render_stats, SIGINT able to break Blender's render (render_break), and afterwards, however
    it ended, the handler removed, the scene put back (`undo`) and the Render Result images the
    render made removed."""
    results_before = _render_result_images()
    bpy.app.handlers.render_stats.append(progress.on_stats)
    try:
        with serve.cooperative(render_break.request):
            yield
    finally:
        render_break.clear()
        progress.stop()
        try:
            bpy.app.handlers.render_stats.remove(progress.on_stats)
        except ValueError:
            pass
        undo.restore()
        _remove_new_render_results(results_before)


def renderable_points(scene):
    """World-space bound-box corners of everything that renders: geometry
    objects (cameras, lights and empties have no extent worth framing), their
    evaluated geometry (modifiers applied) and instances (collection instances,
    geometry-node and particle instances), skipping hide_render objects."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    points = []
    for inst in depsgraph.object_instances:
        ob = inst.object
        if ob.type not in GEOMETRY_TYPES:
            continue
        original = ob.original if ob.original is not None else ob
        if original.hide_render or (inst.is_instance and inst.parent and inst.parent.original.hide_render):
            continue
        if ob.type == "MESH" and len(ob.data.vertices) == 0:
            continue
        matrix = inst.matrix_world.copy()
        points.extend(tuple(matrix @ mathutils.Vector(c)) for c in ob.bound_box)
    return points


def _has_lights(scene):
    return any(ob.type == "LIGHT" and not ob.hide_render for ob in scene.objects)


def _oidn_available():
    try:
        import _cycles
    except ImportError:
        return False
    return bool(getattr(_cycles, "with_openimagedenoise", False))


_gl_probe = None  # (ok, reason), once per process


def gl_context_available():
    """(ok, reason): can this process make the OpenGL context EEVEE and Workbench
    render with? Without one Blender does not fail the render, it aborts the whole
    process (libepoxy: "Couldn't find current GLX or EGL context", SIGABRT, on 3.4
    and 4.4), so ask EGL first, the way Blender's headless GHOST does: the default
    display, else Mesa's surfaceless platform (what works here without X or a GPU).
    With an X or Wayland display Blender may use that instead: trusted as is."""
    global _gl_probe
    if _gl_probe is not None:
        return _gl_probe
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        _gl_probe = (True, None)
        return _gl_probe
    import ctypes  # the worker's own call, outside script.exec: the audit hook does not judge it

    try:
        egl = ctypes.CDLL("libEGL.so.1")
    except OSError as exc:
        _gl_probe = (False, "libEGL.so.1 cannot be loaded (%s)" % exc)
        return _gl_probe
    egl.eglGetDisplay.restype = ctypes.c_void_p
    egl.eglGetDisplay.argtypes = [ctypes.c_void_p]
    egl.eglInitialize.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    egl.eglTerminate.argtypes = [ctypes.c_void_p]
    egl.eglGetProcAddress.restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    getters = [lambda: egl.eglGetDisplay(None)]
    platform_display = egl.eglGetProcAddress(b"eglGetPlatformDisplayEXT")
    if platform_display:
        get = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p)(platform_display)
        getters.append(lambda: get(0x31DD, None, None))  # EGL_PLATFORM_SURFACELESS_MESA
    for getter in getters:
        display = getter()
        if not display:
            continue
        major, minor = ctypes.c_int(), ctypes.c_int()
        if egl.eglInitialize(display, ctypes.byref(major), ctypes.byref(minor)):
            egl.eglTerminate(display)  # Blender initializes it again for itself
            _gl_probe = (True, None)
            return _gl_probe
    _gl_probe = (False, "EGL has no display to initialize (no EGL vendor library, no GPU driver, "
                        "no Mesa surfaceless platform) and there is no X or Wayland display")
    return _gl_probe


def _gpu_backend():
    return getattr(bpy.context.preferences.system, "gpu_backend", None) or "OPENGL"


class Renderer:
    """render.views for one worker; `workspace` (None: no sandbox) bounds the
    output directory, `notify(method, params)` sends on the worker's channel
    (None: no progress, as for an attached GUI)."""

    def __init__(self, workspace=None, notify=None):
        self.workspace = workspace
        self.notify = notify
        self._devices = None

    def devices(self):
        # The same probe as worker.ready's `devices`, once per process.
        if self._devices is None:
            self._devices = lifecycle.cycles_devices()
        return self._devices

    def _send(self, method, params):
        if self.notify is not None:
            self.notify(method, params)

    def render_views(self, params):
        start = time.perf_counter()
        req = options.RenderRequest(params, self.workspace)
        scene = bpy.context.scene
        engine = options.engine_id(req.engine, lifecycle.render_engines())
        device = options.choose_device(engine, req.device, self.devices(),
                                       any(os.path.exists(p) for p in GPU_NODES), _gpu_backend())
        denoise = options.denoise_decision(engine, req.denoise, engine == "CYCLES" and _oidn_available())
        pinned = getattr(lifecycle, "_selected_gpu", None)
        if device["gpu"] and engine == "CYCLES" and pinned is not None:
            # The daemon pinned this worker to one GPU: name it by the driver's index.
            device = dict(device, type=pinned["type"], ids=[pinned["id"]],
                          label=options.gpu_label(pinned["type"], [pinned["index"]]))
        notes = list(device["notes"])
        samples = req.samples if req.samples is not None else options.default_samples(engine)
        if engine == "BLENDER_WORKBENCH":
            if req.samples is not None:
                notes.append("samples apply to Cycles and EEVEE; Workbench uses its anti-aliasing setting")
            samples = None
        if req.transparent and req.format == "JPEG":
            notes.append("JPEG has no alpha: transparent pixels are written black")

        if engine in options.RASTER_ENGINES:
            ok, why = gl_context_available()
            if not ok:
                raise RpcError(errors.RENDER_ERROR, "Render error", {
                    "reason": "%s needs an OpenGL context and none can be made here: %s" % (engine, why),
                    "engine": engine, "images": [],
                    "hint": "render with engine CYCLES, or give the worker a GPU driver or Mesa's EGL "
                            "(Debian: libegl-mesa0)"})
        if req.cameras is not None:
            specs = self._camera_views(scene, req)
        else:
            points = renderable_points(scene)
            if not points:
                raise RpcError(errors.INVALID_PARAMS, "nothing to render: the scene has no visible geometry",
                               {"reason": "nothing to render", "param": "views",
                                "detail": "no mesh, curve, text, metaball or volume object renders in scene %r"
                                          % scene.name})
            center, radius = orbit.bounding_sphere(points)
            specs = orbit.orbit_views(center, radius, req.views, req.width, req.height, req.elevation_deg,
                                      req.azimuth_deg, lens=req.lens, margin=req.margin)
        indices = options.select_indices(req.indices, len(specs))
        try:
            os.makedirs(req.output_dir, exist_ok=True)
        except OSError as exc:
            raise RpcError(errors.INVALID_PARAMS, "cannot create output_dir %s: %s" % (req.output_dir, exc.strerror),
                           {"param": "output_dir", "reason": str(exc)}) from None
        lifecycle.ensure_tempdir()

        undo = Undo()
        progress = Progress(self.notify, len(indices), req.pass_, samples, req.progress_interval)
        images_out = []
        added = {"light": False, "world": False}
        try:
            with rendering(progress, undo):
                self._render_views(scene, req, engine, device, denoise, samples, undo, added, specs, indices,
                                   progress, images_out)
        except RpcError as exc:
            if exc.code == errors.RENDER_ERROR and isinstance(exc.data, dict):
                exc.data["images"] = [im["path"] for im in images_out]  # the views that did finish
            raise
        result = {
            "images": images_out, "engine": engine, "device": device["label"], "denoise": denoise,
            "duration_ms": _ms(start), "added": added, "views": len(specs), "indices": indices,
            "pass": req.pass_, "resolution": [req.width, req.height], "format": req.format,
            "samples": samples, "notes": notes, "progress_notifications": progress.sent,
        }
        return result

    def _render_views(self, scene, req, engine, device, denoise, samples, undo, added, specs, indices, progress,
                      images_out):
        """The views, one by one; SIGINT (request.cancel) stops them before the next view,
        or mid-view where `render_break` can break Blender's render."""
        camera = self._prepare(scene, req, engine, device, denoise, samples, undo, added, specs)
        for position, index in enumerate(indices, 1):
            if serve.interrupted():
                raise cancelled("between views", len(images_out), len(indices))
            spec = specs[index]
            if "camera" in spec:
                scene.camera = scene.objects[spec["camera"]]
            else:
                self._place(camera, spec)
                scene.camera = camera
            path = os.path.join(req.output_dir, req.file_name(index))
            view_start = time.perf_counter()
            progress.start_view(index, position)
            try:
                self._render_one(scene, path, engine, index)
            finally:
                progress.end_view()
            image = self._describe(path, req, engine, device["label"], spec, index, position,
                                   len(indices), _ms(view_start))
            images_out.append(image)
            self._send("render.image", image)

    # -- views -------------------------------------------------------------------

    def _camera_views(self, scene, req):
        """`cameras`: named camera objects, and orbit views from their parameters (a missing
        target or distance is taken from the scene's bounds, as for `views`)."""
        names = [c for c in req.cameras if isinstance(c, str)]
        unknown = [n for n in names if n not in scene.objects or scene.objects[n].type != "CAMERA"]
        if unknown:
            available = sorted(o.name for o in scene.objects if o.type == "CAMERA")
            raise RpcError(errors.INVALID_PARAMS, "no camera object named %s in scene %r"
                           % (", ".join(repr(n) for n in unknown), scene.name),
                           {"param": "cameras", "unknown": unknown, "available": available})
        bounds = None
        specs = []
        for index, entry in enumerate(req.cameras):
            if isinstance(entry, str):
                specs.append({"index": index, "camera": entry})
                continue
            if bounds is None:
                points = renderable_points(scene)
                bounds = orbit.bounding_sphere(points) if points else False
            if bounds is False and ("target" not in entry or "distance" not in entry):
                raise RpcError(errors.INVALID_PARAMS, "nothing to frame: the scene has no visible geometry",
                               {"reason": "nothing to render", "param": "cameras[%d]" % index,
                                "detail": "give this orbit view its target and distance"})
            center, radius = bounds if bounds else (entry["target"], 0.0)
            target = entry.get("target", center)
            lens = entry.get("lens", req.lens)
            distance = entry.get("distance")
            if distance is None:
                distance = orbit.fit_distance(radius, req.width, req.height, lens, margin=req.margin)
            if bounds:
                # What must not be clipped: the whole scene, seen from wherever the target is.
                radius = radius + math.dist(center, target)
            specs.append(orbit.orbit_view(index, target, radius, entry["azimuth_deg"], entry["elevation_deg"],
                                          distance, lens))
        return specs

    def _place(self, camera, spec):
        camera.location = spec["location"]
        camera.rotation_euler = spec["rotation_euler"]
        cam = camera.data
        cam.lens = spec["lens"]
        cam.clip_start = spec["clip_start"]
        cam.clip_end = spec["clip_end"]

    # -- settings ----------------------------------------------------------------

    def _prepare(self, scene, req, engine, device, denoise, samples, undo, added, specs):
        """Apply the render settings (saving the old ones) and add what the
        render needs; returns the temporary orbit camera (None when every view is a named camera)."""
        render = scene.render
        image_settings = render.image_settings
        undo.save(scene, "camera", "world")
        # Saved before any is set: changing file_format silently changes color_mode/depth.
        undo.save(image_settings, "file_format", "color_mode", "color_depth", "quality", "compression",
                  "exr_codec")
        undo.set(render, "engine", engine)
        undo.set(render, "resolution_x", req.width)
        undo.set(render, "resolution_y", req.height)
        undo.set(render, "resolution_percentage", 100)
        undo.set(render, "pixel_aspect_x", 1.0)
        undo.set(render, "pixel_aspect_y", 1.0)
        undo.set(render, "film_transparent", req.transparent)
        undo.set(render, "use_border", False)
        # A view of the asset, not the user's compositing or edit: no compositor,
        # no sequencer strips, the active view layer only.
        undo.set(render, "use_compositing", False)
        undo.set(render, "use_sequencer", False)
        undo.set(render, "use_single_layer", True)
        image_settings.file_format = req.file_format
        if req.format == "JPEG":
            image_settings.color_mode = "RGB"
            image_settings.quality = 90
        else:
            image_settings.color_mode = "RGBA" if req.transparent else "RGB"
            image_settings.color_depth = "16" if req.format == "EXR" else "8"
        if req.format == "EXR":
            image_settings.exr_codec = "ZIP"
        if engine == "CYCLES":
            cycles = scene.cycles
            undo.save(cycles, "samples", "seed", "use_denoising", "denoiser", "device")
            cycles.samples = samples
            if req.seed is not None:
                cycles.seed = req.seed
            # Always set, never left as the scene had it: factory scenes have it on, and a
            # Cycles without OpenImageDenoise fails the render (3.4 then crashed on a later load).
            cycles.use_denoising = bool(denoise["applied"])
            if denoise["applied"]:
                cycles.denoiser = denoise["denoiser"]
            self._select_device(scene, device, undo)
        elif engine in ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):
            undo.set(scene.eevee, "taa_render_samples", samples)

        if not _has_lights(scene):
            light = bpy.data.lights.new(TEMP_NAME + "_sun", "SUN")
            light.energy = SUN_STRENGTH
            light.angle = 0.2  # soft-ish shadows
            sun = bpy.data.objects.new(TEMP_NAME + "_sun", light)
            # From above, over the first view's shoulder, so its first image is lit from the front.
            first_az = req.azimuth_deg if req.cameras is None else 45.0
            sun.rotation_euler = orbit.look_at_euler(math.radians(first_az + 35.0), math.radians(55.0))
            scene.collection.objects.link(sun)
            undo.on_exit(self._remove_object, sun, bpy.data.lights)
            added["light"] = True
        if scene.world is None or not scene.world.use_nodes:
            world = bpy.data.worlds.new(TEMP_NAME + "_world")
            world.use_nodes = True
            background = next((n for n in world.node_tree.nodes if n.type == "BACKGROUND"), None)
            if background is not None:
                background.inputs["Color"].default_value = WORLD_COLOR
                background.inputs["Strength"].default_value = 1.0
            world.color = WORLD_COLOR[:3]  # Workbench and EEVEE's viewport-colour fallback
            scene.world = world
            undo.on_exit(bpy.data.worlds.remove, world)
            added["world"] = True
        orbits = [spec for spec in specs if "camera" not in spec]
        if not orbits:
            return None  # the scene's own cameras only
        cam_data = bpy.data.cameras.new(TEMP_NAME + "_camera")
        cam_data.sensor_fit = "AUTO"
        cam_data.sensor_width = orbits[0]["sensor_width"]
        camera = bpy.data.objects.new(TEMP_NAME + "_camera", cam_data)
        camera.rotation_mode = "XYZ"
        scene.collection.objects.link(camera)
        undo.on_exit(self._remove_object, camera, bpy.data.cameras)
        return camera

    @staticmethod
    def _remove_object(ob, data_collection):
        data = ob.data
        bpy.data.objects.remove(ob, do_unlink=True)
        if data is not None and data.users == 0:
            data_collection.remove(data)

    def _select_device(self, scene, device, undo):
        cycles = scene.cycles
        if not device["gpu"]:
            cycles.device = "CPU"
            return
        # A worker the daemon pinned to a GPU has its preferences set already
        # (lifecycle.select_gpu); otherwise enable the chosen type's devices for
        # this render and put the preferences back afterwards.
        if getattr(lifecycle, "_selected_gpu", None) is None:
            prefs = bpy.context.preferences.addons["cycles"].preferences
            undo.set(prefs, "compute_device_type", device["type"])
            if hasattr(prefs, "refresh_devices"):
                prefs.refresh_devices()
            else:
                prefs.get_devices()
            for d in prefs.devices:
                undo.set(d, "use", d.id in device["ids"])
        cycles.device = "GPU"

    # -- one view ----------------------------------------------------------------

    def _render_one(self, scene, path, engine, index):
        try:
            outcome = bpy.ops.render.render(write_still=False)
        except RuntimeError as exc:
            if serve.interrupted():
                raise cancelled("mid-view", None, None) from None
            raise render_error(str(exc).strip() or "render failed", engine, index) from None
        if serve.interrupted():
            # Broken off mid-view (CANCELLED), or finished just as SIGINT came: either way the
            # caller asked to stop, and a half-rendered image is not announced.
            raise cancelled("mid-view" if "FINISHED" not in outcome else "between views", None, None)
        if "FINISHED" not in outcome:
            raise render_error("the render operator returned %s" % sorted(outcome), engine, index)
        result = next((img for img in bpy.data.images if img.type == "RENDER_RESULT"), None)
        if result is None:
            raise render_error("no Render Result after rendering", engine, index)
        try:
            # save_render, not write_still: it writes exactly `path` (write_still would
            # expand '#' in the directory to frame numbers) with the scene's output settings.
            result.save_render(filepath=path, scene=scene)
        except RuntimeError as exc:
            raise render_error("cannot write %s: %s" % (path, str(exc).strip()), engine, index) from None
        if not os.path.isfile(path):
            raise render_error("Blender wrote no file at %s" % path, engine, index)

    def _describe(self, path, req, engine, device, spec, index, position, count, duration):
        try:
            header = images.read_header(path)
        except (OSError, images.ImageError) as exc:
            raise render_error("the written file is not a readable %s image: %s" % (req.format, exc),
                               engine, index) from None
        image = {"index": index, "view": position, "views": count, "path": path,
                 "width": header["width"], "height": header["height"], "mime": req.mime,
                 "engine": engine, "device": device, "duration_ms": duration,
                 "bytes": os.path.getsize(path), "pass": req.pass_}
        if "camera" in spec:
            image["camera"] = spec["camera"]
        else:
            image["camera"] = "orbit-%d" % index
            image["orbit"] = {
                "azimuth_deg": round(spec["azimuth_deg"], 6), "elevation_deg": round(spec["elevation_deg"], 6),
                "distance": round(spec["distance"], 6), "lens": spec["lens"],
                "location": [round(v, 6) for v in spec["location"]],
                "rotation_euler": [round(v, 6) for v in spec["rotation_euler"]],
                "target": [round(v, 6) for v in spec["target"]],
            }
        return image
