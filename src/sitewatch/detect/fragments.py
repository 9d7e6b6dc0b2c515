"""Second boxes on one vehicle: a box lying mostly inside a larger one is a fragment.

A fine-tuned detector sometimes puts a second, smaller box on part of a vehicle it already
boxed whole (a truck's cab inside the box of the truck, a turret inside a tank): the count
then says two vehicles where there is one. Rotated NMS does not remove it, because the small
box's IoU with the large one is low even when it lies wholly inside it. Two vehicles do not
stand one inside the other (a vehicle on a transporter is the exception: pass ``cargo``), so
:func:`fragment_mask` drops a box when most of its area lies inside a box clearly larger than
it that is still one vehicle long (``max_length_px``: a box over a whole row of parked vehicles
does not swallow the vehicles in it).

The same happens when one image is run at several scales (:class:`sitewatch.detect.DetectOptions`
``gsd_factors``): the run that sees the vehicles larger than the model was trained on boxes
their parts, and those parts lie inside the whole boxes of the other runs; the detection path
folds them before the scales are merged by NMS (``fragment_inside``).
"""

from __future__ import annotations

import numpy as np

from sitewatch.detect.obb import CargoRule, bounds, cargo_pairs, pair_overlaps, touching_pairs
from sitewatch.errors import ConfigError

__all__ = ["fragment_mask"]


def fragment_mask(boxes: np.ndarray, *, inside_share: float = 0.7,
                  max_area_ratio: float = 0.6, max_length_px: float | None = None,
                  labels: np.ndarray | None = None, cargo: CargoRule | None = None) -> np.ndarray:
    """True for each box that is a fragment of a larger box.

    Args:
        boxes: (N, 5) oriented boxes ``cx, cy, w, h, angle_rad`` in one pixel grid.
        inside_share: Share of the small box's area that must lie inside the large one.
        max_area_ratio: The small box's area must be at most this share of the large one's
            (a box about as large as its neighbour is a duplicate for NMS, not a fragment).
        max_length_px: The large box's long side must be at most this (one vehicle's length);
            None: any length.
        labels: (N,) integer labels, needed by ``cargo``.
        cargo: A vehicle standing on another (:class:`sitewatch.detect.obb.CargoRule`) is not
            a fragment of it.

    >>> truck = [50, 50, 40, 12, 0.0]
    >>> cab = [36, 50, 10, 11, 0.0]  # inside the truck's box
    >>> car = [90, 50, 10, 5, 0.0]   # beside it
    >>> fragment_mask(np.array([truck, cab, car])).tolist()
    [False, True, False]
    >>> fragment_mask(np.array([truck, cab, car]), max_length_px=30).tolist()  # a 40 px row
    [False, False, False]

    Raises:
        ConfigError: A parameter outside (0, 1], or a length that is not positive.
    """
    if not (0 < inside_share <= 1 and 0 < max_area_ratio <= 1):
        raise ConfigError(f"inside_share={inside_share} and max_area_ratio={max_area_ratio} "
                          "must be in (0, 1]")
    if max_length_px is not None and not max_length_px > 0:
        raise ConfigError(f"max_length_px={max_length_px} must be positive")
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    drop = np.zeros(len(boxes), dtype=bool)
    i, j = touching_pairs(bounds(boxes))
    if not len(i):
        return drop
    inter, area_i, area_j = pair_overlaps(boxes, i, j)
    small = np.where(area_i <= area_j, i, j)
    large = np.where(area_i <= area_j, j, i)
    small_area = np.minimum(area_i, area_j)
    large_area = np.maximum(area_i, area_j)
    fold = inter / np.maximum(small_area, 1e-9) >= inside_share
    fold &= small_area <= max_area_ratio * large_area
    if max_length_px is not None:
        fold &= np.maximum(boxes[large, 2], boxes[large, 3]) <= max_length_px
    if cargo is not None and labels is not None:
        fold &= ~cargo_pairs(boxes, np.asarray(labels), i, j, inter, cargo)
    drop[small[fold]] = True
    return drop
