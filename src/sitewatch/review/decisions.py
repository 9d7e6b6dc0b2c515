"""What one analyst decision does to a detection: pure functions, no web, no storage.

:func:`review_items` lists a scene's detections with their current review state, and
:func:`decide` turns a requested action into the next :class:`ReviewRecord` to append.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sitewatch.catalog import DetectionRecord, ReviewAction, ReviewRecord, ReviewStatus, latest_reviews
from sitewatch.detect import VehicleClass
from sitewatch.errors import ReviewError
from sitewatch.geo import OrientedBoxPx


@dataclass(frozen=True, slots=True, kw_only=True)
class BoxPx:
    """An oriented box as the page sends it, in full-resolution scene pixels."""

    cx_px: float
    cy_px: float
    width_px: float
    height_px: float
    angle_rad: float

    def __post_init__(self) -> None:
        values = (self.cx_px, self.cy_px, self.width_px, self.height_px, self.angle_rad)
        if not all(math.isfinite(v) for v in values):
            raise ReviewError(f"box {values} has a non-finite number; draw it again")
        if not (self.width_px >= 1 and self.height_px >= 1):
            raise ReviewError(f"box of {self.width_px:.1f}×{self.height_px:.1f} px is too small; "
                              "drag a box at least 1 px on each side")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewItem:
    """One detection of a scene with its review state."""

    detection_id: str
    original: DetectionRecord | None  #: None for a box the analyst added
    review: ReviewRecord | None  #: the latest decision, None when unreviewed

    @property
    def reviewed(self) -> bool:
        """Whether an analyst's decision stands on this item."""
        return self.status is not ReviewStatus.UNREVIEWED

    @property
    def status(self) -> ReviewStatus:
        """Unreviewed, accepted, corrected or rejected."""
        return self.review.status if self.review else ReviewStatus.UNREVIEWED

    def as_json(self) -> dict[str, object]:
        """What the page draws."""
        source = self.review or self.original
        assert source is not None
        box = OrientedBoxPx(cx_px=source.cx_px, cy_px=source.cy_px, width_px=source.width_px,
                            height_px=source.height_px, angle_rad=source.angle_rad)
        return {
            "id": self.detection_id, "status": self.status.value, "label": source.label,
            "score": self.original.score if self.original else 1.0,
            "original_label": self.original.label if self.original else None,
            "box": {"cx_px": box.cx_px, "cy_px": box.cy_px, "width_px": box.width_px,
                    "height_px": box.height_px, "angle_rad": box.angle_rad},
            "corners_px": [list(p) for p in box.corners_px()],
            "loaded": bool(self.review and self.review.loaded),
            "reviewer": self.review.reviewer if self.review else None,
            "seq": self.review.seq if self.review else None,
        }


def review_items(
    records: Sequence[DetectionRecord], reviews: Sequence[ReviewRecord], *,
    until_seq: int | None = None,
) -> tuple[ReviewItem, ...]:
    """The run's detections in stored order, then added boxes, each with its latest decision.

    ``until_seq`` shows the state as it stood after that decision (an earlier state).
    """
    latest = latest_reviews(reviews, until_seq=until_seq)
    items = [ReviewItem(detection_id=f"d{i}", original=r, review=latest.get(f"d{i}"))
             for i, r in enumerate(records)]
    added = sorted((r for k, r in latest.items() if k.startswith("a")), key=lambda r: r.seq)
    items += [ReviewItem(detection_id=r.detection_id, original=None, review=r) for r in added]
    return tuple(items)


def _status(original: DetectionRecord | None, label: str, box: BoxPx, loaded: bool) -> ReviewStatus:
    if original is None or loaded or label != original.label:
        return ReviewStatus.CORRECTED
    same = (box.cx_px, box.cy_px, box.width_px, box.height_px, box.angle_rad) == (
        original.cx_px, original.cy_px, original.width_px, original.height_px, original.angle_rad)
    return ReviewStatus.ACCEPTED if same else ReviewStatus.CORRECTED


