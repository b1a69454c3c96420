#!/usr/bin/env python3
"""The competitor: one script per cold process, as headless pipelines run Blender today.

LL3M's headless mode, BlenderProc and Flamenco start a Blender per script (or per task) and
read its output after it exits, so each script pays Blender's whole start-up and shut-down.
Timed here, spawn to exit, for the same trivial script the warm benchmarks run:
  executable  blender -b --factory-startup --python-expr SCRIPT     (Debian's 3.4)
  module      <venv python> -c SCRIPT                               (PyPI bpy 4.4: `import bpy` starts Blender)
The two launchers alternate run by run, so drifts of the machine hit both. One untimed run of
each first: the binaries and Blender's data files are then in the page cache, which favours the
cold side (a real farm node may not have them cached).

Prints one `exec mode=cold ...` line per launcher (p50/p90 in ms); exits 2 if a run fails.
"""

import argparse
import subprocess
import time

import common


def argv_for(launcher, script):
    from blender_worker import blender_executable, bpy_python

    if launcher == "executable":
        exe = blender_executable()
        return [exe, "-b", "--factory-startup", "--python-expr", script] if exe else None
    python = bpy_python()
    return [python, "-c", script] if python else None


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    elapsed_ms = (time.perf_counter() - start) * 1000
    out = proc.stdout.decode("utf-8", "replace")
    # Blender's --python-expr keeps exit status 0 on a Python error: check the output too.
    if proc.returncode != 0 or common.MARKER not in out:
        common.die("cold run failed (exit %d): %s\n%s" % (proc.returncode, " ".join(argv[:3]), out[-2000:]))
    return elapsed_ms


def blender_version(launcher, argv):
    code = "import bpy; print('version:', bpy.app.version_string)"
    probe = argv[:-1] + [code]
    out = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=300).stdout.decode()
    for line in out.splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip().split()[0]
    return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=10, help="timed runs per launcher (default 10)")
    parser.add_argument("--launchers", default=",".join(common.LAUNCHERS),
                        help="comma-separated: executable,module (default both)")
    args = parser.parse_args()

    argvs, versions = {}, {}
    for launcher in args.launchers.split(","):
        argv = argv_for(launcher, common.SCRIPT)
        if argv is None:
            print(common.result_line(mode="cold", launcher=launcher, skip="not installed"), flush=True)
            continue
        argvs[launcher] = argv
        versions[launcher] = blender_version(launcher, argv)  # also the untimed warm-up run
        run_once(argv)

    samples = {launcher: [] for launcher in argvs}
    for _ in range(args.runs):
        for launcher, argv in argvs.items():
            samples[launcher].append(run_once(argv))
    for launcher, values in samples.items():
        print(common.result_line(mode="cold", launcher=launcher, blender=versions[launcher],
                                 **common.summary(values)), flush=True)


if __name__ == "__main__":
    main()
