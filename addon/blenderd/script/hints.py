"""Hints that make an agent's next try right: parse Blender's error messages
and phrase suggestions. String work only; the bpy layer supplies the live
names (collection keys, attributes, operator parameters, context facts).
"""

import ast
import difflib
import re

MAX_LISTED = 40  # names to list in full before "and N more"

# Renames agents trip over when their training data predates the Blender they
# run on. Key: the old name; value: (new name, version it changed in).
RENAMED_KEYS = {
    # Principled BSDF v2 (4.0)
    "Specular": ("Specular IOR Level", "4.0"),
    "Subsurface": ("Subsurface Weight", "4.0"),
    "Subsurface Color": ("Base Color", "4.0"),
    "Transmission": ("Transmission Weight", "4.0"),
    "Clearcoat": ("Coat Weight", "4.0"),
    "Clearcoat Roughness": ("Coat Roughness", "4.0"),
    "Clearcoat Normal": ("Coat Normal", "4.0"),
    "Sheen": ("Sheen Weight", "4.0"),
    "Emission": ("Emission Color", "4.0"),
}
RENAMED_ATTRIBUTES = {
    "use_auto_smooth": "removed in 4.1: use bpy.ops.object.shade_auto_smooth() or a 'Smooth by Angle' modifier",
    "auto_smooth_angle": "removed in 4.1: use bpy.ops.object.shade_auto_smooth(angle=...)",
    "calc_normals": "removed in 4.0: normals are computed on demand",
    "shadow_method": "removed in 4.2 (EEVEE Next): use Object.visible_shadow / Material.use_transparent_shadow",
    "use_ssr": "EEVEE Next (4.2) uses ray tracing: scene.eevee.use_raytracing",
    "use_bloom": "removed in 4.2: add a Glare node in the compositor",
}
RENAMED_ENUMS = {
    "BLENDER_EEVEE": ("BLENDER_EEVEE_NEXT", "4.2"),
    "BLENDER_EEVEE_NEXT": ("BLENDER_EEVEE", "before 4.2"),
}


def closest(word, candidates, n=5):
    """Best guesses for `word`: case-insensitive equal, then known renames,
    then difflib, then names containing it (or contained in it)."""
    candidates = [c for c in dict.fromkeys(candidates) if isinstance(c, str)]
    lower = {c.lower(): c for c in candidates}
    out = []
    if word.lower() in lower and lower[word.lower()] != word:
        out.append(lower[word.lower()])
    for table in (RENAMED_KEYS, RENAMED_ENUMS):
        if word in table and table[word][0] in candidates:
            out.append(table[word][0])
    out += difflib.get_close_matches(word, candidates, n=n, cutoff=0.6)
    needle = word.lower()
    if len(needle) >= 3:
        out += [c for c in candidates if needle in c.lower() or (len(c) >= 3 and c.lower() in needle)]
    out += [lower[m] for m in difflib.get_close_matches(needle, list(lower), n=n, cutoff=0.6)]
    return list(dict.fromkeys(x for x in out if x != word))[:n]


def listing(names):
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        shown += ", ... (%d more)" % (len(names) - MAX_LISTED)
    return "[" + shown + "]"


# -- message parsers --------------------------------------------------------

_KEY_NOT_FOUND = re.compile(r'key "(.*)" not found')
_ENUM_NOT_FOUND = re.compile(r'enum "(.*?)" not found in (\(.*\))', re.S)
_NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
_ATTR_NOT_FOUND = re.compile(r'(\w+): attribute "(\w+)" not found')
_READ_ONLY = re.compile(r'attribute "(\w+)" from "(\w+)" is read-only')
_POLL_FAILED = re.compile(r"Operator bpy\.ops\.([\w]+\.[\w]+)\.poll\(\)\s*(.*)", re.S)
_KEYWORD = re.compile(r'keyword "(\w+)" unrecognized')
_OP_MISSING = re.compile(r'Calling operator "bpy\.ops\.(\w+)\.(\w+)" error, could not be found')
_NAME_ERROR = re.compile(r"name '(\w+)' is not defined")


def parse_missing_key(exc):
    """The key of a KeyError: Blender's message form or a plain dict's key."""
    if not exc.args:
        return None
    arg = exc.args[0]
    if isinstance(arg, str):
        m = _KEY_NOT_FOUND.search(arg)
        if m:
            return m.group(1)
    return arg


def parse_enum_error(message):
    """(value, allowed) from `enum "X" not found in ('A', 'B')`."""
    m = _ENUM_NOT_FOUND.search(message)
    if not m:
        return None
    try:
        allowed = ast.literal_eval(m.group(2))
    except (ValueError, SyntaxError):
        allowed = re.findall(r"'([^']*)'", m.group(2))
    if isinstance(allowed, str):
        allowed = (allowed,)
    return m.group(1), list(allowed)


