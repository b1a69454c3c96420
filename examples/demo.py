#!/usr/bin/env python3
"""An LL3M-style session against a running blenderd, with no LLM: the steps an agent would take,
on the Python client (clients/python, stdlib only).

    create a chair -> a refinement written for an older Blender API fails -> the error, the
    offending line and the daemon's hints are printed -> the corrected step runs -> checkpoints ->
    scene.info -> 5 views rendered and streamed back with a progress bar (the critic's input) ->
    a .glb export -> a summary of paths and timings

usage: demo.py [SOCKET] [OUTDIR]   (scripts/demo.sh starts the daemon and runs this; SOCKET defaults
                                    to $BLENDERD_SOCKET or the daemon's default path; the views and
                                    the .glb go to OUTDIR, default ./out/demo)
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "clients", "python"))

from blenderd_client import Client, ScriptError  # noqa: E402

VIEWS = 5
BAR_WIDTH = 24


def step(title):
    print("\n== " + title)


def source(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as handle:
        return handle.read()


def summarize_changes(changes):
    parts = []
    for kind, delta in sorted(changes.items()):
        for what in ("added", "removed", "modified"):
            if isinstance(delta, dict) and delta.get(what):
                parts.append("%s %s %d" % (kind, what, len(delta[what])))
    return ", ".join(parts) or "none"


class Timings:
    """(what, milliseconds, detail) rows for the summary table."""

    def __init__(self):
        self.rows = []

    def add(self, what, ms, detail=""):
        self.rows.append((what, ms, detail))

    def print_table(self):
        width = max(len(what) for what, _, _ in self.rows)
        print("%-*s  %10s  %s" % (width, "step", "time", "result"))
        for what, ms, detail in self.rows:
            print("%-*s  %10s  %s" % (width, what, "%.0f ms" % ms if ms is not None else "", detail))


class ViewProgress:
    """One progress bar per view from render.progress: on a terminal a single line redrawn with
    \\r; otherwise plain lines (at most one a second per view) so logs stay readable."""

    def __init__(self, views, tty):
        self.views = views
        self.tty = tty
        self.started = time.perf_counter()
        self.last_plain = {}

    @staticmethod
    def bar(fraction):
        if fraction is None:
            return "[" + "?" * BAR_WIDTH + "]"
        filled = int(round(fraction * BAR_WIDTH))
        return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]"

    def line(self, view, fraction, text):
        percent = "%3d%%" % round(fraction * 100) if fraction is not None else "  ? "
        return "view %d/%d %s %s  %s" % (view, self.views, self.bar(fraction), percent, text)

    def on_progress(self, progress):
        fraction = progress.fraction
        if fraction is None and progress.samples_total is None:
            fraction = None  # Workbench reports no samples: the bar shows "?"
        text = "%5.1f s%s" % (progress.elapsed_ms / 1000.0, "  " + progress.stage if progress.stage else "")
        if progress.samples_done is not None and progress.samples_total:
            text = "%d/%d samples  %s" % (progress.samples_done, progress.samples_total, text)
        if self.tty:
            sys.stdout.write("\r\033[K" + self.line(progress.view, fraction or 0.0, text))
            sys.stdout.flush()
            return
        now = time.perf_counter()
        if now - self.last_plain.get(progress.index, 0.0) >= 1.0:
            self.last_plain[progress.index] = now
            print(self.line(progress.view, fraction or 0.0, text))

    def on_image(self, image, path):
        text = "%dx%d  %6.1f KB  rendered in %5.0f ms  at %5.2f s  -> %s" % (
            image.width, image.height, image.size / 1024, image.duration_ms, time.perf_counter() - self.started, path)
        if self.tty:
            sys.stdout.write("\r\033[K")
        print(self.line(image.view or image.index + 1, 1.0, text))


def main():
    args = sys.argv[1:]
    if len(args) > 2 or (args and args[0] in ("-h", "--help")):
        sys.exit(__doc__)
    socket_path = args[0] if args else None
    out_dir = os.path.abspath(args[1] if len(args) > 1 else os.path.join("out", "demo"))
    os.makedirs(out_dir, exist_ok=True)
    timings = Timings()
    demo_started = time.perf_counter()

    with Client(socket_path) as client:
        info = client.info()
        print("blenderd %s (protocol %s), %d instance(s) in the pool; this client speaks %s framing"
              % (info["version"], info["protocol_version"], info["instances"], client.framing))

        step("session.open {blender: '>=4.2'}  (LL3M used Blender 4.4)")
        started = time.perf_counter()
        with client.session(blender=">=4.2") as session:
            ms = (time.perf_counter() - started) * 1000
            print("session %s on instance %s: Blender %s (%s), %.0f ms" % (session.id, session.instance, session.blender,
                                                                          session.kind, ms))
            timings.add("session.open", ms, "Blender %s on %s" % (session.blender, session.instance))
            run_story(session, out_dir, timings)
            started = time.perf_counter()
        timings.add("session.close", (time.perf_counter() - started) * 1000,
                    "the instance is reset for the next session")
        print("\nsession closed; its Blender process is replaced by a fresh one "
              "(nothing a script left behind reaches the next session)")

    step("summary  (%.1f s in all)" % (time.perf_counter() - demo_started))
    timings.print_table()


def run_step(session, name, timings, expect_error=False):
    code = source(name)
    started = time.perf_counter()
    try:
        result = session.exec(code)
    except ScriptError as error:
        ms = (time.perf_counter() - started) * 1000
        if not expect_error:
            sys.exit("%s failed:\n%s\n%s" % (name, error.explain(code), json.dumps(error.data)[:2000]))
        timings.add(name, ms, "failed as expected: %s at line %s" % (error.type, error.line))
        return code, error
    ms = (time.perf_counter() - started) * 1000
    if expect_error:
        sys.exit("expected %s to fail on Blender 4.x" % name)
    timings.add(name, ms, "ok, checkpoint %s" % result.checkpoint)
    print("ok in %.1f ms (Blender %.1f ms); changes: %s; checkpoint %s"
          % (ms, result.duration_ms, summarize_changes(result.changes), result.checkpoint))
    if result.value is not None:
        print("result = %s" % json.dumps(result.value)[:300])
    return code, result


def run_story(session, out_dir, timings):
    step("script.exec examples/chair.py")
    run_step(session, "chair.py", timings)

    step("script.exec examples/chair_refine_old_api.py  (written against the Blender 3.x API)")
    code, error = run_step(session, "chair_refine_old_api.py", timings, expect_error=True)
    print("error %d %s" % (error.code, error.message))
    for line in error.explain(code).splitlines():
        print(line[:240])
    if error.restored:
        print("the half-done step was rolled back to checkpoint %s" % error.restored_checkpoint)

    step("script.exec examples/chair_refine_fixed.py  (the agent's corrected step)")
    run_step(session, "chair_refine_fixed.py", timings)

    step("scene.checkpoints  (one after every successful step; a crash or timeout restores the last)")
    started = time.perf_counter()
    listed = session.checkpoints()
    timings.add("scene.checkpoints", (time.perf_counter() - started) * 1000,
                "%d checkpoints, current %s" % (len(listed), listed.current))
    for checkpoint in listed:
        print("%-4s %-6s %8d bytes  saved in %.1f ms  after exec %d%s" % (
            checkpoint.id, "auto" if checkpoint.auto else "manual", checkpoint.bytes, checkpoint.duration_ms or 0,
            checkpoint.exec, "   <- current" if checkpoint.id == listed.current else ""))

    step("scene.info")
    scene = session.scene_info()
    print("%d objects" % scene["total"])
    print("%-22s %-8s %9s %9s  %s" % ("name", "type", "vertices", "faces", "materials"))
    for obj in scene["objects"]:
        print("%-22s %-8s %9s %9s  %s" % (obj["name"][:22], obj["type"], obj.get("vertices", ""), obj.get("faces", ""),
                                         ", ".join(obj.get("materials") or [])))

    render(session, out_dir, timings)
    export(session, out_dir, timings)


def render(session, out_dir, timings):
    step("render.views: %d orbit views, 480x270, Cycles 16 samples, each streamed back as it finishes" % VIEWS)
    bars = ViewProgress(VIEWS, sys.stdout.isatty())
    stream = session.render_views(VIEWS, resolution=[480, 270], samples=16, engine="CYCLES",
                                  on_progress=bars.on_progress)
    first = None
    paths = []
    for image in stream:
        first = first or time.perf_counter()
        path = image.save(os.path.join(out_dir, "view-%d%s" % (image.index, image.extension)))
        paths.append(path)
        bars.on_image(image, path)
    total = (time.perf_counter() - bars.started) * 1000
    result = stream.result
    print("%d views in %.2f s (first image after %.2f s), engine %s on %s%s" % (
        len(result["images"]), total / 1000, (first - bars.started) if first else 0, result["engine"],
        result["device"], "; " + "; ".join(result["notes"]) if result["notes"] else ""))
    timings.add("render.views (%d views)" % VIEWS, total,
                "%s .. %s" % (paths[0], os.path.basename(paths[-1])) if paths else "no images")
    if first:
        timings.add("  first image", (first - bars.started) * 1000, "streamed before the others were rendered")


def export(session, out_dir, timings):
    step("scene.export glb")
    started = time.perf_counter()
    glb = session.export("glb")
    path = glb.save(os.path.join(out_dir, "chair.glb"))
    ms = (time.perf_counter() - started) * 1000
    print("%s: %d objects, %.1f KB, %s, exported in %.0f ms (%.0f ms round trip)" % (
        path, glb.objects, glb.size / 1024, glb.operator, glb.duration_ms, ms))
    timings.add("scene.export glb", ms, "%s (%.1f KB)" % (path, glb.size / 1024))


if __name__ == "__main__":
    main()
