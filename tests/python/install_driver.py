"""Runs inside Blender for test_addon_install.py: install the built zip the
way a user would (4.2+: as an extension; 3.x: "Install add-on"), enable it,
and print what got registered. User resources point into a temp dir.

usage: install_driver.py ZIP  (after `--` for the executable)
"""

import sys

import bpy  # noqa: F401  (first: the bpy module provides addon_utils only once imported)
import addon_utils

zip_path = (sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:])[0]
if bpy.app.version >= (4, 2, 0):
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                      enable_on_install=True)
    module = "bl_ext.user_default.blenderd"
else:
    result = bpy.ops.preferences.addon_install(filepath=zip_path)
    module = "blenderd"
    addon_utils.enable(module, default_set=True, handle_error=None)
print("INSTALL:", sorted(result))
print("MODULE:", module, module in bpy.context.preferences.addons)
print("FILE:", sys.modules[module].__file__)
print("PANEL:", hasattr(bpy.types, "BLENDERD_PT_panel"))
prefs = bpy.context.preferences.addons[module].preferences
prefs.socket_path = "/x/d.sock"
gui = sys.modules[module + ".gui"]
print("PATHS:", gui.resolved_paths(bpy.context))
addon_utils.disable(module, default_set=True)
print("UNREGISTERED:", not hasattr(bpy.types, "BLENDERD_PT_panel"))
