"""The worker against real Blender: 3.4 through the executable launcher,
4.4 (PyPI bpy) through the module launcher. Skipped only when that Blender
is absent; a worker that is present but broken fails."""

import os
import time

import pytest

from blenderd.rpc import RpcError, errors


def exec_error(worker, code, **params):
    with pytest.raises(RpcError) as info:
        worker.exec(code, **params)
    return info.value


def version(worker):
    return tuple(worker.ready["blender"]["version_tuple"])


# -- start-up ----------------------------------------------------------------

def test_ready_notification(worker):
    ready = worker.ready
    assert ready["protocol"] == 1 and ready["headless"] is True
    assert ready["kind"] == worker.launcher
    assert ready["pid"] == worker.proc.pid
    assert ready["blender"]["version"] == "%d.%d.%d" % version(worker)
    assert ready["python"].startswith("3.")
    assert "CYCLES" in ready["engines"] and "BLENDER_WORKBENCH" in ready["engines"]
    eevee = "BLENDER_EEVEE_NEXT" if (4, 2, 0) <= version(worker) < (5, 0, 0) else "BLENDER_EEVEE"
    assert eevee in ready["engines"]
    assert any(d["type"] == "CPU" for d in ready["devices"])
    assert ready["startup_ms"] > 0
    print("\n[%s] Blender %s: worker.ready after %.0f ms (worker says startup_ms=%d)"
          % (worker.launcher, ready["blender"]["version"], worker.spawn_ms, ready["startup_ms"]))


def test_ping(worker):
    assert worker.call("worker.ping") == {}


def test_unknown_method(worker):
    with pytest.raises(RpcError) as info:
        worker.call("no.such.method")
    assert info.value.code == errors.METHOD_NOT_FOUND and "script.exec" in info.value.data["available"]


# -- script.exec: results ----------------------------------------------------

def test_exec_stdout_value_changes(worker):
    worker.call("worker.reset")
    res = worker.exec(
        "print('hello')\n"
        "import sys; print('warn', file=sys.stderr)\n"
        "bpy.ops.mesh.primitive_cube_add(size=2, location=(1, 2, 3))\n"
        "result = {'obj': bpy.context.active_object, 'loc': bpy.context.active_object.location,\n"
        "          'm': mathutils.Matrix.Identity(2), 'nan': float('nan')}\n")
    assert res["stdout"] == "hello\n" and res["stderr"] == "warn\n"
    assert res["stdout_truncated"] is False and res["duration_ms"] >= 0
    # worker_ms covers the whole handler (compile, snapshots, change tracking), the script too
    assert res["worker_ms"] >= res["duration_ms"] and res["worker_ms"] > 0
    assert res["value"] == {"obj": {"type": "Object", "name": "Cube"}, "loc": [1.0, 2.0, 3.0],
                            "m": [[1.0, 0.0], [0.0, 1.0]], "nan": "NaN"}
    assert res["changes"]["objects"] == {"added": ["Cube"]}
    assert res["changes"]["meshes"] == {"added": ["Cube"]}
    assert "value" not in worker.exec("x = 1")


def test_exec_modified_and_removed(worker):
    worker.call("worker.reset")
    worker.exec("bpy.ops.mesh.primitive_cube_add(); bpy.ops.mesh.primitive_uv_sphere_add()")
    res = worker.exec("bpy.data.objects['Cube'].location.x = 5\n"
                      "bpy.data.objects.remove(bpy.data.objects['Sphere'])\n")
    assert res["changes"]["objects"] == {"modified": ["Cube"], "removed": ["Sphere"]}
    assert worker.exec("x = 1")["changes"] == {}  # a script that touches nothing changes nothing


def test_exec_capture_limit(worker):
    res = worker.exec("print('x' * 100)", capture_limit=10)
    assert res["stdout"] == "x" * 10 and res["stdout_truncated"] is True


def test_exec_fresh_namespace_each_call(worker):
    worker.exec("leftover = 1")
    err = exec_error(worker, "print(leftover)")
    assert err.data["type"] == "NameError"


