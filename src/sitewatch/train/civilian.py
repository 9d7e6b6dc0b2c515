"""Civilian retention: how a detector treats ground that holds no military vehicle.

A model fine-tuned on military vehicle parks can forget the civilian cars its base checkpoint
found and call garden sheds, trampolines or school buses military. Three figures say whether it
did, and :func:`civilian_scores` and :func:`false_alarm_rates` compute them from detections:

- **civilian-car recall and precision** on imagery whose cars are all labelled (class-agnostic:
  a car found as any vehicle class is found);
- **the share of detections labelled military** there (every one of them is wrong: the imagery
  holds no military vehicle), and the share of *found cars* labelled military;
- **detections per km²** on unlabelled civilian scenes, all of them and the military-labelled
  ones. With no labels, only the military-labelled ones are certainly false; on scenes with
  no vehicle at all (a forest) every detection is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sitewatch.detect import MILITARY_CLASSES, VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.scoring import ImageBoxes, greedy_match

__all__ = ["SceneDetections", "civilian_scores", "false_alarm_rates"]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def civilian_scores(
    images: Sequence[ImageBoxes], *, iou_min: float = 0.3, score_threshold: float = 0.25
) -> dict[str, Any]:
    """Recall, precision and military mislabelling on labelled civilian imagery.

    Every label is a civilian vehicle, whatever its label says; difficult labels absorb a
    detection without counting (as in :mod:`sitewatch.detect.scoring`).

    >>> img = ImageBoxes(name="a", pred_bounds=np.array([[0, 0, 4, 2], [9, 9, 12, 11.]]),
    ...     pred_scores=np.array([0.9, 0.8]),
    ...     pred_labels=(VehicleClass.ARMORED_VEHICLE, VehicleClass.CIVILIAN_VEHICLE),
    ...     truth_bounds=np.array([[0, 0, 4, 2.]]), truth_labels=(VehicleClass.VEHICLE,))
    >>> s = civilian_scores([img])
    >>> s["recall"], s["precision"], s["military_share"], s["found_as_military_share"]
    (1.0, 0.5, 0.5, 1.0)

    Raises:
        ConfigError: ``iou_min`` outside (0, 1] or ``score_threshold`` outside [0, 1].
    """
    if not 0 < iou_min <= 1 or not 0 <= score_threshold <= 1:
        raise ConfigError(f"iou_min={iou_min} must be in (0, 1] and score_threshold="
                          f"{score_threshold} in [0, 1]")
    truths = predictions = tp = military = found_military = 0
    by_label: dict[str, int] = {}
    for image in images:
        above = np.asarray(image.pred_scores) >= score_threshold
        labels = [v for v, keep in zip(image.pred_labels, above, strict=True) if keep]
        match = greedy_match(image.pred_bounds[above], image.pred_scores[above],
                             image.truth_bounds, iou_min)
        hard = np.asarray(image.truth_difficult, bool)
        on_hard = (match >= 0) & hard[np.maximum(match, 0)] if len(hard) else match < -1
        counted = ~on_hard
        is_military = np.array([v in MILITARY_CLASSES for v in labels], bool)
        truths += int((~hard).sum()) if len(hard) else 0
        predictions += int(counted.sum())
        tp += int(((match >= 0) & counted).sum())
        military += int((is_military & counted).sum())
        found_military += int((is_military & (match >= 0) & counted).sum())
        for v, c in zip(labels, counted, strict=True):
            if c:
                by_label[v.value] = by_label.get(v.value, 0) + 1
    return {
        "truths": truths,
        "predictions": predictions,
        "tp": tp,
        "recall": _share(tp, truths),
        "precision": _share(tp, predictions),
        "military_share": _share(military, predictions),
        "found_as_military_share": _share(found_military, tp),
        "predictions_by_label": dict(sorted(by_label.items())),
        "iou_min": iou_min,
        "score_threshold": score_threshold,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneDetections:
    """The labels a detector gave on one unlabelled scene, and the ground it covers.

    Attributes:
        name: The scene's file name.
        area_km2: Ground covered by the scene.
        labels: The label of each detection at or above the score read.
        vehicle_free: True when the scene holds no vehicle at all (a forest), so that every
            detection on it is false.
    """

    name: str
    area_km2: float
    labels: tuple[VehicleClass, ...]
    vehicle_free: bool = False

    def __post_init__(self) -> None:
        if not self.area_km2 > 0:
            raise ConfigError(f"scene {self.name!r}: area_km2 must be > 0, got {self.area_km2}")
        object.__setattr__(self, "labels", tuple(self.labels))


def false_alarm_rates(scenes: Sequence[SceneDetections]) -> dict[str, Any]:
    """Detections per km² on civilian scenes: all, military-labelled, and certainly false.

    "Certainly false" counts every military-labelled detection (the scenes hold no military
    vehicle) plus every detection on a vehicle-free scene.

    >>> rates = false_alarm_rates([SceneDetections(name="f", area_km2=0.5, vehicle_free=True,
    ...     labels=(VehicleClass.VEHICLE,)), SceneDetections(name="t", area_km2=0.5,
    ...     labels=(VehicleClass.ARMORED_VEHICLE, VehicleClass.CIVILIAN_VEHICLE))])
    >>> rates["per_km2"], rates["military_per_km2"], rates["certainly_false_per_km2"]
    (3.0, 1.0, 2.0)
    """
    area = sum(s.area_km2 for s in scenes)
    total = sum(len(s.labels) for s in scenes)
    military = sum(sum(v in MILITARY_CLASSES for v in s.labels) for s in scenes)
    false = sum(len(s.labels) if s.vehicle_free else sum(v in MILITARY_CLASSES for v in s.labels)
                for s in scenes)  # fmt: skip
    return {
        "scenes": len(scenes),
        "area_km2": round(area, 4),
        "detections": total,
        "military": military,
        "certainly_false": false,
        "per_km2": round(total / area, 2) if area else None,
        "military_per_km2": round(military / area, 2) if area else None,
        "certainly_false_per_km2": round(false / area, 2) if area else None,
    }
