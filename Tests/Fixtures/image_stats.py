#!/usr/bin/env python3
"""Pixel statistics of rendered images, for the Swift integration tests (Swift has no zlib).

usage: image_stats.py FILE...   ->  one JSON object per line:
    {"format", "width", "height", "channels"?, "std"?, "mean"?, "digest"?}
PNG files are decoded (addon/blenderd/render/images.py: every filter, 8 and 16 bit): std is
the standard deviation of the pixels' luma (0-255), digest a hash of the decoded pixels, so a
blank image (std 0) and two identical views (same digest) can be told. JPEG and EXR: header only.
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "addon"))
from blenderd.render import images  # noqa: E402  (standard library only, no bpy)

for path in sys.argv[1:]:
    data = open(path, "rb").read()
    header = images.image_header(data)
    out = {"format": header.get("format"), "width": header["width"], "height": header["height"]}
    if data.startswith(images.PNG_SIGNATURE):
        decoded, rows = images.png_decode(data)
        mean, std, _ = images.luma_stats(decoded, rows)
        out.update(channels=decoded["channels"], mean=round(mean, 3), std=round(std, 3),
                   digest=hashlib.sha256(b"".join(rows)).hexdigest())
    print(json.dumps(out))
