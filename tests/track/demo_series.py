"""The checked-in demo series (src/sitewatch/demo/data, licence in its README) as observations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sitewatch.demo import sample_data_dir
from sitewatch.detect.types import Detection, VehicleClass
from sitewatch.geo.coords import OrientedBoxPx
from sitewatch.track import Observation

DEMO = sample_data_dir()


def truth() -> dict[str, Any]:
    """The demo's truth.json."""
    return json.loads((DEMO / "truth.json").read_text())


def truth_detections(date: dict[str, Any]) -> tuple[Detection, ...]:
    """One date's truth boxes as detections."""
    return tuple(
        Detection(box=OrientedBoxPx(cx_px=v["cx_px"], cy_px=v["cy_px"], width_px=v["width_px"],
                                    height_px=v["height_px"], angle_rad=v["angle_rad"]),
                  label=VehicleClass(v["label"]), score=1.0)
        for v in date["vehicles"]
    )


def observations(folder: Path = DEMO) -> tuple[Observation, ...]:
    """One observation per demo date with the truth as detections, images under ``folder``."""
    t = truth()
    return tuple(
        Observation(scene_id=d["file"], site=t["site"], date=dt.date.fromisoformat(d["date"]),
                    image_path=folder / d["file"], gsd_m=d["gsd_m"],
                    transform=tuple(d["stated_transform"]), crs_wkt=d["crs"],
                    width_px=d["width_px"], height_px=d["height_px"],
                    detections=truth_detections(d))
        for d in t["dates"]
    )
