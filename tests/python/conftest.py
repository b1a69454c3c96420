"""Shared setup: make `blenderd` (the add-on package) importable without
installing it, exactly as the module launcher does with PYTHONPATH."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDON = os.path.join(REPO, "addon")
if ADDON not in sys.path:
    sys.path.insert(0, ADDON)
# The Python client (clients/python/blenderd_client), importable without `pip install`.
CLIENT = os.path.join(REPO, "clients", "python")
if CLIENT not in sys.path:
    sys.path.insert(0, CLIENT)

import pytest

LAUNCHERS = ["executable", "module"]


def start_worker(launcher, sandbox=None):
    from blender_worker import Worker, availability

    spec, reason = availability(launcher)
    if spec is None:
        pytest.skip("%s launcher: %s" % (launcher, reason))
    return Worker(launcher, sandbox=sandbox)


@pytest.fixture(scope="session", params=LAUNCHERS)
def worker(request):
    """One long-lived worker per launcher, shared by tests that don't care
    about leftover state (those that do call worker.reset first)."""
    w = start_worker(request.param)
    yield w
    w.close()


@pytest.fixture(params=LAUNCHERS)
def fresh_worker(request):
    """A worker of its own, for tests that kill or break it."""
    w = start_worker(request.param)
    yield w
    w.close()


def sandbox_dirs(base):
    """A session directory (the workspace) and, beside it, a "home" holding a
    secret: outside every path the sandbox may read."""
    workspace, home = base / "workspace", base / "home"
    workspace.mkdir()
    home.mkdir()
    (home / "secret.txt").write_text("s3cret")
    return workspace, home


@pytest.fixture(scope="session", params=LAUNCHERS)
def sandboxed(request, tmp_path_factory):
    """One long-lived worker per launcher under `--sandbox` (tier standard, no
    writable /tmp: Landlock without bubblewrap), with `.workspace` and `.home`."""
    from blender_worker import sandbox_policy

    workspace, home = sandbox_dirs(tmp_path_factory.mktemp("sandbox-" + request.param))
    w = start_worker(request.param, sandbox=sandbox_policy(workspace))
    w.workspace, w.home = workspace, home
    yield w
    w.close()
