"""Refine the chair: a varnished wood and a velvet cushion. Run after chair.py.

This is the step as an LLM trained on pre-4.0 tutorials writes it: the Principled BSDF socket
names of Blender 2.8-3.6. It works in 3.4; in 4.x, where Principled BSDF v2 renamed them,
`inputs["Specular"]` raises KeyError. blenderd answers -32010 with `data.line` on that line and
`data.hints` naming the new socket ("Specular IOR Level"); chair_refine_fixed.py is the next
attempt. Kept deliberately wrong: examples/README.md and tests/python/test_examples.py use it.
"""

import bpy

wood = bpy.data.materials["Chair_Wood"].node_tree.nodes["Principled BSDF"]
fabric = bpy.data.materials["Chair_Fabric"].node_tree.nodes["Principled BSDF"]

# Varnish: a brighter, tighter highlight and a thin clear coat over the grain.
wood.inputs["Specular"].default_value = 0.65
wood.inputs["Clearcoat"].default_value = 0.35
wood.inputs["Clearcoat Roughness"].default_value = 0.1

# Velvet: sheen catches light at grazing angles, which is what makes cloth read as cloth.
fabric.inputs["Sheen"].default_value = 0.8

# Softer cushion edges.
bpy.data.objects["Chair_Cushion"].modifiers["Bevel"].width = 0.03

result = {"refined": ["Chair_Wood", "Chair_Fabric", "Chair_Cushion"]}
