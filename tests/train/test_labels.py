"""Tests of the VOC / YOLO / DOTA label readers, on tiny files written by the tests."""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect.types import VehicleClass
from sitewatch.errors import ConfigError, DetectError, LabelFileError
from sitewatch.train.labels import (
    MVRSD_CLASS_NAMES,
    LabelFormat,
    LabelledBox,
    read_dota,
    read_labels,
    read_voc,
    read_yolo,
)

VOC = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <filename>a.jpg</filename>
  <size><width>64</width><height>48</height><depth>3</depth></size>
  <object><name>AFV</name><difficult>0</difficult>
    <bndbox><xmin>10</xmin><ymin>12</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
  <object><name>CV</name><difficult>1</difficult>
    <bndbox><xmin>1</xmin><ymin>2</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object>
</annotation>
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_voc_reads_boxes_classes_size_and_difficult(tmp_path: Path) -> None:
    boxes, size = read_voc(_write(tmp_path / "a.xml", VOC))
    assert size == (64, 48)
    assert [b.label for b in boxes] == [
        VehicleClass.ARMORED_VEHICLE,
        VehicleClass.CIVILIAN_VEHICLE,
    ]
    assert boxes[0].bounds_px == (10, 12, 20, 30)
    assert boxes[0].source_label == "AFV"
    assert boxes[0].polygon_px is None
    assert (boxes[0].difficult, boxes[1].difficult) == (False, True)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<annotation><object>", "not well-formed XML"),
        (VOC.replace("<name>AFV</name>", "<name>T-34</name>"), "unknown label 'T-34'"),
        (VOC.replace("<xmax>20</xmax>", ""), "missing <xmax>"),
        (VOC.replace("<xmax>20</xmax>", "<xmax>abc</xmax>"), "expected numbers"),
        (VOC.replace("<xmax>20</xmax>", "<xmax>5</xmax>"), "empty or inverted"),
    ],
)
def test_voc_malformed_names_the_file(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path / "bad.xml", text)
    with pytest.raises(LabelFileError, match=fragment) as info:
        read_voc(path)
    assert "bad.xml" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, DetectError)
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_voc_skip_unmapped(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.xml", VOC.replace("<name>AFV</name>", "<name>boat</name>"))
    boxes, _ = read_voc(path, skip_unmapped=True)
    assert [b.source_label for b in boxes] == ["CV"]


def test_yolo_axis_aligned_and_obb(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.txt",
        "2 0.5 0.25 0.1 0.5\n\n3 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n",
    )
    boxes = read_yolo(path, class_names=MVRSD_CLASS_NAMES, width_px=200, height_px=100)
    assert boxes[0].label is VehicleClass.ARMORED_VEHICLE
    assert boxes[0].bounds_px == pytest.approx((90.0, 0.0, 110.0, 50.0))
    assert boxes[1].label is VehicleClass.CIVILIAN_VEHICLE
    assert boxes[1].bounds_px == pytest.approx((20.0, 10.0, 40.0, 20.0))
    assert boxes[1].polygon_px is not None and len(boxes[1].polygon_px) == 4


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("7 0.5 0.5 0.1 0.1\n", "class id 7 is not in 0..4"),
        ("1.5 0.5 0.5 0.1 0.1\n", "class id 1.5"),
        ("0 0.5 0.5 0.1\n", "expected 5 fields"),
        ("0 0.5 nan 0.1 0.1\n", "non-finite"),
        ("0 0.5 0.5 0 0.1\n", "empty or inverted"),
    ],
)
def test_yolo_malformed_names_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path / "bad.txt", "0 0.5 0.5 0.1 0.1\n" + text)
    with pytest.raises(LabelFileError, match=fragment) as info:
        read_yolo(path, class_names=MVRSD_CLASS_NAMES, width_px=10, height_px=10)
    assert "bad.txt line 2" in str(info.value)


def test_dota_polygon_class_difficult_and_skips(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.txt",
        "imagesource:GoogleEarth\ngsd:0.3\n"
        "10 10 30 10 30 20 10 20 small-vehicle 0\n"
        "0 0 9 0 9 9 0 9 plane 0\n"
        "40 40 60 45 55 65 35 60 large vehicle 1\n",
    )
    boxes = read_dota(path)
    assert len(boxes) == 2
    assert all(b.label is VehicleClass.VEHICLE for b in boxes)
    assert boxes[0].bounds_px == (10, 10, 30, 20)
    assert boxes[0].polygon_px == ((10, 10), (30, 10), (30, 20), (10, 20))
    assert boxes[1].source_label == "large vehicle"
    assert boxes[1].difficult is True
    assert boxes[1].bounds_px == (35, 40, 60, 65)


