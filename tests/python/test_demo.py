"""examples/demo.py (what scripts/demo.sh runs) end to end against a real daemon (bpy 4.4): the
old-API step fails with its line and hint, the fix runs, checkpoints are listed, 5 views arrive
as PNG files with a progress bar (plain lines in a pipe, one redrawn line on a terminal), the .glb
is written and the summary names the paths."""

import os
import pty
import subprocess
import sys

import pytest

import daemon_harness
from daemon_harness import REPO, Daemon

DEMO = os.path.join(REPO, "examples", "demo.py")

pytestmark = pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                                reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("demo"), warm=1, max_instances=2, launchers=("module",))
    yield d
    d.terminate()


def check_story(text, out):
    assert "failed as expected: KeyError at line 16" in text, text
    assert "line 16: wood.inputs[\"Specular\"].default_value = 0.65" in text
    assert "hint: 'Specular' was renamed 'Specular IOR Level' in Blender 4.0" in text
    assert "<- current" in text and "17 objects" in text
    for index in range(5):
        data = (out / ("view-%d.png" % index)).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[16:24] == (480).to_bytes(4, "big") + (270).to_bytes(4, "big")
    assert (out / "chair.glb").read_bytes()[:4] == b"glTF"
    summary = text[text.index("== summary"):]
    assert str(out / "chair.glb") in summary and str(out / "view-0.png") in summary and "first image" in summary


def test_demo_in_a_pipe(daemon, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, DEMO, daemon.socket_path, str(out)], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr + daemon.log_tail()
    check_story(done.stdout, out)
    assert "\r" not in done.stdout  # plain lines in a log
    bars = [line for line in done.stdout.splitlines() if line.startswith("view ") and "%" in line]
    assert len([b for b in bars if "100%" in b and "-> " in b]) == 5


def test_demo_on_a_terminal(daemon, tmp_path):
    out = tmp_path / "out"
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout is the pty
        os.execv(sys.executable, [sys.executable, DEMO, daemon.socket_path, str(out)])
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the pty
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    assert os.WEXITSTATUS(status) == 0, text[-3000:] + daemon.log_tail()
    check_story(text, out)
    render = text[text.index("== render.views"):text.index("== scene.export")]
    assert render.count("\r\x1b[Kview 1/5") >= 2  # the bar of view 1 redrawn in place, then its final line
