"""The pure parts of render.views and scene.export (blenderd.render): orbit
math, image headers and the PNG decoder, params, engine/device/denoise
decisions, render-stats parsing, export operator tables. No Blender."""

import math
import os
import struct
import subprocess
import sys
import zlib

import pytest

from blenderd.render import exporters, images, options, orbit
from blenderd.rpc import RpcError, errors

from blender_worker import ADDON


def test_render_package_never_imports_bpy():
    code = ("import sys; import blenderd.render.orbit, blenderd.render.images, blenderd.render.options, "
            "blenderd.render.exporters; bad = [m for m in ('bpy', 'mathutils', 'bmesh') if m in sys.modules]; "
            "sys.exit('imported: %s' % bad if bad else 0)")
    subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=ADDON), check=True)


# -- orbit ---------------------------------------------------------------------------

def close(a, b, tol=1e-9):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_look_at_euler_points_the_camera_at_the_centre():
    for az_deg in (0, 45, 90, 200, 315):
        for el_deg in (-30, 0, 25, 80):
            az, el = math.radians(az_deg), math.radians(el_deg)
            offset = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
            look = orbit.view_direction(orbit.look_at_euler(az, el))
            assert close(look, [-c for c in offset]), (az_deg, el_deg, look)


def test_field_of_view_sensor_fit_auto():
    h, v = orbit.field_of_view(1920, 1080)
    assert math.isclose(h, 2 * math.atan(18 / 50))  # Blender's 50 mm lens on a 36 mm sensor: 39.6°
    assert math.isclose(math.tan(v / 2) / math.tan(h / 2), 1080 / 1920)
    h2, v2 = orbit.field_of_view(1080, 1920)  # portrait: the sensor spans the height
    assert math.isclose(v2, h) and math.isclose(h2, v)


def test_fit_distance_keeps_the_sphere_inside_the_narrow_fov():
    radius = 2.0
    d = orbit.fit_distance(radius, 160, 90, margin=1.0)
    _, v = orbit.field_of_view(160, 90)
    assert math.isclose(math.asin(radius / d), v / 2)  # tangent to the vertical half-angle
    assert orbit.fit_distance(radius, 160, 90, margin=1.1) == pytest.approx(d * 1.1)
    assert orbit.fit_distance(0.0, 160, 90) > 0  # a point still gets a camera distance


def test_bounding_sphere_contains_every_point():
    pts = orbit.box_corners((-1, -2, 0), (3, 2, 1)) + [(0.5, 0.5, 0.5)]
    center, radius = orbit.bounding_sphere(pts)
    assert close(center, (1, 0, 0.5))
    assert all(math.dist(center, p) <= radius + 1e-12 for p in pts)
    assert math.isclose(radius, math.dist((1, 0, 0.5), (3, 2, 1)))
    with pytest.raises(ValueError):
        orbit.bounding_sphere([])
    assert orbit.bounds_union([((0, 0, 0), (1, 1, 1)), ((-1, 2, 0), (0, 3, 0.5))]) == ((-1, 0, 0), (1, 3, 1))
    assert orbit.bounds_union([]) is None


def test_orbit_views_even_azimuths_same_distance_looking_at_target():
    views = orbit.orbit_views((1, 2, 3), 1.5, 4, 160, 90, elevation_deg=30, azimuth_deg=45)
    assert [v["azimuth_deg"] for v in views] == [45, 135, 225, 315]
    assert [v["index"] for v in views] == [0, 1, 2, 3]
    for v in views:
        assert math.isclose(math.dist(v["location"], (1, 2, 3)), v["distance"])
        to_target = [t - l for t, l in zip(v["target"], v["location"])]
        n = math.sqrt(sum(c * c for c in to_target))
        assert close(orbit.view_direction(v["rotation_euler"]), [c / n for c in to_target])
        # elevation 30°: the camera sits above the target by distance * sin(30°)
        assert math.isclose(v["location"][2] - 3, v["distance"] * 0.5)
        assert 0 < v["clip_start"] < v["distance"] - 1.5 and v["clip_end"] > v["distance"] + 1.5
    assert orbit.azimuths(3, 300) == [300, 60, 180]