def test_exec_operator_reports(worker):
    worker.call("worker.reset")
    res = worker.exec(
        "bpy.ops.mesh.primitive_cube_add()\n"
        "bpy.ops.object.mode_set(mode='EDIT')\n"
        "bpy.ops.mesh.remove_doubles()\n"
        "bpy.ops.object.mode_set(mode='OBJECT')\n"
        "print('Info: not a report, printed')\n")
    assert [r["type"] for r in res["reports"]] == ["INFO"]
    assert "Removed 0" in res["reports"][0]["message"]


def test_exec_bad_params(worker):
    with pytest.raises(RpcError) as info:
        worker.call("script.exec", code=3)
    assert info.value.code == errors.INVALID_PARAMS


# -- script.exec: failures ---------------------------------------------------

def test_syntax_error_line(worker):
    err = exec_error(worker, "x = 1\ny = 2\nif x\n    pass\n")
    assert err.code == errors.SCRIPT_ERROR
    assert err.data["type"] == "SyntaxError" and err.data["line"] == 3
    assert err.data["traceback"] == [{"line": 3, "function": "<module>", "text": "if x"}]
    assert err.data["offset"] >= 1
    assert err.data["duration_ms"] == 0.0 and err.data["worker_ms"] > 0  # compiling failed: no script ran


def test_runtime_error_line_and_user_frames_only(worker):
    err = exec_error(worker, "import json\n\ndef parse(s):\n    return json.loads(s)\n\nvalue = parse('{')\n")
    assert err.code == errors.SCRIPT_ERROR and err.data["type"] == "JSONDecodeError"
    assert err.data["line"] == 4
    assert err.data["worker_ms"] >= err.data["duration_ms"] >= 0
    assert err.data["traceback"] == [
        {"line": 6, "function": "<module>", "text": "value = parse('{')"},
        {"line": 4, "function": "parse", "text": "return json.loads(s)"},
    ]


def test_runtime_error_on_line_3_keeps_output_and_changes(worker):
    worker.call("worker.reset")
    err = exec_error(worker, "print('before')\nbpy.ops.mesh.primitive_cube_add()\nraise ValueError('bad')\n")
    assert err.data["line"] == 3 and err.data["message"] == "bad"
    assert err.data["stdout"] == "before\n"
    assert err.data["changes"]["objects"] == {"added": ["Cube"]}  # partial work is reported


def test_sys_exit_is_an_error_not_an_exit(worker):
    err = exec_error(worker, "import sys\nsys.exit(3)\n")
    assert err.data["type"] == "SystemExit" and err.data["line"] == 2
    assert any("sys.exit" in h for h in err.data["hints"])
    assert worker.call("worker.ping") == {}


def test_os_exit_kills_the_worker_visibly(fresh_worker):
    w = fresh_worker
    with pytest.raises(ConnectionError):  # ChannelClosed: the daemon sees EOF
        w.exec("import os\nos._exit(7)\n", timeout=60)
    assert w.proc.wait(30) == 7


def test_sigint_cancels_a_running_script(fresh_worker, tmp_path):
    w = fresh_worker
    marker = str(tmp_path / "running")
    code = ("import time\nprint('start')\nopen(%r, 'w').close()\nwhile True:\n    time.sleep(0.01)\n" % marker)
    w.channel.send({"jsonrpc": "2.0", "id": "spin", "method": "script.exec", "params": {"code": code}})
    deadline = time.monotonic() + 60
    while not os.path.exists(marker):  # SIGINT before the script runs would be ignored (idle)
        assert time.monotonic() < deadline, "script never started"
        time.sleep(0.01)
    w.interrupt()
    msg = w.channel.read(timeout=30)
    assert msg.kind == "error" and msg.id == "spin"
    assert msg.error.code == errors.CANCELLED and msg.error.data["type"] == "KeyboardInterrupt"
    assert msg.error.data["stdout"] == "start\n"
    assert w.call("worker.ping") == {}


# -- hints -------------------------------------------------------------------

PRINCIPLED = ("m = bpy.data.materials.new('m')\nm.use_nodes = True\n"
              "bsdf = m.node_tree.nodes['Principled BSDF']\n")


