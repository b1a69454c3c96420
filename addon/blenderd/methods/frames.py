"""render.frames: frames of the current scene's animation, rendered with the
scene's camera, each written to a file and announced the moment it exists.
The daemon's farm jobs (job.submit) send one call per chunk of frames.

Unlike render.views this renders the user's shot as it is: no orbit cameras,
no added light or world, the scene's compositing and view layers. It changes
only what the call asks for (engine, samples, resolution, output format, the
camera), the current frame, and denoising where this Cycles lacks
OpenImageDenoise (a render with it on would fail); everything is put back in a
`finally`, as render.views does, with the same `Undo`.

Progress is render.views' approach (methods/render.py, module doc): a thread
sends `render.progress` every `progress_interval` while the render operator
blocks the main thread, which `bpy.ops` lets it do by releasing the GIL.
"""

import os
import time

import bpy

from .. import serve
from ..render import images, options
from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from . import lifecycle
from .render import (GPU_NODES, Progress, Renderer, Undo, _gpu_backend, _oidn_available, cancelled,
                     gl_context_available, rendering)

MAX_FRAME = 1048574  # Blender's MAXFRAME
MAX_FRAMES_PER_CALL = 10000


def _ms(start):
    return round((time.perf_counter() - start) * 1000, 3)


def _bad(param, message, **data):
    data["param"] = param
    return RpcError(errors.INVALID_PARAMS, message, data)


def frame_file_name(frame, extension):
    """frame-0007.png: zero-padded so a directory listing sorts in frame order."""
    return "frame-%04d.%s" % (frame, extension)


class FramesRequest:
    """render.frames params, validated."""

    def __init__(self, params, workspace=None):
        p = Params(params)
        raw = p.raw
        frames = raw.get("frames")
        if (not isinstance(frames, list) or not frames or len(frames) > MAX_FRAMES_PER_CALL
                or not all(isinstance(f, int) and not isinstance(f, bool) and -MAX_FRAME <= f <= MAX_FRAME
                           for f in frames)):
            raise _bad("frames", "param 'frames' must be a non-empty list of at most %d frame numbers (integers, "
                                 "|frame| <= %d)" % (MAX_FRAMES_PER_CALL, MAX_FRAME))
        self.frames = list(dict.fromkeys(frames))  # duplicates dropped, order kept
        res = raw.get("resolution")
        if res is not None and (
                not isinstance(res, list) or len(res) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in res)
                or not all(options.MIN_SIZE <= v <= options.MAX_SIZE for v in res)):
            raise _bad("resolution", "param 'resolution' must be [width, height], each %d..%d pixels"
                       % (options.MIN_SIZE, options.MAX_SIZE))
        self.resolution = res
        engine = p.str("engine")
        if engine is not None:
            engine = engine.upper()
            if engine not in options.ENGINES and engine not in options.ENGINE_IDS:
                raise _bad("engine", "param 'engine' must be one of %s, not %r"
                           % (", ".join(options.ENGINES), raw.get("engine")), allowed=list(options.ENGINES))
        self.engine = engine
        self.samples = p.int("samples", None, minimum=1, maximum=1 << 16)
        fmt = p.str("format", "PNG").upper()
        if fmt not in options.FORMATS:
            raise _bad("format", "param 'format' must be one of %s, not %r" % (", ".join(options.FORMATS), fmt),
                       allowed=list(options.FORMATS))
        self.format = fmt
        self.camera = p.str("camera")
        if self.camera is not None and not self.camera:
            raise _bad("camera", "param 'camera' must be a camera object's name")
        interval = raw.get("progress_interval", 0.5)
        if (isinstance(interval, bool) or not isinstance(interval, (int, float))
                or not 0.05 <= interval <= 1.0):
            raise _bad("progress_interval", "param 'progress_interval' must be a number in [0.05, 1] seconds")
        self.progress_interval = float(interval)
        self.output_dir = options.check_path(p.str("output_dir", required=True), workspace, "output_dir")

    @property
    def extension(self):
        return options.FORMATS[self.format][1]

    @property
    def mime(self):
        return options.FORMATS[self.format][2]


class FrameProgress(Progress):
    """render.views' Progress, speaking of frames: `{frame, position, frames,
    elapsed_ms, samples_total?, samples_done?, stage?}`."""

    label = "render.frames"

    def _params(self, current):
        return {"frame": current["index"], "position": current["view"], "frames": self.count,
                "elapsed_ms": _ms(current["started"])}


