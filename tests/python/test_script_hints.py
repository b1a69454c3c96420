import pytest

from blenderd.script import astscan, hints


def test_closest_prefers_known_renames():
    keys = ["Base Color", "Specular Tint", "Specular IOR Level", "Roughness"]
    assert hints.closest("Specular", keys)[0] == "Specular IOR Level"
    assert hints.closest("roughness", keys)[0] == "Roughness"
    assert hints.closest("Specular IOR Level", ["Specular", "Roughness"]) == ["Specular"]


def test_key_hint_mentions_rename_and_lists_keys():
    text = " ".join(hints.key_hint("Specular", ["Base Color", "Specular IOR Level", "Specular Tint"], "inputs"))
    assert "Specular IOR Level" in text and "Blender 4.0" in text and "'Base Color'" in text


def test_parse_missing_key():
    assert hints.parse_missing_key(KeyError('bpy_prop_collection[key]: key "Specular" not found')) == "Specular"
    assert hints.parse_missing_key(KeyError("plain")) == "plain"
    assert hints.parse_missing_key(KeyError(3)) == 3


def test_parse_enum_error_both_versions():
    m34 = "Converting py args to operator properties:  enum \"BLAH\" not found in ('WORLD', 'VIEW', 'CURSOR')"
    m44 = "bpy_struct: item.attr = val: enum \"XX\" not found in ('BLENDER_EEVEE_NEXT', 'CYCLES')"
    assert hints.parse_enum_error(m34) == ("BLAH", ["WORLD", "VIEW", "CURSOR"])
    assert hints.parse_enum_error(m44) == ("XX", ["BLENDER_EEVEE_NEXT", "CYCLES"])
    text = " ".join(hints.enum_hint("BLENDER_EEVEE", ["BLENDER_EEVEE_NEXT", "CYCLES"], "render.engine"))
    assert "BLENDER_EEVEE_NEXT" in text and "render.engine must be one of" in text
    msg = ('ObjectModifiers.new(): error with keyword argument "type" -  enum "BEVELL" not found in '
           "('ARRAY', 'BEVEL', 'BOOLEAN')")
    value, allowed = hints.parse_enum_error(msg)
    first = hints.enum_hint(value, allowed, hints.parse_enum_keyword(msg))[0]
    assert first == "'BEVELL' is not a valid value for ObjectModifiers.new(type=...); closest: ['BEVEL']"


@pytest.mark.parametrize("message, expected", [
    ("'Object' object has no attribute 'locaton'", ("Object", "locaton")),
    ('bpy_prop_collection: attribute "nope" not found', ("bpy_prop_collection", "nope")),
    ("'NoneType' object has no attribute 'location'", ("NoneType", "location")),
])
def test_parse_attribute_error(message, expected):
    assert hints.parse_attribute_error(AttributeError(message)) == expected


def test_parse_poll_failure_forms():
    assert hints.parse_poll_failure("Operator bpy.ops.object.mode_set.poll() Context missing active object") == \
        ("object.mode_set", "Context missing active object")
    assert hints.parse_poll_failure("Operator bpy.ops.mesh.subdivide.poll() failed, context is incorrect") == \
        ("mesh.subdivide", "failed, context is incorrect")
    assert hints.parse_poll_failure("something else") is None


def test_poll_hint_by_version_and_context():
    facts = {"mode": "OBJECT", "active": None, "selected": 0, "has_view3d": False, "background": True}
    h4 = " ".join(hints.poll_hint("object.modifier_add", "Context missing active object", facts, (4, 4, 0)))
    assert "view_layer.objects.active" in h4 and "temp_override" in h4 and "{'active_object'" not in h4
    h3 = " ".join(hints.poll_hint("object.modifier_add", "Context missing active object", facts, (3, 4, 1)))
    assert "temp_override" in h3 and "{'active_object'" in h3  # dict form still accepted in 3.x
    h31 = " ".join(hints.poll_hint("object.modifier_add", "x", facts, (3, 1, 0)))
    assert "temp_override" not in h31
    edit = " ".join(hints.poll_hint("mesh.subdivide", "failed, context is incorrect", facts, (4, 4, 0)))
    assert "mode_set(mode='EDIT')" in edit and "bmesh" in edit
    view = " ".join(hints.poll_hint("view3d.view_all", "expected a view3d region", facts, (4, 4, 0)))
    assert "headless" in view
    gui = dict(facts, background=False, has_view3d=True)
    view = " ".join(hints.poll_hint("view3d.view_all", "expected a view3d region", gui, (4, 4, 0)))
    assert "a.type == 'VIEW_3D'" in view and "temp_override(area=area, region=region)" in view


def test_misc_hints():
    assert "bpy.context" in hints.name_error_hint("C", ["bpy"])[0]
    assert "from mathutils import Vector" in hints.name_error_hint("Vector", [])[0]
    assert "sys.exit" in hints.system_exit_hint()[0]
    assert "shade_auto_smooth" in " ".join(hints.attribute_hint("use_auto_smooth", ["use_mirror_x"]))
    assert "active_object is None" in hints.none_attribute_hint("location", "bpy.context.active_object")[0]
    assert hints.parse_keyword_error('Converting py args to operator properties: : keyword "sise" unrecognized') == "sise"
    assert hints.parse_missing_operator('Calling operator "bpy.ops.mesh.nope" error, could not be found') == ("mesh", "nope")
    assert hints.parse_read_only('bpy_struct: attribute "type" from "Object" is read-only') == ("Object", "type")


def test_listing_caps_long_lists():
    text = hints.listing(["k%d" % i for i in range(100)])
    assert "(60 more)" in text


SOURCE = """import bpy
m = bpy.data.materials.new('m')
m.node_tree.nodes['Principled BSDF'].inputs['Specular'].default_value = 0.5
val = bpy.data.objects.new('x', None)['key']
bpy.ops.mesh.primitive_cube_add(sise=2, location=(0, 0, 0))
bpy.context.scene.render.engine = 'X'
total = (a.b.c +
         d.e)
"""


def test_astscan_subscript_containers_only_safe_ones():
    assert astscan.subscript_containers(SOURCE, 3, "Specular")[0] == "m.node_tree.nodes['Principled BSDF'].inputs"
    # the container is a call: re-evaluating it would create another object
    assert astscan.subscript_containers(SOURCE, 4, "key") == []


def test_astscan_attributes_calls_assignments_multiline():
    assert astscan.operator_calls(SOURCE, 5) == ["mesh.primitive_cube_add"]
    assert astscan.assigned_attributes(SOURCE, 6) == [("bpy.context.scene.render", "engine")]
    assert astscan.attribute_owners(SOURCE, 8, "e") == ["d"]  # line 8 is inside the statement of line 7
    assert astscan.attribute_owners("x = (", 1, "e") == []  # unparsable source: no crash
