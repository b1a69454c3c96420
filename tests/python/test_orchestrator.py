"""examples/orchestrator.py: with no LLM configured it says so and exits 2; against a fake
OpenAI-compatible endpoint (http.server on a thread) and a real daemon (bpy 4.4) it plans, runs a
script written against the pre-4.0 API, sends the model the error line and the daemon's hints,
runs the fix the model returns and writes the rendered views and a .glb."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import daemon_harness
from daemon_harness import REPO, Daemon

ORCHESTRATOR = os.path.join(REPO, "examples", "orchestrator.py")

OLD_API = """```python
import bpy
bpy.ops.mesh.primitive_cube_add(size=1, location=(0, 0, 0.5))
seat = bpy.context.object
seat.name = "Seat"
wood = bpy.data.materials.new("Wood")
wood.use_nodes = True
bsdf = wood.node_tree.nodes["Principled BSDF"]
bsdf.inputs["Specular"].default_value = 0.6
seat.data.materials.append(wood)
result = [o.name for o in bpy.data.objects]
```"""
FIXED = OLD_API.replace('inputs["Specular"]', 'inputs["Specular IOR Level"]')


class FakeLLM(BaseHTTPRequestHandler):
    """/v1/chat/completions: a plan first, then the old-API script, and the fixed one only once the
    conversation carries the daemon's hint (so a loop that does not send the error never gets it)."""

    requests = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        conversation = "\n".join(m["content"] for m in body["messages"])
        if len(FakeLLM.requests) == 1:
            content = "1. a seat cube\n2. a wood material"
        elif "Specular IOR Level" in conversation:
            content = "Here is the fix:\n" + FIXED
        else:
            content = OLD_API
        reply = {"id": "x", "object": "chat.completion", "model": body["model"],
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def run(args, env_extra, timeout=600):
    env = dict(os.environ)
    for key in ("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"):
        env.pop(key, None)
    env.update(env_extra)
    return subprocess.run([sys.executable, ORCHESTRATOR] + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_without_an_llm_it_says_so_and_exits_2(tmp_path):
    done = run(["--out", str(tmp_path / "out")], {"LLM_MODEL": "m"})  # a model without an endpoint is not enough
    assert done.returncode == 2, done
    assert "No LLM is configured" in done.stdout and "LLM_BASE_URL" in done.stdout and "LLM_MODEL" in done.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                    reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")
def test_loop_sees_the_error_retries_and_renders(tmp_path):
    FakeLLM.requests = []
    server = HTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    daemon = Daemon(tmp_path / "daemon", warm=1, max_instances=2, launchers=("module",))
    try:
        out = tmp_path / "views"
        done = run(["--socket", daemon.socket_path, "--out", str(out), "--views", "2", "--resolution", "64x36",
                    "--samples", "1", "a small stool"],
                   {"LLM_BASE_URL": "http://127.0.0.1:%d/v1/" % server.server_port, "LLM_MODEL": "fake-model",
                    "LLM_API_KEY": "sk-test"})
    finally:
        daemon.terminate()
        server.shutdown()
    assert done.returncode == 0, done.stdout + done.stderr + daemon.log_tail()
    # plan, the old-API script, the fix
    assert len(FakeLLM.requests) == 3, [r["body"]["messages"][-1]["content"][:80] for r in FakeLLM.requests]
    assert all(r["path"] == "/v1/chat/completions" and r["auth"] == "Bearer sk-test" for r in FakeLLM.requests)
    assert FakeLLM.requests[0]["body"]["model"] == "fake-model"
    assert "a small stool" in FakeLLM.requests[0]["body"]["messages"][1]["content"]
    assert "Blender 4." in FakeLLM.requests[0]["body"]["messages"][0]["content"]
    feedback = FakeLLM.requests[2]["body"]["messages"][-1]["content"]
    assert "KeyError" in feedback and "line 8: bsdf.inputs[\"Specular\"].default_value = 0.6" in feedback
    assert "hint: 'Specular' was renamed 'Specular IOR Level'" in feedback
    assert "put back to checkpoint" in feedback  # the empty scene's checkpoint: the retry starts clean
    assert 'result = ["Seat"]' in done.stdout, done.stdout
    assert "failed (ScriptError" in done.stdout and "attempt 2" in done.stdout
    assert "done: 2 attempt(s), 3 LLM calls, 2 views" in done.stdout
    for index in (0, 1):
        data = (out / ("view-%d.png" % index)).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "model.glb").read_bytes()[:4] == b"glTF"
