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


class BulkIn(BaseModel):
    """A bulk decision, or its preview: the action and the selection it applies to."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["accept", "reject"]
    label: str | None = None
    score_min: float = 0.0
    score_max: float = 1.0
    area_px: tuple[float, float, float, float] | None = None
    only_unreviewed: bool = True
    expect_ids: list[str] | None = None  #: the boxes the preview showed (to apply)


class BulkUndoIn(BaseModel):
    """The undo of one bulk decision, named by the sequence numbers it stored."""

    model_config = ConfigDict(extra="forbid")
    seqs: list[int]
