"""Bulk decisions: accept or reject every box of a selection at once, and undo that.

A :class:`Selection` names boxes by label, score band and area. Only the model's detections
are selected (a box the analyst added was drawn on purpose and is changed one at a time), and
by default only unreviewed ones, so that a bulk accept never overrides a box the analyst
already judged. Pure functions, no web, no storage: the session stores what they return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sitewatch.catalog import ReviewAction, ReviewRecord
from sitewatch.detect import VehicleClass
from sitewatch.errors import ReviewError
from sitewatch.review.decisions import ReviewItem, decide, undo

#: The decisions that can be made in bulk.
BULK_ACTIONS = (ReviewAction.ACCEPT, ReviewAction.REJECT)


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which of a scene's detections a bulk decision applies to.

    ``score_min <= score < score_max`` (a band ``[a, b)``; ``score_max == 1`` includes 1), the
    box's current label equal to ``label`` when given, and its centre inside ``area_px``
    (``x0, y0, x1, y1`` in full-resolution scene pixels, ``x0 <= x < x1``) when given.
    """

    label: str | None = None
    score_min: float = 0.0
    score_max: float = 1.0
    area_px: tuple[float, float, float, float] | None = None
    only_unreviewed: bool = True

    def __post_init__(self) -> None:
        if self.label is not None and self.label not in {v.value for v in VehicleClass}:
            valid = ", ".join(v.value for v in VehicleClass)
            raise ReviewError(f"unknown label {self.label!r}; valid labels: {valid}")
        if not (math.isfinite(self.score_min) and math.isfinite(self.score_max)
                and 0.0 <= self.score_min < self.score_max <= 1.0):
            raise ReviewError(f"score band [{self.score_min}, {self.score_max}) is empty or outside "
                              "[0, 1]; give a lower bound below the upper one, both in 0–1")
        if self.area_px is not None:
            x0, y0, x1, y1 = self.area_px
            if not (all(math.isfinite(v) for v in self.area_px) and x0 < x1 and y0 < y1):
                raise ReviewError(f"area {self.area_px} is empty; give x0 < x1 and y0 < y1 in "
                                  "scene pixels, or drag a rectangle on the image")

    def matches(self, item: ReviewItem) -> bool:
        """Whether ``item`` is selected."""
        if item.original is None or (self.only_unreviewed and item.reviewed):
            return False
        source = item.review or item.original
        if self.label is not None and source.label != self.label:
            return False
        score = item.original.score
        if not (self.score_min <= score and (score < self.score_max or
                                             (self.score_max >= 1.0 and score <= 1.0))):
            return False
        if self.area_px is not None:
            x0, y0, x1, y1 = self.area_px
            return x0 <= source.cx_px < x1 and y0 <= source.cy_px < y1
        return True

    def as_json(self) -> dict[str, object]:
        """The selection as its audit entry records it."""
        return {"label": self.label, "score_min": self.score_min, "score_max": self.score_max,
                "area_px": list(self.area_px) if self.area_px else None,
                "only_unreviewed": self.only_unreviewed}


def _changes(record: ReviewRecord, item: ReviewItem) -> bool:
    """Whether appending ``record`` changes what ``item`` stands as."""
    now = item.review or item.original
    assert now is not None
    loaded = bool(item.review and item.review.loaded)
    return (record.status, record.label, record.cx_px, record.cy_px, record.width_px,
            record.height_px, record.angle_rad, record.loaded) != (
        item.status, now.label, now.cx_px, now.cy_px, now.width_px, now.height_px, now.angle_rad,
        loaded)


def bulk_decisions(
    items: Sequence[ReviewItem], selection: Selection, action: ReviewAction, *,
    scene_sha256: str, run_id: str, reviewer: str,
) -> tuple[ReviewRecord, ...]:
    """The records a bulk ``action`` on the selected items appends: one per item it changes.

    A selected item the action leaves as it is (rejecting a rejected box) gets no record, so
    the count shown before confirming is the number of boxes that change.

    Raises:
        ReviewError: an action that cannot be made in bulk.
    """
    if action not in BULK_ACTIONS:
        raise ReviewError(f"{action.value!r} cannot be made in bulk; accept or reject")
    out = []
    for item in items:
        if not selection.matches(item):
            continue
        record = decide(item, action, scene_sha256=scene_sha256, run_id=run_id, reviewer=reviewer)
        if _changes(record, item):
            out.append(record)
    return tuple(out)


def bulk_undo(
    items: Sequence[ReviewItem], reviews: Sequence[ReviewRecord], seqs: Sequence[int], *,
    reviewer: str,
) -> tuple[ReviewRecord, ...]:
    """The records that undo one bulk decision, given the sequence numbers it stored.

    Every box it changed must still stand as it left it; otherwise nothing is undone.

    Raises:
        ReviewError: no such decision, or a box decided on again since.
    """
    wanted = set(seqs)
    by_seq = {r.seq: r for r in reviews if r.seq in wanted}
    if not wanted or len(by_seq) != len(wanted):
        raise ReviewError("that bulk decision is not among this scene's decisions; reload the page")
    latest = {i.detection_id: i for i in items}
    out = []
    for record in sorted(by_seq.values(), key=lambda r: r.seq):
        item = latest.get(record.detection_id)
        if item is None or item.review is None or item.review.seq != record.seq:
            raise ReviewError(f"box {record.detection_id} was decided on again after the bulk "
                              f"decision (#{record.seq}); undo that first, or change it by hand")
        history = [r for r in reviews if r.detection_id == record.detection_id]
        out.append(undo(item, history, reviewer=reviewer))
    return tuple(out)
