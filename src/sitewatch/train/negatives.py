"""Hard-negative mining: crops of ground where a model fires on something that is no vehicle.

Ground images whose vehicles are all known (none, or all in ``Background.boxes``, as in a
labelled tile whose labels were completed by an audit) are cut into model-sized canvases;
every prediction scoring at least ``threshold`` that overlaps no known vehicle and no difficult
object (``Background.ignore_px``) is a false positive. A window of 1.5 cells centred on it, with
the known vehicles wholly inside it, becomes a negative background (never pasted on; its random
cells hold the false positive unless the window met the image edge) for the next round of training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sitewatch.train.backgrounds import Background, boxes_within
from sitewatch.train.holdout import PredictFn
from sitewatch.train.metrics import iou_matrix

__all__ = ["mine_negatives"]


def _windows(length: int, size: int) -> list[int]:
    if length <= size:
        return [0]
    step = size * 3 // 4
    starts = list(range(0, length - size, step))
    return [*starts, length - size]


def mine_negatives(
    grounds: Sequence[Background],
    predict: PredictFn,
    *,
    canvas_px: int,
    cell_px: int,
    threshold: float = 0.25,
    max_cells: int = 200,
) -> tuple[Background, ...]:
    """Windows of ``grounds`` centred on confident predictions that match no known object.

    Returns at most ``max_cells`` distinct windows, highest-scoring first; each is at most 1.5
    ``cell_px`` square (grounds smaller than a cell are skipped), keeps the labelled vehicles
    and difficult objects wholly inside it, and is named after its ground and position.
    """
    found: list[tuple[float, Background]] = []
    side = cell_px * 3 // 2
    for ground in grounds:
        img = ground.image
        h, w = img.shape[:2]
        if h < cell_px or w < cell_px:
            continue
        labelled = np.array([b.box.bounds_px() for b in ground.boxes]).reshape(-1, 4)
        known = np.vstack([labelled, np.array(ground.ignore_px).reshape(-1, 4)])
        for y0 in _windows(h, canvas_px):
            for x0 in _windows(w, canvas_px):
                canvas = np.full((canvas_px, canvas_px, 3), 114, np.uint8)
                crop = img[y0 : y0 + canvas_px, x0 : x0 + canvas_px]
                canvas[: crop.shape[0], : crop.shape[1]] = crop
                (preds,) = predict([canvas])
                for p in preds:
                    if p.score < threshold:
                        continue
                    b = np.add(p.bounds_px, (x0, y0, x0, y0))
                    if len(known) and iou_matrix(b[None], known).max() > 0.0:
                        continue
                    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
                    if cx >= w or cy >= h:
                        continue
                    found.append((p.score, _window(ground, cx, cy, side)))
    found.sort(key=lambda sb: -sb[0])
    windows: dict[str, Background] = {}
    for _, bg in found:
        windows.setdefault(bg.source, bg)  # one window per place, however many it holds
    return tuple(windows.values())[:max_cells]


def _window(ground: Background, cx: float, cy: float, side: int) -> Background:
    """The ``side``-square window of ``ground`` centred near (cx, cy), with what lies inside."""
    h, w = ground.image.shape[:2]
    sw, sh = min(side, w), min(side, h)
    x0 = int(min(max(cx - sw / 2, 0), w - sw))
    y0 = int(min(max(cy - sh / 2, 0), h - sh))
    ignore = tuple((a0 - x0, b0 - y0, a1 - x0, b1 - y0) for a0, b0, a1, b1 in ground.ignore_px
                   if a0 >= x0 and b0 >= y0 and a1 <= x0 + sw and b1 <= y0 + sh)  # fmt: skip
    return Background(
        image=ground.image[y0 : y0 + sh, x0 : x0 + sw].copy(),
        boxes=boxes_within(ground.boxes, x0, y0, sw, sh),
        source=f"negative:{ground.source}@{x0},{y0}",
        paste=False,
        ignore_px=ignore,
    )
