"""api.describe: live RNA introspection of *this* Blender, so an agent asks
instead of guessing from training data that may predate an API change."""

import bpy

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..script import hints, jsonsafe

# Which node tree each node family lives in; the first that accepts the type wins.
_TREE_TYPES = ("ShaderNodeTree", "GeometryNodeTree", "CompositorNodeTree", "TextureNodeTree")
_TREE_BY_PREFIX = (("ShaderNode", "ShaderNodeTree"), ("GeometryNode", "GeometryNodeTree"),
                   ("FunctionNode", "GeometryNodeTree"), ("CompositorNode", "CompositorNodeTree"),
                   ("TextureNode", "TextureNodeTree"))


def _default(prop):
    try:
        if prop.type == "ENUM":
            return sorted(prop.default_flag) if prop.is_enum_flag else prop.default
        if getattr(prop, "array_length", 0):
            return jsonsafe.to_json(list(prop.default_array))
        return jsonsafe.to_json(getattr(prop, "default", None))
    except Exception:
        return None


def describe_property(prop):
    info = {"identifier": prop.identifier, "name": prop.name, "type": prop.type,
            "description": prop.description}
    if prop.subtype != "NONE":
        info["subtype"] = prop.subtype
    if prop.is_readonly:
        info["readonly"] = True
    if prop.type in ("POINTER", "COLLECTION"):
        info["fixed_type"] = prop.fixed_type.identifier if prop.fixed_type else None
        return info
    info["default"] = _default(prop)
    if getattr(prop, "array_length", 0):
        info["array_length"] = prop.array_length
    if prop.type in ("INT", "FLOAT"):
        for key in ("hard_min", "hard_max", "soft_min", "soft_max"):
            info[key] = jsonsafe.to_json(getattr(prop, key))
        if prop.type == "FLOAT" and prop.unit != "NONE":
            info["unit"] = prop.unit
    if prop.type == "ENUM":
        info["enum_items"] = [{"identifier": i.identifier, "name": i.name, "description": i.description}
                              for i in prop.enum_items]
        if prop.is_enum_flag:
            info["enum_flag"] = True
    if prop.type == "STRING" and getattr(prop, "length_max", 0):
        info["length_max"] = prop.length_max
    return info


def _properties(rna):
    return [describe_property(p) for p in rna.properties if p.identifier != "rna_type"]


def _functions(rna):
    out = []
    for fn in rna.functions:
        params = [p for p in fn.parameters]
        out.append({
            "identifier": fn.identifier,
            "description": fn.description,
            "parameters": [dict(describe_property(p), required=p.is_required)
                           for p in params if not p.is_output],
            "returns": [describe_property(p) for p in params if p.is_output],
        })
    return out


def all_operator_ids():
    ids = []
    for module in dir(bpy.ops):
        if module.startswith("_"):
            continue
        ids += ["%s.%s" % (module, name) for name in dir(getattr(bpy.ops, module)) if not name.startswith("_")]
    return ids


def _operator_id(target):
    """'mesh.primitive_cube_add' from that, 'bpy.ops.mesh...' or 'MESH_OT_primitive_cube_add'."""
    if target.startswith("bpy.ops."):
        target = target[len("bpy.ops."):]
    if "_OT_" in target:
        module, name = target.split("_OT_", 1)
        return "%s.%s" % (module.lower(), name)
    parts = target.split(".")
    if len(parts) == 2 and all(parts):
        return target
    return None


def describe_operator(op_id):
    module, name = op_id.split(".")
    if module not in dir(bpy.ops) or name not in dir(getattr(bpy.ops, module)):
        return None
    op = getattr(getattr(bpy.ops, module), name)
    rna = op.get_rna_type()
    return {"kind": "operator", "target": op_id, "call": "bpy.ops.%s(...)" % op_id,
            "name": rna.name, "description": rna.description,
            "parameters": _properties(rna)}


def _socket(sock):
    info = {"name": sock.name, "identifier": sock.identifier, "type": sock.type,
            "bl_idname": sock.bl_idname}
    if hasattr(sock, "default_value"):
        info["default"] = jsonsafe.to_json(sock.default_value)
    if not getattr(sock, "enabled", True):
        info["enabled"] = False  # exists but unused with the node's current settings
    if getattr(sock, "hide_value", False):
        info["hide_value"] = True
    return info


def node_sockets(type_name):
    """Sockets of a node type, read from an instance in a scratch node group
    that is removed again: the scene is left as it was."""
    order = [tree for prefix, tree in _TREE_BY_PREFIX if type_name.startswith(prefix)]
    order += [t for t in _TREE_TYPES if t not in order]
    for tree_type in order:
        tree = bpy.data.node_groups.new("__blenderd_describe__", tree_type)
        try:
            try:
                node = tree.nodes.new(type_name)
            except RuntimeError:
                continue
            return {"tree_type": tree_type,
                    "inputs": [_socket(s) for s in node.inputs],
                    "outputs": [_socket(s) for s in node.outputs]}
        finally:
            bpy.data.node_groups.remove(tree)
    return None


def describe_type(type_name):
    cls = getattr(bpy.types, type_name, None)
    rna = getattr(cls, "bl_rna", None) if cls is not None else None
    if rna is None:
        return None
    info = {"kind": "type", "target": type_name, "name": rna.name, "description": rna.description,
            "base": rna.base.identifier if rna.base else None}
    if _is_node(rna) and type_name != "Node":
        # Sockets first: what an agent wires. Properties inherited from Node
        # (location, width, ...) are noise here; api.describe "Node" has them.
        info["kind"] = "node"
        sockets = node_sockets(type_name)
        if sockets is not None:
            info.update(sockets)
        inherited = {p.identifier for p in bpy.types.Node.bl_rna.properties}
        info["properties"] = [describe_property(p) for p in rna.properties if p.identifier not in inherited]
        info["inherited_from"] = "Node"
        return info
    info["properties"] = _properties(rna)
    info["functions"] = _functions(rna)
    return info


def _is_node(rna):
    while rna is not None:
        if rna.identifier == "Node":
            return True
        rna = rna.base
    return False


def api_describe(params):
    p = Params(params)
    target = p.str("target", required=True).strip()
    if target.startswith("bpy.types."):
        target = target[len("bpy.types."):]
    op_id = _operator_id(target)
    if op_id is not None:
        found = describe_operator(op_id)
        if found is not None:
            return found
    # "Object", or "Object.location" for one property
    type_name, _, prop_name = target.partition(".")
    found = describe_type(type_name)
    if found is not None:
        if not prop_name:
            return found
        match = [p for p in found["properties"] if p["identifier"] == prop_name]
        if match:
            return {"kind": "property", "target": target, "owner": type_name, "property": match[0]}
        names = [p["identifier"] for p in found["properties"]] + [f["identifier"] for f in found["functions"]]
        raise RpcError(errors.INVALID_PARAMS, "%s has no property %r" % (type_name, prop_name),
                       {"target": target, "available": hints.closest(prop_name, names, n=10)})
    # Unknown: the closest names of both kinds, the agent may have mixed them up.
    candidates = [n for n in dir(bpy.types) if not n.startswith("_")] + all_operator_ids()
    raise RpcError(errors.INVALID_PARAMS, "unknown type or operator %r" % target,
                   {"target": target, "available": hints.closest(target, candidates, n=10)})
