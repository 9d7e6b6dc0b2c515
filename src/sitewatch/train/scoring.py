"""Scoring detections against labelled boxes: precision, recall, AP and count error.

Boxes are compared axis-aligned (an oriented detection by its enclosing box) because most
labels (MVRSD, VOC) are axis-aligned. Matching is greedy in descending score, each detection
taking the unmatched label it overlaps most, at IoU >= ``iou_min`` (0.3 by default: loose,
because hand-drawn boxes around small vehicles disagree by a few pixels). Because the greedy
order is by score, the matches at any score threshold are the full matching restricted to the
detections above it, so one matching serves every threshold and the AP curve.

AP is the all-point interpolated area under the precision-recall curve (VOC 2010+).

Labels flagged difficult (objects that may or may not be vehicles) are scored as in VOC: they
count neither as truths to find nor, when a detection matches one, as a false positive; that
detection is left out of the counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageBoxes:
    """Detections and labels of one image, as arrays.

    Attributes:
        name: Image name for the per-image table.
        pred_bounds: (N, 4) detections' enclosing boxes x0, y0, x1, y1 (pixels).
        pred_scores: (N,) scores.
        pred_labels: (N,) VehicleClass of each detection.
        truth_bounds: (M, 4) labelled boxes.
        truth_labels: (M,) VehicleClass of each label.
        truth_difficult: (M,) True for a difficult label (ignored, see the module docs);
            empty: none is.
    """

    name: str
    pred_bounds: np.ndarray
    pred_scores: np.ndarray
    pred_labels: tuple[VehicleClass, ...]
    truth_bounds: np.ndarray
    truth_labels: tuple[VehicleClass, ...]
    truth_difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __post_init__(self) -> None:
        if len(self.truth_difficult) == 0 and len(self.truth_labels):
            object.__setattr__(self, "truth_difficult", np.zeros(len(self.truth_labels), bool))
        if len(self.truth_difficult) != len(self.truth_labels):
            raise ConfigError(f"{self.name}: {len(self.truth_difficult)} difficult flags for "
                              f"{len(self.truth_labels)} labels")


@dataclass(frozen=True, slots=True, kw_only=True)
class Scores:
    """Counts and rates for one slice (all classes, or one label).

    ``precision``/``recall`` are at the report's score threshold; ``ap`` (at IoU >= iou_min)
    and ``ap50`` (at IoU >= 0.5) are over all scores the detector returned. None where
    undefined (nothing to divide by).
    """

    truths: int
    predictions: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    ap: float | None
    ap50: float | None
    count_error: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each box in ``a`` (N, 4) with each in ``b`` (M, 4), boxes as x0, y0, x1, y1.

    >>> iou_matrix(np.array([[0, 0, 2, 2]]), np.array([[1, 0, 3, 2], [5, 5, 6, 6]])).round(3)
    array([[0.333, 0.   ]])
    """
    a = np.asarray(a, np.float64).reshape(-1, 1, 4)
    b = np.asarray(b, np.float64).reshape(1, -1, 4)
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    out: np.ndarray = inter / np.maximum(area_a + area_b - inter, 1e-12)
    return out


def greedy_match(
    pred_bounds: np.ndarray, pred_scores: np.ndarray, truth_bounds: np.ndarray, iou_min: float
) -> np.ndarray:
    """For each detection, the index of the label it matches, or -1 (greedy by score)."""
    n = len(pred_bounds)
    out = np.full(n, -1, dtype=np.intp)
    if n == 0 or len(truth_bounds) == 0:
        return out
    iou = iou_matrix(pred_bounds, truth_bounds)
    taken = np.zeros(len(truth_bounds), dtype=bool)
    for i in np.argsort(-np.asarray(pred_scores), kind="stable").tolist():
        row = np.where(taken, -1.0, iou[i])
        j = int(row.argmax())
        if row[j] >= iou_min:
            out[i] = j
            taken[j] = True
    return out


