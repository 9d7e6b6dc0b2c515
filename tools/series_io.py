"""Reading a series written by ``tools/make_series.py`` back as sitewatch observations.

A helper module, not a script: imported by ``tools/eval_track.py``; it measures nothing itself.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo import OrientedBoxPx
from sitewatch.track import Observation


def truth_detections(date: dict[str, Any]) -> tuple[Detection, ...]:
    """The truth boxes of one date as detections (score 1)."""
    return tuple(
        Detection(
            box=OrientedBoxPx(cx_px=v["cx_px"], cy_px=v["cy_px"], width_px=v["width_px"],
                              height_px=v["height_px"], angle_rad=v["angle_rad"]),
            label=VehicleClass(v["label"]), score=1.0,
        )
        for v in date["vehicles"]
    )


def load_series(folder: Path, detections: dict[str, tuple[Detection, ...]] | None = None
                ) -> tuple[dict[str, Any], tuple[Observation, ...]]:
    """The truth and one observation per date; detections by file name, else the truth."""
    truth = json.loads((folder / "truth.json").read_text())
    obs = []
    for d in truth["dates"]:
        dets = truth_detections(d) if detections is None else detections[d["file"]]
        stated = d["stated_transform"]
        obs.append(Observation(
            scene_id=d["file"], site=truth["site"], date=dt.date.fromisoformat(d["date"]),
            image_path=folder / d["file"], gsd_m=d["gsd_m"],
            transform=tuple(stated) if stated else None, crs_wkt=d["crs"],
            width_px=d["width_px"], height_px=d["height_px"], detections=dets,
        ))
    return truth, tuple(obs)