def test_specular_hint(worker):
    if version(worker) >= (4, 0, 0):
        err = exec_error(worker, PRINCIPLED + "bsdf.inputs['Specular'].default_value = 0.5\n")
        assert err.data["type"] == "KeyError" and err.data["line"] == 4
        text = "\n".join(err.data["hints"])
        assert "Specular IOR Level" in text and "renamed" in text
    else:  # 3.x: the 4.x name fails the other way round
        err = exec_error(worker, PRINCIPLED + "bsdf.inputs['Specular IOR Level'].default_value = 0.5\n")
        assert "'Specular'" in "\n".join(err.data["hints"])


def test_key_hint_from_a_variable_key(worker):
    worker.call("worker.reset")
    worker.exec("bpy.ops.mesh.primitive_cube_add()")
    err = exec_error(worker, "name = 'Cubee'\nob = bpy.data.objects[name]\n")
    assert err.data["line"] == 2
    assert "closest: ['Cube']" in "\n".join(err.data["hints"])


def test_attribute_hint(worker):
    err = exec_error(worker, "ob = bpy.data.objects.new('E', None)\nob.locaton = (1, 2, 3)\n")
    assert err.data["type"] == "AttributeError"
    assert "'location'" in "\n".join(err.data["hints"])


def test_none_attribute_hint(worker):
    worker.call("worker.reset")
    err = exec_error(worker, "bpy.context.active_object.location.x = 1\n")
    text = "\n".join(err.data["hints"])
    assert "bpy.context.active_object is None" in text and "view_layer.objects.active" in text


def test_enum_hint(worker):
    err = exec_error(worker, "bpy.context.scene.render.engine = 'BLENDER_EEVE'\n")
    text = "\n".join(err.data["hints"])
    assert "bpy.context.scene.render.engine must be one of" in text and "CYCLES" in text
    assert ("BLENDER_EEVEE_NEXT" if version(worker) >= (4, 2, 0) else "'BLENDER_EEVEE'") in text


def test_engine_rename_hint(worker):
    # each side of the 4.2 rename gets pointed at the other name
    new = version(worker) >= (4, 2, 0)
    wrong, right = ("BLENDER_EEVEE", "BLENDER_EEVEE_NEXT") if new else ("BLENDER_EEVEE_NEXT", "BLENDER_EEVEE")
    err = exec_error(worker, "bpy.context.scene.render.engine = %r\n" % wrong)
    assert "is called %r in this Blender" % right in err.data["hints"][0]


def test_operator_keyword_hint(worker):
    err = exec_error(worker, "bpy.ops.mesh.primitive_cube_add(sise=2)\n")
    assert "'size'" in err.data["hints"][0]


def test_missing_operator_hint(worker):
    err = exec_error(worker, "bpy.ops.mesh.primitive_cube_addd()\n")
    assert "bpy.ops.mesh.primitive_cube_add" in "\n".join(err.data["hints"])


def test_poll_hint(worker):
    worker.call("worker.reset")
    err = exec_error(worker, "bpy.ops.object.modifier_add(type='BEVEL')\n")
    assert err.data["type"] == "RuntimeError" and "poll()" in err.data["message"]
    text = "\n".join(err.data["hints"])
    assert "view_layer.objects.active" in text and "temp_override" in text
    if version(worker) < (4, 0, 0):
        assert "{'active_object': obj" in text  # the 3.x dict form


def test_edit_mode_poll_hint(worker):
    worker.call("worker.reset")
    err = exec_error(worker, "bpy.ops.mesh.primitive_cube_add()\nbpy.ops.mesh.subdivide()\n")
    assert err.data["line"] == 2
    assert "mode_set(mode='EDIT')" in "\n".join(err.data["hints"])


# -- scene.info / scene.object -------------------------------------------------

