"""The Landlock rule set and the report shape, without Blender and without
restricting the test process (landlock.restrict is replaced)."""

import errno
import os

import pytest

from blenderd.sandbox import confine, landlock
from blenderd.sandbox.config import SandboxConfig


@pytest.fixture
def cfg(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    return SandboxConfig("strict", str(ws), read_only=["/usr", str(tmp_path / "missing")], writable=["/tmp"])


def test_trusted_report_shape():
    report = confine.trusted_report()
    assert report["tier"] == "trusted"
    assert [(l["name"], l["status"]) for l in report["layers"]] == [("landlock", "not_applied"),
                                                                      ("audit_hook", "not_applied")]
    assert all(l["reason"] for l in report["layers"])


def test_rules(cfg):
    rules = {r.path: r for r in confine.rules(cfg, tempdir="/tmp/blender_x", runtime_paths=["/opt/py"])}
    full = landlock.fs_rights(99)
    assert rules["/usr"].access == landlock.READ and rules["/opt/py"].access == landlock.READ
    assert rules[cfg.workspace].access == full and rules["/tmp"].access == full
    assert rules["/tmp/blender_x"].access == full
    assert rules["/proc/%d" % os.getpid()].access == landlock.READ
    assert rules["/dev/null"].access & landlock.WRITE_FILE and not rules["/dev/urandom"].access & landlock.WRITE_FILE
    assert "/proc" not in rules and "/sys" not in rules and "/dev" not in rules
    assert not any(p.startswith("/dev/nvidia") or p == "/dev/dri" for p in rules)  # only for a pinned GPU


def test_unavailable_landlock_is_reported(cfg, monkeypatch):
    def unavailable(rules, deny_tcp=True, scope=True):
        raise landlock.LandlockError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(landlock, "restrict", unavailable)
    layer = confine.apply_landlock(cfg)
    assert layer["status"] == "not_applied" and "unavailable" in layer["reason"] and "38" in layer["reason"]


def test_applied_report_lists_refused_rules(cfg, monkeypatch):
    def fake(rules, deny_tcp=True, scope=True):
        out = landlock.Outcome(3)
        out.added = [r for r in rules if r.path != "/usr"]
        out.skipped = [("/usr", "landlock_add_rule: Invalid argument"),
                       (cfg.read_only[1], "No such file or directory")]  # a missing read-only path: not news
        out.restricts = ["file system"]
        out.preexisting_threads = 4
        return out

    monkeypatch.setattr(landlock, "restrict", fake)
    layer = confine.apply_landlock(cfg, tempdir="/tmp/blender_x")
    assert layer["status"] == "applied" and layer["abi"] == 3
    assert layer["skipped"] == [{"path": "/usr", "reason": "landlock_add_rule: Invalid argument"}]
    assert "TCP not restricted (needs ABI 4)" in layer["detail"] and "needs ABI 6" in layer["detail"]
    assert "4 threads" in layer["detail"] and "writable: %s, /tmp;" % cfg.workspace in layer["detail"]
