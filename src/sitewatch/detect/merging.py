"""Merging detections from overlapping tiles into one set for the whole image.

Two steps, both pure:

1. A box cut by an inner tile edge (``truncated``) is dropped when a box that is not cut
   covers most of it: the neighbouring tile saw that vehicle whole.
2. Rotated NMS across everything left, class-agnostic (two vehicles cannot share ground).

Both steps leave a vehicle standing on another alone (:class:`sitewatch.detect.obb.CargoRule`:
an armoured vehicle on a transporter); :data:`VEHICLE_CARGO` is that rule for
:class:`sitewatch.detect.VehicleClass` indices, which the detection path uses everywhere.

Running the merge on its own output changes nothing (idempotent): step 1 only ever finds
fewer covering boxes in a subset, and the NMS output is pairwise below the threshold.
"""

from __future__ import annotations

import numpy as np

from sitewatch.detect.obb import CargoRule, bounds, cargo_pairs, pair_overlaps, rotated_nms, touching_pairs
from sitewatch.detect.types import VehicleClass

#: An armoured vehicle standing on a military truck (a tank on a transporter), for labels that
#: are indices into ``tuple(VehicleClass)``.
VEHICLE_CARGO = CargoRule(
    cargo=tuple(VehicleClass).index(VehicleClass.ARMORED_VEHICLE),
    carrier=tuple(VehicleClass).index(VehicleClass.MILITARY_TRUCK),
)


def covered_truncated(
    boxes: np.ndarray,
    truncated: np.ndarray,
    *,
    cover_threshold: float,
    labels: np.ndarray | None = None,
    cargo: CargoRule | None = None,
) -> np.ndarray:
    """Mask of truncated boxes that a non-truncated box covers by >= ``cover_threshold``.

    Coverage is the rotated intersection area over the truncated box's own area. A pair that
    is cargo and carrier under ``cargo`` (with ``labels``) does not count.
    """
    drop = np.zeros(len(boxes), dtype=bool)
    if not truncated.any() or truncated.all():
        return drop
    i, j = touching_pairs(bounds(boxes))
    mixed = truncated[i] != truncated[j]
    i, j = i[mixed], j[mixed]
    if not len(i):
        return drop
    inter, area_i, area_j = pair_overlaps(boxes, i, j)
    if cargo is not None and labels is not None:
        other = ~cargo_pairs(boxes, labels, i, j, inter, cargo)
        i, j, inter, area_i, area_j = i[other], j[other], inter[other], area_i[other], area_j[other]
    cut = np.where(truncated[i], i, j)
    cut_area = np.where(truncated[i], area_i, area_j)
    covered = inter / np.maximum(cut_area, 1e-9) >= cover_threshold
    drop[cut[covered]] = True
    return drop


def merge_tile_boxes(
    boxes: np.ndarray,
    scores: np.ndarray,
    truncated: np.ndarray,
    *,
    iou_threshold: float,
    cover_threshold: float,
    labels: np.ndarray | None = None,
    cargo: CargoRule | None = None,
) -> np.ndarray:
    """Indices of the boxes kept after merging across tiles, highest score first.

    Args:
        boxes: (N, 5) oriented boxes, all in one pixel grid.
        scores: (N,) scores.
        truncated: (N,) True where the box touches an inner edge of the tile it came from.
        iou_threshold: Rotated IoU above which the lower-scoring box is a duplicate.
        cover_threshold: Share of a truncated box a whole box must cover to replace it.
        labels: (N,) integer labels, needed by ``cargo``.
        cargo: Pairs that are a vehicle standing on another are neither duplicates nor
            replacements (:class:`CargoRule`; the detection path passes :data:`VEHICLE_CARGO`).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    truncated = np.asarray(truncated, dtype=bool)
    lab = None if labels is None else np.asarray(labels)
    alive = np.flatnonzero(~covered_truncated(boxes, truncated, cover_threshold=cover_threshold,
                                              labels=lab, cargo=cargo))
    keep = rotated_nms(boxes[alive], np.asarray(scores)[alive], iou_threshold=iou_threshold,
                       labels=None if lab is None else lab[alive], cargo=cargo)
    return alive[keep]
