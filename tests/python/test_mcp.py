"""`blenderctl mcp` driven by the official MCP Python SDK (PyPI `mcp`) over
stdio, against a real daemon with the bpy 4.4 module launcher: initialize, the
tool list, scripts that work and one that fails with an old-API error (hints,
line, the code line), scene info, renders as PNG image content of the asked
size with progress, exports written to --out-dir (and embedded), checkpoints
round trip, and one session per MCP client, closed when the client leaves."""

import asyncio
import base64
import json
import os
import select
import struct
import subprocess
import time

import pytest

import daemon_harness as harness

mcp = pytest.importorskip("mcp", reason="the MCP Python SDK is not installed (scripts/bootstrap.sh installs it)")
from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.shared.exceptions import McpError  # noqa: E402

TOOLS = {"execute_blender_code", "get_scene_info", "get_object_info", "render_views", "export_scene",
         "list_checkpoints", "restore_checkpoint", "describe_blender_api"}

# Blender 4.0 renamed the Principled BSDF's 'Specular' input; code written for 3.x fails on 4.4.
OLD_API = """import bpy
m = bpy.data.materials.new('Paint')
m.use_nodes = True
bsdf = m.node_tree.nodes['Principled BSDF']
bsdf.inputs['Specular'].default_value = 0.5
"""


def skip_reason():
    reason = harness.missing_reason()
    if reason:
        return reason
    if harness.bpy_python() is None:
        return "no bpy 4.4 in .venv"
    if not os.access(harness.blenderctl_binary(), os.X_OK):
        return "blenderctl not built: %s is missing (set BLENDERCTL_BIN)" % harness.blenderctl_binary()
    return None


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    d = harness.Daemon(tmp_path_factory.mktemp("mcp"), warm=1, max_instances=3, launchers=("module",))
    yield d
    d.terminate()


def server_params(socket_path, *extra):
    env = dict(os.environ)
    env.pop("BLENDERD_SOCKET", None)
    return StdioServerParameters(command=harness.blenderctl_binary(),
                                 args=["mcp", "--socket", socket_path, "--blender", ">=4", *extra], env=env)


async def with_client(params, body):
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            return await body(session, init)


def run(params, body):
    return asyncio.run(with_client(params, body))


def text_of(result):
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def open_sessions(daemon):
    with daemon.client() as c:
        return c.call("session.list")["sessions"]


