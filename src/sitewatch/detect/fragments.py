"""Second boxes on one vehicle: a box lying mostly inside a larger one is a fragment.

A fine-tuned detector sometimes puts a second, smaller box on part of a vehicle it already
boxed whole (a truck's cab inside the box of the truck, a turret inside a tank): the count
then says two vehicles where there is one. Rotated NMS does not remove it, because the small
box's IoU with the large one is low even when it lies wholly inside it. Two vehicles do not
stand one inside the other (a vehicle on a transporter is the exception, see
``max_area_ratio``), so :func:`fragment_mask` drops a box when most of its area lies inside
a box clearly larger than it.
"""

from __future__ import annotations

import numpy as np

from sitewatch.detect.obb import bounds, pair_overlaps, touching_pairs
from sitewatch.errors import ConfigError

__all__ = ["fragment_mask"]


def fragment_mask(boxes: np.ndarray, *, inside_share: float = 0.7,
                  max_area_ratio: float = 0.6) -> np.ndarray:
    """True for each box that is a fragment of a larger box.

    Args:
        boxes: (N, 5) oriented boxes ``cx, cy, w, h, angle_rad`` in one pixel grid.
        inside_share: Share of the small box's area that must lie inside the large one.
        max_area_ratio: The small box's area must be at most this share of the large one's
            (a box about as large as its neighbour is a duplicate for NMS, not a fragment).

    >>> truck = [50, 50, 40, 12, 0.0]
    >>> cab = [36, 50, 10, 11, 0.0]  # inside the truck's box
    >>> car = [90, 50, 10, 5, 0.0]   # beside it
    >>> fragment_mask(np.array([truck, cab, car])).tolist()
    [False, True, False]

    Raises:
        ConfigError: A parameter outside (0, 1].
    """
    if not (0 < inside_share <= 1 and 0 < max_area_ratio <= 1):
        raise ConfigError(f"inside_share={inside_share} and max_area_ratio={max_area_ratio} "
                          "must be in (0, 1]")
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    drop = np.zeros(len(boxes), dtype=bool)
    i, j = touching_pairs(bounds(boxes))
    if not len(i):
        return drop
    inter, area_i, area_j = pair_overlaps(boxes, i, j)
    small = np.where(area_i <= area_j, i, j)
    small_area = np.minimum(area_i, area_j)
    large_area = np.maximum(area_i, area_j)
    inside = inter / np.maximum(small_area, 1e-9) >= inside_share
    drop[small[inside & (small_area <= max_area_ratio * large_area)]] = True
    return drop
