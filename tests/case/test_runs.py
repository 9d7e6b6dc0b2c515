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


def test_a_run_records_the_floors_its_card_applied_and_only_when_it_has_some() -> None:
    run = DetectionRun(options=DetectOptions(), score_threshold=0.15,
                       label_score_thresholds=(("civilian_vehicle", 0.35),))
    params = run.to_json()
    assert params["label_score_thresholds"] == {"civilian_vehicle": 0.35}
    assert DetectionRun.from_json(params) == run and DetectionRun.from_json(params).kept_floors == {
        "civilian_vehicle": 0.35}
    plain = DetectionRun(options=DetectOptions(), score_threshold=0.15)
    assert "label_score_thresholds" not in plain.to_json()  # as runs stored before floors
    assert DetectionRun.from_json({"score_threshold": 0.15}).kept_floors == {}


def test_a_run_stored_before_the_scale_and_fragment_options_matches_one_made_now() -> None:
    before: dict[str, object] = {
        "overlap_m": 20.0, "vehicle_length_m": 4.5, "min_vehicle_px": 6.0, "batch_size": 4,
        "merge_iou": 0.3, "edge_margin_px": 2.0, "cover_threshold": 0.5,
        "prefetch_batches": 2, "model_gsd_m": None, "tta_views": [], "score_threshold": 0.15}
    now = DetectionRun(options=DetectOptions(), score_threshold=0.15)
    assert now.to_json() == before  # so scenes detected then are not detected again
    assert DetectionRun.from_json(before) == now
    several = DetectionRun(options=DetectOptions().with_uncertain_gsd(), score_threshold=0.15)
    params = several.to_json()
    assert params["gsd_factors"] == [0.8, 1.25] and params["fragment_inside"] == 0.5
    assert DetectionRun.from_json(params) == several
