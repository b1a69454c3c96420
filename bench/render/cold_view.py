"""One view, cold: what LL3M's render step runs once per view in a fresh Blender.

    blender -b --factory-startup -noaudio SNAPSHOT --python cold_view.py -- REPO OUT INDEX
    <bpy python> cold_view.py REPO OUT INDEX SNAPSHOT          (the module opens the file itself)

Renders view INDEX of the 5 orbit views, 480x270, Cycles 16 samples, into OUT with the worker's
own code (blenderd.methods.render.Renderer), so the cold side does exactly the warm side's render
work and only pays for the process: start-up, opening the snapshot, Cycles' first-render set-up.
Prints `RENDERED <path> <ms>` (bench.py checks it: --python keeps exit status 0 on an error).
"""
import os
import sys

argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
repo, out, index = argv[0], argv[1], int(argv[2])
sys.path.insert(0, os.path.join(repo, "addon"))
import bpy  # noqa: E402  (the module launcher starts Blender here)

if len(argv) > 3:
    bpy.ops.wm.open_mainfile(filepath=argv[3], load_ui=False)
from blenderd.methods.render import Renderer  # noqa: E402

result = Renderer().render_views({"output_dir": out, "views": 5, "indices": [index], "resolution": [480, 270],
                                  "samples": 16, "engine": "CYCLES"})
print("RENDERED", result["images"][0]["path"], result["duration_ms"])