class FrameRenderer:
    """render.frames for one worker; `workspace` (None: no sandbox) bounds the
    output directory, `notify(method, params)` sends on the worker's channel."""

    def __init__(self, workspace=None, notify=None, views=None):
        self.workspace = workspace
        self.notify = notify
        # render.views' renderer: its device probe and selection, its one-view render.
        self.views = views or Renderer(workspace, notify)

    def render_frames(self, params):
        start = time.perf_counter()
        req = FramesRequest(params, self.workspace)
        scene = bpy.context.scene
        camera = self._camera(scene, req.camera)
        engine = options.engine_id(req.engine, lifecycle.render_engines()) if req.engine else scene.render.engine
        notes = []
        if engine in options.RASTER_ENGINES:
            ok, why = gl_context_available()
            if not ok:
                raise RpcError(errors.RENDER_ERROR, "Render error", {
                    "reason": "%s needs an OpenGL context and none can be made here: %s" % (engine, why),
                    "engine": engine, "frames": [],
                    "hint": "render with engine CYCLES, or give the worker a GPU driver or Mesa's EGL "
                            "(Debian: libegl-mesa0)"})
        device = options.choose_device(engine, "auto", self.views.devices(),
                                       any(os.path.exists(p) for p in GPU_NODES), _gpu_backend())
        samples = req.samples
        if samples is not None and engine not in ("CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):
            notes.append("samples apply to Cycles and EEVEE; %s ignores them" % engine)
            samples = None
        try:
            os.makedirs(req.output_dir, exist_ok=True)
        except OSError as exc:
            raise _bad("output_dir", "cannot create output_dir %s: %s" % (req.output_dir, exc.strerror),
                       reason=str(exc)) from None
        lifecycle.ensure_tempdir()

        undo = Undo()
        progress = FrameProgress(self.notify, len(req.frames), "final", samples, req.progress_interval)
        done = []
        try:
            with rendering(progress, undo):
                self._prepare(scene, req, engine, device, samples, camera, undo)
                for position, frame in enumerate(req.frames, 1):
                    if serve.interrupted():
                        raise cancelled("between frames", len(done), len(req.frames))
                    path = os.path.join(req.output_dir, frame_file_name(frame, req.extension))
                    frame_start = time.perf_counter()
                    scene.frame_set(frame)
                    progress.start_view(frame, position)
                    try:
                        self.views._render_one(scene, path, engine, frame)
                    except RpcError as exc:
                        if isinstance(exc.data, dict) and "index" in exc.data:
                            exc.data["frame"] = exc.data.pop("index")
                        raise
                    finally:
                        progress.end_view()
                    described = self._describe(path, req, engine, frame, _ms(frame_start))
                    done.append(described)
                    if self.notify is not None:
                        self.notify("render.frame", described)
        except RpcError as exc:
            if exc.code == errors.RENDER_ERROR and isinstance(exc.data, dict):
                exc.data["frames"] = [f["frame"] for f in done]  # announced, and on disk
            raise
        render = scene.render
        return {
            "frames": done, "duration_ms": _ms(start), "engine": engine, "device": device["label"],
            "camera": camera.name, "format": req.format, "samples": samples,
            "resolution": [done[0]["width"], done[0]["height"]] if done else [render.resolution_x, render.resolution_y],
            "notes": notes + list(device["notes"]), "progress_notifications": progress.sent,
        }

    @staticmethod
    def _camera(scene, name):
        cameras = sorted(o.name for o in scene.objects if o.type == "CAMERA")
        if name is not None:
            ob = scene.objects.get(name)
            if ob is None or ob.type != "CAMERA":
                raise _bad("camera", "no camera object named %r in scene %r" % (name, scene.name),
                           unknown=[name], available=cameras)
            return ob
        if scene.camera is None:
            raise _bad("camera", "scene %r has no camera: set scene.camera, or name one with 'camera'" % scene.name,
                       reason="no camera", available=cameras)
        return scene.camera

    def _prepare(self, scene, req, engine, device, samples, camera, undo):
        render = scene.render
        image_settings = render.image_settings
        current = scene.frame_current
        subframe = scene.frame_subframe
        # frame_set, not frame_current: it evaluates the animation back to where it was.
        undo.on_exit(lambda: scene.frame_set(current, subframe=subframe))
        undo.set(scene, "camera", camera)
        # Saved before any is set: changing file_format silently changes color_mode/depth.
        undo.save(image_settings, "file_format", "color_mode", "color_depth", "quality", "compression",
                  "exr_codec")
        if engine != render.engine:
            undo.set(render, "engine", engine)
        if req.resolution is not None:
            undo.set(render, "resolution_x", req.resolution[0])
            undo.set(render, "resolution_y", req.resolution[1])
            undo.set(render, "resolution_percentage", 100)
        image_settings.file_format = options.FORMATS[req.format][0]
        alpha = render.film_transparent and req.format != "JPEG"
        image_settings.color_mode = "RGBA" if alpha else "RGB"
        if req.format == "JPEG":
            image_settings.quality = 90
        else:
            image_settings.color_depth = "16" if req.format == "EXR" else "8"
        if req.format == "EXR":
            image_settings.exr_codec = "ZIP"
        if engine == "CYCLES":
            cycles = scene.cycles
            undo.save(cycles, "samples", "use_denoising", "device")
            if samples is not None:
                cycles.samples = samples
            if not _oidn_available():
                # A Cycles without OpenImageDenoise fails a render with denoising on
                # (factory scenes have it on); 3.4 was seen to crash on a later load after that.
                cycles.use_denoising = False
            self.views._select_device(scene, device, undo)
        elif engine in ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT") and samples is not None:
            undo.set(scene.eevee, "taa_render_samples", samples)

    @staticmethod
    def _describe(path, req, engine, frame, duration):
        try:
            header = images.read_header(path)
        except (OSError, images.ImageError) as exc:
            raise RpcError(errors.RENDER_ERROR, "Render error", {
                "reason": "the written file is not a readable %s image: %s" % (req.format, exc),
                "engine": engine, "frame": frame}) from None
        return {"frame": frame, "path": path, "width": header["width"], "height": header["height"],
                "mime": req.mime, "bytes": os.path.getsize(path), "duration_ms": duration}
