"""Test-time augmentation: run a detector on each tile and its mirror images, fuse the views.

A vehicle seen from above looks like a vehicle when mirrored or turned, so those tiles are as
valid inputs as the tile itself; their boxes are mapped back and fused. Boxes of different
views that overlap (rotated IoU >= ``fuse_iou``) are one vehicle: its box is the
score-weighted mean of theirs (the best box's angle), its label the best box's, and its score
the mean over *all* views of each view's best score there (0 where a view saw nothing), so a
box only one view found scores lower than one every view agrees on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sitewatch.detect.obb import bounds, pair_overlaps, regularize, touching_pairs
from sitewatch.detect.types import (
    Detection,
    Detector,
    detections_from_arrays,
    detections_to_arrays,
)
from sitewatch.errors import ConfigError

__all__ = ["FLIPS", "VIEWS", "FlipTTA", "fuse_views"]

#: The default views: the tile itself, mirrored left-right, mirrored top-bottom, turned half a
#: turn. Chosen on the 2-fold CV tiles among five sets (docs/training.md): the mirrors alone
#: gave P 0.716 R 0.835, these four P 0.740 R 0.843; adding the diagonal mirror changed nothing.
FLIPS: tuple[str, ...] = ("none", "horizontal", "vertical", "rotate180")

#: Every view that can be asked for: also mirrored across the diagonal (rows and columns swapped).
VIEWS: tuple[str, ...] = (*FLIPS, "transpose")


def _flip(tile: np.ndarray, flip: str) -> np.ndarray:
    if flip == "horizontal":
        return np.ascontiguousarray(tile[:, ::-1])
    if flip == "vertical":
        return np.ascontiguousarray(tile[::-1])
    if flip == "rotate180":
        return np.ascontiguousarray(tile[::-1, ::-1])
    if flip == "transpose":
        return np.ascontiguousarray(tile.transpose(1, 0, 2))
    return tile


def _unflip(boxes: np.ndarray, flip: str, width_px: int, height_px: int) -> np.ndarray:
    """Boxes found on a mirrored tile, in the tile's own grid (a mirror negates the angle)."""
    out = boxes.copy()
    if flip in ("horizontal", "rotate180"):
        out[:, 0] = width_px - out[:, 0]
    if flip in ("vertical", "rotate180"):
        out[:, 1] = height_px - out[:, 1]
    if flip in ("horizontal", "vertical"):
        out[:, 4] = -out[:, 4]  # a mirror negates the angle; a half turn keeps the axis
    elif flip == "transpose":
        out[:, [0, 1]] = out[:, [1, 0]]
        out[:, 4] = np.pi / 2 - out[:, 4]
    return out


def fuse_views(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, views: np.ndarray, *,
    n_views: int, fuse_iou: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fuse boxes from ``n_views`` views of one tile (``views[k]`` says which view box k is from).

    Returns the fused boxes (N, 5), scores and label indices, highest score first.
    """
    n = len(boxes)
    if n == 0:
        return boxes.reshape(0, 5), scores, labels
    boxes = regularize(boxes)  # long side first, so the views' sides average like with like
    same = np.eye(n, dtype=bool)
    i, j = touching_pairs(bounds(boxes))
    if len(i):
        inter, area_i, area_j = pair_overlaps(boxes, i, j)
        iou = inter / np.maximum(area_i + area_j - inter, 1e-9)
        hit = iou >= fuse_iou
        same[i[hit], j[hit]] = same[j[hit], i[hit]] = True
    taken = np.zeros(n, dtype=bool)
    out_boxes, out_scores, out_labels = [], [], []
    for k in np.argsort(-scores, kind="stable").tolist():
        if taken[k]:
            continue
        group = np.flatnonzero(same[k] & ~taken)
        # one box per view: each view's best box in the group
        best: dict[int, int] = {}
        for g in group[np.argsort(-scores[group], kind="stable")].tolist():
            best.setdefault(int(views[g]), g)
        members = np.array(sorted(best.values()))
        taken[group] = True
        weights = scores[members]
        fused = boxes[k].copy()
        fused[:4] = (boxes[members, :4] * weights[:, None]).sum(axis=0) / weights.sum()
        out_boxes.append(fused)
        out_scores.append(weights.sum() / n_views)
        out_labels.append(labels[k])
    order = np.argsort(-np.array(out_scores), kind="stable")
    return (np.array(out_boxes)[order], np.array(out_scores)[order],
            np.array(out_labels, dtype=np.intp)[order])


class FlipTTA:
    """A detector that runs ``inner`` on each tile and its mirror images and fuses the views.

    Satisfies :class:`sitewatch.detect.types.Detector`; its name says which views it runs, its
    sha256 is the inner model's. Costs one inference per view.
    """

    def __init__(self, inner: Detector, *, flips: Sequence[str] = FLIPS,
                 fuse_iou: float = 0.55) -> None:
        unknown = sorted(set(flips) - set(VIEWS))
        if unknown or not flips or not 0 < fuse_iou <= 1:
            raise ConfigError(f"flips must be some of {', '.join(VIEWS)} (got {list(flips)}) "
                              f"and fuse_iou in (0, 1] (got {fuse_iou})")
        self.inner = inner
        self.flips = tuple(flips)
        self.fuse_iou = fuse_iou

    @property
    def name(self) -> str:
        """The inner model's name and the views."""
        return f"{self.inner.name}+tta({','.join(self.flips)})"

    @property
    def sha256(self) -> str:
        """The inner model's weights hash."""
        return self.inner.sha256

    @property
    def gsd_m(self) -> float:
        """The inner model's ground sample distance."""
        return self.inner.gsd_m

    @property
    def tile_px(self) -> int:
        """The inner model's tile size."""
        return self.inner.tile_px

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        """Detect on every view of every tile, map back, fuse per tile."""
        views = [_flip(t, f) for f in self.flips for t in tiles]
        found = self.inner.detect_batch(views)
        out = []
        for t, tile in enumerate(tiles):
            h, w = tile.shape[:2]
            parts = []
            for v, flip in enumerate(self.flips):
                boxes, scores, labels = detections_to_arrays(found[v * len(tiles) + t])
                parts.append((_unflip(boxes, flip, w, h), scores, labels,
                              np.full(len(scores), v, dtype=np.intp)))
            boxes, scores, labels = fuse_views(
                np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]), np.concatenate([p[3] for p in parts]),
                n_views=len(self.flips), fuse_iou=self.fuse_iou,
            )
            out.append(detections_from_arrays(boxes, scores, labels))
        return out
