"""A hexagonal candle lantern built with bmesh and modifiers: an LL3M-style "create" step.

Written for Blender 4.4 (the version LL3M used); it only uses API that 3.4 shares, so it runs
there too. Run it as a `script.exec` body on an empty scene, or
`blender -b --factory-startup --python examples/lantern.py`.

Geometry is made with bmesh on mesh data (no operators, so nothing depends on selection or a
3D View), and the detail comes from modifiers an agent can still tune afterwards:
  Lantern_Base    hexagonal slab (bmesh: two rings, bridged and capped)   Bevel
  Lantern_Posts   ONE corner post                                         Array x6 around an empty rotated 60 degrees, Bevel
  Lantern_Glass   open hexagonal tube (bmesh faces)                       Solidify
  Lantern_Roof    hexagonal frustum (bmesh faces)                         Solidify, Bevel
  Lantern_Handle  quarter arc (bmesh.ops.spin of a circle)                Mirror X (the other quarter), Subdivision
  Lantern_Candle  cylinder (bmesh.ops.create_cone)                        Bevel
  Lantern_Flame   UV sphere pulled into a teardrop (bmesh vertex edit)    Subdivision; emissive material
  Lantern_Light   warm point light at the flame, so the lantern lights its surroundings
all parented to an empty "Lantern" in a collection "Lantern". Sets `result`.
"""

import math

import bmesh
import bpy
from mathutils import Matrix, Vector

R_GLASS = 0.11        # circumradius of the glass hexagon
H_BASE = 0.03
H_GLASS = 0.30
H_ROOF = 0.10
HANDLE_R = 0.03       # radius of the handle arc; its feet stand on the roof's flat crown

scene = bpy.context.scene
collection = bpy.data.collections.new("Lantern")
scene.collection.children.link(collection)
root = bpy.data.objects.new("Lantern", None)
root.empty_display_type = "PLAIN_AXES"
collection.objects.link(root)


# -- materials -----------------------------------------------------------------------------------

def material(name, viewport_rgba):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.diffuse_color = viewport_rgba
    return mat, mat.node_tree.nodes, mat.node_tree.links


def iron_material():
    mat, nodes, links = material("Lantern_Iron", (0.05, 0.05, 0.05, 1.0))
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (0.04, 0.04, 0.045, 1.0)
    bsdf.inputs["Metallic"].default_value = 1.0
    # Wrought iron is not polished: noise breaks up the highlight.
    noise = nodes.new("ShaderNodeTexNoise")
    noise.location = (-500, -100)
    noise.inputs["Scale"].default_value = 30.0
    to_rough = nodes.new("ShaderNodeMapRange")
    to_rough.location = (-250, -100)
    to_rough.inputs["To Min"].default_value = 0.35
    to_rough.inputs["To Max"].default_value = 0.7
    links.new(noise.outputs["Fac"], to_rough.inputs["Value"])
    links.new(to_rough.outputs["Result"], bsdf.inputs["Roughness"])
    return mat


def glass_material():
    mat, nodes, links = material("Lantern_Glass", (0.8, 0.9, 0.9, 0.3))
    nodes.remove(nodes["Principled BSDF"])
    # The Glass BSDF has had the same sockets since 2.8, unlike Principled's transmission input.
    glass = nodes.new("ShaderNodeBsdfGlass")
    glass.inputs["Roughness"].default_value = 0.02
    glass.inputs["IOR"].default_value = 1.5
    links.new(glass.outputs["BSDF"], nodes["Material Output"].inputs["Surface"])
    mat.blend_method = "BLEND"  # EEVEE (Legacy) needs this to show what is behind the glass
    return mat