def parse_attribute_error(exc):
    """(owner type name or None, attribute) for an AttributeError."""
    name = getattr(exc, "name", None)  # set by Python 3.10+ for plain objects
    message = str(exc)
    m = _NO_ATTRIBUTE.search(message)
    if m:
        return m.group(1), name or m.group(2)
    m = _ATTR_NOT_FOUND.search(message)
    if m:
        return m.group(1), m.group(2)
    if name:
        return None, name
    return None


def parse_read_only(message):
    m = _READ_ONLY.search(message)
    return (m.group(2), m.group(1)) if m else None


def parse_poll_failure(message):
    """(operator id, reason) from `Operator bpy.ops.X.poll() ...`."""
    m = _POLL_FAILED.search(message)
    if not m:
        return None
    return m.group(1), m.group(2).strip()


def parse_keyword_error(message):
    m = _KEYWORD.search(message)
    return m.group(1) if m else None


def parse_missing_operator(message):
    m = _OP_MISSING.search(message)
    return (m.group(1), m.group(2)) if m else None


def parse_name_error(exc):
    name = getattr(exc, "name", None)
    if name:
        return name
    m = _NAME_ERROR.search(str(exc))
    return m.group(1) if m else None


# -- phrasing ----------------------------------------------------------------

def key_hint(key, keys, where=None):
    hints = []
    where = " in %s" % where if where else ""
    if key in RENAMED_KEYS and RENAMED_KEYS[key][0] in keys:
        new, version = RENAMED_KEYS[key]
        hints.append('%r was renamed %r in Blender %s: use [%r]' % (key, new, version, new))
    guesses = closest(str(key), keys)
    if guesses:
        hints.append("key %r not found%s; closest: %s" % (key, where, listing(guesses)))
    hints.append("available keys%s: %s" % (where, listing(keys)))
    return hints


def attribute_hint(attr, names, owner=None):
    hints = []
    if attr in RENAMED_ATTRIBUTES:
        hints.append("%s: %s" % (attr, RENAMED_ATTRIBUTES[attr]))
    guesses = closest(attr, [n for n in names if not n.startswith("_")])
    if guesses:
        hints.append("%s has no attribute %r; closest: %s" % (owner or "the object", attr, listing(guesses)))
    return hints


def none_attribute_hint(attr, expr):
    """`X.attr` where X is None: say which X, and the usual cause in bpy."""
    hints = []
    if expr:
        hints.append("%s is None, so .%s fails" % (expr, attr))
    tail = (expr or "").rsplit(".", 1)[-1]
    if tail in ("active_object", "object", "active"):
        hints.append("there is no active object (in background mode nothing is active after "
                     "creating data by the API): set bpy.context.view_layer.objects.active = obj, "
                     "or keep the object returned by bpy.data.objects.new(...)")
    elif tail in ("active_material", "material"):
        hints.append("the object has no material: obj.data.materials.append(bpy.data.materials.new('Mat'))")
    elif tail == "camera":
        hints.append("the scene has no camera: scene.camera = bpy.data.objects.new('Camera', bpy.data.cameras.new('Camera')) "
                     "(and link it to scene.collection)")
    elif tail in ("node_tree",):
        hints.append("set .use_nodes = True before using .node_tree")
    elif tail == "world":
        hints.append("the scene has no world: scene.world = bpy.data.worlds.new('World')")
    return hints


def enum_hint(value, allowed, target=None):
    """Closest value first (the list can be 80 modifier types long)."""
    hints = []
    if value in RENAMED_ENUMS and RENAMED_ENUMS[value][0] in allowed:
        new, version = RENAMED_ENUMS[value]
        hints.append("%r is called %r in this Blender (changed in %s)" % (value, new, version))
    guesses = closest(value, allowed, n=3)
    where = " for %s" % target if target else ""
    if guesses:
        hints.append("%r is not a valid value%s; closest: %s" % (value, where, listing(guesses)))
    what = "%s must be one of" % target if target else "allowed values:"
    hints.append("%s %s" % (what, listing(allowed)))
    return hints


_ENUM_KEYWORD = re.compile(r'([\w.]+)\(\): error with keyword argument "(\w+)"')


def parse_enum_keyword(message):
    """'ObjectModifiers.new(type=...)' from a function-call enum error, or None."""
    m = _ENUM_KEYWORD.search(message)
    return "%s(%s=...)" % (m.group(1), m.group(2)) if m else None


