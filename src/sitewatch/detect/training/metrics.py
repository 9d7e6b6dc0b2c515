"""Held-out measurement: greedy matching of predicted to labelled boxes, precision and recall.

Boxes are compared axis-aligned (an oriented prediction by its enclosing box), because the
MVRSD labels are axis-aligned. A prediction matches at most one label and vice versa, highest
score first, at IoU >= ``iou_min`` (0.3 by default: loose, since labels are hand-drawn and
vehicles small).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.detect.types import VehicleClass
from sitewatch.errors import ConfigError

__all__ = ["Counts", "ScoredBox", "TruthBox", "counts_at", "iou_matrix", "match", "sweep"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoredBox:
    """A prediction: enclosing axis-aligned box (x0, y0, x1, y1), score and class."""

    bounds_px: tuple[float, float, float, float]
    score: float
    label: VehicleClass


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthBox:
    """A label: axis-aligned box and class."""

    bounds_px: tuple[float, float, float, float]
    label: VehicleClass


@dataclass(frozen=True, slots=True, kw_only=True)
class Counts:
    """True positives, false positives and false negatives, with the derived rates."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N×4) with every box in ``b`` (M×4), as x0, y0, x1, y1.

    >>> iou_matrix(np.array([[0, 0, 2, 2]]), np.array([[1, 0, 3, 2], [5, 5, 6, 6]])).round(3)
    array([[0.333, 0.   ]])
    """
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a = np.asarray(a, np.float64)[:, None, :]
    b = np.asarray(b, np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    out: np.ndarray = inter / np.maximum(area_a + area_b - inter, 1e-9)
    return out


def match(
    preds: Sequence[ScoredBox], truths: Sequence[TruthBox], *, iou_min: float = 0.3
) -> list[int]:
    """For each prediction (in the given order), the index of the label it matches, or -1.

    Predictions are matched greedily from the highest score.
    """
    if not 0 < iou_min <= 1:
        raise ConfigError(f"iou_min must be in (0, 1], got {iou_min}")
    iou = iou_matrix(
        np.array([p.bounds_px for p in preds]).reshape(-1, 4),
        np.array([t.bounds_px for t in truths]).reshape(-1, 4),
    )
    result = [-1] * len(preds)
    taken = np.zeros(len(truths), bool)
    for i in sorted(range(len(preds)), key=lambda k: -preds[k].score):
        if not len(truths):
            break
        row = np.where(taken, -1.0, iou[i])
        j = int(np.argmax(row))
        if row[j] >= iou_min:
            result[i] = j
            taken[j] = True
    return result


def counts_at(
    tiles: Sequence[tuple[Sequence[ScoredBox], Sequence[TruthBox]]],
    threshold: float,
    *,
    iou_min: float = 0.3,
    truth_labels: frozenset[VehicleClass] | None = None,
) -> Counts:
    """Class-agnostic counts over tiles, keeping predictions scoring >= ``threshold``.

    With ``truth_labels``, only labels of those classes count as things to find (recall of
    that class); predictions are still matched against all labels first, and FP counts only
    predictions that match no label at all.
    """
    tp = fp = fn = 0
    for preds, truths in tiles:
        kept = [p for p in preds if p.score >= threshold]
        matched = match(kept, truths, iou_min=iou_min)
        hit = {j for j in matched if j >= 0}
        fp += sum(1 for j in matched if j < 0)
        for j, t in enumerate(truths):
            if truth_labels is not None and t.label not in truth_labels:
                continue
            if j in hit:
                tp += 1
            else:
                fn += 1
    return Counts(tp=tp, fp=fp, fn=fn)


def sweep(
    tiles: Sequence[tuple[Sequence[ScoredBox], Sequence[TruthBox]]],
    *,
    thresholds: Sequence[float] = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2)),
    iou_min: float = 0.3,
) -> list[tuple[float, Counts]]:
    """Class-agnostic counts at each threshold."""
    return [(float(t), counts_at(tiles, float(t), iou_min=iou_min)) for t in thresholds]
