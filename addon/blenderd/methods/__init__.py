"""The thin bpy layer: one module per method group. Everything that can be
decided without Blender lives in `blenderd.script` and `blenderd.rpc`."""


def handler_table(kind, sandbox=None, notify=None):
    """{method: handler(params)} for a worker of `kind` (executable, module, gui);
    `sandbox` is its SandboxConfig (None: trusted); `notify(method, params)`
    sends a notification on the worker's channel (render.progress, render.image,
    render.frame; None: handlers send none)."""
    from . import checkpoint, describe, execute, export, frames, lifecycle, render, scene

    workspace = sandbox.workspace if sandbox is not None else None
    checkpoints = checkpoint.Checkpoints(workspace)

    renderer = render.Renderer(workspace, notify)
    table = {
        "worker.ping": lifecycle.ping,
        "script.exec": execute.script_exec,
        "scene.info": scene.scene_info,
        "scene.object": scene.scene_object,
        "api.describe": describe.api_describe,
        "checkpoint.save": checkpoints.save,
        "render.views": renderer.render_views,
        "render.frames": frames.FrameRenderer(workspace, notify, renderer).render_frames,
        "scene.export": export.Exporter(workspace).export,
        # headless: ends the process; GUI: detaches, Blender stays open
        "worker.shutdown": lifecycle.shutdown,
    }
    if kind != "gui":
        # An attached GUI is an artist's session: never wipe it from afar.
        # Loads replace the scene too.
        table["worker.reset"] = lifecycle.reset
        table["checkpoint.load"] = checkpoints.load
        table["scene.load"] = checkpoints.scene_load
    return table
