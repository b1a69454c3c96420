"""--sandbox JSON parsing and path containment, without Blender."""

import json

import pytest

from blenderd.sandbox import config
from blenderd.sandbox.config import ConfigError, SandboxConfig


def parse(**fields):
    return config.parse(json.dumps(fields))


def test_full_policy():
    c = parse(tier="strict", workspace="/srv/s/1/", read_only=["/usr", "/usr/", "/opt/b/../blender"],
              writable=["/tmp"], network=False)
    assert isinstance(c, SandboxConfig)
    assert (c.tier, c.workspace, c.network) == ("strict", "/srv/s/1", False)
    assert c.read_only == ["/usr", "/opt/blender"]  # normalised, duplicates dropped
    assert c.write_roots == ["/srv/s/1", "/tmp"]
    assert c.read_roots == ["/usr", "/opt/blender", "/srv/s/1", "/tmp"]
    assert config.parse(json.dumps(c.to_dict())).to_dict() == c.to_dict()


def test_defaults():
    c = parse(tier="standard", workspace="/w")
    assert c.read_only == [] and c.writable == [] and c.network is False


@pytest.mark.parametrize("text, needle", [
    ("{bad", "not JSON"),
    ("[]", "JSON object"),
    (json.dumps({"workspace": "/w"}), "'tier'"),
    (json.dumps({"tier": "trusted", "workspace": "/w"}), "'tier'"),
    (json.dumps({"tier": "standard"}), "'workspace'"),
    (json.dumps({"tier": "standard", "workspace": "rel/dir"}), "'workspace'"),
    (json.dumps({"tier": "standard", "workspace": "/"}), "cannot be /"),
    (json.dumps({"tier": "standard", "workspace": "/w", "read_only": "/usr"}), "'read_only'"),
    (json.dumps({"tier": "standard", "workspace": "/w", "read_only": ["usr"]}), "absolute"),
    (json.dumps({"tier": "standard", "workspace": "/w", "writable": ["/"]}), "cannot contain /"),
    (json.dumps({"tier": "standard", "workspace": "/w", "network": "no"}), "'network'"),
    (json.dumps({"tier": "strict", "workspace": "/w", "network": True}), "no network"),
])
def test_rejects(text, needle):
    with pytest.raises(ConfigError) as info:
        config.parse(text)
    assert needle in str(info.value)


def test_within():
    assert config.is_within("/a/b", "/a") and config.is_within("/a", "/a")
    assert not config.is_within("/ab", "/a") and not config.is_within("/", "/a")
    assert config.is_within("/anything", "/")
    assert config.within_any("/t/x", ["/w", "/t"]) and not config.within_any("/u", ["/w", "/t"])