# -- images ----------------------------------------------------------------------------

def _gradient(w, h, channels):
    return bytes((x * 7 + y * 13 + c * 50) % 256 for y in range(h) for x in range(w) for c in range(channels))


def _filtered_png(w, h, channels, pixels):
    """A PNG whose rows use filters 0-4 in turn, as encoders (Blender's libpng) do."""
    bpp, stride = channels, w * channels
    raw, prev = bytearray(), bytes(stride)
    for y in range(h):
        line = pixels[y * stride:(y + 1) * stride]
        ftype = y % 5
        out = bytearray()
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, upleft = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = [0, left, up, (left + up) >> 1, images._paeth(left, up, upleft)][ftype]
            out.append((line[i] - pred) & 0xFF)
        raw += bytes([ftype]) + out
        prev = line

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ctype = {3: 2, 4: 6}[channels]
    return (images.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("channels", [3, 4])
def test_png_decode_all_filters(channels):
    w, h = 13, 11
    pixels = _gradient(w, h, channels)
    header, rows = images.png_decode(_filtered_png(w, h, channels, pixels))
    assert (header["width"], header["height"], header["channels"]) == (w, h, channels)
    assert b"".join(rows) == pixels


def test_png_encode_roundtrip_and_stats():
    flat = images.png_encode(4, 3, bytes([100] * 36), 3)
    header, rows = images.png_decode(flat)
    mean, std, n = images.luma_stats(header, rows)
    assert n == 12 and mean == pytest.approx(100) and std == pytest.approx(0, abs=1e-6)
    half = images.png_encode(2, 1, bytes([0, 0, 0, 255, 255, 255]), 3)
    mean, std, _ = images.luma_stats(*images.png_decode(half))
    assert mean == pytest.approx(127.5) and std == pytest.approx(127.5)


def test_png_errors():
    good = images.png_encode(2, 2, bytes(12), 3)
    with pytest.raises(images.ImageError):
        images.png_header(b"GIF89a" + good[6:])
    bad_crc = bytearray(good)
    bad_crc[-5] ^= 1  # IEND's CRC
    with pytest.raises(images.ImageError):
        images.png_decode(bytes(bad_crc))


def test_jpeg_header():
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 90, 160, 3) + bytes(9)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    data = images.JPEG_SOI + app0 + sof + b"\xff\xda" + bytes(10)
    assert images.image_header(data) == {"format": "JPEG", "width": 160, "height": 90, "channels": 3}
    with pytest.raises(images.ImageError):
        images.jpeg_header(images.JPEG_SOI + b"\xff\xda" + bytes(10))


def _exr(width, height, channels=("A", "B", "G", "R")):
    def attr(name, kind, value):
        return name + b"\x00" + kind + b"\x00" + struct.pack("<i", len(value)) + value
    chlist = b"".join(c.encode() + b"\x00" + struct.pack("<iBxxxii", 1, 0, 1, 1) for c in channels) + b"\x00"
    return (images.EXR_MAGIC + struct.pack("<I", 2) + attr(b"channels", b"chlist", chlist)
            + attr(b"compression", b"compression", b"\x03")
            + attr(b"dataWindow", b"box2i", struct.pack("<iiii", 0, 0, width - 1, height - 1)) + b"\x00")


def test_exr_header():
    assert images.image_header(_exr(64, 36)) == {"format": "EXR", "width": 64, "height": 36, "channels": 4}
    assert images.image_header(_exr(16, 16, ("B", "G", "R")))["channels"] == 3
    with pytest.raises(images.ImageError):
        images.image_header(b"\x00\x01\x02\x03garbage")


