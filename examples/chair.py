"""An armchair with node-based materials: the "create" step of an LL3M-style run.

Written for Blender 4.4 (the version LL3M used); it only uses API that 3.4 shares, so it runs
there too. Run it as a `script.exec` body on an empty scene, or
`blender -b --factory-startup --python examples/chair.py`.

What it builds (metres, Z up, the chair faces -Y):
  collection "Chair" with an empty "Chair" at the origin that every part is parented to,
  so the whole chair moves as one; parts named "Chair_<Part>", each with rotation and scale
  applied (the Bevel modifiers need scale 1, or their width would be stretched per axis);
  material "Chair_Wood": Wave rings (warped by Noise) -> ColorRamp -> Base Color, fine Noise ->
  Bump -> Normal and Map Range -> Roughness; material "Chair_Fabric": two Wave bands crossed into
  a weave -> Bump, Noise fuzz -> ColorRamp -> Base Color.
Sets `result` to a summary an agent (or a test) can check.
"""

import math

import bpy
from mathutils import Vector

SEAT_TOP = 0.45          # seat height of a dining chair
SEAT_W, SEAT_D = 0.50, 0.48
LEG = 0.045              # square leg section
BACK_TILT = math.radians(8)   # backrest leans back this much
BACK_LEN = 0.50          # back post length above the seat
ARM_H = 0.22             # armrest height above the seat

scene = bpy.context.scene
view_layer = bpy.context.view_layer


# -- materials -----------------------------------------------------------------------------------

def principled_material(name):
    """A node material with only a Principled BSDF -> Material Output, at known positions."""
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    nodes.clear()  # start from nothing so node names and count are deterministic
    out = nodes.new("ShaderNodeOutputMaterial")
    out.location = (400, 0)
    bsdf = nodes.new("ShaderNodeBsdfPrincipled")
    bsdf.location = (100, 0)
    mat.node_tree.links.new(bsdf.outputs["BSDF"], out.inputs["Surface"])
    return mat, bsdf


def wood_material():
    mat, bsdf = principled_material("Chair_Wood")
    nodes, links = mat.node_tree.nodes, mat.node_tree.links

    coords = nodes.new("ShaderNodeTexCoord")
    coords.location = (-1300, 0)
    # Object coordinates follow the part, and are in metres because scale was applied.
    mapping = nodes.new("ShaderNodeMapping")
    mapping.location = (-1100, 0)
    mapping.inputs["Scale"].default_value = (1.0, 1.0, 0.1)  # long grain along Z
    links.new(coords.outputs["Object"], mapping.inputs["Vector"])

    # Large, soft noise bends the growth rings so they are not perfect circles.
    warp = nodes.new("ShaderNodeTexNoise")
    warp.location = (-850, 200)
    warp.inputs["Scale"].default_value = 1.5
    warp.inputs["Detail"].default_value = 4.0
    links.new(mapping.outputs["Vector"], warp.inputs["Vector"])

    rings = nodes.new("ShaderNodeTexWave")
    rings.location = (-600, 150)
    rings.wave_type = "RINGS"
    rings.rings_direction = "Z"
    rings.wave_profile = "SAW"
    rings.inputs["Scale"].default_value = 12.0
    rings.inputs["Distortion"].default_value = 2.0
    rings.inputs["Detail"].default_value = 3.0
    links.new(warp.outputs["Color"], rings.inputs["Vector"])

    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.location = (-350, 200)
    elems = ramp.color_ramp.elements
    elems[0].position, elems[0].color = 0.0, (0.16, 0.07, 0.03, 1.0)   # late wood, dark
    elems[1].position, elems[1].color = 1.0, (0.55, 0.30, 0.14, 1.0)   # early wood, light
    mid = elems.new(0.55)
    mid.color = (0.36, 0.18, 0.08, 1.0)
    links.new(rings.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])

    # Fine pores: a high-frequency noise drives both the bump and the roughness variation.
    pores = nodes.new("ShaderNodeTexNoise")
    pores.location = (-600, -250)
    pores.inputs["Scale"].default_value = 120.0
    pores.inputs["Detail"].default_value = 8.0
    links.new(mapping.outputs["Vector"], pores.inputs["Vector"])

    rough = nodes.new("ShaderNodeMapRange")
    rough.location = (-350, -150)
    rough.inputs["To Min"].default_value = 0.35
    rough.inputs["To Max"].default_value = 0.6
    links.new(pores.outputs["Fac"], rough.inputs["Value"])
    links.new(rough.outputs["Result"], bsdf.inputs["Roughness"])

    bump = nodes.new("ShaderNodeBump")
    bump.location = (-350, -400)
    bump.inputs["Strength"].default_value = 0.15
    bump.inputs["Distance"].default_value = 0.002
    links.new(pores.outputs["Fac"], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])

    mat.diffuse_color = (0.40, 0.21, 0.10, 1.0)  # what Workbench and the viewport show
    return mat


