"""scene.info and scene.object: what an agent needs to check its work
without rendering (transforms, bounds, counts, materials)."""

import bpy
import mathutils

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..script import hints, jsonsafe

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Types whose bound box is geometry; cameras, lights and empties have none
# that matters for framing views.
GEOMETRY_TYPES = {"MESH", "CURVE", "SURFACE", "META", "FONT", "VOLUME", "GPENCIL",
                  "GREASEPENCIL", "CURVES", "POINTCLOUD"}
_TO_MESH_TYPES = {"CURVE", "SURFACE", "META", "FONT"}


def _r(v, digits=6):
    return [round(float(x), digits) for x in v]


def _world_bounds(ob_eval):
    corners = [ob_eval.matrix_world @ mathutils.Vector(c) for c in ob_eval.bound_box]
    lo = [min(c[i] for c in corners) for i in range(3)]
    hi = [max(c[i] for c in corners) for i in range(3)]
    return {"min": _r(lo), "max": _r(hi)}


def _merge(total, box):
    if total is None:
        return {"min": list(box["min"]), "max": list(box["max"])}
    return {"min": [min(a, b) for a, b in zip(total["min"], box["min"])],
            "max": [max(a, b) for a, b in zip(total["max"], box["max"])]}


def _counts(mesh):
    return {"vertices": len(mesh.vertices), "edges": len(mesh.edges), "faces": len(mesh.polygons),
            # sum over faces of (corners - 2), without touching each polygon
            "triangles": len(mesh.loops) - 2 * len(mesh.polygons)}


def _evaluated_counts(ob, ob_eval):
    if ob.type == "MESH":
        return _counts(ob_eval.data)
    if ob.type in _TO_MESH_TYPES:
        try:
            mesh = ob_eval.to_mesh()
            try:
                return _counts(mesh) if mesh is not None else None
            finally:
                ob_eval.to_mesh_clear()
        except RuntimeError:
            return None
    return None


def _camera(ob, scene):
    cam = ob.data
    return {"type": cam.type, "lens": round(cam.lens, 6), "sensor_width": round(cam.sensor_width, 6),
            "ortho_scale": round(cam.ortho_scale, 6), "clip_start": round(cam.clip_start, 6),
            "clip_end": round(cam.clip_end, 6), "is_scene_camera": scene.camera == ob}


def _light(ob):
    light = ob.data
    info = {"type": light.type, "energy": round(light.energy, 6), "color": _r(light.color),
            "shadow_soft_size": round(light.shadow_soft_size, 6)}
    if light.type == "SPOT":
        info["spot_size"] = round(light.spot_size, 6)
    if light.type == "SUN":
        info["angle"] = round(light.angle, 6)
    return info


def object_summary(ob, depsgraph, scene):
    ob_eval = ob.evaluated_get(depsgraph)
    info = {
        "name": ob.name,
        "type": ob.type,
        "location": _r(ob.location),
        "rotation_euler": _r(ob.rotation_euler),
        "scale": _r(ob.scale),
        "dimensions": _r(ob_eval.dimensions),
        "bounds_world": _world_bounds(ob_eval) if ob.type in GEOMETRY_TYPES else None,
        "parent": ob.parent.name if ob.parent else None,
        "collections": [c.name for c in ob.users_collection],
        "data": ob.data.name if ob.data is not None else None,
        "materials": [s.material.name if s.material else None for s in ob.material_slots],
        "modifiers": [{"name": m.name, "type": m.type} for m in ob.modifiers],
        "visible": ob.visible_get() if hasattr(ob, "visible_get") else None,
    }
    if ob.type == "MESH":
        info.update(_counts(ob.data))
        info["evaluated"] = _evaluated_counts(ob, ob_eval)
    elif ob.type in _TO_MESH_TYPES:
        info["evaluated"] = _evaluated_counts(ob, ob_eval)
    if ob.type == "CAMERA":
        info["camera"] = _camera(ob, scene)
    elif ob.type == "LIGHT":
        info["light"] = _light(ob)
    return info


def _scene_summary(scene):
    return {
        "name": scene.name,
        "frame_current": scene.frame_current,
        "frame_start": scene.frame_start,
        "frame_end": scene.frame_end,
        "render_engine": scene.render.engine,
        "resolution": [scene.render.resolution_x, scene.render.resolution_y],
        "unit_system": scene.unit_settings.system,
        "unit_scale": scene.unit_settings.scale_length,
        "camera": scene.camera.name if scene.camera else None,
        "world": scene.world.name if scene.world else None,
    }


