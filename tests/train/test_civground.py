"""Civilian ground for training: labelled civilian images, the base model's own cars, the mix."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect import BASE_MODEL, DetectOptions, VehicleClass, detect_raster, load_detector
from sitewatch.errors import ConfigError, LabelFileError
from sitewatch.geo import OrientedBoxPx
from sitewatch.train import Background, CivilianGround, GroundSource, LabelFormat, TileMix
from sitewatch.train.backgrounds import random_cell
from sitewatch.train.civground import distil_scenes, load_labelled_civilian
from sitewatch.train.mixing import synthesize
from sitewatch.train.samples import TrainBox
from sitewatch.train.synth import SynthConfig

CIVILIAN = VehicleClass.CIVILIAN_VEHICLE
NAMES = ("car", "truck", "cyclist")
DEMO_IMAGE = (Path(__file__).resolve().parents[2]
              / "src" / "sitewatch" / "demo" / "data" / "demo-depot_2014-08-05.tif")
DEMO_GSD_M = 0.1195


def _labelled_folder(folder: Path) -> Path:
    """Two 200×100 px frames at 0.06 m: a car and a cyclist in one, a truck in the other, and
    a frame of another place (``other-1``) that ``include`` leaves out."""
    folder.mkdir()
    for stem, lines in (("minsk-1", ["0 0.25 0.5 0.2 0.2", "2 0.75 0.5 0.05 0.1"]),
                        ("minsk-2", ["1 0.5 0.5 0.4 0.3"]),
                        ("other-1", ["0 0.5 0.5 0.2 0.2"])):
        cv2.imwrite(str(folder / f"{stem}.jpg"), np.full((100, 200, 3), 90, np.uint8))
        (folder / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "classes.txt").write_text("\n".join(NAMES) + "\n", encoding="utf-8")
    return folder


def test_every_vehicle_label_becomes_civilian_and_other_classes_are_left_out(tmp_path: Path) -> None:
    folder = _labelled_folder(tmp_path / "jek")
    config = CivilianGround(images_dir=folder, class_names=NAMES, vehicle_names=("car", "truck"),
                            include=("minsk-*",), gsd_m=0.06)
    samples, record = load_labelled_civilian(config, gsd_m=0.3)
    assert [s.source for s in samples] == ["civilian:minsk-1", "civilian:minsk-2"]
    assert [len(s.boxes) for s in samples] == [1, 1]  # the cyclist is no vehicle
    assert {b.label for s in samples for b in s.boxes} == {CIVILIAN}  # the truck too
    assert samples[0].image.shape[:2] == (20, 40)  # 0.06 m -> 0.3 m: a fifth
    (car,) = samples[0].boxes
    assert (car.box.cx_px, car.box.cy_px, car.box.width_px) == pytest.approx((10, 10, 8))
    assert record["stems"] == ["minsk-1", "minsk-2"] and record["boxes"] == 2
    assert record["vehicle_names"] == ["car", "truck"]


def test_labelled_civilian_images_are_checked(tmp_path: Path) -> None:
    folder = _labelled_folder(tmp_path / "jek")
    with pytest.raises(LabelFileError, match=r"classes\.txt: no image classes\.\* .*include"):
        load_labelled_civilian(CivilianGround(images_dir=folder, class_names=NAMES, gsd_m=0.06),
                               gsd_m=0.3)
    with pytest.raises(ConfigError, match="matches include"):
        load_labelled_civilian(CivilianGround(images_dir=folder, class_names=NAMES, gsd_m=0.06,
                                              include=("harlem*",)), gsd_m=0.3)
    with pytest.raises(ConfigError, match="needs \\[civilian\\] gsd_m"):
        CivilianGround(images_dir=folder, class_names=NAMES)
    with pytest.raises(ConfigError, match="needs \\[civilian\\] class_names"):
        CivilianGround(images_dir=folder, gsd_m=0.06)
    with pytest.raises(ConfigError, match="needs \\[civilian\\] vehicle_names"):
        CivilianGround(images_dir=folder, gsd_m=0.06, label_format=LabelFormat.VOC)
    with pytest.raises(ConfigError, match="ignore_score < score"):
        CivilianGround(score=0.1, ignore_score=0.2)


def test_the_base_model_labels_only_the_window_and_only_as_civilian(tmp_path: Path) -> None:
    """The packaged base checkpoint distils the right three quarters of a real scene (the demo
    depot; it finds a few of its vehicles when run at 0.05 m)."""
    part = GroundSource(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, window_px=(150, 0, 600, 600))
    config = CivilianGround(distil=(part,), teacher_gsd_m=0.05, score=0.3, ignore_score=0.05)
    samples, record = distil_scenes(config, gsd_m=0.3, out_dir=tmp_path / "civ")

    cut = tmp_path / "civ" / "windows" / "demo-depot_2014-08-05_x150_y0_450x600.png"
    assert cv2.imread(str(cut)).shape[:2] == (600, 450)  # the teacher saw the window only
    found = detect_raster(cut, load_detector(BASE_MODEL, score_threshold=0.05), gsd_m=DEMO_GSD_M,
                          options=DetectOptions(model_gsd_m=0.05)).detections
    sure = [d for d in found if d.score >= 0.3]
    (sample,) = samples
    assert sample.source == "distil:demo-depot_2014-08-05_x150_y0_450x600"
    assert len(sample.boxes) == len(sure) > 0  # its confident boxes, every one a label
    assert {b.label for b in sample.boxes} == {CIVILIAN}  # the base's "vehicle", as civilian
    assert sample.image.shape[:2] == (round(600 * DEMO_GSD_M / 0.3), round(450 * DEMO_GSD_M / 0.3))
    assert (record["teacher"], record["teacher_gsd_m"], record["label_score"]) == (
        BASE_MODEL, 0.05, 0.3)
    assert record["teacher_sha256"] == load_detector(BASE_MODEL).sha256
    (scene,) = record["scenes"]
    assert scene == {"path": str(DEMO_IMAGE), "gsd_m": DEMO_GSD_M, "window_px": [150, 0, 600, 600],
                     "labels": len(sure), "inpainted": len(found) - len(sure)}
    manifest = json.loads((tmp_path / "civ" / "labels" / "reviews.json").read_text())
    assert manifest["pseudo_labelling"]["label_as"] == "civilian_vehicle"


def _car(x0: float, y0: float) -> TrainBox:
    return TrainBox(box=OrientedBoxPx(cx_px=x0 + 10, cy_px=y0 + 5, width_px=20, height_px=10,
                                      angle_rad=0.0), label=CIVILIAN)


def test_civilian_cells_are_drawn_with_their_labels_and_never_pasted_on() -> None:
    image = np.full((64, 64, 3), 60, np.uint8)
    image[20:30, 20:40] = 250
    civilian = [Background(image=image, boxes=(_car(20, 20),), source="civilian:a", paste=False)]
    ground = [Background(image=np.zeros((64, 64, 3), np.uint8), boxes=(), source="ground")]
    config = SynthConfig(cell_px=64, layout_side_m=19.2)
    tiles = list(synthesize(np.random.default_rng(0), real=[], grounds=ground, negatives=[],
                            layouts=[], chips={}, n_tiles=3, config=config,
                            mix=TileMix(real_cell_prob=0, negative_cell_prob=0,
                                        civilian_cell_prob=1.0), civilian=civilian))
    assert all(t.source.count("civilian:a") == 4 for t in tiles)
    assert all(len(t.boxes) == 4 and {b.label for b in t.boxes} == {CIVILIAN} for t in tiles)
    with pytest.raises(ConfigError, match="civilian_cell_prob must be <= 1"):
        TileMix(civilian_cell_prob=0.8)


def test_a_labelled_background_smaller_than_a_cell_is_padded_not_mirrored() -> None:
    image = np.full((40, 64, 3), 60, np.uint8)
    image[25:35, 20:40] = 250  # a car near the bottom edge: mirroring would copy it unlabelled
    labelled = Background(image=image, boxes=(_car(20, 25),), source="civilian:b", paste=False)
    cell = random_cell(np.random.default_rng(0), labelled, cell_px=64)
    assert (cell.image[40:] == 114).all() and len(cell.boxes) == 1
    bare = random_cell(np.random.default_rng(0), Background(image=image, boxes=(), source="g"),
                       cell_px=64)
    assert (bare.image[44:54, 20:40] == 250).all()  # unlabelled ground is still mirrored
