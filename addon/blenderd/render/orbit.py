"""Orbit cameras around a scene's bounds, each framing the whole scene.

Plain math on tuples (no mathutils), so it is tested without Blender. Blender's
conventions: Z up; a camera looks down its local -Z with local +Y up; an Euler
rotation (rx, ry, rz) in XYZ order. A camera at azimuth `az` (counter-clockwise
from +X seen from above) and elevation `el` (up from the XY plane) that looks at
the target has rotation (90° - el, 0, az + 90°): the X rotation tilts the view
from straight down (-Z) towards the horizon, then Z turns it to face the target.
"""

import math

DEFAULT_LENS = 50.0          # mm, Blender's default camera
DEFAULT_SENSOR = 36.0        # mm, Blender's default sensor width (sensor_fit AUTO)
DEFAULT_MARGIN = 1.1         # the sphere fills ~90% of the narrower field of view
MIN_RADIUS = 1e-3            # a point or a flat object still gets a sensible distance


def bounds_union(boxes):
    """Union of (min, max) boxes (3-tuples each); None for no boxes."""
    lo = hi = None
    for bmin, bmax in boxes:
        if lo is None:
            lo, hi = list(bmin), list(bmax)
        else:
            lo = [min(a, b) for a, b in zip(lo, bmin)]
            hi = [max(a, b) for a, b in zip(hi, bmax)]
    if lo is None:
        return None
    return tuple(lo), tuple(hi)


def bounding_sphere(points):
    """(center, radius) of a sphere containing every point: centred on the
    points' box, radius to the farthest point (for a box's 8 corners this is
    half its diagonal; with several objects' corners it can be tighter)."""
    points = [tuple(float(c) for c in p) for p in points]
    if not points:
        raise ValueError("no points")
    lo = [min(p[i] for p in points) for i in range(3)]
    hi = [max(p[i] for p in points) for i in range(3)]
    center = tuple((a + b) / 2 for a, b in zip(lo, hi))
    radius = max(math.dist(center, p) for p in points)
    return center, max(radius, MIN_RADIUS)


def box_corners(bmin, bmax):
    return [(x, y, z) for x in (bmin[0], bmax[0]) for y in (bmin[1], bmax[1]) for z in (bmin[2], bmax[2])]


def field_of_view(width, height, lens=DEFAULT_LENS, sensor=DEFAULT_SENSOR):
    """(horizontal, vertical) field of view in radians for Blender's
    sensor_fit AUTO: the sensor width spans the larger image dimension."""
    wide = 2 * math.atan(sensor / 2 / lens)
    if width >= height:
        return wide, 2 * math.atan(math.tan(wide / 2) * height / width)
    return 2 * math.atan(math.tan(wide / 2) * width / height), wide


def fit_distance(radius, width, height, lens=DEFAULT_LENS, sensor=DEFAULT_SENSOR, margin=DEFAULT_MARGIN):
    """Distance from the sphere's centre at which a sphere of `radius` fits in
    the narrower field of view, times `margin`. Uses sin, not tan: the sphere's
    silhouette touches the view cone's sides, not a plane through the centre."""
    hfov, vfov = field_of_view(width, height, lens, sensor)
    half = min(hfov, vfov) / 2
    return max(radius, MIN_RADIUS) / math.sin(half) * margin


def look_at_euler(azimuth, elevation):
    """XYZ Euler (radians) of a camera on the orbit at (azimuth, elevation),
    looking at the orbit's centre with the world's +Z up in the image."""
    return (math.pi / 2 - elevation, 0.0, azimuth + math.pi / 2)


def view_direction(euler):
    """The world direction a camera with this XYZ Euler looks along (its -Z)."""
    rx, ry, rz = euler
    # R = Rz @ Ry @ Rx applied to (0, 0, -1)
    x, y, z = 0.0, 0.0, -1.0
    y, z = y * math.cos(rx) - z * math.sin(rx), y * math.sin(rx) + z * math.cos(rx)
    x, z = x * math.cos(ry) + z * math.sin(ry), -x * math.sin(ry) + z * math.cos(ry)
    x, y = x * math.cos(rz) - y * math.sin(rz), x * math.sin(rz) + y * math.cos(rz)
    return (x, y, z)


def azimuths(count, start_deg):
    """`count` azimuths in degrees, evenly spaced, starting at `start_deg`."""
    return [(start_deg + 360.0 * i / count) % 360.0 for i in range(count)]


def orbit_view(index, target, radius, azimuth_deg, elevation_deg, distance, lens=DEFAULT_LENS,
               sensor=DEFAULT_SENSOR):
    """One view: {index, azimuth_deg, elevation_deg, distance, location, rotation_euler,
    lens, sensor_width, clip_start, clip_end, target}: a camera `distance` from `target`
    looking at it; `radius` is the part of the scene around the target that must not be
    clipped."""
    el = math.radians(elevation_deg)
    az = math.radians(azimuth_deg)
    # Near enough that nothing inside the sphere is clipped, far enough to keep
    # depth precision (the rasterizers' depth buffer) for small objects.
    clip_start = max(1e-4, min(0.1, (distance - radius) * 0.5))
    clip_end = (distance + radius) * 1.5 + 1.0
    offset = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
    location = tuple(c + distance * o for c, o in zip(target, offset))
    return {
        "index": index, "azimuth_deg": round(azimuth_deg, 6), "elevation_deg": float(elevation_deg),
        "distance": distance, "location": location, "rotation_euler": look_at_euler(az, el),
        "lens": lens, "sensor_width": sensor, "clip_start": clip_start, "clip_end": clip_end,
        "target": tuple(target),
    }


def orbit_views(center, radius, count, width, height, elevation_deg=25.0, azimuth_deg=45.0,
                lens=DEFAULT_LENS, sensor=DEFAULT_SENSOR, margin=DEFAULT_MARGIN):
    """One dict per view (`orbit_view`), `count` azimuths evenly around the sphere, each
    framing all of it."""
    distance = fit_distance(radius, width, height, lens, sensor, margin)
    return [orbit_view(index, center, radius, az_deg, elevation_deg, distance, lens, sensor)
            for index, az_deg in enumerate(azimuths(count, azimuth_deg))]
