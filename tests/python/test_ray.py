"""blenderd_client.ray on a two-node Ray cluster on this machine (ray.cluster_utils.Cluster, both
nodes on 127.0.0.1), each node with its own blenderd (bpy 4.4, strict sandbox, one instance) on
its own socket: scripts and frames spread over both nodes; a script error is an answer, not a
retry; a pinned session's calls stay on its node and see earlier state; render_views gives one
PNG ref per view; removing a node while it renders a chunk still yields every frame exactly once,
and its daemon goes with it. The node-loss test runs last (it removes the second node)."""

import os
import struct
import tempfile
import time
import zlib

import pytest

# Keep Ray on the loopback interface: with this off Ray uses 127.0.0.1 instead of the machine's
# outward address (it only refuses `ray start --address` worker nodes, which Cluster does not use).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

ray = pytest.importorskip("ray", reason="Ray is not installed (scripts/bootstrap.sh puts it in .venv; "
                                        "pip install 'blenderd-client[ray]')")

import daemon_harness  # noqa: E402
from blenderd_client import ScriptError  # noqa: E402
from blenderd_client import Client  # noqa: E402

pytestmark = pytest.mark.skipif(daemon_harness.missing_reason() is not None or daemon_harness.bpy_python() is None,
                                reason=daemon_harness.missing_reason() or "no bpy 4.4 (.venv/bin/python)")

CLIENT = os.path.join(daemon_harness.REPO, "clients", "python")

# A cube sliding along X over frames 1-24 before a fixed camera, lit (jobs use the scene camera).
ANIMATED = daemon_harness.animated_scene(24, 3) + "result = len(bpy.data.objects)\n"
TINY = {"resolution": [64, 36], "engine": "CYCLES", "samples": 1}