def test_dota_malformed(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.txt", "10 10 30 10 30 20 small-vehicle 0\n")
    with pytest.raises(LabelFileError, match=r"bad.txt line 1: expected 8 corner"):
        read_dota(path)
    _write(path, "10 10 30 10 30 x 10 20 small-vehicle 0\n")
    with pytest.raises(LabelFileError, match="expected numbers"):
        read_dota(path)


def test_read_labels_voc_folder_finds_images(tmp_path: Path) -> None:
    _write(tmp_path / "labels" / "b.xml", VOC)
    _write(tmp_path / "labels" / "a.xml", VOC)
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.jpg"), np.zeros((48, 64, 3), np.uint8))
    images = read_labels(tmp_path / "labels", "voc")
    assert [i.stem for i in images] == ["a", "b"]
    assert images[0].image_path == tmp_path / "images" / "a.jpg"
    assert images[1].image_path is None
    assert (images[0].width_px, images[0].height_px) == (64, 48)
    assert len(images[0].boxes) == 2


def test_read_labels_supplement_adds_boxes_by_stem(tmp_path: Path) -> None:
    _write(tmp_path / "labels" / "a.xml", VOC)
    _write(tmp_path / "labels" / "b.xml", VOC)
    extra = VOC.replace("<name>AFV</name>", "<name>SMV</name>").replace(
        "<name>CV</name><difficult>1", "<name>vehicle</name><difficult>1")
    _write(tmp_path / "audit" / "b.xml", extra)
    a, b = read_labels(tmp_path / "labels", "voc", supplement_dir=tmp_path / "audit")
    assert len(a.boxes) == 2
    assert [(x.source_label, x.difficult) for x in b.boxes] == [
        ("AFV", False), ("CV", True), ("SMV", False), ("vehicle", True)]
    assert b.label_path == tmp_path / "labels" / "b.xml"
    _write(tmp_path / "audit" / "zz.xml", VOC)
    with pytest.raises(LabelFileError, match=r"zz.xml: supplements labels of 'zz'.*valid stems: a, b"):
        read_labels(tmp_path / "labels", "voc", supplement_dir=tmp_path / "audit")
    with pytest.raises(LabelFileError, match="does not exist"):
        read_labels(tmp_path / "labels", "voc", supplement_dir=tmp_path / "nope")


def test_read_labels_yolo_reads_image_size(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", "0 0.5 0.5 0.5 0.5\n")
    _write(tmp_path / "classes.txt", "SMV\n")
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((40, 80, 3), np.uint8))
    (image,) = read_labels(tmp_path, LabelFormat.YOLO, class_names=MVRSD_CLASS_NAMES)
    assert (image.width_px, image.height_px) == (80, 40)
    assert image.boxes[0].bounds_px == (20, 10, 60, 30)
    assert image.boxes[0].label is VehicleClass.MILITARY_LIGHT_VEHICLE


def test_read_labels_yolo_without_image_needs_size(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", "0 0.5 0.5 0.5 0.5\n")
    with pytest.raises(LabelFileError, match=r"a.txt: no image named a\.\*"):
        read_labels(tmp_path, "yolo", class_names=MVRSD_CLASS_NAMES)
    (image,) = read_labels(
        tmp_path, "yolo", class_names=MVRSD_CLASS_NAMES, image_size_px=(100, 100)
    )
    assert image.boxes[0].bounds_px == (25, 25, 75, 75)


def test_read_labels_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="valid formats: voc, yolo, dota"):
        read_labels(tmp_path, "coco")
    with pytest.raises(ConfigError, match="class_names"):
        read_labels(tmp_path, "yolo")
    with pytest.raises(LabelFileError, match="does not exist"):
        read_labels(tmp_path / "nope", "voc")
    with pytest.raises(LabelFileError, match=r"no \.xml files"):
        read_labels(tmp_path, "voc")


def test_labelled_box_validates() -> None:
    with pytest.raises(LabelFileError):
        LabelledBox(
            x0_px=0,
            y0_px=0,
            x1_px=float("inf"),
            y1_px=1,
            label=VehicleClass.VEHICLE,
            source_label="car",
        )
    with pytest.raises(LabelFileError, match="4 corners"):
        LabelledBox(
            x0_px=0,
            y0_px=0,
            x1_px=1,
            y1_px=1,
            label=VehicleClass.VEHICLE,
            source_label="car",
            polygon_px=((0, 0), (1, 1)),
        )
