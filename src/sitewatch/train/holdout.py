"""Measuring a detector on held-out labelled tiles: packing, prediction, summary numbers.

Held-out tiles (already at the model's GSD) are packed into model-sized canvases the way a
scene would be cut: tiles up to half the canvas side share a canvas 2×2, larger ones get a
canvas each, padded with grey (114, as Ultralytics' letterbox). Predictions are split back to
their tile by box centre and compared with the tile's labels (:mod:`.metrics`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sitewatch.detect import MILITARY_CLASSES, VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.metrics import (
    Counts,
    ScoredBox,
    TruthBox,
    counts_at,
    sweep,
)
from sitewatch.train.samples import TrainingSample

__all__ = ["PredictFn", "TileResult", "predict_holdout", "summarize"]

#: Takes BGR canvases, returns each canvas's predictions in its pixels.
PredictFn = Callable[[list[np.ndarray]], list[list[ScoredBox]]]
#: One held-out tile's predictions and labels, in the tile's pixels.
TileResult = tuple[list[ScoredBox], list[TruthBox]]


def _truths(sample: TrainingSample) -> list[TruthBox]:
    return [TruthBox(bounds_px=b.box.bounds_px(), label=b.label) for b in sample.boxes]


def predict_holdout(
    samples: Sequence[TrainingSample], predict: PredictFn, *, canvas_px: int
) -> list[TileResult]:
    """Predict on held-out samples packed into canvases; return per-tile results in order.

    Raises:
        ConfigError: a tile is larger than the canvas.
    """
    half = canvas_px // 2
    groups: list[list[int]] = []
    small = [i for i, s in enumerate(samples) if max(s.image.shape[:2]) <= half]
    groups += [small[k : k + 4] for k in range(0, len(small), 4)]
    for i, s in enumerate(samples):
        if max(s.image.shape[:2]) > canvas_px:
            raise ConfigError(
                f"held-out tile {s.source!r} is {s.image.shape[1]}×{s.image.shape[0]} px at the "
                f"model GSD, larger than the {canvas_px} px canvas; cut it into tiles first"
            )
        if max(s.image.shape[:2]) > half:
            groups.append([i])
    canvases, placements = [], []
    for group in groups:
        canvas = np.full((canvas_px, canvas_px, 3), 114, np.uint8)
        step = half if len(group) > 1 or max(samples[group[0]].image.shape[:2]) <= half else 0
        where = []
        for k, i in enumerate(group):
            h, w = samples[i].image.shape[:2]
            ox, oy = (k % 2) * step, (k // 2) * step
            canvas[oy : oy + h, ox : ox + w] = samples[i].image
            where.append((i, ox, oy, w, h))
        canvases.append(canvas)
        placements.append(where)
    results: list[TileResult | None] = [None] * len(samples)
    for preds, where in zip(predict(canvases), placements, strict=True):
        for i, ox, oy, w, h in where:
            mine = []
            for p in preds:
                cx = (p.bounds_px[0] + p.bounds_px[2]) / 2 - ox
                cy = (p.bounds_px[1] + p.bounds_px[3]) / 2 - oy
                if 0 <= cx < w and 0 <= cy < h:
                    x0, y0, x1, y1 = p.bounds_px
                    mine.append(
                        ScoredBox(
                            bounds_px=(x0 - ox, y0 - oy, x1 - ox, y1 - oy),
                            score=p.score,
                            label=p.label,
                        )
                    )
            results[i] = (mine, _truths(samples[i]))
    return [r for r in results if r is not None]


def _rate(c: Counts) -> dict[str, Any]:
    return {"recall": round(c.recall, 3), "found": c.tp, "of": c.tp + c.fn}


def _at(tiles: Sequence[TileResult], threshold: float) -> dict[str, Any]:
    allc = counts_at(tiles, threshold)
    armoured = frozenset({VehicleClass.ARMORED_VEHICLE})
    aware = [
        ([p for p in preds if p.label in armoured], [t for t in truths if t.label in armoured])
        for preds, truths in tiles
    ]
    return {
        "threshold": threshold,
        "precision": round(allc.precision, 3),
        "recall": round(allc.recall, 3),
        "f1": round(allc.f1, 3),
        "tp": allc.tp,
        "fp": allc.fp,
        "fn": allc.fn,
        "armoured_recall_any_class": _rate(counts_at(tiles, threshold, truth_labels=armoured)),
        "armoured_recall_as_armoured": _rate(counts_at(aware, threshold)),
        "military_recall": _rate(
            counts_at(tiles, threshold, truth_labels=frozenset(MILITARY_CLASSES))
        ),
        "civilian_recall": _rate(
            counts_at(tiles, threshold, truth_labels=frozenset({VehicleClass.CIVILIAN_VEHICLE}))
        ),
    }


def summarize(tiles: Sequence[TileResult], *, fixed_threshold: float = 0.25) -> dict[str, Any]:
    """Class-agnostic precision/recall (IoU >= 0.3, axis-aligned) and per-group recalls.

    Reports three operating points: a fixed threshold chosen before looking (``fixed``), the
    threshold with the best F1 on these tiles (``best_f1``), and the highest recall at
    precision >= 0.9 (``recall_at_p90``, absent if never reached). The last two are chosen on
    the same held-out tiles they are reported on, so they are optimistic; ``fixed`` is not.
    """
    thresholds = tuple(float(t) for t in np.round(np.arange(0.05, 0.951, 0.025), 3))
    curve = sweep(tiles, thresholds=thresholds)
    best_t = max(curve, key=lambda tc: (tc[1].f1, -tc[0]))[0]
    p90 = [(c.recall, t) for t, c in curve if c.precision >= 0.9]
    out: dict[str, Any] = {
        "tiles": len(tiles),
        "labels": sum(len(t) for _, t in tiles),
        "fixed": _at(tiles, fixed_threshold),
        "best_f1": _at(tiles, best_t),
        "curve": [
            {"threshold": t, "precision": round(c.precision, 3), "recall": round(c.recall, 3)}
            for t, c in curve
        ],
    }
    if p90:
        out["recall_at_p90"] = _at(tiles, max(p90)[1])
    return out
