"""Civilian retention figures: recall, military mislabelling, detections per km²."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train import ImageBoxes, SceneDetections, civilian_scores, false_alarm_rates

CAR = VehicleClass.CIVILIAN_VEHICLE
TANK = VehicleClass.ARMORED_VEHICLE


def _image(preds: list[tuple[list[float], float, VehicleClass]], truths: list[list[float]],
           difficult: list[bool] | None = None) -> ImageBoxes:
    return ImageBoxes(
        name="x", pred_bounds=np.array([p[0] for p in preds], float).reshape(-1, 4),
        pred_scores=np.array([p[1] for p in preds], float),
        pred_labels=tuple(p[2] for p in preds),
        truth_bounds=np.array(truths, float).reshape(-1, 4), truth_labels=(CAR,) * len(truths),
        truth_difficult=np.array(difficult or [False] * len(truths), bool))


def test_a_car_called_military_is_found_but_counted_as_mislabelled() -> None:
    img = _image([([0, 0, 10, 4], 0.9, TANK), ([20, 0, 30, 4], 0.8, CAR),
                  ([50, 50, 60, 54], 0.7, VehicleClass.MILITARY_TRUCK)],
                 [[0, 0, 10, 4], [20, 0, 30, 4], [80, 80, 90, 84]])
    s = civilian_scores([img], score_threshold=0.5)
    assert (s["tp"], s["predictions"], s["truths"]) == (2, 3, 3)
    assert s["military_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["found_as_military_share"] == 0.5
    assert s["predictions_by_label"] == {"armored_vehicle": 1, "civilian_vehicle": 1,
                                         "military_truck": 1}


def test_the_score_threshold_and_difficult_labels_are_honoured() -> None:
    img = _image([([0, 0, 10, 4], 0.9, CAR), ([20, 0, 30, 4], 0.1, TANK),
                  ([40, 0, 50, 4], 0.9, TANK)],
                 [[0, 0, 10, 4], [20, 0, 30, 4], [40, 0, 50, 4]], [False, False, True])
    s = civilian_scores([img], score_threshold=0.5)
    # the weak box is not read; the box on the difficult object counts neither way
    assert (s["tp"], s["predictions"], s["truths"], s["military_share"]) == (1, 1, 2, 0.0)
    with pytest.raises(ConfigError, match="score_threshold"):
        civilian_scores([img], score_threshold=1.5)


def test_no_truths_and_no_predictions_give_none_not_a_division_error() -> None:
    s = civilian_scores([_image([], [])])
    assert s["recall"] is None and s["precision"] is None and s["military_share"] is None


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.integers(0, 90), st.integers(0, 90), st.sampled_from(list(VehicleClass)),
                          st.floats(0, 1)), max_size=12),
       st.lists(st.tuples(st.integers(0, 90), st.integers(0, 90)), max_size=12))
def test_shares_are_rates(preds: list[tuple[int, int, VehicleClass, float]],
                          truths: list[tuple[int, int]]) -> None:
    img = _image([([x, y, x + 8, y + 4], s, v) for x, y, v, s in preds],
                 [[x, y, x + 8, y + 4] for x, y in truths])
    s = civilian_scores([img], score_threshold=0.3)
    assert s["tp"] <= min(s["predictions"], s["truths"])
    for key in ("recall", "precision", "military_share", "found_as_military_share"):
        assert s[key] is None or 0.0 <= s[key] <= 1.0


def test_false_alarms_per_km2() -> None:
    forest = SceneDetections(name="forest", area_km2=0.25, vehicle_free=True,
                             labels=(VehicleClass.VEHICLE, CAR))
    town = SceneDetections(name="town", area_km2=0.75, labels=(CAR, CAR, TANK))
    r = false_alarm_rates([forest, town])
    assert r["area_km2"] == 1.0 and r["per_km2"] == 5.0
    assert r["military_per_km2"] == 1.0 and r["certainly_false_per_km2"] == 3.0
    with pytest.raises(ConfigError, match="'empty'"):
        SceneDetections(name="empty", area_km2=0.0, labels=())