def wax_material():
    mat, nodes, _ = material("Lantern_Wax", (0.9, 0.85, 0.7, 1.0))
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (0.85, 0.78, 0.62, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.5
    return mat


def flame_material():
    """Emissive: a Blackbody colour at candle temperature drives an Emission shader."""
    mat, nodes, links = material("Lantern_Flame", (1.0, 0.55, 0.15, 1.0))
    nodes.remove(nodes["Principled BSDF"])
    blackbody = nodes.new("ShaderNodeBlackbody")
    blackbody.location = (-400, 0)
    blackbody.inputs["Temperature"].default_value = 1900.0  # kelvin: a candle flame
    emission = nodes.new("ShaderNodeEmission")
    emission.location = (-150, 0)
    emission.inputs["Strength"].default_value = 12.0
    links.new(blackbody.outputs["Color"], emission.inputs["Color"])
    links.new(emission.outputs["Emission"], nodes["Material Output"].inputs["Surface"])
    return mat


IRON, GLASS, WAX, FLAME = iron_material(), glass_material(), wax_material(), flame_material()


# -- bmesh helpers -------------------------------------------------------------------------------

def hex_ring(bm, radius, z):
    """Six vertices on a circle, a corner on +X, counter-clockwise seen from above."""
    return [bm.verts.new((radius * math.cos(k * math.pi / 3), radius * math.sin(k * math.pi / 3), z))
            for k in range(6)]


def bridge(bm, lower, upper):
    """Quads between two rings, wound so their normals face outwards."""
    for k in range(6):
        bm.faces.new((lower[k], lower[(k + 1) % 6], upper[(k + 1) % 6], upper[k]))


def mesh_object(name, bm, mat):
    """Write `bm` into a new mesh and link an object for it under the root."""
    bmesh.ops.recalc_face_normals(bm, faces=bm.faces[:])
    me = bpy.data.meshes.new(name)
    bm.to_mesh(me)
    bm.free()
    ob = bpy.data.objects.new(name, me)
    ob.data.materials.append(mat)
    collection.objects.link(ob)
    ob.parent = root
    return ob


def add_bevel(ob, width, segments):
    mod = ob.modifiers.new("Bevel", "BEVEL")
    mod.width = width
    mod.segments = segments
    mod.limit_method = "ANGLE"
    return mod


def smooth(ob):
    ob.data.polygons.foreach_set("use_smooth", [True] * len(ob.data.polygons))


# -- parts ---------------------------------------------------------------------------------------

# Base: a hexagonal slab slightly wider than the glass.
bm = bmesh.new()
bottom, top = hex_ring(bm, R_GLASS + 0.03, 0.0), hex_ring(bm, R_GLASS + 0.03, H_BASE)
bridge(bm, bottom, top)
bm.faces.new(list(reversed(bottom)))
bm.faces.new(top)
base = mesh_object("Lantern_Base", bm, IRON)
add_bevel(base, 0.006, 3)

# Glass: an open tube (no caps) that Solidify gives its thickness.
bm = bmesh.new()
bridge(bm, hex_ring(bm, R_GLASS, H_BASE), hex_ring(bm, R_GLASS, H_BASE + H_GLASS))
glass = mesh_object("Lantern_Glass", bm, GLASS)
solid = glass.modifiers.new("Solidify", "SOLIDIFY")
solid.thickness = 0.004
solid.offset = -1.0  # grow inwards, so the posts on the corners stay outside the glass

# Posts: one square post on the +X corner; the Array turns it about Z five more times. An array's
# object offset applies the empty's transform relative to the object once per copy.
bm = bmesh.new()
bmesh.ops.create_cube(bm, size=1.0, matrix=Matrix.LocRotScale(
    Vector((R_GLASS + 0.004, 0.0, H_BASE + H_GLASS / 2)), None, Vector((0.014, 0.014, H_GLASS))))
posts = mesh_object("Lantern_Posts", bm, IRON)
pivot = bpy.data.objects.new("Lantern_PostPivot", None)
pivot.empty_display_type = "ARROWS"
pivot.empty_display_size = 0.05
pivot.rotation_euler = (0.0, 0.0, math.pi / 3)
collection.objects.link(pivot)
pivot.parent = root
array = posts.modifiers.new("Array", "ARRAY")
array.count = 6
array.use_relative_offset = False
array.use_object_offset = True
array.offset_object = pivot
add_bevel(posts, 0.002, 2)

# Roof: a hexagonal frustum over the glass with a flat top for the handle.
z0 = H_BASE + H_GLASS
bm = bmesh.new()
eave, crown = hex_ring(bm, R_GLASS + 0.045, z0), hex_ring(bm, HANDLE_R + 0.012, z0 + H_ROOF)
bridge(bm, eave, crown)
bm.faces.new(crown)
roof = mesh_object("Lantern_Roof", bm, IRON)
roof_solid = roof.modifiers.new("Solidify", "SOLIDIFY")
roof_solid.thickness = 0.005
add_bevel(roof, 0.002, 2)

# Handle: a small circle (the wire's section) at the arc's start, spun a quarter turn about Y;
# Mirror X makes the other quarter and welds the two at the top.
z_top = z0 + H_ROOF
bm = bmesh.new()
section = bmesh.ops.create_circle(bm, segments=12, radius=0.006,
                                  matrix=Matrix.Translation((HANDLE_R, 0.0, z_top)))
bmesh.ops.spin(bm, geom=section["verts"] + bm.edges[:], cent=(0.0, 0.0, z_top), axis=(0.0, 1.0, 0.0),
               angle=-math.pi / 2, steps=8)  # negative about Y: from +X up towards +Z
handle = mesh_object("Lantern_Handle", bm, IRON)
mirror = handle.modifiers.new("Mirror", "MIRROR")
mirror.use_axis = (True, False, False)
mirror.use_mirror_merge = True
mirror.merge_threshold = 0.001
subsurf = handle.modifiers.new("Subdivision", "SUBSURF")
subsurf.levels = subsurf.render_levels = 1
smooth(handle)

# Candle: a 16-sided cylinder standing on the base.
bm = bmesh.new()
bmesh.ops.create_cone(bm, cap_ends=True, segments=16, radius1=0.032, radius2=0.032, depth=0.12,
                      matrix=Matrix.Translation((0.0, 0.0, H_BASE + 0.06)))
candle = mesh_object("Lantern_Candle", bm, WAX)
add_bevel(candle, 0.003, 2)
smooth(candle)

# Flame: a small sphere whose upper half is pulled up into a point.
flame_z = H_BASE + 0.12 + 0.02
bm = bmesh.new()
bmesh.ops.create_uvsphere(bm, u_segments=12, v_segments=8, radius=0.012,
                          matrix=Matrix.Translation((0.0, 0.0, flame_z)))
for v in bm.verts:
    rise = max(0.0, v.co.z - flame_z) / 0.012  # 0 at the equator, 1 at the top pole
    v.co.z += 0.02 * rise * rise
    v.co.x *= 1.0 - 0.6 * rise
    v.co.y *= 1.0 - 0.6 * rise
flame = mesh_object("Lantern_Flame", bm, FLAME)
flame_sub = flame.modifiers.new("Subdivision", "SUBSURF")
flame_sub.levels = flame_sub.render_levels = 2
smooth(flame)

light_data = bpy.data.lights.new("Lantern_Light", "POINT")
light_data.energy = 8.0                    # watts
light_data.color = (1.0, 0.62, 0.3)
light_data.shadow_soft_size = 0.01         # a small flame casts crisp shadows of the posts
light = bpy.data.objects.new("Lantern_Light", light_data)
light.location = (0.0, 0.0, flame_z + 0.01)
collection.objects.link(light)
light.parent = root

bpy.context.view_layer.update()
meshes = [base, glass, posts, roof, handle, candle, flame]
result = {
    "collection": collection.name,
    "root": root.name,
    "objects": sorted(ob.name for ob in collection.objects),
    "modifiers": {ob.name: [m.type for m in ob.modifiers] for ob in meshes if ob.modifiers},
    "materials": sorted(m.name for m in (IRON, GLASS, WAX, FLAME)),
    "height": round(z_top + HANDLE_R + 0.006, 4),
}
print("lantern: %d objects, %d modifiers" % (len(result["objects"]), sum(map(len, result["modifiers"].values()))))