def scene_info(params):
    p = Params(params)
    offset = p.int("offset", 0, minimum=0)
    limit = p.int("limit", DEFAULT_LIMIT, minimum=0, maximum=MAX_LIMIT)
    scene = bpy.context.scene
    depsgraph = bpy.context.evaluated_depsgraph_get()
    objects = sorted(scene.objects, key=lambda o: o.name)
    bounds = None
    for ob in objects:  # whole-scene bounds need every object, not just the page
        if ob.type in GEOMETRY_TYPES:
            bounds = _merge(bounds, _world_bounds(ob.evaluated_get(depsgraph)))
    page = [object_summary(ob, depsgraph, scene) for ob in objects[offset:offset + limit]]
    return {"objects": page, "total": len(objects), "offset": offset, "limit": limit,
            "scene": _scene_summary(scene), "bounds_world": bounds}


def _custom_props(idb):
    try:
        return {k: jsonsafe.to_json(idb[k]) for k in idb.keys() if not k.startswith("_")}
    except (TypeError, AttributeError):
        return {}


def _material(mat):
    info = {"name": mat.name, "use_nodes": mat.use_nodes,
            "diffuse_color": _r(mat.diffuse_color)}
    if mat.use_nodes and mat.node_tree:
        info["nodes"] = [{"name": n.name, "type": n.bl_idname, "label": n.label} for n in mat.node_tree.nodes]
        info["links"] = len(mat.node_tree.links)
    return info


def _mesh_detail(mesh):
    info = _counts(mesh)
    info.update({
        "name": mesh.name,
        "uv_layers": [uv.name for uv in mesh.uv_layers],
        "attributes": [{"name": a.name, "domain": a.domain, "data_type": a.data_type} for a in mesh.attributes],
        "shape_keys": [k.name for k in mesh.shape_keys.key_blocks] if mesh.shape_keys else [],
        "users": mesh.users,
    })
    return info


def scene_object(params):
    p = Params(params)
    name = p.str("name", required=True)
    ob = bpy.data.objects.get(name)
    if ob is None:
        names = [o.name for o in bpy.data.objects]
        raise RpcError(errors.INVALID_PARAMS, "no object named %r" % name,
                       {"name": name, "available": hints.closest(name, names, n=10) or names[:10],
                        "total": len(names)})
    scene = bpy.context.scene
    depsgraph = bpy.context.evaluated_depsgraph_get()
    info = object_summary(ob, depsgraph, scene)
    info.update({
        "in_scene": ob.name in scene.objects,
        "rotation_mode": ob.rotation_mode,
        "matrix_world": jsonsafe.to_json(ob.evaluated_get(depsgraph).matrix_world),
        "children": [c.name for c in ob.children],
        "hide_viewport": ob.hide_viewport,
        "hide_render": ob.hide_render,
        "modifiers": [dict({"name": m.name, "type": m.type, "show_viewport": m.show_viewport,
                            "show_render": m.show_render}, settings=_settings(m)) for m in ob.modifiers],
        "constraints": [{"name": c.name, "type": c.type} for c in ob.constraints],
        "vertex_groups": [g.name for g in ob.vertex_groups],
        "custom_properties": _custom_props(ob),
        "material_details": [_material(s.material) for s in ob.material_slots if s.material],
    })
    if ob.type == "MESH":
        info["mesh"] = _mesh_detail(ob.data)
    return info


def _settings(struct):
    """Scalar RNA settings of a modifier, e.g. levels, width, count."""
    out = {}
    for prop in struct.bl_rna.properties:
        if prop.type in {"BOOLEAN", "INT", "FLOAT", "STRING", "ENUM"} and prop.identifier not in ("rna_type", "name", "type"):
            try:
                out[prop.identifier] = jsonsafe.to_json(getattr(struct, prop.identifier))
            except Exception:
                pass
        elif prop.type == "POINTER" and prop.identifier != "rna_type":
            value = getattr(struct, prop.identifier, None)
            if value is not None and jsonsafe.is_id(value):
                out[prop.identifier] = jsonsafe.struct_ref(value)
    return out
