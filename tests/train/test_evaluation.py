from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
from sitewatch.errors import ConfigError, LabelFileError
from sitewatch.train.evaluation import evaluate_folder, trained_on_stems
from tests.detect.fakes import BlobDetector, planted_scene


def _voc(path: Path, boxes: list[tuple[int, int, int, int, str]], size: tuple[int, int]) -> None:
    objects = "".join(
        f"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{x0}</xmin>"
        f"<ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
        for x0, y0, x1, y1, name in boxes
    )
    path.write_text(
        f"<annotation><filename>{path.stem}.tif</filename><size><width>{size[0]}</width>"
        f"<height>{size[1]}</height><depth>3</depth></size>{objects}</annotation>"
    )


def _default_card_copy(folder: Path) -> dict[str, Any]:
    """The default model's ONNX file and card copied to ``folder`` as ``m.json``; the card."""
    raw: dict[str, Any] = json.loads(card_path_for(DEFAULT_MODEL).read_text())
    shutil.copy(card_path_for(DEFAULT_MODEL).with_name(raw["onnx_file"]), folder / raw["onnx_file"])
    (folder / "m.json").write_text(json.dumps(raw), encoding="utf-8")
    return raw


def test_folder_evaluation_with_planted_vehicles(tmp_path: Path) -> None:
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    centres = [(100.0, 100.0), (300.0, 240.0), (520.0, 400.0)]
    planted_scene(images / "a.tif", width=600, height=500, centres=centres, georeferenced=False)
    truth = [(int(x) - 8, int(y) - 3, int(x) + 8, int(y) + 4, "AFV") for x, y in centres]
    truth.append((10, 400, 26, 407, "CV"))  # labelled but not in the pixels: a miss
    _voc(labels / "a.xml", truth, (600, 500))
    report = evaluate_folder(
        labels, BlobDetector(gsd_m=0.3, tile_px=256), images_dir=images, gsd_m=0.3
    )
    agn = report["class_agnostic"]
    assert (agn["tp"], agn["fp"], agn["fn"]) == (3, 0, 1)
    assert report["recall_by_truth_label"] == {"armored_vehicle": 1.0, "civilian_vehicle": 0.0}
    assert report["model"]["name"] == "blob" and report["image_gsd_m"] == 0.3


def test_audit_supplement_and_one_folds_images(tmp_path: Path) -> None:
    images, labels, audit = tmp_path / "images", tmp_path / "labels", tmp_path / "audit"
    for folder in (images, labels, audit):
        folder.mkdir()
    centres = [(100.0, 100.0), (300.0, 240.0), (520.0, 400.0)]
    for stem in ("a", "b"):
        planted_scene(images / f"{stem}.tif", width=600, height=500, centres=centres,
                      georeferenced=False)
        _voc(labels / f"{stem}.xml", [(92, 97, 108, 104, "AFV")], (600, 500))
    # the audit adds the second vehicle and marks the third difficult
    (audit / "a.xml").write_text(
        "<annotation><object><name>SMV</name><difficult>0</difficult><bndbox><xmin>292</xmin>"
        "<ymin>237</ymin><xmax>308</xmax><ymax>244</ymax></bndbox></object><object><name>vehicle"
        "</name><difficult>1</difficult><bndbox><xmin>512</xmin><ymin>397</ymin><xmax>528</xmax>"
        "<ymax>404</ymax></bndbox></object></annotation>"
    )
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    plain = evaluate_folder(labels, detector, images_dir=images, gsd_m=0.3, only_stems={"a"})
    assert (plain["images"], plain["class_agnostic"]["tp"], plain["class_agnostic"]["fp"]) == (
        1, 1, 2)
    audited = evaluate_folder(labels, detector, images_dir=images, gsd_m=0.3,
                              supplement_dir=audit, only_stems={"a"})
    agn = audited["class_agnostic"]
    assert (agn["truths"], agn["tp"], agn["fp"], agn["fn"]) == (2, 2, 0, 0)
    assert audited["difficult_labels"] == 1
    with pytest.raises(ConfigError, match=r"no label file .* for c"):
        evaluate_folder(labels, detector, images_dir=images, gsd_m=0.3, only_stems={"a", "c"})


def test_empty_label_folder(tmp_path: Path) -> None:
    with pytest.raises(LabelFileError, match=r"no \.xml files"):
        evaluate_folder(tmp_path, BlobDetector(gsd_m=0.3, tile_px=256), gsd_m=0.3)


def test_a_models_training_tiles_are_known_from_its_record(tmp_path: Path) -> None:
    shipped = load_card(card_path_for(DEFAULT_MODEL))
    assert "AUAU010081" in trained_on_stems(shipped)  # the default saw every MVRSD tile
    assert not trained_on_stems(load_card(card_path_for("dota-yolov8n-obb")))  # no record
    # a copy of the card with a record for other weights: nothing is claimed
    raw = _default_card_copy(tmp_path)
    (tmp_path / "m.training.json").write_text(
        json.dumps({"pt_sha256": "0" * 64, "trained_on": ["labelled:x"]}), encoding="utf-8")
    assert not trained_on_stems(load_card(tmp_path / "m.json"))
    (tmp_path / "m.training.json").write_text(
        json.dumps({"pt_sha256": raw["source_sha256"], "trained_on": ["labelled:x"]}),
        encoding="utf-8")
    assert trained_on_stems(load_card(tmp_path / "m.json")) == {"x"}
