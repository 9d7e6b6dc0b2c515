"""Model cards and what their training records say: the rates the count intervals use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sitewatch.detect.modelcard import load_card, measured_rates, training_record
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for


def _default_card_copy(folder: Path) -> dict[str, Any]:
    """The default model's ONNX file and card copied to ``folder`` as ``m.json``; the card."""
    raw: dict[str, Any] = json.loads(card_path_for(DEFAULT_MODEL).read_text())
    shutil.copy(card_path_for(DEFAULT_MODEL).with_name(raw["onnx_file"]), folder / raw["onnx_file"])
    (folder / "m.json").write_text(json.dumps(raw), encoding="utf-8")
    return raw


def test_an_int8_variant_finds_its_float_models_record() -> None:
    shipped = load_card(card_path_for(DEFAULT_MODEL))
    int8 = load_card(card_path_for(DEFAULT_MODEL + "-int8"))
    record = training_record(shipped)
    assert record is not None and record["pt_sha256"] == shipped.source_sha256
    assert training_record(int8) == record
    assert training_record(load_card(card_path_for("dota-yolov8n-obb"))) is None


def test_an_unreadable_record_is_skipped(tmp_path: Path) -> None:
    raw = _default_card_copy(tmp_path)
    (tmp_path / "a.training.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "b.training.json").write_text(json.dumps({"pt_sha256": raw["source_sha256"]}),
                                              encoding="utf-8")
    assert training_record(load_card(tmp_path / "m.json")) == {"pt_sha256": raw["source_sha256"]}


def test_measured_rates_come_from_the_training_record(tmp_path: Path) -> None:
    raw = _default_card_copy(tmp_path)
    record = {"pt_sha256": raw["source_sha256"]}
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    assert measured_rates(load_card(tmp_path / "m.json")) is None
    score = raw["score_threshold"]
    record["cross_validation"] = {"rates": {
        "plain": {"precision": 0.8, "recall": 0.7, "by_label": {"civilian_vehicle": [0.6, 0.5]},
                  "source": "2-fold CV", "score_threshold": score},
        "tta": {"precision": 0.85, "recall": 0.8, "source": "2-fold CV with TTA",
                "score_threshold": score}}}
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    plain = measured_rates(load_card(tmp_path / "m.json"))
    assert plain is not None and (plain.precision, plain.recall) == (0.8, 0.7)
    assert plain.by_label == (("civilian_vehicle", 0.6, 0.5),) and plain.source == "2-fold CV"
    tta = measured_rates(load_card(tmp_path / "m.json"), tta=True)
    assert tta is not None and (tta.recall, tta.by_label) == (0.8, ())


def test_rates_measured_at_another_score_are_not_the_models(tmp_path: Path) -> None:
    """Rates read at one score say nothing of the model run at the score its card names."""
    raw = _default_card_copy(tmp_path)
    rates = {"precision": 0.8, "recall": 0.7, "source": "CV"}  # no score: read at 0.25
    record = {"pt_sha256": raw["source_sha256"], "cross_validation": {"rates": {"plain": rates}}}
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    for card_score, expect_rates in ((0.15, False), (0.25, True)):
        (tmp_path / "m.json").write_text(json.dumps(raw | {"score_threshold": card_score}),
                                         encoding="utf-8")
        assert (measured_rates(load_card(tmp_path / "m.json")) is not None) == expect_rates


def test_an_int8_variant_does_not_borrow_its_float_models_rates() -> None:
    """The shipped int8 card finds the float model's training record (same .pt), but the
    rates were measured on the float ONNX file: the int8 variant has none of its own."""
    float_card = load_card(card_path_for("sitewatch-vehicles-yolov8n-obb"))
    int8_card = load_card(card_path_for("sitewatch-vehicles-yolov8n-obb-int8"))
    assert training_record(int8_card) == training_record(float_card) is not None
    assert measured_rates(float_card) is not None
    assert measured_rates(int8_card) is None and measured_rates(int8_card, tta=True) is None


def test_loaded_transporter_figures_come_from_the_training_record(tmp_path: Path) -> None:
    from sitewatch.detect.modelcard import measured_loaded

    raw = _default_card_copy(tmp_path)
    record: dict[str, Any] = {"pt_sha256": raw["source_sha256"]}
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    assert measured_loaded(load_card(tmp_path / "m.json")) is None  # never measured
    entry = {"truth": 32, "found": 0, "reported": 0, "score_threshold": 0.15,
             "source": "generated series", "command": "python tools/eval_track.py OUT --loaded 2"}
    for found, reported, figure, precision, recall in (
            (0, 0, "found 0 of 32 (none reported)", None, 0.0),
            (28, 30, "found 28 of 32 (recall 0.88), 30 reported (precision 0.93)", 28 / 30, 0.875)):
        record["loaded_transporters"] = entry | {"found": found, "reported": reported}
        (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
        loaded = measured_loaded(load_card(tmp_path / "m.json"))
        assert loaded is not None and loaded.figure == figure and not loaded.tta
        assert (loaded.precision, loaded.recall) == (precision, recall)
    record["loaded_transporters"] = entry | {"found": 5, "reported": 3}  # more found than reported
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    assert measured_loaded(load_card(tmp_path / "m.json")) is None


def test_the_shipped_models_loaded_figure_is_recorded() -> None:
    from sitewatch.detect.modelcard import measured_loaded

    loaded = measured_loaded(load_card(card_path_for(DEFAULT_MODEL)))
    assert loaded is not None and loaded.truth >= 32 and "eval_track.py" in loaded.command


def test_rates_measured_without_the_cards_label_floors_are_not_its_rates(tmp_path: Path) -> None:
    """A card with per-label floors keeps other boxes than the folds that measured the rates did."""
    raw = _default_card_copy(tmp_path)
    rates = {"precision": 0.8, "recall": 0.7, "source": "CV", "score_threshold": raw["score_threshold"]}
    record = {"pt_sha256": raw["source_sha256"], "cross_validation": {"rates": {"plain": rates}}}
    (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
    floors = {"civilian_vehicle": 0.3}
    for card_floors, rate_floors, expect_rates in (({}, None, True), (floors, None, False),
                                                   (floors, floors, True), ({}, floors, False),
                                                   (floors, {"civilian_vehicle": 0.4}, False)):
        (tmp_path / "m.json").write_text(json.dumps(raw | {"label_score_thresholds": card_floors}),
                                         encoding="utf-8")
        plain = rates | ({"label_score_thresholds": rate_floors} if rate_floors else {})
        record["cross_validation"] = {"rates": {"plain": plain}}
        (tmp_path / "m.training.json").write_text(json.dumps(record), encoding="utf-8")
        assert (measured_rates(load_card(tmp_path / "m.json")) is not None) == expect_rates
