"""render.views: params, engine names, device and denoise decisions, file names,
and the render-stats lines Blender hands to `render_stats` handlers.

Everything here is decided without Blender: the bpy layer passes in what it
read from Blender (the engines it accepts, its Cycles devices, whether Cycles
has OpenImageDenoise) and applies the outcome.
"""

import math
import os
import re

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..sandbox.config import is_within, normalize

ENGINES = ("CYCLES", "EEVEE", "WORKBENCH")
# bpy engine ids a caller may also name directly
ENGINE_IDS = ("CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")
RASTER_ENGINES = ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")
DEVICES = ("cpu", "gpu", "auto")
PASSES = ("final", "preview")
DEFAULT_SAMPLES = {"CYCLES": 16, "BLENDER_EEVEE": 16, "BLENDER_EEVEE_NEXT": 16}
# format -> (Blender's image_settings.file_format, extension, MIME type)
FORMATS = {
    "PNG": ("PNG", "png", "image/png"),
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "EXR": ("OPEN_EXR", "exr", "image/x-exr"),
}
MAX_VIEWS = 64
MIN_SIZE, MAX_SIZE = 16, 8192
DEFAULT_RESOLUTION = (1920, 1080)  # scale 1.0 of LL3M's 1920x1080
# Same preference order as the worker's GPU pinning (methods/lifecycle.py):
# OptiX is CUDA plus RT cores.
GPU_TYPES = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")


def _bad(param, message, **data):
    data["param"] = param
    return RpcError(errors.INVALID_PARAMS, message, data)


def _number(raw, name, default, minimum=None, maximum=None):
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(name, "param %r must be a number" % name)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _bad(name, "param %r out of range [%s, %s]" % (name, minimum, maximum))
    return float(value)


def _choice(p, name, allowed, default, upper=True):
    value = p.str(name, default)
    key = value.upper() if upper else value.lower()
    if key not in allowed:
        raise _bad(name, "param %r must be one of %s, not %r" % (name, ", ".join(allowed), value),
                   allowed=list(allowed))
    return key


def str_list(raw, name):
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _bad(name, "param %r must be a non-empty list of names" % name)
    out = []
    for v in value:
        if v not in out:
            out.append(v)
    return out


