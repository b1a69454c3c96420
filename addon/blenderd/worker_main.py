"""Entry for the Blender executable launcher:

    blender -b --factory-startup -noaudio -Y --python-exit-code 1 \\
        --python <repo>/addon/blenderd/worker_main.py -- --fd 3

Blender runs this file as a script, not as part of a package, so it puts the
add-on's parent directory on sys.path and imports the package properly.
"""

import os
import sys


def _run():
    addon_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if addon_parent not in sys.path:
        sys.path.insert(0, addon_parent)
    package = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
    worker = __import__(package + ".worker", fromlist=["main"])
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    code = worker.main(argv, kind="executable")
    if code:
        sys.exit(code)  # with --python-exit-code 1 Blender exits non-zero
    # Returning lets Blender finish its command line and quit normally
    # (it removes its temp dir then; os._exit would leak one per worker).


_run()
