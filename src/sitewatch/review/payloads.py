"""What the page may post, validated at the edge: unknown keys are refused.

Imported only by :func:`sitewatch.review.app.create_app`, so that pydantic is needed only
when the review app runs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class BoxIn(BaseModel):
    """An oriented box in full-resolution scene pixels."""

    model_config = ConfigDict(extra="forbid")
    cx_px: float
    cy_px: float
    width_px: float
    height_px: float
    angle_rad: float


class DecisionIn(BaseModel):
    """One analyst decision on one detection (or a new box, for ``add``)."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["accept", "reject", "relabel", "redraw", "add", "loaded", "undo"]
    detection_id: str | None = None
    label: str | None = None
    box: BoxIn | None = None
    loaded: bool | None = None
