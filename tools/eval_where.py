"""Measure the where/when targets of issue 21 and print one line per figure.

What it measures: the sun position (pvlib's SPA) against a reference table; how often the
shadow check's interval covers the truth under ±3 px marking error; the time to compute the
where-on-Earth map on a global 0.1° grid; the metadata readers on the EXIF samples (read or
refused, never a traceback); the sun azimuth from shadows beside MVRSD vehicle boxes.

Usage::

    PYTHONPATH=src python tools/eval_where.py [--cases 1000]

Reads ../shared/data (the EXIF samples and MVRSD tiles) when present and says so when not.
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
DATA = (ROOT / ".." / "shared" / "data").resolve()
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sitewatch.errors import ConfigError  # noqa: E402
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


def exif_samples() -> None:
    folder = DATA / "ground" / "exif_samples"
    if not folder.is_dir():
        print(f"EXIF samples: {folder} not present, skipped")
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
    folder = DATA / "overhead" / "mvrsd"
    if not folder.is_dir():
        print(f"MVRSD: {folder} not present, skipped")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    spa_table()
    grid_time()
    coverage(args.cases)
    exif_samples()
    mvrsd_shadows()


if __name__ == "__main__":
    main()