def test_scene_info_paging_and_bounds(worker):
    worker.call("worker.reset")
    worker.exec(
        "for i in range(5):\n"
        "    bpy.ops.mesh.primitive_cube_add(size=2, location=(i * 3, 0, 0))\n"
        "    bpy.context.active_object.name = 'Box%d' % i\n"
        "bpy.data.objects['Box0'].modifiers.new('sub', 'SUBSURF').levels = 1\n"
        "cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))\n"
        "bpy.context.scene.collection.objects.link(cam); bpy.context.scene.camera = cam\n")
    info = worker.call("scene.info", offset=1, limit=2)
    assert info["total"] == 6 and info["offset"] == 1 and info["limit"] == 2
    assert [o["name"] for o in info["objects"]] == ["Box1", "Box2"]
    box = info["objects"][0]
    assert box["type"] == "MESH" and box["location"] == [3.0, 0.0, 0.0] and box["vertices"] == 8
    assert box["bounds_world"] == {"min": [2.0, -1.0, -1.0], "max": [4.0, 1.0, 1.0]}
    assert box["dimensions"] == [2.0, 2.0, 2.0] and box["collections"] == ["Scene Collection"]
    # evaluated geometry: the subsurf pulls Box0's corners in (cube -> ~0.84)
    lo, hi = info["bounds_world"]["min"], info["bounds_world"]["max"]
    assert -1.0 < lo[0] < -0.8 and lo[1:] == [-1.0, -1.0] and hi == [13.0, 1.0, 1.0]
    assert info["scene"]["camera"] == "Cam" and info["scene"]["unit_system"] == "METRIC"
    first = worker.call("scene.info", limit=10)
    box0 = next(o for o in first["objects"] if o["name"] == "Box0")
    assert box0["faces"] == 6 and box0["evaluated"]["faces"] == 24  # subsurf level 1
    assert box0["modifiers"] == [{"name": "sub", "type": "SUBSURF"}]
    cam = next(o for o in first["objects"] if o["name"] == "Cam")
    assert cam["camera"]["lens"] == 50.0 and cam["camera"]["is_scene_camera"] is True
    assert cam["bounds_world"] is None


def test_scene_object_detail_and_unknown(worker):
    worker.call("worker.reset")
    worker.exec("bpy.ops.mesh.primitive_cube_add()\nob = bpy.context.active_object\nob['tag'] = 'chair'\n"
                "mat = bpy.data.materials.new('Wood'); mat.use_nodes = True; ob.data.materials.append(mat)\n")
    ob = worker.call("scene.object", name="Cube")
    assert ob["custom_properties"] == {"tag": "chair"} and ob["materials"] == ["Wood"]
    assert ob["mesh"]["vertices"] == 8 and ob["mesh"]["triangles"] == 12
    assert "Principled BSDF" in [n["name"] for n in ob["material_details"][0]["nodes"]]
    with pytest.raises(RpcError) as info:
        worker.call("scene.object", name="Cub")
    assert info.value.code == errors.INVALID_PARAMS
    assert info.value.data["name"] == "Cub" and "Cube" in info.value.data["available"]


# -- api.describe --------------------------------------------------------------

def test_describe_operator(worker):
    d = worker.call("api.describe", target="mesh.primitive_cube_add")
    params = {p["identifier"]: p for p in d["parameters"]}
    assert d["kind"] == "operator" and params["size"]["type"] == "FLOAT" and params["size"]["default"] == 2.0
    assert [i["identifier"] for i in params["align"]["enum_items"]] == ["WORLD", "VIEW", "CURSOR"]
    assert worker.call("api.describe", target="bpy.ops.mesh.primitive_cube_add")["target"] == "mesh.primitive_cube_add"


def test_describe_node_leaves_scene_unchanged(worker):
    worker.call("worker.reset")
    d = worker.call("api.describe", target="ShaderNodeBsdfPrincipled")
    inputs = [s["name"] for s in d["inputs"]]
    assert d["kind"] == "node" and d["tree_type"] == "ShaderNodeTree" and "BSDF" in [s["name"] for s in d["outputs"]]
    assert ("Specular IOR Level" if version(worker) >= (4, 0, 0) else "Specular") in inputs
    assert worker.exec("result = len(bpy.data.node_groups)")["value"] == 0
    geo = worker.call("api.describe", target="GeometryNodeMeshCube")
    assert geo["tree_type"] == "GeometryNodeTree" and "Mesh" in [s["name"] for s in geo["outputs"]]


def test_describe_type_property_and_unknown(worker):
    d = worker.call("api.describe", target="Object")
    assert d["kind"] == "type" and "location" in [p["identifier"] for p in d["properties"]]
    p = worker.call("api.describe", target="Object.location")
    assert p["property"]["array_length"] == 3
    with pytest.raises(RpcError) as info:
        worker.call("api.describe", target="Objct")
    assert info.value.code == errors.INVALID_PARAMS and "Object" in info.value.data["available"]


