"""blenderd add-on: attach this Blender to a blenderd daemon.

Kept tiny and free of `bpy` imports at module level: the headless worker and
the pure-Python tests import `blenderd.rpc`/`blenderd.script` through this
package, and must not pay for (or require) the GUI code.
"""

bl_info = {  # Blender 3.x reads this; 4.2+ reads blender_manifest.toml
    "name": "blenderd",
    "author": "blenderd contributors",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D View > Sidebar > blenderd",
    "description": "Serve this Blender to a blenderd daemon (JSON-RPC over a Unix socket)",
    "category": "System",
}


def register():
    from . import gui
    gui.register()


def unregister():
    from . import gui
    gui.unregister()
