"""Image headers (PNG, JPEG, OpenEXR) and a small PNG decoder, standard library only.

The worker reads a rendered file's header to report its real size and type
(a render that wrote something else than asked is a render error); the tests
decode PNG pixels to check that views are not blank and differ. The decoder
handles what Blender writes: 8- or 16-bit, grey/RGB/grey+alpha/RGBA, not
interlaced, all five scanline filters.
"""

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SOI = b"\xff\xd8"
EXR_MAGIC = b"\x76\x2f\x31\x01"

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "EXR": "image/x-exr"}
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel (3, palette, is unused here)


class ImageError(ValueError):
    """Not an image of a known kind, or a damaged one."""


def _png_chunks(data):
    if not data.startswith(PNG_SIGNATURE):
        raise ImageError("not a PNG (bad signature)")
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise ImageError("truncated PNG chunk %r" % kind)
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ImageError("bad CRC in PNG chunk %r" % kind)
        yield kind, body
        pos += 12 + length
        if kind == b"IEND":
            return
    raise ImageError("PNG without IEND")


def png_header(data):
    """{format, width, height, bit_depth, color_type, channels, interlace} from IHDR
    (signature and the first chunk only: cheap for large files)."""
    if not data.startswith(PNG_SIGNATURE):
        raise ImageError("not a PNG (bad signature)")
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageError("PNG without IHDR first")
    width, height, depth, ctype, _comp, _filt, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if width == 0 or height == 0:
        raise ImageError("PNG with zero size")
    return {"format": "PNG", "width": width, "height": height, "bit_depth": depth, "color_type": ctype,
            "channels": _CHANNELS.get(ctype, 1), "interlace": interlace}


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_decode(data):
    """(header, rows): rows is a list of bytearrays of unfiltered scanlines
    (width * channels * bytes per sample each). 8/16-bit, non-interlaced only."""
    header = png_header(data)
    if header["color_type"] not in _CHANNELS or header["bit_depth"] not in (8, 16):
        raise ImageError("unsupported PNG colour type %d / depth %d" % (header["color_type"], header["bit_depth"]))
    if header["interlace"]:
        raise ImageError("interlaced PNG not supported")
    compressed = b"".join(body for kind, body in _png_chunks(data) if kind == b"IDAT")
    raw = zlib.decompress(compressed)
    bpp = header["channels"] * header["bit_depth"] // 8  # bytes per pixel, the filters' unit
    stride = header["width"] * bpp
    if len(raw) != header["height"] * (stride + 1):
        raise ImageError("PNG data has %d bytes, expected %d" % (len(raw), header["height"] * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(header["height"]):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                upleft = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 0xFF
        elif ftype != 0:
            raise ImageError("bad PNG filter type %d in row %d" % (ftype, y))
        rows.append(line)
        prev = line
    return header, rows


def png_encode(width, height, pixels, channels=3):
    """An 8-bit PNG (filter 0) from `pixels` (bytes, rows top to bottom). For tests."""
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    stride = width * channels
    raw = b"".join(b"\x00" + bytes(pixels[y * stride:(y + 1) * stride]) for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, ctype, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def luma_stats(header, rows):
    """(mean, standard deviation, count) of the pixels' luma (Rec. 601, 0-255,
    8-bit samples; 16-bit ones use their high byte). Alpha is ignored."""
    ch = header["channels"]
    step = 2 if header["bit_depth"] == 16 else 1
    total = total_sq = 0.0
    count = 0
    for line in rows:
        samples = line[::step]
        for x in range(0, len(samples) - ch + 1, ch):
            if ch >= 3:
                v = 0.299 * samples[x] + 0.587 * samples[x + 1] + 0.114 * samples[x + 2]
            else:
                v = samples[x]
            total += v
            total_sq += v * v
            count += 1
    mean = total / count
    return mean, max(0.0, total_sq / count - mean * mean) ** 0.5, count


def jpeg_header(data):
    """{format, width, height, channels} from the first SOFn marker."""
    if not data.startswith(JPEG_SOI):
        raise ImageError("not a JPEG (no SOI marker)")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageError("bad JPEG marker at %d" % pos)
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 10 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return {"format": "JPEG", "width": width, "height": height, "channels": data[pos + 9]}
        if marker == 0xDA:  # start of scan before any frame header
            break
        pos += 2 + length
    raise ImageError("JPEG without a frame header")


def exr_header(data):
    """{format, width, height, channels} from an OpenEXR header's dataWindow
    and channel list (single-part files, which Blender writes for a still)."""
    if not data.startswith(EXR_MAGIC):
        raise ImageError("not an OpenEXR file (bad magic)")
    pos = 8  # magic, version/flags
    info = {"format": "EXR"}
    while pos < len(data):
        end = data.find(b"\x00", pos)
        if end < 0:
            break
        name = data[pos:end]
        if not name:  # the header ends with an empty attribute name
            if "width" not in info:
                break
            return info
        type_end = data.find(b"\x00", end + 1)
        if type_end < 0 or type_end + 5 > len(data):
            break
        size = struct.unpack("<i", data[type_end + 1:type_end + 5])[0]
        value = data[type_end + 5:type_end + 5 + size]
        if name == b"dataWindow" and len(value) == 16:
            xmin, ymin, xmax, ymax = struct.unpack("<iiii", value)
            info["width"], info["height"] = xmax - xmin + 1, ymax - ymin + 1
        elif name == b"channels":
            # each entry: name\0 then 16 bytes (pixel type, linearity, sampling)
            count, p = 0, 0
            while p < len(value) and value[p] != 0:
                p = value.index(b"\x00", p) + 1 + 16
                count += 1
            info["channels"] = count
        pos = type_end + 5 + size
    raise ImageError("OpenEXR header without dataWindow")


def image_header(data):
    """The header of a PNG, JPEG or OpenEXR file, by its magic bytes."""
    if data.startswith(PNG_SIGNATURE):
        return png_header(data)
    if data.startswith(JPEG_SOI):
        return jpeg_header(data)
    if data.startswith(EXR_MAGIC):
        return exr_header(data)
    raise ImageError("unknown image format (magic %r)" % bytes(data[:8]))


def read_header(path, limit=1 << 16):
    """image_header of the file at `path`, reading its first `limit` bytes
    (headers are small; JPEG's frame header follows EXIF/ICC data, hence 64 KiB)."""
    with open(path, "rb") as f:
        data = f.read(limit)
    if data.startswith(JPEG_SOI) and len(data) == limit:
        with open(path, "rb") as f:  # a JPEG whose frame header lies beyond the first 64 KiB
            data = f.read()
    return image_header(data)
