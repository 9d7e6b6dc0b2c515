"""Tests of the OBB dataset writer, layouts and held-out metrics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sitewatch.detect.types import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo.coords import OrientedBoxPx
from sitewatch.train.dataset import TRAIN_CLASSES, obb_label_lines, write_obb_dataset
from sitewatch.train.labels import read_yolo
from sitewatch.train.layouts import layout_stats, read_layouts
from sitewatch.train.metrics import (
    ScoredBox,
    TruthBox,
    counts_at,
    iou_matrix,
    match,
    sweep,
)
from sitewatch.train.samples import TrainBox, TrainingSample

V = VehicleClass


def _sample() -> TrainingSample:
    box = OrientedBoxPx(cx_px=50, cy_px=25, width_px=20, height_px=10, angle_rad=math.pi / 2)
    return TrainingSample(
        image=np.zeros((50, 100, 3), np.uint8),
        boxes=(TrainBox(box=box, label=V.MILITARY_TRUCK),),
        source="t",
    )


def test_obb_labels_round_trip_through_the_yolo_reader(tmp_path: Path) -> None:
    data_yaml = write_obb_dataset(tmp_path, [_sample()], [_sample()])
    text = data_yaml.read_text()
    assert "train: images/train" in text and "1: military_truck" in text
    assert (tmp_path / "images" / "train" / "train_00000.jpg").is_file()
    boxes = read_yolo(
        tmp_path / "labels" / "train" / "train_00000.txt",
        class_names=[c.value for c in TRAIN_CLASSES],
        width_px=100,
        height_px=50,
    )
    (b,) = boxes
    assert b.label is V.MILITARY_TRUCK
    assert b.bounds_px == pytest.approx((45.0, 15.0, 55.0, 35.0), abs=1e-3)
    assert (tmp_path / "sources.jsonl").read_text().count("\n") == 2


def test_obb_labels_reject_class_outside_training_set() -> None:
    sample = _sample()
    bad = TrainingSample(
        image=sample.image,
        boxes=(TrainBox(box=sample.boxes[0].box, label=V.VEHICLE),),
        source="bad",
    )
    with pytest.raises(ConfigError, match="'vehicle' is not among"):
        obb_label_lines(bad)


def test_layouts_and_stats(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("2 0.5 0.5 0.1 0.05\n3 0.2 0.2 0.05 0.05\n")
    (tmp_path / "held.txt").write_text("2 0.5 0.5 0.1 0.05\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "broken.txt").write_text("9 0.5\n")
    layouts = read_layouts(
        tmp_path, class_names=("SMV", "LMV", "AFV", "CV", "MCV"), exclude_stems=frozenset({"held"})
    )
    assert [lay.source for lay in layouts] == ["a"]
    assert layouts[0].boxes[0].label is V.ARMORED_VEHICLE
    stats = layout_stats(layouts, side_m=100.0)
    assert stats["armored_vehicle"]["long_m_p50"] == pytest.approx(10.0)
    assert stats["all"]["vehicles_per_image_p50"] == 2


def test_iou_and_greedy_matching() -> None:
    assert iou_matrix(np.zeros((0, 4)), np.zeros((2, 4))).shape == (0, 2)
    truths = [TruthBox(bounds_px=(0, 0, 10, 10), label=V.ARMORED_VEHICLE)]
    preds = [
        ScoredBox(bounds_px=(1, 1, 11, 11), score=0.5, label=V.MILITARY_TRUCK),
        ScoredBox(bounds_px=(0, 0, 10, 10), score=0.9, label=V.ARMORED_VEHICLE),
        ScoredBox(bounds_px=(50, 50, 60, 60), score=0.95, label=V.MILITARY_TRUCK),
    ]
    assert match(preds, truths) == [-1, 0, -1]
    c = counts_at([(preds, truths)], 0.6)
    assert (c.tp, c.fp, c.fn) == (1, 1, 0)
    assert c.precision == 0.5 and c.recall == 1.0
    c = counts_at([(preds, truths)], 0.99)
    assert (c.tp, c.fp, c.fn, c.precision, c.recall) == (0, 0, 1, 1.0, 0.0)
    civ = counts_at([(preds, truths)], 0.1, truth_labels=frozenset({V.CIVILIAN_VEHICLE}))
    assert (civ.tp, civ.fn) == (0, 0)
    curve = sweep([(preds, truths)], thresholds=(0.1, 0.92))
    assert [round(c.precision, 2) for _, c in curve] == [0.33, 0.0]
    with pytest.raises(ConfigError):
        match(preds, truths, iou_min=0)
