from __future__ import annotations

from sitewatch.case import DetectionRun
from sitewatch.detect import DetectOptions
from sitewatch.detect.modelcard import LEGACY_SCORE_THRESHOLD


def test_a_run_round_trips_through_the_json_the_catalog_stores() -> None:
    run = DetectionRun(options=DetectOptions(tta_views=("horizontal",), model_gsd_m=0.3),
                       score_threshold=0.15)
    params = run.to_json()
    assert params["tta_views"] == ["horizontal"] and params["score_threshold"] == 0.15
    assert DetectionRun.from_json(params) == run


def test_a_run_recorded_before_scores_were_kept_reads_at_the_legacy_score() -> None:
    params = DetectionRun(options=DetectOptions()).to_json()
    assert "score_threshold" not in params
    assert DetectionRun.from_json(params).kept_score == LEGACY_SCORE_THRESHOLD


def test_a_run_records_the_floors_its_card_applied_and_an_older_run_reads_as_none() -> None:
    run = DetectionRun(options=DetectOptions(), score_threshold=0.15,
                       label_score_thresholds=(("civilian_vehicle", 0.35),))
    params = run.to_json()
    assert params["label_score_thresholds"] == {"civilian_vehicle": 0.35}
    assert DetectionRun.from_json(params) == run
    assert DetectionRun(options=DetectOptions(), label_score_thresholds=()).to_json()[
        "label_score_thresholds"] == {}
    older = DetectionRun.from_json({"score_threshold": 0.15})
    assert older.label_score_thresholds is None and older.kept_floors == {}
