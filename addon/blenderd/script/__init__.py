"""Pure helpers for `script.exec`: output capture, traceback mapping, hints,
JSON-safe values, change sets. No `bpy` here, so all of it is tested with
plain pytest; the `bpy` layer in `blenderd.methods` feeds it live objects."""
