"""Planted detections and observations for tracking tests (no imagery needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitewatch.detect.types import Detection, VehicleClass
from sitewatch.geo.coords import OrientedBoxPx
from sitewatch.track import Observation

AFV = VehicleClass.ARMORED_VEHICLE
TRUCK = VehicleClass.MILITARY_TRUCK
UTM37N = "EPSG:32637"


def det(x: float, y: float, label: VehicleClass = AFV, *, length: float = 23.0,
        width: float = 11.0, angle: float = 0.0, score: float = 0.9) -> Detection:
    """A detection centred at (x, y) px; default size is a tank at 0.3 m."""
    box = OrientedBoxPx(cx_px=x, cy_px=y, width_px=length, height_px=width, angle_rad=angle)
    return Detection(box=box, label=label, score=score)


def obs(day: int, dets: list[Detection], *, gsd_m: float = 0.3,
        transform: tuple[float, ...] | None = None, size: int = 640,
        site: str = "depot") -> Observation:
    """An observation of ``site`` on 2014-08-<day>."""
    return Observation(
        scene_id=f"{site}-{day}", site=site, date=dt.date(2014, 8, day),
        image_path=Path(f"/nonexistent/{site}-{day}.tif"), gsd_m=gsd_m, transform=transform,
        crs_wkt=UTM37N if transform is not None else None, width_px=size, height_px=size,
        detections=tuple(dets),
    )