def fabric_material():
    mat, bsdf = principled_material("Chair_Fabric")
    nodes, links = mat.node_tree.nodes, mat.node_tree.links

    coords = nodes.new("ShaderNodeTexCoord")
    coords.location = (-1100, 0)

    # A plain weave: bands along X times bands along Y give the over-under threads.
    warp_threads = nodes.new("ShaderNodeTexWave")
    warp_threads.location = (-850, 150)
    warp_threads.wave_type = "BANDS"
    warp_threads.bands_direction = "X"
    warp_threads.inputs["Scale"].default_value = 60.0
    links.new(coords.outputs["Object"], warp_threads.inputs["Vector"])

    weft_threads = nodes.new("ShaderNodeTexWave")
    weft_threads.location = (-850, -100)
    weft_threads.wave_type = "BANDS"
    weft_threads.bands_direction = "Y"
    weft_threads.inputs["Scale"].default_value = 60.0
    links.new(coords.outputs["Object"], weft_threads.inputs["Vector"])

    weave = nodes.new("ShaderNodeMath")
    weave.location = (-600, 0)
    weave.operation = "MULTIPLY"
    links.new(warp_threads.outputs["Fac"], weave.inputs[0])
    links.new(weft_threads.outputs["Fac"], weave.inputs[1])

    bump = nodes.new("ShaderNodeBump")
    bump.location = (-350, -250)
    bump.inputs["Strength"].default_value = 0.3
    links.new(weave.outputs["Value"], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])

    # Fuzz: low-contrast noise between two shades of the dye.
    fuzz = nodes.new("ShaderNodeTexNoise")
    fuzz.location = (-600, 300)
    fuzz.inputs["Scale"].default_value = 40.0
    fuzz.inputs["Detail"].default_value = 6.0
    links.new(coords.outputs["Object"], fuzz.inputs["Vector"])

    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.location = (-350, 250)
    elems = ramp.color_ramp.elements
    elems[0].position, elems[0].color = 0.3, (0.03, 0.12, 0.13, 1.0)
    elems[1].position, elems[1].color = 0.7, (0.06, 0.22, 0.24, 1.0)
    links.new(fuzz.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])

    bsdf.inputs["Roughness"].default_value = 0.9  # cloth has no sharp highlight
    mat.diffuse_color = (0.05, 0.18, 0.19, 1.0)
    return mat


WOOD = wood_material()
FABRIC = fabric_material()


# -- geometry ------------------------------------------------------------------------------------

collection = bpy.data.collections.new("Chair")
scene.collection.children.link(collection)
# Operators add objects to the active collection: make it ours.
view_layer.active_layer_collection = view_layer.layer_collection.children[collection.name]

root = bpy.data.objects.new("Chair", None)
root.empty_display_type = "PLAIN_AXES"
collection.objects.link(root)


def part(name, size, location, material, tilt=0.0):
    """A box `size` (x, y, z) centred at `location`, tilted `tilt` radians about X, with
    rotation and scale applied to the mesh, parented to the chair's root."""
    bpy.ops.mesh.primitive_cube_add(size=1.0, location=location, rotation=(tilt, 0.0, 0.0), scale=size)
    ob = bpy.context.active_object
    ob.name = ob.data.name = name
    # Adding an object leaves only it selected, so this applies to this part alone.
    bpy.ops.object.transform_apply(location=False, rotation=True, scale=True)
    ob.data.materials.append(material)
    ob.parent = root  # the root sits at the origin with identity transform: nothing moves
    return ob


