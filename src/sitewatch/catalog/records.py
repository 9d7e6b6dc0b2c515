"""Derived records the case stores: detection runs and their detections.

The catalog sits below the detection stage, so detections are stored as plain records here
and converted to and from ``sitewatch.detect.Detection`` by the detection stage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
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


def detections_digest(records: Sequence[DetectionRecord]) -> str:
    """Digest of a scene's detections, rounded so that floating-point noise does not count.

    The audit entry of each detected scene records it, so ``verify`` sees an edited detection
    without rerunning the model; the manifest records it per run for ``replay``.
    """
    rows = sorted((r.label, round(r.cx_px, 1), round(r.cy_px, 1), round(r.width_px, 1),
                   round(r.height_px, 1), round(r.angle_rad, 3), round(r.score, 3))
                  for r in records)
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def row_digest(values: Sequence[Any]) -> str:
    """Digest of catalog values exactly as stored (text, integers, floats to the last bit, NULL).

    >>> row_digest(["a", 1, 0.5, None]) == row_digest(("a", 1, 0.5, None))
    True
    """
    text = json.dumps([[type(v).__name__, v.hex() if isinstance(v, float) else v] for v in values],
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def records_digest(records: Sequence[DetectionRecord]) -> str:
    """Digest of a scene's detections exactly as stored: every column, positions included, in
    any order. The audit entry of each detected scene records it beside
    :func:`detections_digest` (issue 24: an edited longitude passed ``verify``)."""
    rows = sorted(row_digest([r.label, r.score, r.cx_px, r.cy_px, r.width_px, r.height_px,
                              r.angle_rad, r.lon_deg, r.lat_deg]) for r in records)
    return hashlib.sha256("".join(rows).encode()).hexdigest()