def test_tools_end_to_end(daemon, tmp_path):
    out_dir = tmp_path / "exports"
    progress = []

    async def body(session, init):
        assert init.serverInfo.name == "blenderd"
        assert init.capabilities.tools is not None
        listed = await session.list_tools()
        assert {t.name for t in listed.tools} == TOOLS
        for tool in listed.tools:
            assert tool.inputSchema["type"] == "object", tool.name
            assert tool.description, tool.name
        schemas = {t.name: t.inputSchema for t in listed.tools}
        assert schemas["execute_blender_code"]["required"] == ["code"]
        assert "resolution" in schemas["render_views"]["properties"]

        # A script that works: its value and output come back, with the checkpoint it saved.
        ok = await session.call_tool("execute_blender_code", {
            "code": "import bpy\nbpy.ops.mesh.primitive_cube_add(size=2)\nprint('made', bpy.context.object.name)\n"
                    "result = {'answer': 6 * 7, 'name': bpy.context.object.name}"})
        assert not ok.isError, text_of(ok)
        text = text_of(ok)
        assert '"answer":42' in text and "made Cube" in text, text
        assert "objects added: Cube" in text, text
        assert ok.structuredContent["value"] == {"answer": 42, "name": "Cube"}
        first_checkpoint = ok.structuredContent["checkpoint"]
        assert first_checkpoint and first_checkpoint in text

        # Code written for Blender 3.x: a tool error the model can fix, not a protocol error.
        bad = await session.call_tool("execute_blender_code", {"code": OLD_API})
        assert bad.isError
        text = text_of(bad)
        assert "KeyError" in text and "Specular" in text, text
        assert "Line 5: bsdf.inputs['Specular'].default_value = 0.5" in text, text
        assert "Hints:" in text and "Specular IOR Level" in text, text
        assert "rolled back to checkpoint %s" % first_checkpoint in text, text

        # Another script error: a plain exception still names the line and the code.
        raised = await session.call_tool("execute_blender_code", {"code": "x = 1\ny = x / 0\n"})
        assert raised.isError and "ZeroDivisionError" in text_of(raised) and "Line 2: y = x / 0" in text_of(raised)

        # Bad arguments are tool errors too; an unknown tool is a protocol error.
        wrong = await session.call_tool("render_views", {"views": "four"})
        assert wrong.isError and "views must be an integer" in text_of(wrong)
        with pytest.raises(McpError):
            await session.call_tool("no_such_tool", {})

        info = await session.call_tool("get_scene_info", {})
        assert not info.isError, text_of(info)
        assert [o["name"] for o in info.structuredContent["objects"]] == ["Cube"]
        # The failed script's material was rolled back with the scene.
        cube = await session.call_tool("get_object_info", {"name": "Cube"})
        assert not cube.isError and cube.structuredContent["name"] == "Cube"
        missing = await session.call_tool("get_object_info", {"name": "Cub"})
        assert missing.isError and "Cube" in text_of(missing), text_of(missing)

        api = await session.call_tool("describe_blender_api", {"target": "ShaderNodeBsdfPrincipled"})
        assert not api.isError and "Specular IOR Level" in text_of(api)

        # Exports are written to --out-dir; embed also returns the bytes.
        export = await session.call_tool("export_scene", {"format": "glb", "embed": True})
        assert not export.isError, text_of(export)
        path = text_of(export).split(" to ", 1)[1].split(" (", 1)[0]
        assert path.startswith(str(out_dir)) and path.endswith("scene.glb"), path
        with open(path, "rb") as f:
            glb = f.read()
        assert glb[:4] == b"glTF"
        embedded = [c for c in export.content if isinstance(c, types.EmbeddedResource)]
        assert len(embedded) == 1 and base64.b64decode(embedded[0].resource.blob) == glb
        unknown = await session.call_tool("export_scene", {"format": "glb", "selection": ["Nope"]})
        assert unknown.isError and "Nope" in text_of(unknown)

        async def on_progress(value, total, message):
            progress.append((value, total, message))

        # Renders: one PNG image content per view, of the size asked, after a text summary.
        render = await session.call_tool("render_views", {
            "views": 2, "resolution": [96, 64], "engine": "CYCLES", "samples": 4}, progress_callback=on_progress)
        assert not render.isError, text_of(render)
        assert isinstance(render.content[0], types.TextContent)
        assert "Rendered 2 views at 96x64" in render.content[0].text, render.content[0].text
        images = [c for c in render.content if isinstance(c, types.ImageContent)]
        assert len(images) == 2
        decoded = [base64.b64decode(i.data) for i in images]
        for image, data in zip(images, decoded):
            assert image.mimeType == "image/png"
            assert png_size(data) == (96, 64)
        assert decoded[0] != decoded[1], "two orbit views rendered the same image"

        # Checkpoints: add a sphere, roll back to the cube alone.
        more = await session.call_tool("execute_blender_code", {
            "code": "import bpy\nbpy.ops.mesh.primitive_uv_sphere_add(location=(3, 0, 0))"})
        assert not more.isError, text_of(more)
        listed = await session.call_tool("list_checkpoints", {})
        assert not listed.isError
        ids = [c["id"] for c in listed.structuredContent["checkpoints"]]
        assert first_checkpoint in ids and more.structuredContent["checkpoint"] == ids[-1], ids
        assert listed.structuredContent["current"] == ids[-1]
        restored = await session.call_tool("restore_checkpoint", {"checkpoint": first_checkpoint})
        assert not restored.isError and "Restored checkpoint %s" % first_checkpoint in text_of(restored)
        names = await session.call_tool("execute_blender_code", {
            "code": "import bpy\nresult = sorted(o.name for o in bpy.data.objects)"})
        assert names.structuredContent["value"] == ["Cube"]
        bad_restore = await session.call_tool("restore_checkpoint", {"checkpoint": "c999"})
        assert bad_restore.isError

    run(server_params(daemon.socket_path, "--out-dir", str(out_dir)), body)
    assert progress, "no progress notifications for a progress token"
    values = [p[0] for p in progress]
    assert values == sorted(values) and len(set(values)) == len(values), values
    assert all(p[1] == 2 for p in progress)


