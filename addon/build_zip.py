"""Build the installable add-on zip: `python addon/build_zip.py [--out DIR]`.

One zip serves both installers: it holds a single top-level `blenderd/`
folder, which Blender 3.x's "Install add-on" expects, and which 4.2+'s
"Install from Disk" accepts as an extension (it finds blender_manifest.toml
one directory down). The version comes from the manifest, so it is stated once.
Standard library only; runs on Python 3.10+ without Blender.
"""

import argparse
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "blenderd")
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")


def manifest_version():
    with open(os.path.join(PACKAGE, "blender_manifest.toml"), encoding="utf-8") as f:
        # tomllib is 3.11+, and one key does not need a TOML parser
        m = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M)
    if not m:
        raise SystemExit("no version in blender_manifest.toml")
    return m.group(1)


def package_files():
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(SKIP_SUFFIXES) or name.startswith("."):
                continue
            path = os.path.join(root, name)
            yield path, os.path.join("blenderd", os.path.relpath(path, PACKAGE))


def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, "blenderd-%s.zip" % manifest_version())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, arcname in package_files():
            # fixed timestamps: the same sources give the same zip
            info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                zf.writestr(info, f.read())
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "out"),
                        help="output directory (default: <repo>/out, git-ignored)")
    args = parser.parse_args(argv)
    print(build(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
