"""Refine the chair: a varnished wood and a velvet cushion. Run after chair.py.

The corrected chair_refine_old_api.py, as the agent writes it after reading the error's hints:
Blender 4.0's Principled BSDF v2 renamed the sockets, so
  "Specular" -> "Specular IOR Level", "Clearcoat" -> "Coat Weight",
  "Clearcoat Roughness" -> "Coat Roughness", "Sheen" -> "Sheen Weight".
For Blender 4.x only (in 3.4 it fails the other way round, on "Specular IOR Level").
"""

import bpy

wood = bpy.data.materials["Chair_Wood"].node_tree.nodes["Principled BSDF"]
fabric = bpy.data.materials["Chair_Fabric"].node_tree.nodes["Principled BSDF"]

# Varnish: a brighter, tighter highlight and a thin clear coat over the grain.
wood.inputs["Specular IOR Level"].default_value = 0.65
wood.inputs["Coat Weight"].default_value = 0.35
wood.inputs["Coat Roughness"].default_value = 0.1

# Velvet: sheen catches light at grazing angles, which is what makes cloth read as cloth.
fabric.inputs["Sheen Weight"].default_value = 0.8

# Softer cushion edges.
bpy.data.objects["Chair_Cushion"].modifiers["Bevel"].width = 0.03

result = {"refined": ["Chair_Wood", "Chair_Fabric", "Chair_Cushion"]}