def bevel(ob, width, segments):
    mod = ob.modifiers.new("Bevel", "BEVEL")
    mod.width = width
    mod.segments = segments
    mod.limit_method = "ANGLE"  # round the box edges only, not flat seams
    return mod


parts = []
leg_h = SEAT_TOP - 0.04  # legs stop under the 4 cm seat board
lx, ly = SEAT_W / 2 - LEG / 2 - 0.01, SEAT_D / 2 - LEG / 2 - 0.01
for tag, sx, sy in (("FL", -1, -1), ("FR", 1, -1), ("BL", -1, 1), ("BR", 1, 1)):
    parts.append(part("Chair_Leg_" + tag, (LEG, LEG, leg_h), (sx * lx, sy * ly, leg_h / 2), WOOD))

parts.append(part("Chair_Seat", (SEAT_W, SEAT_D, 0.04), (0.0, 0.0, SEAT_TOP - 0.02), WOOD))

# Side stretchers between front and back legs stiffen the frame.
for tag, sx in (("L", -1), ("R", 1)):
    parts.append(part("Chair_Stretcher_" + tag, (0.025, 2 * ly, 0.025), (sx * lx, 0.0, 0.12), WOOD))

# Back posts start on the back legs' line at seat height and lean back by BACK_TILT.
# A rotation of -tilt about X turns +Z towards +Y (backwards).
axis = Vector((0.0, math.sin(BACK_TILT), math.cos(BACK_TILT)))
post_foot = Vector((0.0, ly, SEAT_TOP))
for tag, sx in (("L", -1), ("R", 1)):
    centre = post_foot + axis * (BACK_LEN / 2) + Vector((sx * lx, 0.0, 0.0))
    parts.append(part("Chair_BackPost_" + tag, (LEG, LEG, BACK_LEN), centre, WOOD, tilt=-BACK_TILT))
for tag, t, height in (("Low", 0.45, 0.08), ("High", 0.85, 0.12)):
    centre = post_foot + axis * (BACK_LEN * t)
    parts.append(part("Chair_BackRail_" + tag, (2 * lx - LEG, 0.025, height), centre, WOOD, tilt=-BACK_TILT))

# Armrests: a front support on each side and a rail from it to the back post.
arm_x = lx + 0.005
for tag, sx in (("L", -1), ("R", 1)):
    parts.append(part("Chair_ArmSupport_" + tag, (0.035, 0.035, ARM_H),
                      (sx * arm_x, -ly + 0.03, SEAT_TOP + ARM_H / 2), WOOD))
    parts.append(part("Chair_Armrest_" + tag, (0.055, 2 * ly + 0.06, 0.03),
                      (sx * arm_x, 0.0, SEAT_TOP + ARM_H + 0.015), WOOD))

for ob in parts:
    bevel(ob, 0.004, 2)

cushion = part("Chair_Cushion", (SEAT_W - 0.04, SEAT_D - 0.06, 0.06), (0.0, -0.01, SEAT_TOP + 0.03), FABRIC)
bevel(cushion, 0.025, 4)
cushion.data.polygons.foreach_set("use_smooth", [True] * len(cushion.data.polygons))  # soft, not faceted
parts.append(cushion)

view_layer.active_layer_collection = view_layer.layer_collection  # leave the default as we found it
view_layer.update()  # parenting above: refresh matrix_world before measuring

lo = Vector((math.inf,) * 3)
hi = -lo
for ob in parts:
    for corner in ob.bound_box:
        world = ob.matrix_world @ Vector(corner)
        lo = Vector(tuple(map(min, lo, world)))
        hi = Vector(tuple(map(max, hi, world)))

result = {
    "collection": collection.name,
    "root": root.name,
    "parts": sorted(ob.name for ob in parts),
    "materials": {m.name: sorted({n.bl_idname for n in m.node_tree.nodes}) for m in (WOOD, FABRIC)},
    "dimensions": [round(v, 4) for v in hi - lo],
    "seat_height": SEAT_TOP,
}
print("chair: %d parts, %.2f x %.2f x %.2f m" % (len(parts), *result["dimensions"]))
