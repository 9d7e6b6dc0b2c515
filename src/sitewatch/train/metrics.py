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

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.scoring import greedy_match, iou_matrix

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


def match(
    preds: Sequence[ScoredBox], truths: Sequence[TruthBox], *, iou_min: float = 0.3
) -> list[int]:
    """For each prediction (in the given order), the index of the label it matches, or -1.

    Predictions are matched greedily from the highest score, exactly as ``sitewatch eval``
    matches them (:func:`sitewatch.train.scoring.greedy_match`).
    """
    if not 0 < iou_min <= 1:
        raise ConfigError(f"iou_min must be in (0, 1], got {iou_min}")
    matched = greedy_match(
        np.array([p.bounds_px for p in preds], dtype=np.float64).reshape(-1, 4),
        np.array([p.score for p in preds], dtype=np.float64),
        np.array([t.bounds_px for t in truths], dtype=np.float64).reshape(-1, 4),
        iou_min,
    )
    return [int(j) for j in matched]


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
