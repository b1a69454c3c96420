"""scene.export: which operator writes which format in which Blender.

Each format lists candidate operators, newest first; the bpy layer takes the
first one this Blender has (operators are looked up, not version-compared:
Debian's 3.4 has the C++ OBJ exporter but the Python STL/PLY add-ons; 4.2+
has C++ STL and PLY exporters and no add-ons for them; USD exists only in
builds with USD). Keyword arguments the chosen operator does not know are
dropped, so an option renamed in some version cannot fail the export.
`SELECTED` in kwargs stands for "the caller gave a selection".
"""

SELECTED = object()

# The importers a test (or a client) uses to load a file back, in the same order.
FORMATS = {
    "glb": {
        "extensions": (".glb",), "mime": "model/gltf-binary", "needs_numpy": True,
        "operators": [("export_scene.gltf", {"export_format": "GLB", "use_selection": SELECTED,
                                             "export_apply": True})],
        "importers": ["import_scene.gltf"],
    },
    "gltf": {
        # One self-contained .gltf (base64 buffers) where the exporter still offers it;
        # 4.2+ hides GLTF_EMBEDDED behind an add-on preference, so separate .gltf + .bin there.
        "extensions": (".gltf",), "mime": "model/gltf+json", "needs_numpy": True,
        "operators": [("export_scene.gltf", {"export_format": "GLTF_EMBEDDED", "use_selection": SELECTED,
                                             "export_apply": True}),
                      ("export_scene.gltf", {"export_format": "GLTF_SEPARATE", "use_selection": SELECTED,
                                             "export_apply": True})],
        "importers": ["import_scene.gltf"],
    },
    "obj": {
        "extensions": (".obj",), "mime": "model/obj",
        "operators": [("wm.obj_export", {"export_selected_objects": SELECTED, "apply_modifiers": True}),
                      ("export_scene.obj", {"use_selection": SELECTED, "use_mesh_modifiers": True})],
        "importers": ["wm.obj_import", "import_scene.obj"],
    },
    "fbx": {
        "extensions": (".fbx",), "mime": "application/octet-stream",
        "operators": [("export_scene.fbx", {"use_selection": SELECTED, "use_mesh_modifiers": True})],
        "importers": ["import_scene.fbx"],
    },
    "usd": {
        "extensions": (".usd", ".usdc", ".usda", ".usdz"), "mime": "model/vnd.usd",
        "operators": [("wm.usd_export", {"selected_objects_only": SELECTED, "visible_objects_only": False})],
        "importers": ["wm.usd_import"],
    },
    "stl": {
        "extensions": (".stl",), "mime": "model/stl", "single_mesh": True,
        "operators": [("wm.stl_export", {"export_selected_objects": SELECTED, "apply_modifiers": True,
                                         "ascii_format": False}),
                      ("export_mesh.stl", {"use_selection": SELECTED, "use_mesh_modifiers": True,
                                           "ascii": False})],
        "importers": ["wm.stl_import", "import_mesh.stl"],
    },
    "ply": {
        "extensions": (".ply",), "mime": "application/ply", "single_mesh": True,
        "operators": [("wm.ply_export", {"export_selected_objects": SELECTED, "apply_modifiers": True,
                                         "ascii_format": False}),
                      ("export_mesh.ply", {"use_selection": SELECTED, "use_mesh_modifiers": True,
                                           "use_ascii": False})],
        "importers": ["wm.ply_import", "import_mesh.ply"],
    },
    "blend": {
        "extensions": (".blend",), "mime": "application/x-blender",
        "operators": [("wm.save_as_mainfile", {})],  # done by hand: copy=True, or libraries.write for a selection
        "importers": [],
    },
}

# Object types each format carries: what `objects` in the result counts.
_GEOMETRY = ("MESH", "CURVE", "SURFACE", "META", "FONT")
CARRIES = {
    "glb": _GEOMETRY + ("EMPTY",),
    "gltf": _GEOMETRY + ("EMPTY",),
    "obj": _GEOMETRY,
    "stl": _GEOMETRY,
    "ply": _GEOMETRY,
    "fbx": None,    # every type (meshes, empties, cameras, lights, armatures)
    "usd": None,
    "blend": None,
}


def format_names():
    return list(FORMATS)


def choose_operator(fmt, available):
    """(operator id, kwargs template) candidates for `fmt` whose operator is in
    `available` (a set of "module.name"), newest first; [] when none is."""
    return [(op, kw) for op, kw in FORMATS[fmt]["operators"] if op in available]


def supported(available):
    """Formats this Blender can write, given its operators."""
    out = []
    for fmt in FORMATS:
        if fmt == "blend" or choose_operator(fmt, available):
            out.append(fmt)
    return out


def operator_kwargs(template, selected, known):
    """`template` with SELECTED resolved and keys the operator lacks (`known`) dropped."""
    out = {}
    for key, value in template.items():
        if key not in known:
            continue
        out[key] = bool(selected) if value is SELECTED else value
    return out


def counts_object(fmt, object_type):
    carries = CARRIES[fmt]
    return carries is None or object_type in carries


def check_extension(fmt, path):
    """None if `path` ends with an extension of `fmt`, else the allowed list
    (exporters add or change extensions on their own otherwise)."""
    exts = FORMATS[fmt]["extensions"]
    return None if path.lower().endswith(exts) else list(exts)
