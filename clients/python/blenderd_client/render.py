"""render.views as a stream of images, and scene.export's files.

    stream = session.render_views(views=5, resolution=[480, 270], on_progress=print)
    for image in stream:            # each view as soon as Blender has rendered it
        image.save("out/view-%d.png" % image.index)
    print(stream.result["duration_ms"])

Images arrive the way `delivery` asks: "binary" (raw attachment frames; the default on header
framing), "inline" (base64 in the message; the default on NDJSON) or "path" (a file in the
session's directory on the daemon's machine, kept until the session ends).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional

from .framing import payload
from .transport import Incoming

if TYPE_CHECKING:
    from .client import PendingCall

_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/x-exr": ".exr", "model/gltf-binary": ".glb",
               "model/gltf+json": ".gltf"}


def _is_folder(dest: str) -> bool:
    """An existing directory, or a path written as one ("out/"), which is then created."""
    return os.path.isdir(dest) or dest.endswith(os.sep) or dest.endswith("/")


def _read(data: Optional[bytes], path: Optional[str], missing: str) -> bytes:
    """Delivered bytes: inline/binary ones as they came, a path's file read now."""
    if data is not None:
        return data
    if path is not None:
        with open(path, "rb") as handle:
            return handle.read()
    raise ValueError(missing)


def _save(data: Optional[bytes], path: Optional[str], dest: str) -> str:
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    if data is not None:
        with open(dest, "wb") as handle:
            handle.write(data)
    elif path is not None:
        shutil.copyfile(path, dest)
    else:
        raise ValueError("nothing to save: the file came with neither bytes nor a path")
    return dest


@dataclass
class Image:
    """One rendered view. `data` holds the file's bytes (inline, binary delivery) or `path` names
    it (path delivery). `pass_name` is "final" or "preview" (render_views(preview=True))."""

    index: int
    width: int
    height: int
    mime: str
    engine: str
    device: str
    duration_ms: float
    size: int
    data: Optional[bytes] = None
    path: Optional[str] = None
    pass_name: str = "final"
    camera: Optional[str] = None
    view: Optional[int] = None
    views: Optional[int] = None
    instance: Optional[str] = None
    orbit: Optional[Dict[str, Any]] = None
    error: Optional[str] = None
    params: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_notification(cls, incoming: Incoming) -> "Image":
        p = incoming.params
        data, path = payload(p.get("attachment"), incoming.attachment)
        return cls(index=p.get("index", 0), width=p.get("width", 0), height=p.get("height", 0),
                   mime=p.get("mime", ""), engine=p.get("engine", ""), device=p.get("device", ""),
                   duration_ms=p.get("duration_ms", 0.0), size=p.get("bytes", len(data or b"")),
                   data=data, path=path or p.get("path"), pass_name=p.get("pass", "final"),
                   camera=p.get("camera"), view=p.get("view"), views=p.get("views"),
                   instance=p.get("instance"), orbit=p.get("orbit"), error=p.get("error"), params=p)

    @property
    def extension(self) -> str:
        return _EXTENSIONS.get(self.mime, ".bin")

    def read(self) -> bytes:
        """The file's bytes, whichever way it was delivered."""
        return _read(self.data, self.path,
                     "image %d came without bytes: %s" % (self.index, self.error or "no attachment"))

    def save(self, dest: str) -> str:
        """Write the image to `dest`: a file path, or a folder (existing, or written with a trailing
        slash, then created) where it becomes view-<index>[-preview].<ext>. Returns the path."""
        if _is_folder(dest):
            suffix = "-preview" if self.pass_name == "preview" else ""
            dest = os.path.join(dest, "view-%d%s%s" % (self.index, suffix, self.extension))
        return _save(self.data, self.path, dest)


@dataclass
class Progress:
    """A render.progress notification: a view started or is rendering."""

    index: int
    view: int
    views: int
    pass_name: str
    elapsed_ms: float
    samples_done: Optional[int] = None
    samples_total: Optional[int] = None
    stage: Optional[str] = None
    instance: Optional[str] = None

    @classmethod
    def from_params(cls, p: Dict[str, Any]) -> "Progress":
        return cls(index=p.get("index", 0), view=p.get("view", 0), views=p.get("views", 0),
                   pass_name=p.get("pass", "final"), elapsed_ms=p.get("elapsed_ms", 0.0),
                   samples_done=p.get("samples_done"), samples_total=p.get("samples_total"),
                   stage=p.get("stage"), instance=p.get("instance"))

    @property
    def fraction(self) -> Optional[float]:
        """Of this view's samples, where Blender reports them (4.x), else None."""
        if self.samples_done is None or not self.samples_total:
            return None
        return min(1.0, self.samples_done / self.samples_total)


