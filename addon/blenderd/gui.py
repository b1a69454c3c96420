"""GUI side: a "blenderd" tab in the 3D View sidebar to attach this Blender
to a running daemon. Requests are served from a `bpy.app.timers` callback,
so they run on the main thread between UI events, like a script run from
the Text Editor."""

import bpy
from bpy.props import StringProperty

from . import attach
from .methods import handler_table, lifecycle
from .serve import log

_session = None  # the one AttachSession of this Blender, or None
_last_status = "not connected"


def _prefs(context):
    # __package__ is "blenderd" as a legacy add-on and "bl_ext.<repo>.blenderd"
    # as a 4.2+ extension; never hard-code it.
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


class BlenderdPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    socket_path: StringProperty(
        name="Daemon socket", subtype="FILE_PATH",
        description="Unix socket of the blenderd daemon (empty: $BLENDERD_SOCKET, "
                    "$XDG_RUNTIME_DIR/blenderd/blenderd.sock or /tmp/blenderd-$UID/blenderd.sock)")
    token_path: StringProperty(
        name="Token file", subtype="FILE_PATH",
        description="File holding the daemon's attach token (empty: attach.token beside the socket)")

    def draw(self, context):
        self.layout.prop(self, "socket_path")
        self.layout.prop(self, "token_path")


def resolved_paths(context):
    prefs = _prefs(context)
    socket_path = (prefs.socket_path if prefs else "") or attach.default_socket_path()
    token_path = (prefs.token_path if prefs else "") or attach.default_token_path(socket_path)
    return bpy.path.abspath(socket_path), bpy.path.abspath(token_path)


def _ui_context():
    """A window and 3D View for operators that need them: timers run with no
    window in context, unlike a script run from the Text Editor."""
    wm = bpy.context.window_manager
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                region = next((r for r in area.regions if r.type == "WINDOW"), None)
                override = {"window": window, "screen": window.screen, "area": area, "region": region}
                return {k: v for k, v in override.items() if v is not None}
    return {"window": wm.windows[0]} if wm.windows else {}


def _in_ui_context(handler, undo_label=None):
    def run(params):
        override = _ui_context()
        with bpy.context.temp_override(**override):  # 3.2+: fine on 3.4 and 4.x
            result = handler(params)
            if undo_label:
                try:  # let the artist undo what the agent did
                    bpy.ops.ed.undo_push(message=undo_label)
                except RuntimeError:
                    pass
        return result
    return run


def gui_handlers():
    table = handler_table("gui")
    table["script.exec"] = _in_ui_context(table["script.exec"], "blenderd script")
    for name in ("scene.info", "scene.object", "api.describe"):
        table[name] = _in_ui_context(table[name])
    return table


def _tick():
    global _session, _last_status
    if _session is None:
        return None
    try:
        delay = _session.pump()
    except Exception as exc:  # never let a timer die silently with a half-open socket
        log("GUI session failed: %r" % exc)
        _session.close("error: %s" % exc)
        delay = None
    if delay is None:
        _last_status = _session.status
        _session = None
        _redraw()
    return delay


def _redraw():
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()


class BLENDERD_OT_connect(bpy.types.Operator):
    bl_idname = "blenderd.connect"
    bl_label = "Connect"
    bl_description = "Attach this Blender to the blenderd daemon"

    def execute(self, context):
        global _session, _last_status
        if _session is not None:
            self.report({"INFO"}, "already connected")
            return {"CANCELLED"}
        socket_path, token_path = resolved_paths(context)
        try:
            token = attach.read_token(token_path)
            _session = attach.AttachSession.connect(
                socket_path, token, gui_handlers(), lifecycle.ready_params("gui"))
        except (OSError, ValueError) as exc:
            _last_status = "connect failed: %s" % exc
            self.report({"ERROR"}, _last_status)
            return {"CANCELLED"}
        bpy.app.timers.register(_tick, first_interval=0.0, persistent=True)
        return {"FINISHED"}


class BLENDERD_OT_disconnect(bpy.types.Operator):
    bl_idname = "blenderd.disconnect"
    bl_label = "Disconnect"
    bl_description = "Detach this Blender from the blenderd daemon"

    def execute(self, context):
        disconnect("disconnected")
        return {"FINISHED"}


def disconnect(status):
    global _session, _last_status
    if _session is not None:
        _session.close(status)
        _last_status = _session.status
        _session = None
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)


class BLENDERD_PT_panel(bpy.types.Panel):
    bl_label = "blenderd"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "blenderd"

    def draw(self, context):
        layout = self.layout
        socket_path, token_path = resolved_paths(context)
        col = layout.column(align=True)
        col.label(text="Socket: %s" % socket_path)
        col.label(text="Token: %s" % token_path)
        prefs = _prefs(context)
        if prefs is not None:
            layout.prop(prefs, "socket_path", text="Socket")
            layout.prop(prefs, "token_path", text="Token")
        if _session is None:
            layout.label(text=_last_status, icon="UNLINKED")
            layout.operator(BLENDERD_OT_connect.bl_idname, icon="LINKED")
        else:
            layout.label(text=_session.status, icon="LINKED")
            layout.label(text="requests served: %d" % _session.served)
            if _session.last_method:
                layout.label(text="last: %s" % _session.last_method)
            layout.operator(BLENDERD_OT_disconnect.bl_idname, icon="UNLINKED")


_classes = (BlenderdPreferences, BLENDERD_OT_connect, BLENDERD_OT_disconnect, BLENDERD_PT_panel)


def register():
    for cls in _classes:
        bpy.utils.register_class(cls)


def unregister():
    disconnect("add-on disabled")
    for cls in reversed(_classes):
        bpy.utils.unregister_class(cls)
