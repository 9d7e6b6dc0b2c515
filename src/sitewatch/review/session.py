"""One reviewer's decisions applied to the case store: look up, decide, append, answer."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sitewatch.case import record_review, record_reviews
from sitewatch.catalog import CaseStore, ReviewAction, ReviewRecord, Scene
from sitewatch.errors import ReviewError
from sitewatch.review.bulk import Selection, bulk_decisions, bulk_undo
from sitewatch.review.decisions import BoxPx, ReviewItem, decide, review_items, undo


def apply_decision(
    store: CaseStore,
    scene: Scene,
    action: str,
    *,
    reviewer: str,
    detection_id: str | None = None,
    label: str | None = None,
    box: BoxPx | None = None,
    loaded: bool | None = None,
) -> dict[str, Any]:
    """Append one decision on the scene's newest run and return the item as the page draws it.

    Raises:
        ReviewError: no detection run, an unknown detection, a box outside the image, or a
            decision that cannot apply.
    """
    if box is not None:
        check_box_in_image(box, width_px=scene.width_px, height_px=scene.height_px)
    run_id, reviews, scene_items = _scene_items(store, scene)
    items = {i.detection_id: i for i in scene_items}
    item = None
    if detection_id is not None:
        if detection_id not in items:
            raise ReviewError(f"scene {scene.original_name!r} has no detection {detection_id!r}")
        item = items[detection_id]
    if action == ReviewAction.UNDO.value:
        if item is None:
            raise ReviewError("undo needs the id of a detection")
        record = undo(item, [r for r in reviews if r.detection_id == item.detection_id],
                      reviewer=reviewer)
    else:
        record = decide(item, ReviewAction(action), scene_sha256=scene.sha256, run_id=run_id,
                        reviewer=reviewer, label=label, box=box, loaded=loaded)
    stored = record_review(store, record)
    now = review_items(store.detections(scene.sha256), store.reviews(scene.sha256, run_id=run_id))
    return next(i.as_json() for i in now if i.detection_id == stored.detection_id)


def _scene_items(store: CaseStore, scene: Scene) -> tuple[str, tuple[ReviewRecord, ...],
                                                          tuple[ReviewItem, ...]]:
    """The scene's newest run, its decisions and its items as they stand.

    Raises:
        ReviewError: the scene has no detection run.
    """
    run_id = store.latest_run_id(scene.sha256)
    if run_id is None:
        raise ReviewError(f"scene {scene.original_name!r} has no detections to review; "
                          "run sitewatch detect first")
    reviews = store.reviews(scene.sha256, run_id=run_id)
    return run_id, reviews, review_items(store.detections(scene.sha256), reviews)


def bulk_preview(store: CaseStore, scene: Scene, selection: Selection, action: str, *,
                 reviewer: str) -> dict[str, Any]:
    """What a bulk ``action`` on ``selection`` would change, without storing anything.

    Raises:
        ReviewError: no detection run, or an action that cannot be made in bulk.
    """
    run_id, _, items = _scene_items(store, scene)
    records = bulk_decisions(items, selection, ReviewAction(action), scene_sha256=scene.sha256,
                             run_id=run_id, reviewer=reviewer)
    return {"action": action, "count": len(records), "ids": [r.detection_id for r in records],
            "by_label": dict(sorted(Counter(r.label for r in records).items()))}


def apply_bulk(store: CaseStore, scene: Scene, selection: Selection, action: str, *,
               reviewer: str, expect_ids: Sequence[str]) -> dict[str, Any]:
    """Store a bulk ``action`` on ``selection`` as one audited decision, if it still changes
    exactly the boxes of its preview (``expect_ids``); otherwise store nothing.

    Raises:
        ReviewError: the selection changed since the preview, or it changes nothing.
    """
    run_id, _, items = _scene_items(store, scene)
    records = bulk_decisions(items, selection, ReviewAction(action), scene_sha256=scene.sha256,
                             run_id=run_id, reviewer=reviewer)
    if sorted(r.detection_id for r in records) != sorted(expect_ids):
        raise ReviewError(f"the selection now changes {len(records)} boxes, not the "
                          f"{len(expect_ids)} shown; nothing was changed: preview it again")
    if not records:
        raise ReviewError("the selection changes no box; widen the score band, label or area")
    stored = record_reviews(store, records, selection=selection.as_json())
    return {"action": action, "count": len(stored), "ids": [r.detection_id for r in stored],
            "seqs": [r.seq for r in stored]}


def undo_bulk(store: CaseStore, scene: Scene, seqs: Sequence[int], *,
              reviewer: str) -> dict[str, Any]:
    """Undo one bulk decision (named by the sequence numbers it stored) as one audited decision.

    Raises:
        ReviewError: no such decision, or one of its boxes was decided on again since.
    """
    _, reviews, items = _scene_items(store, scene)
    records = bulk_undo(items, reviews, seqs, reviewer=reviewer)
    stored = record_reviews(store, records, selection={"undo_of": sorted(seqs)})
    return {"action": "undo", "count": len(stored), "ids": [r.detection_id for r in stored],
            "seqs": [r.seq for r in stored]}


def check_box_in_image(box: BoxPx, *, width_px: int, height_px: int) -> None:
    """Refuse a box whose centre lies outside the image, whose sides are longer than the
    image's diagonal, or whose angle is not within one turn (a box of 1e308 px broke every
    export).

    >>> check_box_in_image(BoxPx(cx_px=5, cy_px=5, width_px=4, height_px=2, angle_rad=0.3),
    ...                    width_px=10, height_px=10)

    Raises:
        ReviewError: naming the box and the image size.
    """
    diagonal = math.hypot(width_px, height_px)
    if not (0 <= box.cx_px <= width_px and 0 <= box.cy_px <= height_px
            and box.width_px <= diagonal and box.height_px <= diagonal
            and abs(box.angle_rad) <= 2 * math.pi):
        raise ReviewError(
            f"box centred at ({box.cx_px:.6g}, {box.cy_px:.6g}) px, {box.width_px:.6g}×"
            f"{box.height_px:.6g} px, angle {box.angle_rad:.6g} rad does not fit the "
            f"{width_px}×{height_px} px image; draw it again on the image")
