"""The thin bpy layer: one module per method group. Everything that can be
decided without Blender lives in `blenderd.script` and `blenderd.rpc`."""


def handler_table(kind):
    """{method: handler(params)} for a worker of `kind` (executable, module, gui)."""
    from . import describe, execute, lifecycle, scene

    table = {
        "worker.ping": lifecycle.ping,
        "script.exec": execute.script_exec,
        "scene.info": scene.scene_info,
        "scene.object": scene.scene_object,
        "api.describe": describe.api_describe,
        # headless: ends the process; GUI: detaches, Blender stays open
        "worker.shutdown": lifecycle.shutdown,
    }
    if kind != "gui":
        # An attached GUI is an artist's session: never wipe it from afar.
        table["worker.reset"] = lifecycle.reset
    return table