# -- worker.reset --------------------------------------------------------------

def test_reset_is_fast_and_clean(worker):
    worker.exec(
        "bpy.ops.mesh.primitive_monkey_add()\n"
        "bpy.data.meshes.new('orphan')\n"
        "bpy.data.materials.new('fake').use_fake_user = True\n"
        "bpy.data.images.new('img', 4, 4)\n"
        "bpy.data.texts.new('t')\n"
        "bpy.data.node_groups.new('g', 'ShaderNodeTree').use_fake_user = True\n"
        "bpy.context.scene.render.engine = 'CYCLES'\n"
        "bpy.data.scenes.new('Other')\n"
        "bpy.app.handlers.depsgraph_update_post.append(lambda *a: None)\n")
    timings = [worker.call("worker.reset")["duration_ms"] for _ in range(3)]
    left = worker.exec(
        "result = {name: len(getattr(bpy.data, name)) for name in\n"
        "  ('objects','meshes','materials','images','texts','node_groups','scenes','cameras','lights','worlds')}\n"
        "result['engine'] = bpy.context.scene.render.engine\n"
        "result['handlers'] = len(bpy.app.handlers.depsgraph_update_post)\n")["value"]
    assert left.pop("scenes") == 1 and left.pop("handlers") == 0
    assert left.pop("engine") != "CYCLES"
    assert all(v == 0 for v in left.values()), left
    print("\n[%s] Blender %s: worker.reset %s ms"
          % (worker.launcher, worker.ready["blender"]["version"], ", ".join("%.1f" % t for t in timings)))
    assert min(timings) < 100


def test_reset_alternative_for_the_record(fresh_worker):
    """read_factory_settings, which worker.reset does not use: it also resets
    preferences (re-registering add-ons). Own worker: it changes preferences."""
    w = fresh_worker
    factory = w.exec("import time\nt = time.perf_counter()\n"
                     "bpy.ops.wm.read_factory_settings(use_empty=True)\n"
                     "result = (time.perf_counter() - t) * 1000\n")["value"]
    homefile = w.call("worker.reset")["duration_ms"]
    print("\n[%s] Blender %s: read_factory_settings(use_empty) %.1f ms vs worker.reset %.1f ms"
          % (w.launcher, w.ready["blender"]["version"], factory, homefile))
    assert w.exec("result = len(bpy.data.objects)")["value"] == 0


def test_busy_worker_dies_with_its_parent(tmp_path):
    """The spawner dies (SIGKILL, no cleanup) while the worker runs an endless
    script: PR_SET_PDEATHSIG must take the worker down, EOF alone would not."""
    import signal
    import subprocess
    import sys as _sys

    from blender_worker import availability
    spec, reason = availability("module")
    if spec is None:
        spec, reason = availability("executable")
    if spec is None:
        pytest.skip(reason)
    argv, env = spec
    marker = tmp_path / "running"
    spawner = (
        "import os, socket, subprocess, sys, time, json\n"
        "sys.path.insert(0, %r)\n"
        "from blenderd.rpc import Channel\n"
        "a, b = socket.socketpair()\n"
        "p = subprocess.Popen(%r, env=%r, preexec_fn=lambda: os.dup2(b.fileno(), 3), pass_fds=(3,),\n"
        "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "ch = Channel(a); ch.read(timeout=90)\n"
        "ch.send({'jsonrpc': '2.0', 'id': 1, 'method': 'script.exec', 'params': {'code':\n"
        "    \"open(%r, 'w').close()\\nwhile True:\\n    pass\\n\"}})\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n" % (os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "addon"),
                               argv, env, str(marker)))
    proc = subprocess.Popen([_sys.executable, "-c", spawner], stdout=subprocess.PIPE)
    try:
        worker_pid = int(proc.stdout.readline())
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "script never started"
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(worker_pid, 0)
            except ProcessLookupError:
                break
            with open("/proc/%d/stat" % worker_pid) as f:  # a zombie awaiting init counts as dead
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.05)
        else:
            os.kill(worker_pid, signal.SIGKILL)
            pytest.fail("worker %d outlived its parent" % worker_pid)
    finally:
        if proc.poll() is None:
            proc.kill()