def _changed(
    item: ReviewItem, action: ReviewAction, *, label: str | None, box: BoxPx | None,
    loaded: bool | None,
) -> tuple[str, BoxPx, bool]:
    """Label, box and loaded mark of ``item`` after ``action``."""
    source = item.review or item.original
    assert source is not None  # an item is a detection or an added box
    if action is ReviewAction.RELABEL and label is None:
        raise ReviewError("relabel needs a label")
    if action is ReviewAction.REDRAW and box is None:
        raise ReviewError("redraw needs a box; drag the new box on the image")
    new_label = label if action is ReviewAction.RELABEL and label else source.label
    if action is not ReviewAction.REDRAW or box is None:
        box = BoxPx(cx_px=source.cx_px, cy_px=source.cy_px, width_px=source.width_px,
                    height_px=source.height_px, angle_rad=source.angle_rad)
    new_loaded = bool(item.review and item.review.loaded)
    if action is ReviewAction.LOADED:
        new_loaded = (not new_loaded) if loaded is None else loaded
    return new_label, box, new_loaded


def decide(
    item: ReviewItem | None,
    action: ReviewAction,
    *,
    scene_sha256: str,
    run_id: str,
    reviewer: str,
    label: str | None = None,
    box: BoxPx | None = None,
    loaded: bool | None = None,
) -> ReviewRecord:
    """The record that applying ``action`` to ``item`` appends (``item`` is None for ADD).

    Raises:
        ReviewError: an unknown label, a missing box or label, or ADD on an existing item.
    """
    if label is not None and label not in {v.value for v in VehicleClass}:
        valid = ", ".join(v.value for v in VehicleClass)
        raise ReviewError(f"unknown label {label!r}; valid labels: {valid}")
    if action is ReviewAction.ADD:
        if item is not None or box is None:
            raise ReviewError("add needs a new box and no detection id; drag a box on the image")
        item = ReviewItem(detection_id="a" + secrets.token_hex(8), original=None, review=None)
        new_label, new_loaded = label or VehicleClass.VEHICLE.value, bool(loaded)
    else:
        if item is None:
            raise ReviewError(f"{action.value} needs the id of an existing detection")
        new_label, box, new_loaded = _changed(item, action, label=label, box=box, loaded=loaded)
    status = (ReviewStatus.REJECTED if action is ReviewAction.REJECT
              else _status(item.original, new_label, box, new_loaded))
    return ReviewRecord(
        scene_sha256=scene_sha256, run_id=run_id, detection_id=item.detection_id, action=action,
        status=status, label=new_label, cx_px=box.cx_px, cy_px=box.cy_px, width_px=box.width_px,
        height_px=box.height_px, angle_rad=box.angle_rad, loaded=new_loaded, reviewer=reviewer,
        time_utc=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
    )


def undo(item: ReviewItem, history: Sequence[ReviewRecord], *, reviewer: str) -> ReviewRecord:
    """The record that puts ``item`` back as it was before its latest decision.

    ``history`` is every decision on the item, oldest first. Undoing an undo redoes. An added
    box undone before any other decision is rejected (it leaves the results).

    Raises:
        ReviewError: the item has no decision to undo.
    """
    if item.review is None or not history:
        raise ReviewError(f"detection {item.detection_id!r} has no decision to undo")
    latest = history[-1]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    if len(history) >= 2:
        return replace(history[-2], action=ReviewAction.UNDO, reviewer=reviewer, time_utc=now, seq=0)
    if item.original is None:
        return replace(latest, action=ReviewAction.UNDO, status=ReviewStatus.REJECTED,
                       reviewer=reviewer, time_utc=now, seq=0)
    o = item.original
    return replace(latest, action=ReviewAction.UNDO, status=ReviewStatus.UNREVIEWED, label=o.label,
                   cx_px=o.cx_px, cy_px=o.cy_px, width_px=o.width_px, height_px=o.height_px,
                   angle_rad=o.angle_rad, loaded=False, reviewer=reviewer, time_utc=now, seq=0)
