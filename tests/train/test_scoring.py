from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.scoring import ImageBoxes, average_precision, evaluate, greedy_match

V = VehicleClass


def _image(
    preds: list[tuple[float, float, float, float, float, V]],
    truths: list[tuple[float, float, float, float, V]],
) -> ImageBoxes:
    return ImageBoxes(
        name="img",
        pred_bounds=np.array([p[:4] for p in preds], dtype=float).reshape(-1, 4),
        pred_scores=np.array([p[4] for p in preds], dtype=float),
        pred_labels=tuple(p[5] for p in preds),
        truth_bounds=np.array([t[:4] for t in truths], dtype=float).reshape(-1, 4),
        truth_labels=tuple(t[4] for t in truths),
    )


def test_hand_computed_example() -> None:
    truths = [
        (0, 0, 10, 10, V.ARMORED_VEHICLE),
        (20, 0, 30, 10, V.MILITARY_TRUCK),
        (40, 0, 50, 10, V.MILITARY_TRUCK),
    ]
    preds = [
        (0, 0, 10, 10, 0.9, V.ARMORED_VEHICLE),  # TP
        (1, 0, 11, 10, 0.8, V.ARMORED_VEHICLE),  # duplicate -> FP
        (20, 0, 30, 12, 0.7, V.ARMORED_VEHICLE),  # right place, wrong class
        (100, 100, 110, 110, 0.1, V.MILITARY_TRUCK),  # FP below the threshold
    ]
    report = evaluate([_image(preds, truths)], iou_min=0.3, score_threshold=0.25)
    agn = report["class_agnostic"]
    assert (agn["truths"], agn["predictions"], agn["tp"], agn["fp"], agn["fn"]) == (3, 3, 2, 1, 1)
    assert agn["precision"] == pytest.approx(2 / 3) and agn["recall"] == pytest.approx(2 / 3)
    assert agn["count_error"] == 0
    # Ranked: TP, FP, TP, FP -> AP = 1/3 * 1 + 1/3 * 2/3.
    assert agn["ap"] == pytest.approx(1 / 3 + 2 / 9)
    armored = report["per_label"]["armored_vehicle"]
    assert (armored["tp"], armored["fp"], armored["fn"]) == (1, 2, 0)
    truck = report["per_label"]["military_truck"]
    assert (truck["tp"], truck["predictions"], truck["fn"], truck["recall"]) == (0, 0, 2, 0.0)
    assert report["recall_by_truth_label"] == {"armored_vehicle": 1.0, "military_truck": 0.5}


def test_difficult_labels_are_neither_found_nor_false_positives() -> None:
    image = ImageBoxes(
        name="img",
        pred_bounds=np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]], float),
        pred_scores=np.array([0.9, 0.8, 0.7]),
        pred_labels=(V.ARMORED_VEHICLE, V.MILITARY_TRUCK, V.MILITARY_TRUCK),
        truth_bounds=np.array([[0, 0, 10, 10], [20, 0, 30, 10], [60, 0, 70, 10]], float),
        truth_labels=(V.ARMORED_VEHICLE, V.VEHICLE, V.CIVILIAN_VEHICLE),
        truth_difficult=np.array([False, True, True]),
    )
    report = evaluate([image])
    agn = report["class_agnostic"]
    # The truck on the difficult box is ignored; the one on open ground is a false positive;
    # the unfound difficult car is not a miss.
    assert (agn["truths"], agn["predictions"], agn["tp"], agn["fp"], agn["fn"]) == (1, 2, 1, 1, 0)
    assert agn["ap"] == pytest.approx(1.0)
    assert report["per_label"]["military_truck"]["fp"] == 1
    assert report["recall_by_truth_label"] == {"armored_vehicle": 1.0}
    assert "civilian_vehicle" not in report["per_label"]


def test_difficult_flags_must_match_labels() -> None:
    with pytest.raises(ConfigError, match="1 difficult flags for 2 labels"):
        ImageBoxes(name="x", pred_bounds=np.zeros((0, 4)), pred_scores=np.zeros(0), pred_labels=(),
                   truth_bounds=np.zeros((2, 4)), truth_labels=(V.VEHICLE, V.VEHICLE),
                   truth_difficult=np.array([True]))


def test_agnostic_vehicle_predictions_not_a_per_label_row() -> None:
    image = _image([(0, 0, 10, 10, 0.9, V.VEHICLE)], [(0, 0, 10, 10, V.CIVILIAN_VEHICLE)])
    report = evaluate([image])
    assert set(report["per_label"]) == {"civilian_vehicle"}
    assert report["class_agnostic"]["recall"] == 1.0 and report["class_agnostic"]["ap50"] == 1.0


def test_iou_threshold_is_configurable() -> None:
    # IoU of these two boxes is 1/3.
    image = _image([(0, 0, 10, 10, 0.9, V.VEHICLE)], [(5, 0, 15, 10, V.VEHICLE)])
    assert evaluate([image], iou_min=0.3)["class_agnostic"]["tp"] == 1
    assert evaluate([image], iou_min=0.5)["class_agnostic"]["tp"] == 0
    assert evaluate([image], iou_min=0.3)["class_agnostic"]["ap50"] == 0.0
    with pytest.raises(ConfigError):
        evaluate([image], iou_min=0.0)


def test_empty_cases() -> None:
    report = evaluate([_image([], [])])
    agn = report["class_agnostic"]
    assert agn["precision"] is None and agn["recall"] is None and agn["ap"] is None
    report = evaluate([_image([], [(0, 0, 1, 1, V.VEHICLE)])])
    assert report["class_agnostic"]["ap"] == 0.0 and report["class_agnostic"]["recall"] == 0.0


@settings(deadline=None, max_examples=50)
@given(st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_threshold_matching_is_the_full_matching_restricted(seed: int, thr: float) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (30, 2))
    preds = np.hstack([xy, xy + rng.uniform(5, 15, (30, 2))])
    truths = preds[:20] + rng.normal(0, 2, (20, 4))
    truths[:, 2:] = np.maximum(truths[:, 2:], truths[:, :2] + 1)
    scores = rng.uniform(0, 1, 30)
    full = greedy_match(preds, scores, truths, 0.3)
    above = scores >= thr
    np.testing.assert_array_equal(
        greedy_match(preds[above], scores[above], truths, 0.3), full[above]
    )


def test_perfect_ranking_has_ap_one() -> None:
    assert average_precision(np.array([0.9, 0.5]), np.array([True, True]), 2) == 1.0
    assert average_precision(np.array([0.9]), np.array([True]), 4) == pytest.approx(0.25)
