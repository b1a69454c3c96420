import math

from blenderd.rpc import messages
from blenderd.script import changes, jsonsafe


class Vector(tuple):
    pass


class Matrix(tuple):
    pass


class _Rna:
    def __init__(self, identifier):
        self.identifier = identifier


class FakeID:
    bl_rna = _Rna("Object")
    users = 1
    name = "Cube"
    name_full = "Cube"


class FakeStruct:
    bl_rna = _Rna("MeshVertex")

    def __repr__(self):
        return "bpy.data.meshes['Cube'].vertices[0]"


def test_values_become_json():
    value = {
        "v": Vector((1.0, 2.0, 3.0)),
        "m": Matrix((Vector((1.0, 0.0)), Vector((0.0, 1.0)))),
        "id": FakeID(),
        "s": FakeStruct(),
        "set": {"FINISHED"},
        "nan": float("nan"), "inf": -math.inf,
        3: "non-string key",
        "obj": object(),
    }
    out = jsonsafe.to_json(value)
    assert out["v"] == [1.0, 2.0, 3.0] and out["m"] == [[1.0, 0.0], [0.0, 1.0]]
    assert out["id"] == {"type": "Object", "name": "Cube"}
    assert out["s"]["type"] == "MeshVertex" and "vertices[0]" in out["s"]["repr"]
    assert out["set"] == ["FINISHED"] and out["nan"] == "NaN" and out["inf"] == "-Infinity"
    assert out["3"] == "non-string key" and out["obj"].startswith("<object object")
    messages.encode(out)  # must be encodable, NaN-free


def test_depth_and_size_caps():
    deep = []
    cur = deep
    for _ in range(100):
        cur.append([])
        cur = cur[0]
    messages.encode(jsonsafe.to_json(deep))
    big = jsonsafe.to_json(list(range(jsonsafe.MAX_ITEMS + 5)))
    assert len(big) == jsonsafe.MAX_ITEMS + 1 and "truncated" in big[-1]


def test_broken_repr_does_not_raise():
    class Bad:
        def __repr__(self):
            raise RuntimeError("no")
    assert "unrepresentable" in jsonsafe.to_json(Bad())


def test_changes_diff():
    before = {"objects": {"Cube": (1,), "Light": (1,)}, "meshes": {"Cube": (8,)}}
    after = {"objects": {"Cube": (2,), "Chair": (1,)}, "meshes": {"Cube": (8,)}, "materials": {"Wood": ()}}
    assert changes.diff(before, after) == {
        "materials": {"added": ["Wood"]},
        "objects": {"added": ["Chair"], "removed": ["Light"], "modified": ["Cube"]},
    }


def test_changes_capped():
    after = {"objects": {"o%04d" % i: () for i in range(changes.MAX_NAMES + 10)}}
    out = changes.diff({}, after)["objects"]
    assert len(out["added"]) == changes.MAX_NAMES and out["added_count"] == changes.MAX_NAMES + 10


def test_total_size_and_string_caps():
    grid = [[0] * 1000 for _ in range(1000)]  # a million numbers
    out = jsonsafe.to_json(grid)
    flat = sum(len(row) for row in out if isinstance(row, list))
    assert flat <= jsonsafe.MAX_NODES and "too large" in str(out[-1])
    s = jsonsafe.to_json("x" * (jsonsafe.MAX_STRING + 5))
    assert s.endswith("(5 more characters)")


def test_lone_surrogates_do_not_break_encoding():
    assert messages.encode({"s": "a\udcffb"}) == b'{"s":"a?b"}'