def keyword_hint(keyword, op_id, params):
    guesses = closest(keyword, params)
    hint = "bpy.ops.%s has no parameter %r" % (op_id, keyword)
    if guesses:
        hint += "; closest: %s" % listing(guesses)
    return [hint, "parameters of bpy.ops.%s: %s" % (op_id, listing(params))]


def missing_operator_hint(module, name, available):
    guesses = closest(name, available)
    hints = ["bpy.ops.%s.%s does not exist in this Blender" % (module, name)]
    if guesses:
        hints.append("closest: %s" % listing("bpy.ops.%s.%s" % (module, g) for g in guesses))
    return hints


def name_error_hint(name, names):
    hints = []
    if name in ("C", "D"):
        hints.append("%s is only predefined in Blender's interactive console: use bpy.%s"
                     % (name, "context" if name == "C" else "data"))
    elif name in ("Vector", "Matrix", "Euler", "Quaternion", "Color"):
        hints.append("import it first: from mathutils import %s" % name)
    guesses = closest(name, names, n=3)
    if guesses:
        hints.append("closest defined names: %s" % listing(guesses))
    return hints


def read_only_hint(type_name, attr):
    return ["%s.%s is read-only; it is set when the datablock is created or changed through another "
            "API (see api.describe %r)" % (type_name, attr, type_name)]


def system_exit_hint():
    return ["sys.exit()/exit()/quit() do not end the script here and would have stopped Blender: "
            "end the script normally (put the code in a function and return early, or raise an exception "
            "to report a failure)"]


def poll_hint(op_id, reason, facts, version):
    """What context `bpy.ops.<op_id>` needs, from its poll message and where we are.

    `facts`: mode, active (name or None), active_type, selected (count),
    has_view3d (a 3D View area exists), background.
    """
    module = op_id.split(".", 1)[0]
    hints = []
    low = reason.lower()
    needs_active = "active object" in low or ("active" in low and "object" in low)
    needs_view3d = module == "view3d" or "view3d" in low or "region" in low or "area" in low
    needs_edit = module in ("mesh", "curve", "armature") and not op_id.split(".", 1)[1].startswith("primitive_")
    where = "mode=%s, active object=%s, %d selected" % (
        facts.get("mode"), repr(facts.get("active")) if facts.get("active") else "None", facts.get("selected", 0))
    hints.append("bpy.ops.%s cannot run in the current context (%s)%s" % (
        op_id, where, ": " + reason if reason and reason != "failed, context is incorrect" else ""))
    if needs_active or (module == "object" and not facts.get("active")):
        hints.append("it needs an active object: bpy.context.view_layer.objects.active = obj; obj.select_set(True)")
    if needs_edit and facts.get("mode") != "EDIT_MESH" and module == "mesh":
        hints.append("mesh.* operators (except primitive_*_add) need Edit Mode on an active mesh: "
                     "bpy.ops.object.mode_set(mode='EDIT'); or edit the mesh with bmesh "
                     "(bm = bmesh.new(); bm.from_mesh(obj.data); ...; bm.to_mesh(obj.data)), which needs no context")
    if needs_view3d:
        if facts.get("background") and not facts.get("has_view3d"):
            hints.append("it needs a 3D View, and this Blender runs headless without one: use the data API "
                         "instead (e.g. set object/camera transforms directly)")
        else:
            hints.append("it needs a 3D View area: " + override_example(op_id, version, view3d=True))
    elif (needs_active or module == "object") and not needs_edit:
        hints.append("or pass the context explicitly: " + override_example(op_id, version, view3d=False))
    return hints


def override_example(op_id, version, view3d):
    """A context override in the form this Blender accepts: `temp_override`
    (3.2+, the only form in 4.x) and the deprecated dict for 3.x."""
    version = tuple(version or (4, 0, 0))
    if view3d:
        find = ("area = next(a for a in bpy.context.screen.areas if a.type == 'VIEW_3D'); "
                "region = next(r for r in area.regions if r.type == 'WINDOW'); ")
        keys = "area=area, region=region"
        dict_keys = "{'area': area, 'region': region}"
    else:
        find = ""
        keys = "active_object=obj, object=obj, selected_objects=[obj], selected_editable_objects=[obj]"
        dict_keys = ("{'active_object': obj, 'object': obj, 'selected_objects': [obj], "
                     "'selected_editable_objects': [obj]}")
    text = "%swith bpy.context.temp_override(%s): bpy.ops.%s()" % (find, keys, op_id)
    if version < (3, 2, 0):
        text = "%sbpy.ops.%s(%s)" % (find, op_id, dict_keys)
    elif version < (4, 0, 0):
        text += " (the override dict form bpy.ops.%s(%s) still works in 3.x but is deprecated)" % (op_id, dict_keys)
    return text
