"""Derived records the case stores: detection runs and their detections.

The catalog sits below the detection stage, so detections are stored as plain records here
and converted to and from ``sitewatch.detect.Detection`` by the detection stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One execution of a stage over some scenes, with everything needed to reproduce it."""

    run_id: str
    kind: str
    created_utc: str
    model_name: str
    model_sha256: str
    params: dict[str, Any]
    software: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionRecord:
    """One stored detection, in the full-resolution pixel grid of its scene."""

    label: str
    score: float
    cx_px: float
    cy_px: float
    width_px: float
    height_px: float
    angle_rad: float
    lon_deg: float | None = None
    lat_deg: float | None = None
    marked_loaded: bool = False  #: an analyst marked it loaded on a transporter (reviews only)
