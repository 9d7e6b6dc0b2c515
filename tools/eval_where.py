"""Measure the where/when targets of issue 21 and print one line per figure.

What it measures: the sun position (pvlib's SPA) against a reference table; how often the
shadow check's interval covers the truth under ±3 px marking error; the time to compute the
where-on-Earth map on a global 0.1° grid; the metadata readers on the EXIF samples (read or
refused, never a traceback); the sun azimuth from shadows beside MVRSD vehicle boxes; and, with
``--vehicle-shadows``, whether a more careful automatic measurement beside *detected* vehicles
(every vehicle masked, a narrow ring, a robust pooling) reads the sun or the vehicles' heading.

Usage::

    PYTHONPATH=src python tools/eval_where.py [--cases 1000] [--vehicle-shadows]

Reads the shared data folder (the EXIF samples and MVRSD tiles; ``$SITEWATCH_DATA``, else
``../shared/data``) when present and says so when not.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sitewatch.errors import ConfigError  # noqa: E402
from sitewatch.shared_data import shared_data_root  # noqa: E402
from sitewatch.where import (  # noqa: E402  # noqa: E402  # noqa: E402  # noqa: E402
    ReferenceLine,
    ShadowMarks,
    measure_shadow,
    read_media_metadata,
    second_reader,
    shadow_bearings_beside_boxes,
    sun_from_shadow_bearings,
    sun_grid,
    sun_positions,
)


def spa_table() -> None:
    table = ROOT / "tests" / "where" / "data" / "spa_reference.csv"
    rows = list(csv.reader(line for line in table.open() if not line.startswith("#")))
    errors = []
    for stamp, lat, lon, az_ref, zen_ref in rows:
        t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        az, el = sun_positions(float(lon), float(lat), np.array([t]), delta_t=0.0, pressure_hpa=1000.0,
                               temperature_c=10.0)
        errors.append((abs((az[0] - float(az_ref) + 180) % 360 - 180), abs(el[0] - 90 + float(zen_ref))))
    worst = np.max(errors, axis=0)
    print(f"SPA reference table: {len(rows)} rows, worst azimuth error {worst[0]:.5f} deg, "
          f"worst elevation error {worst[1]:.5f} deg")


def coverage(cases: int) -> None:
    from tests.where.test_where_shadows import _scene

    rng = np.random.default_rng(2026)
    hits = np.zeros(3)
    for index in range(cases):
        el, az = rng.uniform(10, 70), rng.uniform(0, 360)
        bearing = rng.uniform(0, 360)
        scene = _scene(el, az, height_px=rng.uniform(60, 300), ref_bearing_deg=bearing,
                       ref_image_angle_deg=rng.uniform(0, 360))
        noisy = {k: (v[0] + rng.uniform(-3, 3), v[1] + rng.uniform(-3, 3)) for k, v in scene.items()}
        reference = ReferenceLine(start_px=noisy["start"], end_px=noisy["end"], bearing_deg=bearing)
        m = measure_shadow(ShadowMarks(base_px=noisy["base"], top_px=noisy["top"], tip_px=noisy["tip"],
                                       reference=reference), samples=2000, seed=index)
        assert m.azimuth_interval is not None
        e_ok, a_ok = m.elevation_interval.contains(el), m.azimuth_interval.contains(az, circular=True)
        hits += (e_ok, a_ok, e_ok and a_ok)
    print(f"±3 px marks, {cases} scenes: elevation covered {hits[0] / cases:.1%}, azimuth "
          f"{hits[1] / cases:.1%}, both {hits[2] / cases:.1%}")


def grid_time() -> None:
    t = dt.datetime(2014, 6, 11, 7, tzinfo=dt.UTC)
    sun_grid(t, step_deg=2.0)
    best = min(_timed(lambda: sun_grid(t, step_deg=0.1)) for _ in range(5))
    print(f"global 0.1 deg grid (1800x3600): best of 5 {best:.3f} s")


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _shared(relative: str) -> Path | None:
    """``relative`` in the shared data folder, or ``None`` when absent."""
    root = shared_data_root(needs=relative)
    return None if root is None else root / relative


def exif_samples() -> None:
    folder = _shared("ground/exif_samples")
    if folder is None:
        print("EXIF samples: ground/exif_samples not under $SITEWATCH_DATA or ../shared/data, skipped")
        return
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "README")
    read = refused = agree = with_gps = 0
    for path in files:
        meta = read_media_metadata(path)
        refused += meta.refused is not None
        read += meta.refused is None
        lonlat, taken = second_reader(path)
        if lonlat is not None:
            with_gps += 1
            agree += bool(meta.gps and abs(meta.gps.lat_deg - lonlat.lat_deg) < 1e-6
                          and abs(meta.gps.lon_deg - lonlat.lon_deg) < 1e-6 and meta.capture_local == taken)
    print(f"EXIF samples: {len(files)} files, {read} read, {refused} refused, no traceback; "
          f"{agree}/{with_gps} with GPS agree with exifread on position and time")


def mvrsd_shadows() -> None:
    folder = _shared("overhead/mvrsd")
    if folder is None:
        print("MVRSD: overhead/mvrsd not under $SITEWATCH_DATA or ../shared/data, skipped")
        return
    from PIL import Image

    for xml in sorted((folder / "labels").glob("*.xml")):
        image = folder / "images" / (xml.stem + ".jpg")
        boxes = [tuple(float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))  # type: ignore[union-attr,arg-type]
                 for b in ET.parse(xml).getroot().iter("bndbox")]
        grey = np.asarray(Image.open(image).convert("L"))
        bearings = shadow_bearings_beside_boxes(grey, boxes)  # type: ignore[arg-type]
        try:
            sun = sun_from_shadow_bearings(bearings)
        except ConfigError as exc:
            print(f"MVRSD {image.name}: {len(boxes)} boxes, refused: {exc}")
            continue
        r = np.hypot(np.cos(np.radians(bearings)).mean(), np.sin(np.radians(bearings)).mean())
        spread = math.degrees(math.sqrt(-2 * math.log(max(r, 1e-9))))
        print(f"MVRSD {image.name}: {len(boxes)} boxes, {len(bearings)} shadows, sun azimuth "
              f"{sun.azimuth_deg:.0f} deg ({sun.azimuth_interval.low_deg:.0f}-"
              f"{sun.azimuth_interval.high_deg:.0f}), circular spread {spread:.0f} deg")


def _ring_shadows(grey: np.ndarray, boxes: list[tuple[float, float, float, float, float]], *,
                  ring_px: int = 6, margin: float = 20.0) -> np.ndarray:
    """(bearing deg, box index) of the dark pixels in a ``ring_px`` ring around each oriented box
    (cx, cy, w, h, angle): pixels of every vehicle masked, dark = ring median - ``margin``, only
    dark pixels connected to the vehicle; bearing from the box centre to their centroid."""
    from scipy import ndimage

    def inside(shape: tuple[int, ...], box: tuple[float, ...], x0: int, y0: int, grow: float) -> np.ndarray:
        ys, xs = np.mgrid[0:shape[0], 0:shape[1]]
        dx, dy = xs + x0 - box[0], ys + y0 - box[1]
        u = dx * math.cos(box[4]) + dy * math.sin(box[4])
        v = -dx * math.sin(box[4]) + dy * math.cos(box[4])
        return (np.abs(u) <= box[2] / 2 + grow) & (np.abs(v) <= box[3] / 2 + grow)

    height, width = grey.shape
    pad = int(max(max(b[2], b[3]) for b in boxes) / 2 + ring_px + 2)
    windows = [(max(int(b[0]) - pad, 0), max(int(b[1]) - pad, 0), min(int(b[0]) + pad, width),
                min(int(b[1]) + pad, height)) for b in boxes]
    vehicles = np.zeros(grey.shape, dtype=bool)
    for box, (x0, y0, x1, y1) in zip(boxes, windows, strict=True):
        vehicles[y0:y1, x0:x1] |= inside((y1 - y0, x1 - x0), box, x0, y0, 0.0)
    rows = []
    for index, (box, (x0, y0, x1, y1)) in enumerate(zip(boxes, windows, strict=True)):
        patch = grey[y0:y1, x0:x1].astype(np.float32)
        own = inside(patch.shape, box, x0, y0, 0.0)
        ring = inside(patch.shape, box, x0, y0, ring_px) & ~vehicles[y0:y1, x0:x1]
        if ring.sum() < 30:
            continue
        labels, _ = ndimage.label(ring & (patch < np.median(patch[ring]) - margin))
        touching = np.unique(labels[ndimage.binary_dilation(own, iterations=2) & (labels > 0)])
        ys, xs = np.nonzero(np.isin(labels, touching[touching > 0]))
        if xs.size < 6 or math.hypot(xs.mean() + x0 - box[0], ys.mean() + y0 - box[1]) < 1.0:
            continue
        rows.append((math.degrees(math.atan2(xs.mean() + x0 - box[0], -(ys.mean() + y0 - box[1]))) % 360,
                     index))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def _pooled(bearings: np.ndarray) -> str:
    """Circular median, share within 30° of it, and the Rayleigh test against no direction."""
    grid = np.arange(0.0, 360.0, 1.0)
    median = grid[np.argmin(np.abs((bearings[None, :] - grid[:, None] + 180) % 360 - 180).sum(axis=1))]
    share = float(np.mean(np.abs((bearings - median + 180) % 360 - 180) <= 30.0))
    n = bearings.size
    r = float(np.hypot(np.cos(np.radians(bearings)).mean(), np.sin(np.radians(bearings)).mean()))
    z = n * r * r
    # Rayleigh test p-value, Zar's series (Biostatistical Analysis, eq. 27.4).
    p = math.exp(-z) * (1 + (2 * z - z * z) / (4 * n)
                        - (24 * z - 132 * z**2 + 76 * z**3 - 9 * z**4) / (288 * n * n))
    spread = math.degrees(math.sqrt(-2 * math.log(max(r, 1e-9))))
    return (f"{n} shadows, spread {spread:.0f} deg, median {median:.0f} deg, {share:.0%} within 30 deg "
            f"of it, Rayleigh p {min(max(p, 0.0), 1.0):.2g}")


def vehicle_shadows() -> None:
    """Shadows beside detected vehicles on the MVRSD tiles and the depot, split by vehicle heading."""
    data = shared_data_root(needs="overhead/scenes/AUAU040001_depot.tif")
    if data is None:
        print("vehicle shadows: overhead/scenes/AUAU040001_depot.tif not under $SITEWATCH_DATA or "
              "../shared/data, skipped")
        return
    scenes = [(p, 0.12) for p in sorted((data / "overhead" / "mvrsd" / "images").glob("*.jpg"))]
    scenes.append((data / "overhead" / "scenes" / "AUAU040001_depot.tif", 0.25))
    from PIL import Image

    from sitewatch.detect import DEFAULT_MODEL, detect_raster, load_detector

    detector = load_detector(DEFAULT_MODEL, threads=1)
    for path, gsd_m in scenes:
        found = [d for d in detect_raster(path, detector, gsd_m=gsd_m).detections if d.score >= 0.3]
        boxes = [(d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px, d.box.angle_rad) for d in found]
        rows = _ring_shadows(np.asarray(Image.open(path).convert("L")), boxes) if len(boxes) >= 3 else None
        if rows is None or len(rows) < 3:
            print(f"vehicle shadows {path.name}: {len(boxes)} vehicles, too few shadows")
            continue
        # Bearing of each vehicle's long axis (mod 180): a sun shadow does not turn with the vehicle.
        heading = np.array([math.degrees(math.atan2(math.cos(a), -math.sin(a))) % 180 if w >= h else
                            math.degrees(math.atan2(-math.sin(a), -math.cos(a))) % 180
                            for _, _, w, h, a in boxes])[rows[:, 1].astype(int)]
        parts = [f"vehicle shadows {path.name}: {len(boxes)} vehicles; all: {_pooled(rows[:, 0])}"]
        for name, chosen in (("long axis N-S", (heading < 30) | (heading > 150)),
                             ("long axis E-W", (heading > 60) & (heading < 120))):
            if chosen.sum() >= 5:
                parts.append(f"{name}: {_pooled(rows[chosen, 0])}")
        print("; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--vehicle-shadows", action="store_true",
                        help="only: shadows beside detected vehicles (MVRSD tiles and the depot)")
    args = parser.parse_args()
    try:
        shared_data_root()
    except ConfigError as error:
        print(f"eval_where: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.vehicle_shadows:
        vehicle_shadows()
        return
    spa_table()
    grid_time()
    coverage(args.cases)
    exif_samples()
    mvrsd_shadows()


if __name__ == "__main__":
    main()
