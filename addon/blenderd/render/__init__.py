"""Pure helpers for `render.views` and `scene.export`: orbit cameras and framing,
request validation, engine/device/denoise decisions, render-stats parsing,
image headers (PNG/JPEG/EXR) and the export operator tables. No `bpy` here, so
all of it is tested with plain pytest; the `bpy` layers are
`blenderd.methods.render` and `blenderd.methods.export`."""