def decode_png(data):
    """(width, height) of a PNG whose chunks' CRCs hold and whose pixel data inflates to exactly
    the rows its header promises: a decodable image, not just a header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color = header[:4]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)
    return width, height


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from ray.cluster_utils import Cluster

    from blenderd_client.ray import RenderFarm

    # Ray's workers are started by each node's raylet: they find blenderd_client through this.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = CLIENT + (os.pathsep + saved if saved else "")
    temp = tempfile.mkdtemp(prefix="ray-")  # short: Ray puts Unix sockets in it
    base = str(tmp_path_factory.mktemp("farm"))
    node = {"num_cpus": 1, "resources": {"blenderd": 1}, "node_ip_address": "127.0.0.1"}
    c = Cluster(initialize_head=True, head_node_args=dict(node, temp_dir=temp, include_dashboard=False))
    farm = None
    try:
        second = c.add_node(**node)
        ray.init(address=c.address, _node_ip_address="127.0.0.1", log_to_driver=False)
        farm = RenderFarm(blenderd=daemon_harness.blenderd_binary(), sandbox="strict", base_dir=base,
                          args=["--no-blender", "--bpy-python", daemon_harness.bpy_python(),
                                "--addon", daemon_harness.ADDON])
        c.farm, c.second, c.base = farm, second, base
        yield c
    finally:
        if farm is not None:
            farm.shutdown()
        ray.shutdown()
        c.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        import shutil
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def animated_blend(cluster):
    """The animated scene as .blend bytes, made by a pinned session (scene.export blend)."""
    with cluster.farm.session() as session:
        assert session.exec(ANIMATED).value == 3
        exported = session.export("blend")
    assert exported.data[:7] == b"BLENDER" and exported.node_id == session.node_id
    return exported.data


def test_farm_has_a_daemon_per_node(cluster):
    nodes = cluster.farm.nodes()
    assert len(nodes) == 2
    assert len({n["node_id"] for n in nodes}) == 2 and len({n["socket"] for n in nodes}) == 2
    assert {n["pool"] for n in nodes} == {1}
    for n in nodes:
        with Client(n["socket"], timeout=30) as client:  # each answers on its own socket
            assert client.ping()
            assert client.info()["state_dir"].startswith(cluster.base)


def test_map_scripts_spread_and_errors_are_answers(cluster):
    scripts = ["import bpy\nprint('hi %d')\nresult = [%d, bpy.app.version[0]]" % (i, i) for i in range(6)]
    scripts.append("x = 1\nraise ValueError('nope')")
    results = ray.get(cluster.farm.map_scripts(scripts))
    for i, r in enumerate(results[:6]):
        assert r["ok"] and r["value"] == [i, 4] and r["stdout"].strip() == "hi %d" % i, r
    bad = results[6]
    assert not bad["ok"] and bad["value"] is None
    assert bad["error"]["code"] == -32010 and bad["error"]["data"]["type"] == "ValueError"
    assert bad["error"]["data"]["line"] == 2
    nodes = {n["node_id"] for n in cluster.farm.nodes()}
    assert {r["node_id"] for r in results} == nodes  # both nodes took scripts


def test_frames_spread_over_both_nodes(cluster, animated_blend):
    refs = cluster.farm.submit_frames(animated_blend, "1-6", chunk=1, **TINY)
    assert sorted(refs) == [1, 2, 3, 4, 5, 6]
    images = dict(zip(refs, ray.get(list(refs.values()))))
    for frame, image in images.items():
        assert image.frame == frame and decode_png(image.data) == (64, 36)
    assert len({i.node_id for i in images.values()}) == 2
    assert images[1].data != images[6].data  # the cube moved


def test_pinned_session_stays_on_its_node_and_keeps_state(cluster):
    target = cluster.second.node_id
    with cluster.farm.session(node=target, blender=">=4") as session:
        assert session.node_id == target
        first = session.exec("import bpy\nbpy.ops.mesh.primitive_cube_add(size=2)\n"
                             "bpy.context.object.name = 'Pinned'\nresult = len(bpy.data.objects)")
        second = session.exec("import bpy\nresult = bpy.data.objects['Pinned'].dimensions[0]")
        assert round(second.value, 3) == 2.0  # the object of the first call is there
        assert first.raw["node_id"] == second.raw["node_id"] == target
        with pytest.raises(ScriptError) as info:
            session.exec("import bpy\nbpy.data.objects['Missing'].location.x = 1")
        assert info.value.type == "KeyError" and info.value.line == 2
        images = ray.get(session.render_views(2, resolution=[64, 36], engine="WORKBENCH"))
        assert [i.index for i in images] == [0, 1] and {i.node_id for i in images} == {target}
        assert all(decode_png(i.data) == (64, 36) for i in images)
        info = session.scene_info()
        assert "Pinned" in [o["name"] for o in info["objects"]]


def test_render_views_one_ref_per_view(cluster):
    # A cube alone looks the same from three orbit angles under Workbench's camera-relative light.
    scene = ANIMATED + "\nbpy.ops.mesh.primitive_uv_sphere_add(radius=0.7, location=(1, 2, 1))\n"
    refs = cluster.farm.render_views(scene, views=3, resolution=[64, 36], engine="WORKBENCH")
    assert len(refs) == 3
    images = ray.get(refs)
    assert [i.index for i in images] == [0, 1, 2]
    assert all(decode_png(i.data) == (64, 36) and i.mime == "image/png" for i in images)
    assert len({i.data for i in images}) == 3  # three different viewpoints


def _busy(socket_path):
    try:
        with Client(socket_path, timeout=10) as client:
            return any(i.get("state") == "busy" for i in client.instances())
    except OSError:
        return False


def test_node_loss_mid_job_every_frame_exactly_once(cluster, animated_blend):
    """Runs last: removes the second node while it renders a chunk."""
    second = cluster.second.node_id
    node = next(n for n in cluster.farm.nodes() if n["node_id"] == second)
    refs = cluster.farm.submit_frames(animated_blend, "1-12", chunk=2, **TINY)
    assert sorted(refs) == list(range(1, 13))
    ready, _ = ray.wait(list(refs.values()), num_returns=1, timeout=240)
    assert ready, "no frame within 240 s"
    deadline = time.monotonic() + 120
    while not _busy(node["socket"]):  # the second node is rendering a chunk right now
        assert time.monotonic() < deadline, "the second node never took a chunk"
        time.sleep(0.05)
    cluster.remove_node(cluster.second, allow_graceful=False)

    images = dict(zip(refs, ray.get(list(refs.values()), timeout=300)))
    assert sorted(images) == list(range(1, 13))
    for frame, image in images.items():
        assert image.frame == frame and decode_png(image.data) == (64, 36)
    assert len({i.data for i in images.values()}) == 12  # twelve different frames, none twice
    head = {n["node_id"] for n in cluster.farm.nodes()}
    assert head and second not in head
    # The removed node's daemon went with its actor (PR_SET_PDEATHSIG), and its Blender with it.
    deadline = time.monotonic() + 60
    while daemon_harness.pid_alive(node["pid"]) or daemon_harness.processes_mentioning(node["base_dir"]):
        assert time.monotonic() < deadline, "daemon %d of the removed node still runs" % node["pid"]
        time.sleep(0.2)
