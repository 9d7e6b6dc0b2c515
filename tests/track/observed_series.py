"""Series whose truly observable ground is known, tracked through the CLI into events files.

Three kinds of series:

* :func:`drawn_series`: made here from seeded noise, no data needed. Five dates of one site
  (textured ground, dark vehicles of two sizes): misregistered (each date shifted and turned,
  no georeference, so registered by pixels), soft clouds like ``tools/make_series.py``'s (one
  over a vehicle that stands there the day before and the day after), a date covering only part
  of the site, vehicles arriving and leaving. The planted detections are what a detector
  could see, including vehicles faintly through a cloud's edge and one false box on a cloud.
* :func:`georeferenced_series`: GeoTIFFs, one date at 0.6 m where a car is under 10 px long
  (too coarse to claim anything about it) while a tank is not.
* series built from ``../shared/data`` by the project's tools (every MVRSD tile, the demo
  series, the two NAIP dates), in ``tests/track/test_observable_series.py``.

Every series says, per date, which reference pixels the date truly showed
(:attr:`Truth.observable`), without the code under test: inside that date's image, not within
0.85 of a cloud's radius of its centre (where the cloud is over 40 % opaque, as
``tools/eval_track.py`` judges), and pixels fine enough for the vehicle's label.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sitewatch.case.detections import to_record
from sitewatch.catalog import CaseStore, RunRecord, ingest_files
from sitewatch.detect.types import Detection, VehicleClass
from sitewatch.geo.coords import OrientedBoxPx
from tests.track.clouded_series import CLOUD_GREY, ground

#: Truly hidden within this share of a cloud's radius (opacity above about 0.4).
CLOUD_CORE = 0.85
#: A vehicle shorter than this many pixels on a date cannot be claimed on it (TrackOptions).
MIN_PX = 10.0
#: Length on the ground of each planted label, metres.
LENGTH_M = {VehicleClass.ARMORED_VEHICLE: 7.0, VehicleClass.MILITARY_LIGHT_VEHICLE: 4.6}


@dataclass(frozen=True, slots=True, kw_only=True)
class DateTruth:
    """One date: image size, GSD, mapping of its pixels onto the reference and its clouds."""

    date: dt.date
    width_px: int
    height_px: int
    gsd_m: float
    image_to_reference: np.ndarray  # 3x3
    clouds: tuple[tuple[float, float, float], ...] = ()  # (cx, cy, r) in this date's px

    def shows(self, x_ref: float, y_ref: float) -> bool:
        """Whether this date truly shows the reference point: in its image, clear of clouds."""
        h = np.linalg.inv(self.image_to_reference) @ np.array([x_ref, y_ref, 1.0])
        x, y = h[0] / h[2], h[1] / h[2]
        if not (0 <= x < self.width_px and 0 <= y < self.height_px):
            return False
        return all(math.hypot(x - cx, y - cy) >= CLOUD_CORE * r for cx, cy, r in self.clouds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    """What every date of a series truly showed, and the vehicles that stood there."""

    dates: dict[dt.date, DateTruth]
    #: (x, y) reference px of vehicles standing on three consecutive dates at one place and
    #: hidden under a cloud on the middle one, with the date after it.
    hidden_then_seen: tuple[tuple[float, float, dt.date], ...] = ()
    lengths_m: dict[str, float] | None = None

    def observable(self, date: dt.date, x_px: float, y_px: float, label: str) -> bool:
        """Whether ``date`` truly showed a ``label`` vehicle at the reference pixel (x, y)."""
        d = self.dates[date]
        length = (self.lengths_m or {}).get(label, 4.6)
        return d.shows(x_px, y_px) and length / d.gsd_m >= MIN_PX


def _affine(dx: float, dy: float, turn_deg: float, centre: float) -> np.ndarray:
    m = cv2.getRotationMatrix2D((centre, centre), turn_deg, 1.0)
    m[:, 2] += np.array([dx, dy])
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _cloud(img: np.ndarray, cx: float, cy: float, r: float, seed: int) -> None:
    """A soft cloud as ``tools/series_pixels.render_date`` paints one, in place."""
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    alpha = np.clip(1.3 - np.hypot(xx - cx, yy - cy) / r, 0, 1) * 0.95
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.normal(0, 12, img.shape).astype(np.float32), (0, 0), 6)
    img[:] = img * (1 - alpha) + (CLOUD_GREY + texture) * alpha


def _draw(img: np.ndarray, x: float, y: float, label: VehicleClass, gsd_m: float) -> None:
    length = LENGTH_M[label] / gsd_m
    width = length * 0.45
    x0, y0 = round(x - length / 2), round(y - width / 2)
    img[y0 : y0 + round(width), x0 : x0 + round(length)] = 45.0
    img[round(y) - 1 : round(y) + 2, x0 + 3 : x0 + round(length) - 3] = 100.0


def _box(x: float, y: float, label: VehicleClass, gsd_m: float, angle: float = 0.0,
         score: float = 0.9) -> Detection:
    length = LENGTH_M[label] / gsd_m
    return Detection(box=OrientedBoxPx(cx_px=x, cy_px=y, width_px=length,
                                       height_px=length * 0.45, angle_rad=angle),
                     label=label, score=score)


@dataclass(frozen=True, slots=True, kw_only=True)
class Drawn:
    """A drawn series: image files, their planted detections and the truth."""

    site: str
    files: tuple[tuple[Path, dt.date, float, tuple[Detection, ...]], ...]  # path, date, gsd, dets
    truth: Truth


def drawn_series(folder: Path, seed: int) -> Drawn:
    """Five misregistered dates with clouds, partial cover, arrivals and departures.

    The world is the first date's grid. Vehicle ``0`` stands on dates 0-2 and is under a
    cloud on date 1; date 3 shows only the left 55 % of the site; dates 1, 2 and 4 carry a
    cloud each.
    """
    rng = np.random.default_rng(seed)
    side, gsd = 512, 0.3
    world = ground(seed=seed, side=side)
    spots: list[tuple[float, float]] = []
    while len(spots) < 16:
        x, y = (float(v) for v in rng.uniform(60, side - 60, 2))
        if all(math.hypot(x - a, y - b) > 40 for a, b in spots):
            spots.append((x, y))
    labels = [VehicleClass.ARMORED_VEHICLE if rng.random() < 0.5
              else VehicleClass.MILITARY_LIGHT_VEHICLE for _ in spots]
    present = [set(range(10))]
    for _ in range(4):
        nxt = {i for i in present[-1] if rng.random() > 0.2}
        nxt |= {i for i in range(len(spots)) if i not in present[-1] and rng.random() < 0.3}
        present.append(nxt)
    for k in range(3):
        present[k].add(0)  # vehicle 0 stays through dates 0-2 (hidden on 1)
    x0, y0 = spots[0]
    # (dx, dy, turn) per date: misregistration; clouds in world px; crop width share
    looks: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] + [
        (float(rng.uniform(-9, 9)), float(rng.uniform(-9, 9)), float(rng.uniform(-1.5, 1.5)))
        for _ in range(4)]
    clouds_world: list[list[tuple[float, float, float]]] = [
        [], [(x0 + 6.0, y0 - 4.0, 70.0)],
        [(float(rng.uniform(120, 400)), float(rng.uniform(120, 400)), float(rng.uniform(55, 80)))],
        [], [(float(rng.uniform(120, 400)), float(rng.uniform(120, 400)), 75.0)]]
    crop = [1.0, 1.0, 1.0, 0.55, 1.0]
    files, dates = [], {}
    for k in range(5):
        day = dt.date(2022, 4, 2 + 7 * k)
        img = world.copy()
        for i in sorted(present[k]):
            _draw(img, *spots[i], labels[i], gsd)
        m = _affine(*looks[k], centre=(side - 1) / 2)  # world -> image
        img = cv2.warpAffine(img, m[:2], (side, side), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
        clouds = []
        for n, (cx, cy, r) in enumerate(clouds_world[k]):
            ix, iy, _ = m @ np.array([cx, cy, 1.0])
            _cloud(img, ix, iy, r, seed=seed * 10 + k + n)
            clouds.append((float(ix), float(iy), r))
        width = round(side * crop[k])
        img = img[:, :width]
        path = folder / f"drawn{seed}-{k}.png"
        cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8))
        turn = math.radians(-looks[k][2])
        dets = []
        for i in sorted(present[k]):
            ix, iy, _ = m @ np.array([*spots[i], 1.0])
            seen_edge = all(math.hypot(ix - cx, iy - cy) >= 0.6 * r for cx, cy, r in clouds)
            if 8 <= ix < width - 8 and 8 <= iy < side - 8 and seen_edge:
                dets.append(_box(float(ix), float(iy), labels[i], gsd, angle=turn))
        for cx, cy, _ in clouds:  # a detector fooled by a cloud's texture
            if cx < width:
                dets.append(_box(cx, cy, VehicleClass.MILITARY_LIGHT_VEHICLE, gsd, score=0.6))
        files.append((path, day, gsd, tuple(dets)))
        dates[day] = DateTruth(date=day, width_px=width, height_px=side, gsd_m=gsd,
                               image_to_reference=np.linalg.inv(m), clouds=tuple(clouds))
    days = sorted(dates)
    hidden = ((x0, y0, days[2]),)
    return Drawn(site=f"drawn{seed}", files=tuple(files),
                 truth=Truth(dates=dates, hidden_then_seen=hidden, lengths_m=_lengths()))


def _lengths() -> dict[str, float]:
    return {label.value: m for label, m in LENGTH_M.items()}


def georeferenced_series(folder: Path) -> Drawn:
    """Three georeferenced dates; the second at 0.6 m (a 4.6 m light vehicle is 7.7 px long,
    too coarse; a 7 m tank 11.7 px, fine enough). Tanks and light vehicles come and go."""
    import rasterio
    from rasterio.transform import Affine

    side, gsd = 480, 0.3
    world = ground(seed=23, side=side)
    afv, light = VehicleClass.ARMORED_VEHICLE, VehicleClass.MILITARY_LIGHT_VEHICLE
    spots = [(80.0, 90.0, afv), (200.0, 120.0, light), (330.0, 100.0, afv), (100.0, 300.0, light),
             (260.0, 320.0, afv), (380.0, 380.0, light), (150.0, 420.0, afv)]
    present = [{0, 1, 2, 3}, {0, 2, 4, 5}, {2, 3, 4, 5, 6}]
    files, dates = [], {}
    for k, scale in enumerate((1, 2, 1)):
        day = dt.date(2022, 6, 1 + 9 * k)
        img = world.copy()
        for i in sorted(present[k]):
            x, y, label = spots[i]
            _draw(img, x, y, label, gsd)
        g = gsd * scale
        img = cv2.resize(img, (side // scale, side // scale), interpolation=cv2.INTER_AREA)
        path = folder / f"geo-{k}.tif"
        transform = Affine(g, 0.0, 400000.0, 0.0, -g, 5600000.0)
        with rasterio.open(path, "w", driver="GTiff", width=img.shape[1], height=img.shape[0],
                           count=1, dtype="uint8", crs="EPSG:32637",
                           transform=transform) as dst:
            dst.write(np.clip(img, 0, 255).astype(np.uint8), 1)
        dets = tuple(_box(x / scale, y / scale, label, g) for i, (x, y, label) in enumerate(spots)
                     if i in present[k])
        files.append((path, day, g, dets))
        dates[day] = DateTruth(date=day, width_px=img.shape[1], height_px=img.shape[0], gsd_m=g,
                               image_to_reference=np.diag([scale, scale, 1.0]).astype(float))
    return Drawn(site="geo", files=tuple(files), truth=Truth(dates=dates, lengths_m=_lengths()))


def build_case(case: Path, site: str,
               files: Sequence[tuple[Path, dt.date, float | None, tuple[Detection, ...]]]) -> Path:
    """A case holding ``files`` (GSD stated where given, else read from the georeference) and
    their planted detections as one detection run."""
    store = CaseStore.init(case)
    by_file = {}
    for path, day, gsd, dets in files:
        result = ingest_files(store, [path], site=site, date=day, gsd_m=gsd)
        by_file[result.added[0].sha256] = tuple(to_record(d) for d in dets)
    run = RunRecord(run_id="planted", kind="detect", created_utc="2026-01-01T00:00:00+00:00",
                    model_name="planted", model_sha256="0" * 64, params={}, software={})
    store.save_run(run, by_file)
    return case


Observable = Callable[[dt.date, float, float, str], bool]
