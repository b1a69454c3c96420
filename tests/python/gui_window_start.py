"""Startup script for test_gui_window.py: a real, windowed Blender (under
Xvfb) enables the add-on and presses Connect once the UI is up, so the
request loop runs from genuine bpy.app.timers ticks.

usage: blender --factory-startup --python gui_window_start.py -- SOCKET TOKEN_FILE
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "addon"))
socket_path, token_path = sys.argv[sys.argv.index("--") + 1:][:2]

import addon_utils  # noqa: E402
import bpy  # noqa: E402

addon_utils.enable("blenderd", default_set=True)
# The splash would cover the window in screenshots; nothing here needs it.
bpy.context.preferences.view.show_splash = False
prefs = bpy.context.preferences.addons["blenderd"].preferences
prefs.socket_path = socket_path
prefs.token_path = token_path


def connect():
    print("blenderd test: connect ->", bpy.ops.blenderd.connect(), flush=True)
    return None


bpy.app.timers.register(connect, first_interval=0.5)
