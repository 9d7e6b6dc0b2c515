"""Hard-negative mining: crops of vehicle-free ground where a model fires anyway.

Ground images that hold no vehicles (or whose vehicles are all in ``Background.boxes``) are cut
into model-sized canvases; every prediction scoring at least ``threshold`` that overlaps no
known vehicle is a false positive, and a cell centred on it becomes a negative background (a
cell that is never pasted on) for the next round of training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sitewatch.detect.training.backgrounds import Background
from sitewatch.detect.training.holdout import PredictFn
from sitewatch.detect.training.metrics import iou_matrix

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
    """Cells of ``grounds`` centred on confident predictions that match no known vehicle.

    Returns at most ``max_cells`` negatives, highest-scoring first; each is ``cell_px`` square
    (grounds smaller than a cell are skipped), named after its ground and position.
    """
    found: list[tuple[float, Background]] = []
    for ground in grounds:
        img = ground.image
        h, w = img.shape[:2]
        if h < cell_px or w < cell_px:
            continue
        known = np.array([b.box.bounds_px() for b in ground.boxes]).reshape(-1, 4)
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
                    cx0 = int(min(max(cx - cell_px / 2, 0), w - cell_px))
                    cy0 = int(min(max(cy - cell_px / 2, 0), h - cell_px))
                    cell = img[cy0 : cy0 + cell_px, cx0 : cx0 + cell_px].copy()
                    found.append(
                        (
                            p.score,
                            Background(
                                image=cell,
                                boxes=(),
                                source=f"negative:{ground.source}@{cx0},{cy0}",
                                paste=False,
                            ),
                        )
                    )
    found.sort(key=lambda sb: -sb[0])
    return tuple(bg for _, bg in found[:max_cells])
