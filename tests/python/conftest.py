"""Shared setup: make `blenderd` (the add-on package) importable without
installing it, exactly as the module launcher does with PYTHONPATH."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADDON = os.path.join(REPO, "addon")
if ADDON not in sys.path:
    sys.path.insert(0, ADDON)

import pytest

LAUNCHERS = ["executable", "module"]


def start_worker(launcher):
    from blender_worker import Worker, availability

    spec, reason = availability(launcher)
    if spec is None:
        pytest.skip("%s launcher: %s" % (launcher, reason))
    return Worker(launcher)


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