def test_each_client_gets_its_own_session_closed_when_it_leaves(daemon):
    before = len(open_sessions(daemon))
    both_open = asyncio.Event()
    seen = {}

    async def client(name, other, started):
        async def body(session, init):
            made = await session.call_tool("execute_blender_code", {
                "code": "import bpy\nbpy.ops.mesh.primitive_cube_add()\nbpy.context.object.name = %r" % name})
            assert not made.isError, text_of(made)
            started.set()
            await both_open.wait()
            names = await session.call_tool("execute_blender_code", {
                "code": "import bpy\nresult = sorted(o.name for o in bpy.data.objects)"})
            seen[name] = names.structuredContent["value"]
        await with_client(server_params(daemon.socket_path), body)

    async def main():
        started = [asyncio.Event(), asyncio.Event()]
        tasks = [asyncio.create_task(client("Alpha", "Beta", started[0])),
                 asyncio.create_task(client("Beta", "Alpha", started[1]))]
        await asyncio.wait_for(asyncio.gather(started[0].wait(), started[1].wait()), 180)
        # Both servers are up with a session each: two more sessions than before.
        sessions = await asyncio.to_thread(open_sessions, daemon)
        assert len(sessions) == before + 2, sessions
        both_open.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert seen == {"Alpha": ["Alpha"], "Beta": ["Beta"]}
    # Leaving (stdin closed) closed both sessions, so their Blenders went back to the pool.
    deadline = time.monotonic() + 20
    while len(open_sessions(daemon)) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(open_sessions(daemon)) == before


class RawServer:
    """`blenderctl mcp` spoken to line by line, for what the SDK's client does not expose (the
    id of a call to cancel)."""

    def __init__(self, socket_path, *extra):
        self.proc = subprocess.Popen([harness.blenderctl_binary(), "mcp", "--socket", socket_path, "--blender", ">=4", *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        assert self.read()["result"]["serverInfo"]["name"] == "blenderd"
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message):
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def read(self, timeout=60):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else None

    def call_tool(self, id, name, arguments):
        self.send({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}})

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(20)


def test_a_cancelled_call_stops_the_script_and_gets_no_response(daemon):
    # The session's script limit is far beyond the test's wait: only the cancel can end the loop.
    server = RawServer(daemon.socket_path, "--timeout", "600")
    try:
        server.call_tool(2, "execute_blender_code", {"code": "import bpy\nbpy.ops.mesh.primitive_cube_add()"})
        assert server.read()["result"]["isError"] is False
        server.call_tool(3, "execute_blender_code", {"code": "import bpy\nbpy.ops.mesh.primitive_cone_add()\nwhile True: pass"})
        time.sleep(1.5)  # let it reach Blender; a cancel before that is covered by the queue
        server.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 3, "reason": "test"}})
        server.call_tool(4, "execute_blender_code", {"code": "import bpy\nresult = sorted(o.name for o in bpy.data.objects)"})
        answer = server.read(timeout=60)
        assert answer is not None, "no answer after the cancel: the script was not interrupted"
        assert answer["id"] == 4, answer  # nothing for the cancelled call (MCP: no response)
        assert answer["result"]["structuredContent"]["value"] == ["Cube"]  # the cone was rolled back
        assert server.read(timeout=1) is None
    finally:
        assert server.close() == 0


def test_after_a_daemon_restart_the_next_call_resumes_the_session(tmp_path):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    daemon = harness.Daemon(tmp_path / "restart", warm=1, max_instances=2, launchers=("module",))
    server = None
    try:
        server = RawServer(daemon.socket_path)
        server.call_tool(2, "execute_blender_code", {"code": "import bpy\nbpy.ops.mesh.primitive_cube_add()"})
        assert server.read()["result"]["isError"] is False
        daemon.terminate()
        daemon.start()
        # The old connection is dead: the call goes out on a new one, which takes the session over
        # with its token; the restarted daemon put the scene back from the checkpoint.
        server.call_tool(3, "execute_blender_code", {"code": "import bpy\nresult = sorted(o.name for o in bpy.data.objects)"})
        answer = server.read(timeout=120)
        assert answer["result"]["isError"] is False, answer
        assert answer["result"]["structuredContent"]["value"] == ["Cube"]
        assert "resumed session" in answer["result"]["content"][0]["text"]
    finally:
        if server:
            assert server.close() == 0
        daemon.terminate()


def test_no_daemon_is_a_tool_error_that_says_what_to_do(tmp_path):
    if not os.access(harness.blenderctl_binary(), os.X_OK):
        pytest.skip("blenderctl not built: %s" % harness.blenderctl_binary())
    missing = str(tmp_path / "nobody.sock")

    async def body(session, init):
        listed = await session.list_tools()
        assert {t.name for t in listed.tools} == TOOLS
        result = await session.call_tool("execute_blender_code", {"code": "result = 1"})
        assert result.isError
        assert "not reachable at %s" % missing in text_of(result) and "blenderd" in text_of(result)

    run(server_params(missing), body)