def test_read_header(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(images.png_encode(3, 2, bytes(18), 3))
    assert images.read_header(str(path))["width"] == 3


# -- params ----------------------------------------------------------------------------

def req(**params):
    params.setdefault("output_dir", "/tmp/out")
    return options.RenderRequest(params)


def bad_param(name, **params):
    with pytest.raises(RpcError) as info:
        req(**params)
    assert info.value.code == errors.INVALID_PARAMS and info.value.data["param"] == name, info.value.data
    return info.value


def test_request_defaults():
    r = req()
    assert (r.views, r.cameras, r.indices, r.width, r.height) == (5, None, None, 1920, 1080)
    assert (r.engine, r.samples, r.denoise, r.device, r.format, r.transparent) == ("CYCLES", None, False, "auto", "PNG", False)
    assert (r.pass_, r.elevation_deg, r.azimuth_deg, r.seed) == ("final", 25.0, 45.0, None)
    assert r.file_name(3) == "view-3.png" and r.mime == "image/png" and r.file_format == "PNG"
    p = req(format="jpeg", engine="eevee", device="GPU", indices=[3, 1, 3], **{"pass": "preview"})
    assert p.file_name(0) == "view-0-preview.jpg" and p.file_format == "JPEG" and p.indices == [1, 3]
    assert p.engine == "EEVEE" and p.device == "gpu"
    assert req(format="EXR").file_name(1) == "view-1.exr"


def test_request_errors():
    bad_param("views", views=0)
    bad_param("views", views=65)
    bad_param("resolution", resolution=[15, 90])
    bad_param("resolution", resolution=[160])
    bad_param("resolution", resolution=[160.0, 90])
    bad_param("engine", engine="LUXCORE")
    bad_param("device", device="tpu")
    bad_param("format", format="TIFF")
    bad_param("cameras", cameras=[])
    bad_param("cameras", cameras=["Cam", 3])
    bad_param("indices", indices=[-1])
    bad_param("indices", indices=[True])
    bad_param("elevation_deg", elevation_deg=90)
    bad_param("samples", samples=0)
    bad_param("transparent", transparent="yes")
    bad_param("pass", **{"pass": "draft"})
    bad_param("output_dir", output_dir="relative/dir")
    with pytest.raises(RpcError) as info:
        options.RenderRequest({"views": 3})
    assert info.value.data == {"param": "output_dir"}


def test_output_dir_in_the_workspace(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    assert options.RenderRequest({"output_dir": str(ws / "r")}, str(ws)).output_dir == str(ws / "r")
    with pytest.raises(RpcError) as info:
        options.RenderRequest({"output_dir": str(tmp_path / "elsewhere")}, str(ws))
    assert info.value.data == {"param": "output_dir", "workspace": str(ws)}
    (ws / "link").symlink_to(tmp_path)  # a symlink out of the workspace does not count as inside
    with pytest.raises(RpcError):
        options.RenderRequest({"output_dir": str(ws / "link" / "r")}, str(ws))
    with pytest.raises(RpcError):
        options.RenderRequest({"output_dir": str(ws / ".." / "x")}, str(ws))


def test_engine_ids_follow_the_build():
    old = ["BLENDER_EEVEE", "BLENDER_WORKBENCH", "CYCLES"]
    new = ["BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH", "CYCLES"]
    assert options.engine_id("EEVEE", old) == "BLENDER_EEVEE"
    assert options.engine_id("EEVEE", new) == "BLENDER_EEVEE_NEXT"
    assert options.engine_id("BLENDER_EEVEE", new) == "BLENDER_EEVEE_NEXT"
    assert options.engine_id("BLENDER_EEVEE_NEXT", old) == "BLENDER_EEVEE"
    assert options.engine_id("eevee", ["BLENDER_EEVEE", "CYCLES"]) == "BLENDER_EEVEE"  # 5.0 renamed it back
    assert options.engine_id("WORKBENCH", new) == "BLENDER_WORKBENCH"
    with pytest.raises(RpcError) as info:
        options.engine_id("CYCLES", ["BLENDER_WORKBENCH"])
    assert info.value.data["param"] == "engine" and info.value.data["available"] == ["BLENDER_WORKBENCH"]


def test_select_indices():
    assert options.select_indices(None, 3) == [0, 1, 2]
    assert options.select_indices([0, 2], 3) == [0, 2]
    with pytest.raises(RpcError) as info:
        options.select_indices([1, 5], 3)
    assert info.value.data == {"param": "indices", "views": 3}


CPU = {"type": "CPU", "name": "AMD EPYC", "id": "CPU"}
CUDA0 = {"type": "CUDA", "name": "RTX A", "id": "CUDA_0"}
CUDA1 = {"type": "CUDA", "name": "RTX B", "id": "CUDA_1"}
OPTIX0 = {"type": "OPTIX", "name": "RTX A", "id": "OPTIX_0"}


def test_device_choice_cycles():
    assert options.choose_device("CYCLES", "cpu", [CPU, CUDA0])["label"] == "CPU"
    auto_cpu = options.choose_device("CYCLES", "auto", [CPU])
    assert auto_cpu["label"] == "CPU" and not auto_cpu["gpu"] and "CPU" in auto_cpu["notes"][0]
    with pytest.raises(RpcError) as info:
        options.choose_device("CYCLES", "gpu", [CPU])
    assert info.value.code == errors.NO_INSTANCE
    assert info.value.data["devices"] == [CPU] and "no Cycles GPU" in info.value.data["reason"]
    gpu = options.choose_device("CYCLES", "gpu", [CPU, CUDA0, CUDA1, OPTIX0])
    assert gpu == {"gpu": True, "type": "OPTIX", "ids": ["OPTIX_0"], "label": "OPTIX:0", "notes": []}
    two = options.choose_device("CYCLES", "auto", [CPU, CUDA0, CUDA1])
    assert two["label"] == "CUDA:0,1" and two["ids"] == ["CUDA_0", "CUDA_1"]


def test_device_choice_rasterizers():
    soft = options.choose_device("BLENDER_EEVEE_NEXT", "auto", [CPU], gpu_nodes=False)
    assert soft["label"] == "CPU" and "software" in soft["notes"][0]
    with pytest.raises(RpcError) as info:
        options.choose_device("BLENDER_WORKBENCH", "gpu", [CPU], gpu_nodes=False)
    assert info.value.code == errors.NO_INSTANCE and info.value.data["engine"] == "BLENDER_WORKBENCH"
    hard = options.choose_device("BLENDER_EEVEE", "gpu", [CPU, CUDA0], gpu_nodes=True, backend="VULKAN")
    assert hard["label"] == "VULKAN" and hard["gpu"]
    assert options.choose_device("BLENDER_EEVEE", "cpu", [CPU], gpu_nodes=True)["notes"]


def test_denoise_decision():
    assert options.denoise_decision("CYCLES", False, False) == {"requested": False, "applied": False}
    off = options.denoise_decision("CYCLES", True, False)
    assert off["applied"] is False and "OpenImageDenoise" in off["reason"]
    on = options.denoise_decision("CYCLES", True, True)
    assert on == {"requested": True, "applied": True, "denoiser": "OPENIMAGEDENOISE"}
    eevee = options.denoise_decision("BLENDER_EEVEE_NEXT", True, True)
    assert eevee["applied"] is False and "Cycles only" in eevee["reason"]


def test_parse_stats():
    cycles = ("Fra:1 Mem:14.53M (Peak 14.53M) | Time:00:04.17 | Remaining:00:09.17 | Mem:4.54M, Peak:4.54M "
              "| Scene, ViewLayer | Sample 80/256")
    assert options.parse_stats(cycles) == {"samples_done": 80, "samples_total": 256, "stage": "Rendering"}
    eevee = "Fra:1 Mem:42.86M (Peak 42.86M) | Time:00:37.37 | Rendering 1 / 16 samples"
    assert options.parse_stats(eevee) == {"samples_done": 1, "samples_total": 16, "stage": "Rendering"}
    sync = "Fra:1 Mem:10.06M (Peak 10.15M) | Time:00:00.00 | Mem:0.00M, Peak:0.00M | Scene, ViewLayer | Updating Shaders"
    assert options.parse_stats(sync) == {"stage": "Updating Shaders"}
    assert options.parse_stats("Time: 00:04.43 (Saving: 00:00.10)") == {}
    assert options.parse_stats(None) == {}  # what 3.x passes


# -- exports ---------------------------------------------------------------------------

OPS_34 = {"wm.obj_export", "export_scene.obj", "export_scene.fbx", "export_scene.gltf", "export_mesh.stl",
          "export_mesh.ply"}
OPS_44 = {"wm.obj_export", "wm.stl_export", "wm.ply_export", "wm.usd_export", "export_scene.fbx", "export_scene.gltf"}


def test_export_operator_choice_per_version():
    assert exporters.supported(OPS_34) == ["glb", "gltf", "obj", "fbx", "stl", "ply", "blend"]
    assert exporters.supported(OPS_44) == ["glb", "gltf", "obj", "fbx", "usd", "stl", "ply", "blend"]
    assert exporters.choose_operator("obj", OPS_34)[0][0] == "wm.obj_export"  # the C++ one where both exist
    assert exporters.choose_operator("stl", OPS_34)[0][0] == "export_mesh.stl"
    assert exporters.choose_operator("stl", OPS_44)[0][0] == "wm.stl_export"
    assert exporters.choose_operator("ply", OPS_44)[0][0] == "wm.ply_export"
    assert exporters.choose_operator("usd", OPS_34) == []
    assert [kw["export_format"] for _, kw in exporters.choose_operator("gltf", OPS_44)] == ["GLTF_EMBEDDED",
                                                                                          "GLTF_SEPARATE"]


def test_export_kwargs():
    _, template = exporters.choose_operator("obj", OPS_44)[0]
    known = {"filepath", "export_selected_objects", "apply_modifiers"}
    assert exporters.operator_kwargs(template, True, known) == {"export_selected_objects": True, "apply_modifiers": True}
    assert exporters.operator_kwargs(template, False, {"apply_modifiers"}) == {"apply_modifiers": True}


def test_export_extensions_and_counts():
    assert exporters.check_extension("glb", "/w/a.GLB") is None
    assert exporters.check_extension("usd", "/w/a.usda") is None
    assert exporters.check_extension("glb", "/w/a.gltf") == [".glb"]
    assert exporters.counts_object("obj", "MESH") and not exporters.counts_object("obj", "CAMERA")
    assert exporters.counts_object("fbx", "LIGHT") and exporters.counts_object("glb", "EMPTY")


def test_cameras_take_names_and_orbit_views():
    """cameras: names and orbit views (a render.image's `orbit`, passed back as it came:
    its derived location and rotation_euler are accepted and ignored)."""
    reported = {"azimuth_deg": 135.0, "elevation_deg": 25.0, "distance": 4.2, "lens": 50.0,
                "location": [1, 2, 3], "rotation_euler": [1.1, 0, 3.9], "target": [0.1, 0.2, 0.3]}
    r = options.RenderRequest({"cameras": ["Cam", reported, {"azimuth_deg": -30, "elevation_deg": 10}, "Cam"],
                               "output_dir": "/tmp/x"})
    assert r.cameras == ["Cam", {"azimuth_deg": 135.0, "elevation_deg": 25.0, "distance": 4.2, "lens": 50.0,
                                 "target": (0.1, 0.2, 0.3)}, {"azimuth_deg": -30.0, "elevation_deg": 10.0}]
    for bad in ({"elevation_deg": 10}, {"azimuth_deg": 0, "elevation_deg": 90}, {"azimuth_deg": 0, "elevation_deg": 0,
                "target": [0, 0]}, {"azimuth_deg": 0, "elevation_deg": 0, "distance": 0},
                {"azimuth_deg": 0, "elevation_deg": 0, "zoom": 2}, 7):
        with pytest.raises(RpcError) as info:
            options.RenderRequest({"cameras": [bad], "output_dir": "/tmp/x"})
        assert info.value.code == errors.INVALID_PARAMS and info.value.data["param"] == "cameras", bad


def test_orbit_view_rebuilds_an_orbit_views_camera():
    """The view orbit_views made at index i comes back from its reported parameters."""
    views = orbit.orbit_views((0.5, -1, 2), 1.5, 4, 320, 180)
    for view in views:
        again = orbit.orbit_view(view["index"], view["target"], 1.5, view["azimuth_deg"], view["elevation_deg"],
                                 view["distance"], view["lens"])
        assert again == view
