"""Tiny seeded multi-date scenes with cloud, haze and partial coverage, drawn on disk.

Each date is a grey PNG of the same textured ground, with vehicles drawn as dark boxes where
the scene says and clouds painted over; the planted detections are the vehicles a detector
could see (none under cloud). Every scene also says, per date, which reference pixels were
truly observable (``Scene.seen``), so a test can read an events table against it without
trusting the code under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sitewatch.detect.types import Detection
from sitewatch.track import Observation
from tests.track.planted import UTM37N, det

SIDE_PX = 512
GSD_M = 0.3
CLOUD_GREY = 236.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """Observations of one site and, per date, the truly observable reference pixels."""

    observations: tuple[Observation, ...]
    seen: dict[dt.date, np.ndarray]  # bool (SIDE_PX, SIDE_PX), True = observable

    def observable(self, date: dt.date, x_px: float, y_px: float, label: str = "") -> bool:
        """Whether ``date`` truly showed the reference pixel (x, y) (every label here is
        fine enough at 0.3 m)."""
        mask = self.seen[date]
        r, c = round(y_px), round(x_px)
        return bool(0 <= r < mask.shape[0] and 0 <= c < mask.shape[1] and mask[r, c])


def ground(seed: int = 7, side: int = SIDE_PX) -> np.ndarray:
    """Textured ground: smoothed noise at two scales, grey levels about 60-190."""
    rng = np.random.default_rng(seed)
    fine = cv2.GaussianBlur(rng.normal(0, 1, (side, side)).astype(np.float32), (0, 0), 1.5)
    coarse = cv2.GaussianBlur(rng.normal(0, 1, (side, side)).astype(np.float32), (0, 0), 12)
    img = 125 + 22 * fine / fine.std() + 18 * coarse / coarse.std()
    return np.clip(img, 0, 255).astype(np.float32)


def draw_vehicle(img: np.ndarray, x: float, y: float, length: int = 23, width: int = 11) -> None:
    """A dark tank-sized box (7 m at 0.3 m) with a lighter turret stripe, in place."""
    x0, y0 = round(x - length / 2), round(y - width / 2)
    img[y0 : y0 + width, x0 : x0 + length] = 45.0
    img[y0 + width // 2 - 2 : y0 + width // 2 + 2, x0 + 5 : x0 + length - 5] = 95.0


def cloud(img: np.ndarray, mask: np.ndarray, seed: int) -> None:
    """Thick cloud (near white, faint texture) over ``mask``, in place."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.normal(0, 3, img.shape).astype(np.float32), (0, 0), 6)
    img[mask] = (CLOUD_GREY + texture)[mask]


def write_date(folder: Path, day: int, img: np.ndarray, vehicles: Sequence[tuple[float, float]],
               *, transform: tuple[float, ...] | None = None, site: str = "clouded"
               ) -> Observation:
    """Save ``img`` as a PNG and return its observation with the given vehicles detected."""
    path = folder / f"{site}-{day:02d}.png"
    cv2.imwrite(str(path), np.clip(img, 0, 255).astype(np.uint8))
    dets: tuple[Detection, ...] = tuple(det(x, y) for x, y in vehicles)
    return Observation(
        scene_id=path.stem, site=site, date=dt.date(2021, 5, day), image_path=path,
        gsd_m=GSD_M, transform=transform, crs_wkt=UTM37N if transform is not None else None,
        width_px=img.shape[1], height_px=img.shape[0], detections=dets,
    )


def clouded_series(folder: Path) -> Scene:
    """Four dates: clear; fully clouded; clear again, one arrival; right half clouded, one
    departure and one arrival in the clear left half.

    Vehicles A1, A2 stand in the left half, B1, B2 in the right half from the first date on;
    C arrives (left) by the third date; on the fourth A1 has left and D has come (left),
    while B1 and B2 are hidden under the cloud over the right half.
    """
    base = ground()
    a1, a2, b1, b2 = (90.0, 110.0), (110.0, 300.0), (400.0, 120.0), (410.0, 360.0)
    c, d = (140.0, 430.0), (150.0, 200.0)
    full = np.ones((SIDE_PX, SIDE_PX), bool)
    right = np.zeros_like(full)
    right[:, SIDE_PX // 2 :] = True
    plan = [  # (day, vehicles standing, cloud mask or None)
        (3, [a1, a2, b1, b2], None),
        (10, [a1, a2, b1, b2], full),
        (17, [a1, a2, b1, b2, c], None),
        (24, [a2, b1, b2, c, d], right),
    ]
    obs, seen = [], {}
    for day, standing, mask in plan:
        img = base.copy()
        for x, y in standing:
            draw_vehicle(img, x, y)
        visible = full.copy() if mask is None else ~mask
        if mask is not None:
            cloud(img, mask, seed=day)
        shown = [(x, y) for x, y in standing if visible[int(y), int(x)]]
        o = write_date(folder, day, img, shown)
        obs.append(o)
        seen[o.date] = visible
    return Scene(observations=tuple(obs), seen=seen)


def coverage_pair(folder: Path, share: float = 0.03) -> Scene:
    """Two georeferenced dates: the second image covers only ``share`` of the first (its
    bottom-right corner). Of the first date's vehicles, three stand outside that corner and
    one inside it, which has left by the second date."""
    base = ground(seed=11)
    t1 = (GSD_M, 0.0, 500000.0, 0.0, -GSD_M, 5300000.0)
    small = round(SIDE_PX * share**0.5)
    off = SIDE_PX - small
    t2 = (GSD_M, 0.0, 500000.0 + off * GSD_M, 0.0, -GSD_M, 5300000.0 - off * GSD_M)
    inside = (off + small / 2.0, off + small / 2.0)
    outside = [(100.0, 100.0), (300.0, 200.0), (150.0, 400.0)]
    img1 = base.copy()
    for x, y in [*outside, inside]:
        draw_vehicle(img1, x, y)
    o1 = write_date(folder, 3, img1, [*outside, inside], transform=t1, site="corner")
    img2 = base[off:, off:].copy()  # the same ground, the vehicle gone
    o2 = write_date(folder, 10, img2, [], transform=t2, site="corner")
    seen2 = np.zeros((SIDE_PX, SIDE_PX), bool)
    seen2[off:, off:] = True
    return Scene(observations=(o1, o2),
                 seen={o1.date: np.ones((SIDE_PX, SIDE_PX), bool), o2.date: seen2})
