"""Cheap fingerprints of bpy.data, for `changes` of script.exec.

A fingerprint is any comparable value that changes when the datablock
changes in a way an agent cares about: transforms, geometry, node graphs,
settings. It is not a full hash: edits inside Edit Mode only reach the mesh
when leaving it, and deep settings (e.g. scene.render.*) are sampled.
"""

import zlib
from array import array

import bpy

# UI datablocks change whenever Blender feels like it and are not scene content.
_SKIP = {"window_managers", "screens", "workspaces", "brushes", "palettes", "paint_curves"}
_SCALAR = {"BOOLEAN", "INT", "FLOAT", "STRING", "ENUM"}
# Runtime state that flips without the script changing anything (an image
# buffer loaded lazily, user counts when something else links the block).
_VOLATILE = {"rna_type", "has_data", "bindcode", "users", "is_evaluated", "is_runtime_data",
             "is_editmode", "is_missing", "tag", "is_library_indirect"}
MAX_HASHED_VERTICES = 2_000_000  # above this, counts only: hashing would cost more than the exec

_collections = None


def id_collections():
    """Names of the bpy.data collections holding datablocks, in this Blender."""
    global _collections
    if _collections is None:
        names = []
        for prop in bpy.data.bl_rna.properties:
            if prop.type != "COLLECTION" or prop.identifier in _SKIP:
                continue
            rna = prop.fixed_type
            while rna is not None and rna.identifier != "ID":
                rna = rna.base
            if rna is not None:
                names.append(prop.identifier)
        _collections = names
    return _collections


def _value(v):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    try:
        return tuple(v)  # arrays, vectors, enum sets
    except TypeError:
        return repr(v)


_scalar_ids = {}  # RNA type identifier -> names of its scalar properties


def _scalar_identifiers(rna):
    ids = _scalar_ids.get(rna.identifier)
    if ids is None:
        ids = tuple(
            prop.identifier for prop in rna.properties
            if prop.type in _SCALAR and prop.identifier not in _VOLATILE
            # dynamic arrays, e.g. Image.pixels: megabytes, not a setting
            and not (getattr(prop, "is_array", False) and prop.array_length == 0)
        )
        _scalar_ids[rna.identifier] = ids
    return ids


def scalars(struct):
    """Tuple of the struct's scalar RNA properties."""
    out = []
    for identifier in _scalar_identifiers(struct.bl_rna):
        try:
            out.append(_value(getattr(struct, identifier)))
        except Exception:
            out.append(None)
    return tuple(out)


def _node_tree(tree):
    if tree is None:
        return None
    nodes = []
    for node in tree.nodes:
        inputs = tuple(
            _value(getattr(s, "default_value", None)) for s in node.inputs if not s.is_linked
        )
        nodes.append((node.name, node.bl_idname, inputs, scalars(node)))
    links = tuple(
        (l.from_node.name, l.from_socket.identifier, l.to_node.name, l.to_socket.identifier)
        for l in tree.links
    )
    return (tuple(nodes), links)


def _object(ob):
    return (
        ob.type,
        ob.data.name if ob.data is not None else None,
        ob.parent.name if ob.parent else None,
        tuple(tuple(row) for row in ob.matrix_basis),
        ob.hide_viewport, ob.hide_render,
        tuple((m.name, m.type, scalars(m)) for m in ob.modifiers),
        tuple((c.name, c.type) for c in ob.constraints),
        tuple(s.material.name if s.material else None for s in ob.material_slots),
    )


def _mesh(me):
    n = len(me.vertices)
    coords = None
    if n <= MAX_HASHED_VERTICES:
        buf = array("f", bytes(12 * n))
        me.vertices.foreach_get("co", buf)
        coords = zlib.crc32(buf.tobytes())
    return (n, len(me.edges), len(me.polygons), len(me.loops), coords,
            tuple(m.name if m else None for m in me.materials),
            tuple(a.name for a in me.attributes))


def fingerprint(collection, idb):
    if collection == "objects":
        return _object(idb)
    if collection == "meshes":
        return _mesh(idb)
    if collection == "collections":
        return (tuple(o.name for o in idb.objects), tuple(c.name for c in idb.children), scalars(idb))
    if collection == "scenes":
        render = idb.render
        return (scalars(idb), render.engine, render.resolution_x, render.resolution_y,
                idb.camera.name if idb.camera else None, idb.world.name if idb.world else None,
                tuple(o.name for o in idb.collection.objects), tuple(c.name for c in idb.collection.children))
    tree = getattr(idb, "node_tree", None) if collection != "node_groups" else idb
    if tree is not None:
        return (scalars(idb), _node_tree(tree))
    return scalars(idb)


def take():
    """{collection: {name: fingerprint}} over every datablock collection."""
    snap = {}
    for collection in id_collections():
        items = {}
        for idb in getattr(bpy.data, collection):
            try:
                items[idb.name_full] = fingerprint(collection, idb)
            except ReferenceError:
                continue
            except Exception as exc:  # never fail an exec for a fingerprint
                items[idb.name_full] = ("unfingerprintable", type(exc).__name__)
        snap[collection] = items
    return snap