class RenderStream:
    """A running render.views: iterate for Image objects as they stream in; afterwards `result`
    holds the response (images without bytes, engine, device, duration_ms, notes, ...) and
    `images` every Image received. `cancel()` sends request.cancel (the iteration then raises
    Cancelled); leaving the iteration early does not stop the render: call `cancel()` or `wait()`."""

    def __init__(self, call: "PendingCall", on_progress: Optional[Callable[[Progress], None]] = None) -> None:
        self.call = call
        self.on_progress = on_progress
        self.images: List[Image] = []
        self.result: Optional[Dict[str, Any]] = None
        self._started = False

    @property
    def request_id(self) -> Any:
        return self.call.id

    def __iter__(self) -> Iterator[Image]:
        if self._started:
            raise RuntimeError("a RenderStream can be iterated once (its images are in .images)")
        self._started = True
        for incoming in self.call.notifications():
            if incoming.method == "render.progress":
                if self.on_progress is not None:
                    self.on_progress(Progress.from_params(incoming.params))
            elif incoming.method == "render.image":
                image = Image.from_notification(incoming)
                self.images.append(image)
                yield image
        self.result = self.call.result()

    def wait(self) -> Dict[str, Any]:
        """Consume the rest of the stream; the result."""
        if not self._started:
            for _ in self:
                pass
        elif self.result is None:
            for incoming in self.call.notifications():
                if incoming.method == "render.image":
                    self.images.append(Image.from_notification(incoming))
            self.result = self.call.result()
        assert self.result is not None
        return self.result

    def cancel(self) -> Dict[str, Any]:
        return self.call.cancel()


@dataclass
class ExportFile:
    """A further file of a multi-file export (an .obj's .mtl, a separate glTF's .bin)."""

    name: str
    mime: str
    size: int
    data: Optional[bytes] = None
    path: Optional[str] = None

    def save(self, dest: str) -> str:
        if _is_folder(dest):
            dest = os.path.join(dest, self.name)
        return _save(self.data, self.path, dest)


@dataclass
class Export:
    """A scene.export result: the main file's `data` (inline, binary) or `path` (path delivery),
    its `name`, `mime`, `size`, how many `objects`, the `operator` used, and `files` (the further
    files of a multi-file export; with inline/path delivery see `result["files"]`)."""

    name: str
    format: str
    mime: str
    size: int
    objects: int
    operator: str
    duration_ms: float
    data: Optional[bytes] = None
    path: Optional[str] = None
    files: List[ExportFile] = field(default_factory=list)
    result: Dict[str, Any] = field(default_factory=dict, repr=False)

    def read(self) -> bytes:
        return _read(self.data, self.path, "the export came without bytes")

    def save(self, dest: str) -> str:
        """Write the main file to `dest` (a path, or a directory: the export's own name); further
        files go beside it."""
        if _is_folder(dest):
            dest = os.path.join(dest, self.name)
        saved = _save(self.data, self.path, dest)
        for extra in self.files:
            extra.save(os.path.dirname(os.path.abspath(saved)))
        return saved


def export_from(call: "PendingCall") -> Export:
    files: List[ExportFile] = []
    for incoming in call.notifications():
        if incoming.method == "scene.export.file":
            p = incoming.params
            data, path = payload(p.get("attachment"), incoming.attachment)
            files.append(ExportFile(p.get("name", ""), p.get("mime", ""), p.get("bytes", 0), data, path))
    result = call.result()
    data, path = payload(result.get("attachment"), call.attachment)
    return Export(name=result.get("name", ""), format=result.get("format", ""), mime=result.get("mime", ""),
                  size=result.get("bytes", 0), objects=result.get("objects", 0),
                  operator=result.get("operator", ""), duration_ms=result.get("duration_ms", 0.0),
                  data=data, path=path, files=files, result=result)
