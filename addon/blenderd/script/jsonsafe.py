"""Turn whatever a script left in `result` into JSON the daemon can forward.

Duck-typed on purpose: this module imports neither `bpy` nor `mathutils`, so
it is tested with stand-ins, and works the same on every Blender version.
"""

import math

MAX_DEPTH = 16
MAX_ITEMS = 10000  # per container
MAX_NODES = 200000  # per value: 10k lists of 10k numbers must not become a 1 GB reply
MAX_STRING = 1024 * 1024  # characters
MAX_REPR = 2000

_VECTOR_LIKE = {"Vector", "Euler", "Quaternion", "Color"}
_COLLECTION_TYPES = {"bpy_prop_collection", "bpy_prop_collection_idprop", "bpy_prop_array",
                     "IDPropertyArray", "IDPropertyGroup"}


def _repr(value):
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not fail the whole exec
        text = "<unrepresentable %s: %s>" % (type(value).__name__, exc)
    return text if len(text) <= MAX_REPR else text[:MAX_REPR] + "..."


def _float(value):
    if math.isfinite(value):
        return value
    # JSON has no NaN/Infinity; the daemon would reject the frame.
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left):
        self.left = left


def _items(iterable, depth, budget):
    out = []
    for i, item in enumerate(iterable):
        if i >= MAX_ITEMS:
            out.append("... truncated at %d items" % MAX_ITEMS)
            break
        if budget.left <= 0:
            out.append("... truncated: value too large")
            break
        out.append(_convert(item, depth + 1, budget))
    return out


def is_id(value):
    """A Blender datablock (bpy.types.ID): named, user-counted, has RNA."""
    return hasattr(value, "bl_rna") and hasattr(value, "users") and hasattr(value, "name_full")


def struct_ref(value):
    """{type, name} for a datablock: enough to find it again in bpy.data."""
    ref = {"type": value.bl_rna.identifier}
    if getattr(value, "name", None) is not None:
        ref["name"] = value.name
    return ref


def to_json(value, depth=0):
    return _convert(value, depth, _Budget(MAX_NODES))


def _convert(value, depth, budget):
    budget.left -= 1
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return value[:MAX_STRING] + "... (%d more characters)" % (len(value) - MAX_STRING)
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if depth >= MAX_DEPTH:
        return _repr(value)
    if isinstance(value, dict):
        out = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= MAX_ITEMS or budget.left <= 0:
                break
            out[key if isinstance(key, str) else _repr(key)] = _convert(item, depth + 1, budget)
        return out
    if isinstance(value, (list, tuple)):
        return _items(value, depth, budget)
    if isinstance(value, (set, frozenset)):
        try:
            return _items(sorted(value), depth, budget)
        except TypeError:
            return _items(value, depth, budget)
    cls = type(value).__name__
    if cls in _VECTOR_LIKE:
        return [_float(float(x)) for x in value]
    if cls == "Matrix":
        return [[_float(float(x)) for x in row] for row in value]
    if is_id(value):
        return struct_ref(value)
    if cls in _COLLECTION_TYPES:
        return _items(value, depth, budget)
    if hasattr(value, "bl_rna"):
        ref = {"type": value.bl_rna.identifier}
        name = getattr(value, "name", None)
        if isinstance(name, str):
            ref["name"] = name
        ref["repr"] = _repr(value)
        return ref
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        try:
            return _convert(tolist(), depth + 1, budget)
        except Exception:
            pass
    return _repr(value)
