"""The `--sandbox JSON` argument the daemon passes after `--fd 3`.

    {"tier": "strict"|"standard", "workspace": "/abs/dir", "read_only": [...],
     "writable": ["/tmp"], "network": false}

Absent means tier "trusted" (a GUI Blender, a test's direct worker): nothing is
applied. Parsing is strict because a typo must not silently weaken the sandbox:
an unknown tier, a relative path or a wrong type is an error, and the worker
exits 2 rather than start unconfined.
"""

import json
import os

TIERS = ("strict", "standard")
TRUSTED = "trusted"


class ConfigError(ValueError):
    """The --sandbox argument is not a usable policy; the message says which part."""


def normalize(path):
    """Absolute, lexically normalised (no `..`, no trailing slash); symlinks kept,
    as the daemon's SandboxPolicy.normalize does."""
    return os.path.normpath(path) if path.startswith("/") else os.path.normpath(os.path.abspath(path))


def is_within(path, root):
    """`path` is `root` or lies below it (both normalised)."""
    return root == "/" or path == root or path.startswith(root + "/")


def within_any(path, roots):
    return any(is_within(path, root) for root in roots)


class SandboxConfig:
    """A parsed policy. `read_only` and `writable` are normalised absolute paths."""

    __slots__ = ("tier", "workspace", "read_only", "writable", "network")

    def __init__(self, tier, workspace, read_only=(), writable=(), network=False):
        self.tier = tier
        self.workspace = workspace
        self.read_only = list(read_only)
        self.writable = list(writable)
        self.network = network

    @property
    def write_roots(self):
        """Where a script may create, change and delete files."""
        return [self.workspace] + [p for p in self.writable if p != self.workspace]

    @property
    def read_roots(self):
        return self.read_only + self.write_roots

    def to_dict(self):
        return {"tier": self.tier, "workspace": self.workspace, "read_only": list(self.read_only),
                "writable": list(self.writable), "network": self.network}

    def __repr__(self):
        return "SandboxConfig(%r)" % (self.to_dict(),)


def _paths(obj, key):
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError("%r must be a list of absolute paths" % key)
    for p in value:
        if not p.startswith("/"):
            raise ConfigError("%r: %r is not an absolute path" % (key, p))
    out = []
    for p in value:
        p = normalize(p)
        if p not in out:
            out.append(p)
    return out


def parse(text):
    """SandboxConfig from the argument's JSON text; ConfigError when unusable."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise ConfigError("not JSON: %s" % exc) from None
    if not isinstance(obj, dict):
        raise ConfigError("must be a JSON object")
    tier = obj.get("tier")
    if tier not in TIERS:
        raise ConfigError("'tier' must be one of %s, not %r" % (", ".join(map(repr, TIERS)), tier))
    workspace = obj.get("workspace")
    if not isinstance(workspace, str) or not workspace.startswith("/"):
        raise ConfigError("'workspace' must be an absolute path, not %r" % (workspace,))
    workspace = normalize(workspace)
    if workspace == "/":
        raise ConfigError("'workspace' cannot be /")
    network = obj.get("network", False)
    if not isinstance(network, bool):
        raise ConfigError("'network' must be true or false, not %r" % (network,))
    if network and tier == "strict":
        raise ConfigError("the strict tier has no network")
    read_only = _paths(obj, "read_only")
    writable = _paths(obj, "writable")
    if "/" in writable:
        raise ConfigError("'writable' cannot contain /")
    return SandboxConfig(tier, workspace, read_only, writable, network)