def check_path(path, workspace, param):
    """An absolute, normalised path; with a sandbox (`workspace` set) it MUST lie
    in the workspace after resolving symlinks, as checkpoint.save's path does,
    so a daemon bug cannot make the worker write elsewhere."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise _bad(param, "param %r must be an absolute path" % param)
    path = normalize(path)
    if workspace is not None and not is_within(os.path.realpath(path), os.path.realpath(workspace)):
        raise _bad(param, "param %r must lie in the session directory %s" % (param, workspace),
                   workspace=workspace)
    return path


ORBIT_KEYS = ("azimuth_deg", "elevation_deg", "distance", "target", "lens", "location", "rotation_euler")


def camera_list(raw, name="cameras"):
    """`cameras`: camera object names (str) and orbit views (dicts: azimuth_deg,
    elevation_deg, optional distance, target, lens; what a render.image's `orbit`
    reports, whose derived location and rotation_euler are ignored), in order; a
    repeated name counts once."""
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_VIEWS:
        raise _bad(name, "param %r must be a list of 1 to %d camera names or orbit views" % (name, MAX_VIEWS))
    out = []
    for position, entry in enumerate(value):
        where = "%s[%d]" % (name, position)  # in messages; data.param stays the param's name
        if isinstance(entry, str):
            if not entry:
                raise _bad(name, "a camera name cannot be empty")
            if entry not in out:
                out.append(entry)
            continue
        if not isinstance(entry, dict):
            raise _bad(name, "%s must be a camera name or an orbit view {azimuth_deg, elevation_deg, ...}" % where)
        unknown = sorted(set(entry) - set(ORBIT_KEYS))
        if unknown:
            raise _bad(name, "%s has unknown members %s (an orbit view has %s)" % (where, unknown, ", ".join(ORBIT_KEYS)))
        view = {}

        def number(key, lo, hi):
            try:
                return _number(entry, key, None, lo, hi)
            except RpcError:
                raise _bad(name, "%s.%s must be a number in [%s, %s]" % (where, key, lo, hi)) from None

        for key, lo, hi in (("azimuth_deg", -3600.0, 3600.0), ("elevation_deg", -89.0, 89.0)):
            if key not in entry:
                raise _bad(name, "%s needs %s" % (where, key))
            view[key] = number(key, lo, hi)
        if entry.get("distance") is not None:
            view["distance"] = number("distance", 1e-6, 1e7)
        if entry.get("lens") is not None:
            view["lens"] = number("lens", 1.0, 5000.0)
        target = entry.get("target")
        if target is not None:
            if (not isinstance(target, list) or len(target) != 3 or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in target)):
                raise _bad(name, "%s.target must be [x, y, z]" % where)
            view["target"] = tuple(float(v) for v in target)
        out.append(view)
    return out


class RenderRequest:
    """render.views params, validated. Engine names stay as the caller gave
    them (CYCLES|EEVEE|WORKBENCH or a bpy id) until `engine_id` maps them."""

    def __init__(self, params, workspace=None):
        p = Params(params)
        raw = p.raw
        self.cameras = camera_list(raw)
        self.views = p.int("views", 5, minimum=1, maximum=MAX_VIEWS)
        indices = raw.get("indices")
        if indices is not None:
            if not isinstance(indices, list) or not indices or not all(
                    isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indices):
                raise _bad("indices", "param 'indices' must be a non-empty list of view indices (integers >= 0)")
            indices = sorted(set(indices))
        self.indices = indices
        res = raw.get("resolution")
        if res is None:
            res = list(DEFAULT_RESOLUTION)
        if (not isinstance(res, list) or len(res) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in res)
                or not all(MIN_SIZE <= v <= MAX_SIZE for v in res)):
            raise _bad("resolution", "param 'resolution' must be [width, height], each %d..%d pixels"
                       % (MIN_SIZE, MAX_SIZE))
        self.width, self.height = res
        engine = p.str("engine", "CYCLES").upper()
        if engine not in ENGINES and engine not in ENGINE_IDS:
            raise _bad("engine", "param 'engine' must be one of %s, not %r" % (", ".join(ENGINES), raw.get("engine")),
                       allowed=list(ENGINES))
        self.engine = engine
        self.samples = p.int("samples", None, minimum=1, maximum=1 << 16)
        self.denoise = p.bool("denoise", False)
        self.device = _choice(p, "device", DEVICES, "auto", upper=False)
        self.format = _choice(p, "format", tuple(FORMATS), "PNG")
        self.transparent = p.bool("transparent", False)
        self.seed = p.int("seed", None, minimum=0, maximum=2 ** 31 - 1)
        self.pass_ = _choice(p, "pass", PASSES, "final", upper=False)
        self.elevation_deg = _number(raw, "elevation_deg", 25.0, -89.0, 89.0)
        self.azimuth_deg = _number(raw, "azimuth_deg", 45.0, -3600.0, 3600.0)
        self.margin = _number(raw, "margin", 1.1, 1.0, 4.0)
        self.lens = _number(raw, "lens", 50.0, 1.0, 5000.0)
        self.progress_interval = _number(raw, "progress_interval", 0.5, 0.05, 1.0)
        self.output_dir = check_path(p.str("output_dir", required=True), workspace, "output_dir")

    @property
    def file_format(self):
        return FORMATS[self.format][0]

    @property
    def extension(self):
        return FORMATS[self.format][1]

    @property
    def mime(self):
        return FORMATS[self.format][2]

    def file_name(self, index):
        return view_file_name(index, self.extension, self.pass_)


def view_file_name(index, extension, pass_="final"):
    """view-<index>.<ext>, or view-<index>-preview.<ext> for the preview pass."""
    return "view-%d%s.%s" % (index, "-preview" if pass_ == "preview" else "", extension)


def engine_id(requested, available):
    """The bpy engine id for `requested` in a Blender that accepts `available`.

    EEVEE is BLENDER_EEVEE before 4.2, BLENDER_EEVEE_NEXT in 4.2-4.x (and
    BLENDER_EEVEE again from 5.0): prefer whichever this Blender has, so the
    mapping follows the build, not a version table. A bpy id is taken as is
    when this Blender has it (the other EEVEE id maps across)."""
    requested = requested.upper()
    if requested in ("EEVEE", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT"):
        wanted = ["BLENDER_EEVEE_NEXT", "BLENDER_EEVEE"]
        if requested == "BLENDER_EEVEE":
            wanted.reverse()
    elif requested in ("WORKBENCH", "BLENDER_WORKBENCH"):
        wanted = ["BLENDER_WORKBENCH"]
    else:
        wanted = [requested]
    for engine in wanted:
        if engine in available:
            return engine
    raise _bad("engine", "render engine %s is not available in this Blender (it has %s)"
               % (requested, ", ".join(available)), available=list(available))


def default_samples(engine):
    return DEFAULT_SAMPLES.get(engine)


def select_indices(indices, total):
    """The view indices to render (all by default), each checked against `total`."""
    if indices is None:
        return list(range(total))
    bad = [i for i in indices if i >= total]
    if bad:
        raise _bad("indices", "view indices %s out of range: this call has %d views (0..%d)"
                   % (bad, total, total - 1), views=total)
    return list(indices)


def gpu_label(gpu_type, positions):
    """'CUDA:0', or 'CUDA:0,1' for several devices of one type."""
    return "%s:%s" % (gpu_type, ",".join(str(i) for i in positions))


def choose_device(engine, requested, devices, gpu_nodes=False, backend="OPENGL"):
    """How to run: {gpu: bool, type, ids, label, notes}.

    `devices` are the Cycles devices the worker reported at ready ({type, name,
    id}); `gpu_nodes` says whether the machine has a GPU device node (/dev/dri,
    /dev/nvidia*), which is all EEVEE and Workbench can use: they rasterize
    through Blender's GPU backend and, without a GPU, Mesa's software
    rasterizer (llvmpipe) does that on the CPU. Raises -32002 for `gpu` without one.
    """
    notes = []
    if engine in RASTER_ENGINES:
        if requested == "gpu" and not gpu_nodes:
            raise RpcError(errors.NO_INSTANCE, "No GPU for %s" % engine, {
                "reason": "no GPU device on this machine: %s would rasterize on the CPU "
                          "(Mesa's software OpenGL)" % engine, "devices": list(devices), "engine": engine})
        if gpu_nodes:
            label = backend
            if requested == "cpu":
                notes.append("%s always renders through %s on the GPU; device 'cpu' applies to Cycles only"
                             % (engine, backend))
        else:
            label = "CPU"
            notes.append("no GPU device: %s rasterized with Mesa's software %s on the CPU" % (engine, backend))
        return {"gpu": bool(gpu_nodes), "type": None, "ids": [], "label": label, "notes": notes}
    gpus = [d for d in devices if d.get("type") != "CPU"]
    if requested == "cpu" or (requested == "auto" and not gpus):
        if requested == "auto":
            notes.append("no Cycles GPU device (the worker reported %s): rendered on the CPU"
                         % (", ".join(sorted({d.get("type", "?") for d in devices})) or "none"))
        return {"gpu": False, "type": None, "ids": [], "label": "CPU", "notes": notes}
    if not gpus:
        raise RpcError(errors.NO_INSTANCE, "No GPU device", {
            "reason": "device 'gpu' asked for, but this worker has no Cycles GPU device",
            "devices": list(devices), "engine": engine})
    types = [t for t in GPU_TYPES if any(d["type"] == t for d in gpus)] or [gpus[0]["type"]]
    chosen = types[0]
    same = [d for d in gpus if d["type"] == chosen]
    return {"gpu": True, "type": chosen, "ids": [d["id"] for d in same],
            "label": gpu_label(chosen, range(len(same))), "notes": notes}


def denoise_decision(engine, requested, oidn_available):
    """{requested, applied, reason?}: denoising is Cycles' OpenImageDenoise, and
    MUST stay off where Cycles was built without it (Debian's 3.4): there a
    render with it on fails ("Build without OpenImageDenoiser"), and 3.4 was
    seen to crash on a later load after such a failure."""
    out = {"requested": bool(requested), "applied": False}
    if not requested:
        return out
    if engine != "CYCLES":
        out["reason"] = "denoising applies to Cycles only; %s rendered without it" % engine
    elif not oidn_available:
        out["reason"] = ("this Blender's Cycles was built without OpenImageDenoise: "
                         "rendered without denoising")
    else:
        out["applied"] = True
        out["denoiser"] = "OPENIMAGEDENOISE"
    return out


# Lines Blender passes to render_stats handlers (4.x; 3.x passes nothing):
#   Cycles "Fra:1 Mem:14.53M (Peak 14.53M) | Time:00:04.17 | Remaining:00:09.17 | ... | Sample 80/256"
#   EEVEE  "Fra:1 Mem:42.86M (Peak 42.86M) | Time:00:37.37 | Rendering 1 / 16 samples"
_SAMPLES = (re.compile(r"\bSample (\d+)\s*/\s*(\d+)"), re.compile(r"\bRendering (\d+)\s*/\s*(\d+) samples"))


def parse_stats(text):
    """{samples_done?, samples_total?, stage?} from one render-stats line; {} if none."""
    if not isinstance(text, str) or not text:
        return {}
    out = {}
    for pattern in _SAMPLES:
        m = pattern.search(text)
        if m:
            out["samples_done"], out["samples_total"] = int(m.group(1)), int(m.group(2))
            break
    parts = [s.strip() for s in text.split("|") if s.strip()]
    if parts and text.startswith("Fra:"):
        stage = parts[-1]
        if not any(pattern.search(stage) for pattern in _SAMPLES):
            out["stage"] = stage
        else:
            out["stage"] = "Rendering"
    return out