def average_precision(scores: np.ndarray, is_tp: np.ndarray, n_truths: int) -> float | None:
    """All-point interpolated AP of ranked detections; None when there is nothing to find.

    >>> average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]), 2)
    0.8333333333333333
    """
    if n_truths == 0:
        return None
    if len(scores) == 0:
        return 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    tp = np.cumsum(np.asarray(is_tp)[order])
    fp = np.cumsum(~np.asarray(is_tp)[order])
    recall = np.concatenate([[0.0], tp / n_truths, [1.0]])
    precision = np.concatenate([[1.0], tp / np.maximum(tp + fp, 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1])
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def _slice(
    images: Sequence[ImageBoxes],
    *,
    pred_keep: list[np.ndarray],
    truth_keep: list[np.ndarray],
    iou_min: float,
    score_threshold: float,
) -> Scores:
    all_scores, tp_at_min, tp_at_50 = [], [], []
    truths = tp = predictions = 0
    for image, pk, tk in zip(images, pred_keep, truth_keep, strict=True):
        ignore = image.truth_difficult
        tk = tk | ignore  # a difficult label of any class absorbs a detection
        pb, ps, tb = image.pred_bounds[pk], image.pred_scores[pk], image.truth_bounds[tk]
        hard = ignore[tk]
        m = greedy_match(pb, ps, tb, iou_min)
        m50 = greedy_match(pb, ps, tb, 0.5)
        counted = ~((m >= 0) & hard[np.maximum(m, 0)]) if len(hard) else np.ones(len(m), bool)
        m, m50, ps = m[counted], m50[counted], ps[counted]
        above = ps >= score_threshold
        truths += int((~hard).sum())
        predictions += int(above.sum())
        tp += int(((m >= 0) & above).sum())
        all_scores.append(ps)
        tp_at_min.append(m >= 0)
        tp_at_50.append((m50 >= 0) & ~hard[np.maximum(m50, 0)] if len(hard) else m50 >= 0)
    scores = np.concatenate(all_scores) if all_scores else np.empty(0)
    fp, fn = predictions - tp, truths - tp
    return Scores(
        truths=truths,
        predictions=predictions,
        tp=tp,
        fp=fp,
        fn=fn,
        precision=tp / predictions if predictions else None,
        recall=tp / truths if truths else None,
        ap=average_precision(scores, np.concatenate(tp_at_min or [np.empty(0, bool)]), truths),
        ap50=average_precision(scores, np.concatenate(tp_at_50 or [np.empty(0, bool)]), truths),
        count_error=predictions - truths,
    )


def _mask(labels: tuple[VehicleClass, ...], wanted: VehicleClass | None) -> np.ndarray:
    return np.array([wanted is None or v is wanted for v in labels], dtype=bool)


def recall_by_truth_label(
    images: Sequence[ImageBoxes], *, iou_min: float, score_threshold: float
) -> dict[str, float | None]:
    """Share of each label's boxes found by a detection of any class (class-agnostic)."""
    found: dict[VehicleClass, list[int]] = {}
    for image in images:
        above = image.pred_scores >= score_threshold
        m = greedy_match(
            image.pred_bounds[above], image.pred_scores[above], image.truth_bounds, iou_min
        )
        hit = set(m[m >= 0].tolist())
        for j, label in enumerate(image.truth_labels):
            if image.truth_difficult[j]:
                continue
            found.setdefault(label, [0, 0])
            found[label][0] += j in hit
            found[label][1] += 1
    return {k.value: (v[0] / v[1] if v[1] else None) for k, v in sorted(found.items())}


def evaluate(
    images: Sequence[ImageBoxes], *, iou_min: float = 0.3, score_threshold: float = 0.25
) -> dict[str, Any]:
    """Class-agnostic and per-label scores over a set of images, JSON-ready.

    Returns:
        ``class_agnostic`` (every detection against every label), ``per_label`` (for each
        label among the truths or the specific labels detected: class-aware scores, where a
        detection counts only if its label equals the truth's; the class-agnostic ``vehicle``
        detections of a DOTA model are scored only in ``class_agnostic``),
        ``recall_by_truth_label`` (each label's boxes found by any detection: what a
        class-agnostic model like the DOTA one can achieve), ``per_image`` (class-agnostic)
        and the settings.

    Raises:
        ConfigError: ``iou_min`` outside (0, 1] or ``score_threshold`` outside [0, 1].
    """
    if not 0 < iou_min <= 1 or not 0 <= score_threshold <= 1:
        raise ConfigError(
            f"iou_min={iou_min} must be in (0, 1] and score_threshold={score_threshold} in [0, 1]"
        )
    kw = {"iou_min": iou_min, "score_threshold": score_threshold}
    everything = [np.ones(len(i.pred_scores), bool) for i in images]
    all_truths = [np.ones(len(i.truth_labels), bool) for i in images]
    agnostic = _slice(images, pred_keep=everything, truth_keep=all_truths, **kw)
    labels = sorted(
        {v for i in images for v, hard in zip(i.truth_labels, i.truth_difficult, strict=True)
         if not hard}
        | {v for i in images for v in i.pred_labels if v is not VehicleClass.VEHICLE}
    )
    per_label = {
        label.value: _slice(
            images,
            pred_keep=[_mask(i.pred_labels, label) for i in images],
            truth_keep=[_mask(i.truth_labels, label) for i in images],
            **kw,
        ).to_dict()
        for label in labels
    }
    per_image = {
        i.name: _slice([i], pred_keep=[p], truth_keep=[t], **kw).to_dict()
        for i, p, t in zip(images, everything, all_truths, strict=True)
    }
    count_abs = [abs(v["count_error"]) for v in per_image.values()]
    return {
        "iou_min": iou_min,
        "score_threshold": score_threshold,
        "images": len(images),
        "class_agnostic": {
            **agnostic.to_dict(),
            "count_mean_abs_error_per_image": float(np.mean(count_abs)) if count_abs else None,
        },
        "per_label": per_label,
        "recall_by_truth_label": recall_by_truth_label(images, **kw),
        "per_image": per_image,
    }
