"""Runs inside Blender (executable or bpy module) for test_gui_attach.py:
enable the add-on like a user would, press Connect, then play the timer
ourselves, since background Blender never fires bpy.app.timers.

usage: gui_driver.py SOCKET TOKEN_FILE   (after `--` for the executable)
"""

import os
import sys
import time

argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
socket_path, token_path = argv[:2]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "addon"))

import bpy  # noqa: E402  (first: the bpy module provides addon_utils only once imported)
import addon_utils  # noqa: E402

mod = addon_utils.enable("blenderd", default_set=True, handle_error=None)
assert mod is not None, "add-on failed to enable"
assert hasattr(bpy.types, "BLENDERD_PT_panel"), "panel not registered"
prefs = bpy.context.preferences.addons["blenderd"].preferences
prefs.socket_path = socket_path
prefs.token_path = token_path

from blenderd import gui  # noqa: E402

assert bpy.ops.blenderd.connect() == {"FINISHED"}
assert bpy.app.timers.is_registered(gui._tick)
deadline = time.monotonic() + 60
while gui._session is not None and time.monotonic() < deadline:
    delay = gui._tick()
    time.sleep(delay or 0)
print("GUI-STATUS:", gui._last_status, flush=True)
addon_utils.disable("blenderd", default_set=True)
assert not hasattr(bpy.types, "BLENDERD_PT_panel"), "panel not unregistered"
print("GUI-DONE", flush=True)
