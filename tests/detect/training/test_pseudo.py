"""Pseudo-labelling a new site's scenes with the packaged model (real pixels, real model)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect import DetectOptions, detect_raster, load_detector
from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
from sitewatch.detect.training.pseudo import (
    PseudoLabelling,
    PseudoScene,
    paint_out_unsure,
    write_pseudo_labels,
)
from sitewatch.detect.training.sources import load_reviewed
from sitewatch.detect.tta import FLIPS
from sitewatch.detect.types import Detection, VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx

DEMO_IMAGE = (
    Path(__file__).resolve().parents[3]
    / "src" / "sitewatch" / "demo" / "data" / "demo-depot_2014-08-05.tif"
)  # fmt: skip
DEMO_GSD_M = 0.1195


def _det(cx: float, cy: float, score: float, w: float = 30, h: float = 12) -> Detection:
    box = OrientedBoxPx(cx_px=cx, cy_px=cy, width_px=w, height_px=h, angle_rad=0.3)
    return Detection(box=box, label=VehicleClass.MILITARY_TRUCK, score=score)


def test_unsure_boxes_are_inpainted_and_labelled_ones_kept() -> None:
    rng = np.random.default_rng(0)
    image = (rng.normal(120, 4, (200, 200, 3))).clip(0, 255).astype(np.uint8)
    image[40:60, 40:70] = 20  # a dark vehicle the teacher is unsure of
    image[140:160, 130:160] = 230  # a bright one it labels
    unsure, labelled = _det(55, 50, 0.1, 34, 24), _det(145, 150, 0.8, 34, 24)
    out = paint_out_unsure(image, [labelled], [unsure], PseudoLabelling())
    assert out[40:60, 40:70].mean() == pytest.approx(120, abs=15)  # gone into the ground
    assert np.array_equal(out[140:160, 130:160], image[140:160, 130:160])
    assert np.array_equal(out[:, 100:], image[:, 100:])  # nothing else touched
    assert paint_out_unsure(image, [labelled], [], PseudoLabelling()) is image


def test_scores_must_be_ordered() -> None:
    with pytest.raises(ConfigError, match="ignore score < label score"):
        PseudoLabelling(label_score=0.05, ignore_score=0.3)
    with pytest.raises(ConfigError, match="grow >= 1"):
        PseudoLabelling(grow=0.5)


def test_the_packaged_model_labels_the_demo_scene(tmp_path: Path) -> None:
    settings = PseudoLabelling()
    scene = PseudoScene(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, stem="demo_2014-08-05")
    done = write_pseudo_labels([scene], DEFAULT_MODEL, tmp_path / "pseudo", settings)

    found = detect_raster(DEMO_IMAGE, load_detector(DEFAULT_MODEL, score_threshold=0.05),
                          gsd_m=DEMO_GSD_M, options=DetectOptions(tta_views=FLIPS)).detections
    sure = [d for d in found if d.score >= settings.label_score]
    assert done.stems == ("demo_2014-08-05",)
    assert done.labels == len(sure) > 5  # the demo's vehicles, found with the four views
    assert done.inpainted == len(found) - len(sure) > 0

    manifest = json.loads((tmp_path / "pseudo" / "reviews.json").read_text())
    assert manifest["teacher_sha256"] == load_card(card_path_for(DEFAULT_MODEL)).onnx_sha256
    assert manifest["pseudo_labelling"]["label_score"] == settings.label_score

    original = cv2.imread(str(DEMO_IMAGE), cv2.IMREAD_COLOR)
    painted = cv2.imread(str(tmp_path / "pseudo" / "images" / "demo_2014-08-05.png"))
    changed = np.any(painted != original, axis=2)
    assert changed.any() and changed.mean() < 0.2
    for det in sure:  # the labelled vehicles' own pixels are untouched
        b = det.box
        assert not changed[int(b.cy_px), int(b.cx_px)]

    (sample,) = load_reviewed(tmp_path / "pseudo", gsd_m=0.3, kind="pseudo")
    assert sample.source == "pseudo:demo_2014-08-05"
    assert len(sample.boxes) == len(sure)
    assert sorted(b.box.cx_px for b in sample.boxes) == pytest.approx(
        sorted(d.box.cx_px * DEMO_GSD_M / 0.3 for d in sure), abs=1.0)


def test_an_existing_folder_is_never_written_into(tmp_path: Path) -> None:
    (tmp_path / "pseudo").mkdir()
    (tmp_path / "pseudo" / "keep.txt").write_text("mine")
    scene = PseudoScene(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, stem="demo")
    with pytest.raises(ConfigError, match="not an empty folder"):
        write_pseudo_labels([scene], DEFAULT_MODEL, tmp_path / "pseudo")
    with pytest.raises(ConfigError, match="no scene"):
        write_pseudo_labels([], DEFAULT_MODEL, tmp_path / "new")
    assert (tmp_path / "pseudo" / "keep.txt").read_text() == "mine"
