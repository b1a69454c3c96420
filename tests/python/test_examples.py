"""examples/*.py through a real worker, as `script.exec` bodies.

The examples are written for Blender 4.4, so the bpy 4.4 module launcher is the one that
matters; one worker serves the whole module (`worker.reset` gives each test an empty scene).
Blender 3.4 (executable launcher) gets one test of its own: the old-API refinement step must
work there and the fixed one fail, the mirror image of 4.4.
"""

import os

import pytest

from blenderd.rpc import RpcError, errors

from conftest import REPO, start_worker

EXAMPLES = os.path.join(REPO, "examples")
SCRIPT_ERROR = errors.SCRIPT_ERROR  # -32010


def source(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return f.read()


def line_of(name, needle):
    """1-based line of the first line of examples/<name> that contains `needle`."""
    for number, text in enumerate(source(name).splitlines(), 1):
        if needle in text:
            return number
    raise AssertionError("%r not in %s" % (needle, name))


def run(worker, name):
    return worker.exec(source(name))


def script_error(worker, name):
    with pytest.raises(RpcError) as info:
        run(worker, name)
    assert info.value.code == SCRIPT_ERROR, info.value
    return info.value.data


def objects_by_name(worker):
    info = worker.call("scene.info", limit=1000)
    return {o["name"]: o for o in info["objects"]}, info


def node_types(detail):
    return {n["type"] for n in detail["nodes"]}


def probe(worker, code):
    """The value of a read-only query script (sets `result`)."""
    res = worker.exec(code)
    assert res["changes"] == {}, "a probe must not change the scene"
    return res["value"]


@pytest.fixture(scope="module")
def worker44():
    w = start_worker("module")
    version = tuple(w.ready["blender"]["version_tuple"])
    if version < (4, 0, 0):
        w.close()
        pytest.skip("the module launcher's bpy is %s; the examples target 4.4" % (version,))
    yield w
    w.close()


@pytest.fixture
def w(worker44):
    worker44.call("worker.reset")
    return worker44


# -- chair.py ------------------------------------------------------------------------------------

CHAIR_PARTS = {"Chair_Seat", "Chair_Cushion", "Chair_BackRail_Low", "Chair_BackRail_High"} \
    | {"Chair_Leg_" + t for t in ("FL", "FR", "BL", "BR")} \
    | {"Chair_%s_%s" % (p, s) for p in ("BackPost", "ArmSupport", "Armrest", "Stretcher") for s in "LR"}
WOOD_NODES = {"ShaderNodeTexCoord", "ShaderNodeMapping", "ShaderNodeTexNoise", "ShaderNodeTexWave",
              "ShaderNodeValToRGB", "ShaderNodeBump", "ShaderNodeMapRange", "ShaderNodeBsdfPrincipled",
              "ShaderNodeOutputMaterial"}
FABRIC_NODES = {"ShaderNodeTexCoord", "ShaderNodeTexWave", "ShaderNodeMath", "ShaderNodeBump",
                "ShaderNodeTexNoise", "ShaderNodeValToRGB", "ShaderNodeBsdfPrincipled",
                "ShaderNodeOutputMaterial"}


def test_chair_builds_parented_parts_with_applied_transforms(w):
    res = run(w, "chair.py")
    value = res["value"]
    assert value["collection"] == "Chair" and set(value["parts"]) == CHAIR_PARTS
    assert res["changes"]["objects"]["added"] == sorted(CHAIR_PARTS | {"Chair"})
    assert res["changes"]["materials"]["added"] == ["Chair_Fabric", "Chair_Wood"]
    width, depth, height = value["dimensions"]
    assert 0.45 <= width <= 0.6 and 0.45 <= depth <= 0.6 and 0.85 <= height <= 1.05  # chair-sized, metres

    objs, info = objects_by_name(w)
    assert set(objs) == CHAIR_PARTS | {"Chair"}
    assert objs["Chair"]["type"] == "EMPTY" and objs["Chair"]["parent"] is None
    for name in CHAIR_PARTS:
        ob = objs[name]
        assert ob["type"] == "MESH" and ob["parent"] == "Chair" and ob["collections"] == ["Chair"], name
        # applied: the rotation and scale live in the mesh, the object keeps only its location
        assert ob["rotation_euler"] == [0.0, 0.0, 0.0] and ob["scale"] == [1.0, 1.0, 1.0], name
        assert [m["type"] for m in ob["modifiers"]] == ["BEVEL"], name
        assert ob["evaluated"]["vertices"] > ob["vertices"] == 8, name  # the bevel rounds each box
        assert ob["materials"] == (["Chair_Fabric"] if name == "Chair_Cushion" else ["Chair_Wood"]), name
    # the scene's bounds agree with what the script measured
    lo, hi = info["bounds_world"]["min"], info["bounds_world"]["max"]
    assert lo[2] == pytest.approx(0.0, abs=1e-4)
    assert [b - a for a, b in zip(lo, hi)] == pytest.approx(value["dimensions"], abs=1e-3)


def test_chair_materials_are_node_trees_as_claimed(w):
    value = run(w, "chair.py")["value"]
    assert set(value["materials"]["Chair_Wood"]) == WOOD_NODES
    assert set(value["materials"]["Chair_Fabric"]) == FABRIC_NODES

    seat = w.call("scene.object", name="Chair_Seat")
    (wood,) = seat["material_details"]
    assert wood["name"] == "Chair_Wood" and wood["use_nodes"] is True
    assert node_types(wood) == WOOD_NODES and wood["links"] >= 10
    (fabric,) = w.call("scene.object", name="Chair_Cushion")["material_details"]
    assert node_types(fabric) == FABRIC_NODES

    # The claimed chains are wired: texture -> ColorRamp -> Base Color, Noise -> Bump -> Normal.
    links = probe(w, "result = {m.name: sorted('%s.%s>%s.%s' % (l.from_node.bl_idname, l.from_socket.name,\n"
                     "    l.to_node.bl_idname, l.to_socket.name) for l in m.node_tree.links)\n"
                     "    for m in bpy.data.materials}")
    wood_links = set(links["Chair_Wood"])
    assert {"ShaderNodeTexWave.Fac>ShaderNodeValToRGB.Fac",
            "ShaderNodeValToRGB.Color>ShaderNodeBsdfPrincipled.Base Color",
            "ShaderNodeTexNoise.Fac>ShaderNodeBump.Height",
            "ShaderNodeBump.Normal>ShaderNodeBsdfPrincipled.Normal",
            "ShaderNodeMapRange.Result>ShaderNodeBsdfPrincipled.Roughness",
            "ShaderNodeBsdfPrincipled.BSDF>ShaderNodeOutputMaterial.Surface"} <= wood_links
    assert {"ShaderNodeValToRGB.Color>ShaderNodeBsdfPrincipled.Base Color",
            "ShaderNodeBump.Normal>ShaderNodeBsdfPrincipled.Normal"} <= set(links["Chair_Fabric"])


# -- lantern.py ----------------------------------------------------------------------------------

LANTERN_MODIFIERS = {
    "Lantern_Base": ["BEVEL"],
    "Lantern_Glass": ["SOLIDIFY"],
    "Lantern_Posts": ["ARRAY", "BEVEL"],
    "Lantern_Roof": ["SOLIDIFY", "BEVEL"],
    "Lantern_Handle": ["MIRROR", "SUBSURF"],
    "Lantern_Candle": ["BEVEL"],
    "Lantern_Flame": ["SUBSURF"],
}


def test_lantern_bmesh_geometry_and_modifiers(w):
    value = run(w, "lantern.py")["value"]
    assert value["modifiers"] == LANTERN_MODIFIERS
    assert value["materials"] == ["Lantern_Flame", "Lantern_Glass", "Lantern_Iron", "Lantern_Wax"]

    objs, info = objects_by_name(w)
    assert set(objs) == set(LANTERN_MODIFIERS) | {"Lantern", "Lantern_PostPivot", "Lantern_Light"}
    for name, types in LANTERN_MODIFIERS.items():
        ob = objs[name]
        assert [m["type"] for m in ob["modifiers"]] == types, name
        assert ob["parent"] == "Lantern" and ob["collections"] == ["Lantern"], name
        assert ob["evaluated"]["vertices"] > ob["vertices"], name  # every stack adds geometry
    # bmesh: the hand-bridged glass tube is exactly two hexagons and six quads
    assert (objs["Lantern_Glass"]["vertices"], objs["Lantern_Glass"]["faces"]) == (12, 6)
    # one post, six after the Array (each bevelled box keeps its vertex count)
    posts = objs["Lantern_Posts"]
    assert posts["vertices"] == 8 and posts["evaluated"]["vertices"] % 6 == 0
    # the Mirror made the handle's second quarter: its bounds are symmetric about X
    handle = objs["Lantern_Handle"]["bounds_world"]
    assert handle["min"][0] == pytest.approx(-handle["max"][0], abs=1e-4) and handle["max"][0] > 0.02
    assert info["bounds_world"]["max"][2] == pytest.approx(value["height"], abs=2e-3)
    assert objs["Lantern_Light"]["light"]["type"] == "POINT"

    array = {m["type"]: m for m in w.call("scene.object", name="Lantern_Posts")["modifiers"]}["ARRAY"]
    assert array["settings"]["count"] == 6 and array["settings"]["use_object_offset"] is True
    assert array["settings"]["offset_object"] == {"type": "Object", "name": "Lantern_PostPivot"}

    (flame,) = w.call("scene.object", name="Lantern_Flame")["material_details"]
    assert {"ShaderNodeBlackbody", "ShaderNodeEmission", "ShaderNodeOutputMaterial"} == node_types(flame)
    strength = probe(w, "result = bpy.data.materials['Lantern_Flame'].node_tree.nodes['Emission']"
                        ".inputs['Strength'].default_value")
    assert strength > 1.0  # it glows


# -- the error -> hints -> fix loop --------------------------------------------------------------

def test_old_api_step_fails_with_rename_hint_then_fixed_step_works(w):
    run(w, "chair.py")
    data = script_error(w, "chair_refine_old_api.py")
    failing = line_of("chair_refine_old_api.py", 'wood.inputs["Specular"]')
    assert data["type"] == "KeyError" and "Specular" in data["message"]
    assert data["line"] == failing
    assert data["traceback"][-1]["line"] == failing
    assert data["traceback"][-1]["text"] == source("chair_refine_old_api.py").splitlines()[failing - 1].strip()
    assert any("Specular IOR Level" in h and "renamed" in h for h in data["hints"]), data["hints"]
    assert data["changes"] == {}  # it failed on its first edit: nothing half-applied

    res = run(w, "chair_refine_fixed.py")
    assert res["value"] == {"refined": ["Chair_Wood", "Chair_Fabric", "Chair_Cushion"]}
    assert res["changes"]["materials"]["modified"] == ["Chair_Fabric", "Chair_Wood"]
    assert res["changes"]["objects"]["modified"] == ["Chair_Cushion"]
    got = probe(w, "wood = bpy.data.materials['Chair_Wood'].node_tree.nodes['Principled BSDF'].inputs\n"
                   "cloth = bpy.data.materials['Chair_Fabric'].node_tree.nodes['Principled BSDF'].inputs\n"
                   "result = [wood['Specular IOR Level'].default_value, wood['Coat Weight'].default_value,\n"
                   "          cloth['Sheen Weight'].default_value,\n"
                   "          bpy.data.objects['Chair_Cushion'].modifiers['Bevel'].width]")
    assert got == pytest.approx([0.65, 0.35, 0.8, 0.03])


def test_blender_3_4_runs_the_old_step_and_rejects_the_fixed_one():
    w34 = start_worker("executable")
    try:
        if tuple(w34.ready["blender"]["version_tuple"]) >= (4, 0, 0):
            pytest.skip("the executable launcher is Blender %s, not 3.x" % w34.ready["blender"]["version"])
        w34.call("worker.reset")
        assert len(run(w34, "chair.py")["value"]["parts"]) == len(CHAIR_PARTS)
        assert set(run(w34, "lantern.py")["value"]["modifiers"]) == set(LANTERN_MODIFIERS)
        assert run(w34, "chair_refine_old_api.py")["changes"]["materials"]["modified"] == ["Chair_Fabric", "Chair_Wood"]
        data = script_error(w34, "chair_refine_fixed.py")
        assert data["line"] == line_of("chair_refine_fixed.py", 'wood.inputs["Specular IOR Level"]')
        assert any("'Specular'" in h for h in data["hints"]), data["hints"]  # 3.x's name, as the closest key
    finally:
        w34.close()

