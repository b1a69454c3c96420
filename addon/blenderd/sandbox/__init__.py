"""The worker's side of the sandbox (ARCHITECTURE.md, "Sandbox, layered").

bpy-free, so it is unit-tested without Blender:
  config   the `--sandbox JSON` argument, and path containment
  policy   which audited actions a script may take, and the hints when it may not
  audit    the Python audit hook: clear `SandboxViolation`s, not the boundary
  landlock the kernel's Landlock LSM, applied by the worker to itself (the boundary
           when bubblewrap is absent, a second wall when it is present)
  confine  puts them together at start-up and builds worker.ready's `sandbox` report
"""
