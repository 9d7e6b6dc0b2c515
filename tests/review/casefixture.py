"""A small case made here from a fixed seed: two dates of a depot with planted vehicles.

The detection run is stored directly (planted boxes, as a detector would report them), so the
review tests need no model.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import cv2
import numpy as np

from sitewatch.catalog import CaseStore, DetectionRecord, RunRecord, ingest_files

WIDTH_PX, HEIGHT_PX = 1200, 900
GSD_M = 0.3


def planted(n: int, seed: int) -> list[DetectionRecord]:
    """``n`` vehicles on a jittered grid, alternately armoured and trucks."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cx = 60 + (i % 12) * 90 + rng.uniform(-10, 10)
        cy = 60 + (i // 12) * 80 + rng.uniform(-8, 8)
        label = "armored_vehicle" if i % 3 else "military_truck"
        out.append(DetectionRecord(label=label, score=round(float(rng.uniform(0.3, 0.95)), 3),
                                   cx_px=round(cx, 1), cy_px=round(cy, 1), width_px=28.0,
                                   height_px=12.0, angle_rad=round(float(rng.uniform(-0.5, 0.5)), 3)))
    return out


#: The shift of the swipe tests: a ground point at (x, y) of the later date lies at
#: (x + 17, y - 9) of the earlier one.
SHIFT_PX = (17, -9)
_MARGIN_PX = 64  # ground generated beyond the image, for dates shifted against each other


def ground(*, seed: int = 7, shift_px: tuple[int, int] | None = None) -> np.ndarray:
    """The (H, W) grey ground: the same on every date of one seed, so that the dates register.

    With ``shift_px = (dx, dy)`` the view moves so that a ground point at pixel ``(x, y)`` of
    the unshifted image lies at ``(x + dx, y + dy)`` (as a georeference off by metres does).
    """
    rng = np.random.default_rng(seed)
    if shift_px is None:
        return cv2.GaussianBlur(rng.integers(60, 140, (HEIGHT_PX, WIDTH_PX), dtype=np.uint8), (9, 9), 0)
    m = _MARGIN_PX
    big = cv2.GaussianBlur(rng.integers(60, 140, (HEIGHT_PX + 2 * m, WIDTH_PX + 2 * m), dtype=np.uint8),
                           (9, 9), 0)
    dx, dy = shift_px
    return big[m - dy: m - dy + HEIGHT_PX, m - dx: m - dx + WIDTH_PX]


def write_image(path: Path, grey: np.ndarray, records: list[DetectionRecord]) -> Path:
    """The ground with the vehicles drawn on it, as a georeferenced GeoTIFF."""
    import rasterio
    from rasterio.transform import from_origin

    rgb = np.dstack([grey, (grey * 1.05).clip(0, 255).astype(np.uint8), (grey * 0.85).astype(np.uint8)])
    for r in records:
        rect = ((r.cx_px, r.cy_px), (r.width_px, r.height_px), math.degrees(r.angle_rad))
        cv2.fillPoly(rgb, [cv2.boxPoints(rect).astype(np.int32)], (40, 50, 35))
    with rasterio.open(path, "w", driver="GTiff", width=WIDTH_PX, height=HEIGHT_PX, count=3,
                       dtype="uint8", crs="EPSG:32637",
                       transform=from_origin(408000.0, 5236000.0, GSD_M, GSD_M)) as dst:
        dst.write(np.moveaxis(rgb, -1, 0))
    return path


def make_case(root: Path, *, vehicles: tuple[int, int] = (90, 110),
              shift_px: tuple[int, int] | None = None) -> CaseStore:
    """A case with site ``depot`` on two dates, one detection run and a pixel-frame zone.

    With ``shift_px`` the earlier date's view is shifted by that much against the later one
    (see :func:`ground`), under the same georeference.
    """
    store = CaseStore.init(root / "case")
    by_date = {}
    grounds = (ground(shift_px=shift_px), ground(shift_px=None if shift_px is None else (0, 0)))
    for (date, n), seed, grey in zip(((dt.date(2014, 5, 30), vehicles[0]),
                                      (dt.date(2014, 6, 11), vehicles[1])), (1, 2), grounds,
                                     strict=True):
        records = planted(n, seed)
        path = write_image(root / f"depot_{date.isoformat()}.tif", grey, records)
        ingest_files(store, [path], site="depot", date=date, source="generated")
        by_date[date] = records
    shas = {s.date: s.sha256 for s in store.scenes()}
    run = RunRecord(run_id="run0000000000001", kind="detect", created_utc="2026-01-01T00:00:00+00:00",
                    model_name="planted", model_sha256="p" * 64, params={}, software={})
    store.save_run(run, {shas[d]: tuple(r) for d, r in by_date.items()})
    zones = root / "zones.geojson"
    zones.write_text(json.dumps({
        "type": "FeatureCollection", "sitewatch:frame": "pixel",
        "features": [{"type": "Feature", "properties": {"name": "parking"},
                      "geometry": {"type": "Polygon", "coordinates": [[[20, 20], [560, 20],
                                                                        [560, 420], [20, 420],
                                                                        [20, 20]]]}}]}))
    store.attach("zones", zones)
    return store


def add_unrelated_date(store: CaseStore, folder: Path) -> None:
    """A third date of site ``depot`` (2014-07-01) showing other ground, without georeference:
    it can be neither registered on its pixels nor placed by a georeference."""
    grey = ground(seed=99)
    path = folder / "depot_2014-07-01.png"
    cv2.imwrite(str(path), np.dstack([grey, grey, grey]))
    ingest_files(store, [path], site="depot", date=dt.date(2014, 7, 1), gsd_m=GSD_M,
                 source="generated")


#: The five labels of the dense case, in the detector's order.
DENSE_LABELS = ("armored_vehicle", "military_truck", "military_light_vehicle",
                "military_engineering_vehicle", "civilian_vehicle")


def make_dense_case(root: Path, *, n: int = 1000, side_px: int = 2432) -> CaseStore:
    """One date of a depot ``side_px`` square (as the real depot scene) with ``n`` detections
    of five labels in rows, scores spread over 0.2–0.99: a scene a bulk review is made for."""
    rng = np.random.default_rng(23)
    per_row = math.ceil(math.sqrt(n))
    step = (side_px - 80) / per_row
    records = []
    for i in range(n):
        label = DENSE_LABELS[(i * 7 + i // per_row) % len(DENSE_LABELS)]
        length = 30.0 if label in ("armored_vehicle", "military_light_vehicle") else 40.0
        records.append(DetectionRecord(
            label=label, score=round(float(rng.uniform(0.2, 0.99)), 3),
            cx_px=round(40 + step * (i % per_row + 0.5) + rng.uniform(-4, 4), 1),
            cy_px=round(40 + step * (i // per_row + 0.5) + rng.uniform(-4, 4), 1),
            width_px=length, height_px=14.0, angle_rad=round(float(rng.uniform(-0.3, 0.3)), 3)))
    grey = cv2.GaussianBlur(rng.integers(60, 140, (side_px, side_px), dtype=np.uint8), (9, 9), 0)
    rgb = np.dstack([grey, grey, (grey * 0.9).astype(np.uint8)])
    for r in records:
        rect = ((r.cx_px, r.cy_px), (r.width_px, r.height_px), math.degrees(r.angle_rad))
        cv2.fillPoly(rgb, [cv2.boxPoints(rect).astype(np.int32)], (40, 50, 35))
    path = root / "depot_2014-06-11.png"
    cv2.imwrite(str(path), rgb[:, :, ::-1])
    store = CaseStore.init(root / "case")
    ingest_files(store, [path], site="depot", date=dt.date(2014, 6, 11), gsd_m=GSD_M,
                 source="generated")
    run = RunRecord(run_id="run0000000000023", kind="detect", created_utc="2026-01-01T00:00:00+00:00",
                    model_name="planted", model_sha256="p" * 64, params={}, software={})
    store.save_run(run, {store.scenes()[0].sha256: tuple(records)})
    return store
