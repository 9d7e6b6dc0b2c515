"""Tests of held-out packing and summary, hard-negative mining, ground sources and cards,
with a fake detector that returns planted boxes (the real one needs Ultralytics)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect.types import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo.coords import OrientedBoxPx
from sitewatch.train.backgrounds import Background
from sitewatch.train.card import write_model_card
from sitewatch.train.dataset import TRAIN_CLASSES
from sitewatch.train.holdout import predict_holdout, summarize
from sitewatch.train.metrics import ScoredBox
from sitewatch.train.negatives import mine_negatives
from sitewatch.train.samples import TrainBox, TrainingSample
from sitewatch.train.sources import GroundRole, GroundSource, load_labelled, read_bgr8

V = VehicleClass


def _bright_boxes(canvases: list[np.ndarray]) -> list[list[ScoredBox]]:
    """A fake detector: every bright (255) blob is a vehicle, scored 0.9."""
    out = []
    for canvas in canvases:
        mask = (canvas[..., 0] == 255).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        out.append(
            [
                ScoredBox(bounds_px=(x, y, x + w, y + h), score=0.9, label=V.MILITARY_TRUCK)
                for x, y, w, h, _ in stats[1:n]
            ]
        )
    return out


def _tile(side: int, boxes: list[tuple[int, int, int, int]], label: V) -> TrainingSample:
    image = np.full((side, side, 3), 60, np.uint8)
    tbs = []
    for x0, y0, x1, y1 in boxes:
        image[y0:y1, x0:x1] = 255
        box = OrientedBoxPx(
            cx_px=(x0 + x1) / 2, cy_px=(y0 + y1) / 2, width_px=x1 - x0, height_px=y1 - y0,
            angle_rad=0.0,
        )  # fmt: skip
        tbs.append(TrainBox(box=box, label=label))
    return TrainingSample(image=image, boxes=tuple(tbs), source="t")


def test_predict_holdout_packs_and_splits_back() -> None:
    tiles = [
        _tile(30, [(2, 2, 10, 8)], V.ARMORED_VEHICLE),
        _tile(30, [(20, 20, 28, 26)], V.CIVILIAN_VEHICLE),
        _tile(50, [(5, 5, 15, 12)], V.MILITARY_TRUCK),  # over half the canvas: own canvas
    ]
    seen: list[int] = []

    def predict(canvases: list[np.ndarray]) -> list[list[ScoredBox]]:
        seen.append(len(canvases))
        return _bright_boxes(canvases)

    results = predict_holdout(tiles, predict, canvas_px=64)
    assert seen == [2]
    for (preds, truths), tile in zip(results, tiles, strict=True):
        assert len(preds) == 1 and len(truths) == 1
        assert preds[0].bounds_px == pytest.approx(truths[0].bounds_px)
        assert truths[0].bounds_px == tile.boxes[0].box.bounds_px()
    summary = summarize(results)
    assert summary["fixed"]["recall"] == 1.0 and summary["fixed"]["precision"] == 1.0
    assert summary["fixed"]["armoured_recall_any_class"] == {"recall": 1.0, "found": 1, "of": 1}
    assert summary["fixed"]["armoured_recall_as_armoured"]["found"] == 0
    assert summary["fixed"]["civilian_recall"]["found"] == 1
    assert summary["recall_at_p90"]["recall"] == 1.0
    with pytest.raises(ConfigError, match="larger than"):
        predict_holdout([_tile(80, [], V.VEHICLE)], predict, canvas_px=64)


def test_mine_negatives_skips_known_vehicles_and_difficult_objects() -> None:
    tile = _tile(100, [(10, 10, 20, 16), (60, 60, 70, 66), (80, 10, 90, 16)], V.MILITARY_TRUCK)
    # the first blob is a labelled vehicle, the third a difficult object: only the second is a
    # false positive
    ground = Background(image=tile.image, boxes=tile.boxes[:1], source="g", paste=True,
                        ignore_px=((80, 10, 90, 16),))
    negs = mine_negatives([ground], _bright_boxes, canvas_px=64, cell_px=32)
    assert negs
    for n in negs:
        assert n.image.shape == (48, 48, 3) and not n.paste and not n.boxes
        x0, y0 = (int(v) for v in n.source.rsplit("@", 1)[1].split(","))
        assert x0 <= 60 and x0 + 48 >= 70 and y0 <= 60 and y0 + 48 >= 66  # holds the blob
    assert all(n.source.startswith("negative:g@") for n in negs)


def test_mined_window_keeps_the_labels_inside_it() -> None:
    tile = _tile(100, [(40, 40, 50, 46), (52, 40, 62, 46)], V.MILITARY_TRUCK)
    ground = Background(image=tile.image, boxes=tile.boxes[:1], source="labelled:t", paste=True,
                        ignore_px=((0, 0, 4, 4), (45, 60, 50, 64)))
    (neg,) = mine_negatives([ground], _bright_boxes, canvas_px=100, cell_px=32)
    (kept,) = neg.boxes  # the labelled vehicle beside the false positive stays a label
    assert kept.box.bounds_px() == (40.0 - 33, 40.0 - 19, 50.0 - 33, 46.0 - 19)
    assert neg.ignore_px == ((45 - 33, 60 - 19, 50 - 33, 64 - 19),)
    assert neg.source == "negative:labelled:t@33,19"


def test_mining_a_tile_smaller_than_a_window_gives_it_once() -> None:
    tile = _tile(40, [(2, 2, 8, 6), (20, 20, 26, 24), (30, 5, 36, 9)], V.MILITARY_TRUCK)
    ground = Background(image=tile.image, boxes=(), source="labelled:small", paste=True)
    (neg,) = mine_negatives([ground], _bright_boxes, canvas_px=64, cell_px=32)
    assert neg.image.shape == (40, 40, 3) and neg.source == "negative:labelled:small@0,0"


def test_ground_source_parse_and_read(tmp_path: Path) -> None:
    path = tmp_path / "g.png"
    cv2.imwrite(str(path), np.full((40, 60, 3), 7, np.uint8))
    g = GroundSource.parse(f"{path}@0.15:0,0,40,20", role=GroundRole.NEGATIVE)
    assert g.role is GroundRole.NEGATIVE and g.gsd_m == 0.15
    assert g.read(to_gsd_m=0.3).shape == (10, 20, 3)
    for bad in ("nogsd.tif", "x.tif@abc", "x.tif@0.3:1,2,3", "x.tif@0.3:5,5,1,1", "x.tif@-1"):
        with pytest.raises(ConfigError):
            GroundSource.parse(bad)
    with pytest.raises(ConfigError, match="cannot read image"):
        (tmp_path / "junk.tif").write_bytes(b"junk")
        read_bgr8(tmp_path / "junk.tif")


def test_read_bgr8_stretches_16_bit_geotiff(tmp_path: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    path = tmp_path / "deep.tif"
    data = (np.arange(100, dtype=np.uint16).reshape(1, 10, 10) * 300).astype(np.uint16)
    from affine import Affine

    with rasterio.open(
        path, "w", driver="GTiff", width=10, height=10, count=1, dtype="uint16",
        crs="EPSG:32616", transform=Affine(0.5, 0, 0, 0, -0.5, 0),
    ) as dst:  # fmt: skip
        dst.write(data)
    image = read_bgr8(path)
    assert image.shape == (10, 10, 3) and image.dtype == np.uint8
    assert image[0, 0, 0] == 0 and image[-1, -1, 0] == 255


def test_load_labelled_splits_before_anything(tmp_path: Path) -> None:
    voc = (
        "<annotation><size><width>40</width><height>40</height></size><object><name>AFV</name>"
        "<bndbox><xmin>4</xmin><ymin>4</ymin><xmax>20</xmax><ymax>12</ymax></bndbox></object>"
        "</annotation>"
    )
    for stem in ("a", "b"):
        (tmp_path / f"{stem}.xml").write_text(voc)
        cv2.imwrite(str(tmp_path / f"{stem}.png"), np.zeros((40, 40, 3), np.uint8))
    split = load_labelled(
        tmp_path, tmp_path, label_format="voc", class_names=None, data_gsd_m=0.15,
        gsd_m=0.3, holdout=("b",),
    )  # fmt: skip
    assert [s.source for s in split.train] == ["labelled:a"]
    assert [s.source for s in split.holdout] == ["labelled:b"]
    assert split.holdout[0].image.shape == (20, 20, 3)
    assert split.holdout[0].boxes[0].box.bounds_px() == (2.0, 2.0, 10.0, 6.0)
    with pytest.raises(ConfigError, match="have no label file"):
        load_labelled(
            tmp_path, tmp_path, label_format="voc", class_names=None, data_gsd_m=0.15,
            gsd_m=0.3, holdout=("c",),
        )  # fmt: skip
    with pytest.raises(ConfigError, match="nothing is left"):
        load_labelled(
            tmp_path, tmp_path, label_format="voc", class_names=None, data_gsd_m=0.15,
            gsd_m=0.3, holdout=("a", "b"),
        )  # fmt: skip


def test_load_labelled_adds_supplement_and_leaves_difficult_out(tmp_path: Path) -> None:
    def voc(*objects: str) -> str:
        return "<annotation>" + "".join(objects) + "</annotation>"

    def obj(name: str, x0: int, difficult: int = 0) -> str:
        return (f"<object><name>{name}</name><difficult>{difficult}</difficult><bndbox>"
                f"<xmin>{x0}</xmin><ymin>4</ymin><xmax>{x0 + 8}</xmax><ymax>12</ymax></bndbox>"
                "</object>")

    (tmp_path / "labels").mkdir()
    (tmp_path / "audit").mkdir()
    (tmp_path / "labels" / "a.xml").write_text(voc(obj("AFV", 2), obj("CV", 12, difficult=1)))
    (tmp_path / "audit" / "a.xml").write_text(voc(obj("SMV", 22), obj("vehicle", 30, 1)))
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((40, 40, 3), np.uint8))
    split = load_labelled(
        tmp_path, tmp_path / "labels", label_format="voc", class_names=None, data_gsd_m=0.3,
        gsd_m=0.6, holdout=(), supplement_dir=tmp_path / "audit",
    )  # fmt: skip
    (sample,) = split.train
    assert [(b.label.value, b.box.bounds_px()[0]) for b in sample.boxes] == [
        ("armored_vehicle", 1.0), ("military_light_vehicle", 11.0)]
    assert sample.ignore_px == ((6.0, 2.0, 10.0, 6.0), (15.0, 2.0, 19.0, 6.0))


def test_card_has_exactly_the_loader_keys(tmp_path: Path) -> None:
    onnx, pt = tmp_path / "w.onnx", tmp_path / "w.pt"
    onnx.write_bytes(b"onnx")
    pt.write_bytes(b"pt")
    card, side = write_model_card(
        tmp_path / "out", name="m", onnx_path=onnx, pt_path=pt, classes=TRAIN_CLASSES,
        input_px=512, gsd_m=0.3, gsd_note="n", source="s", exporter="e",
        training={"held_out": ["x"]},
    )  # fmt: skip
    raw = json.loads(card.read_text())
    assert set(raw) == {
        "name", "onnx_file", "onnx_sha256", "source_package", "source_file", "source_sha256",
        "exporter", "classes", "class_map", "input_px", "gsd_m", "gsd_note", "licence",
    }  # fmt: skip
    assert raw["onnx_file"] == "m.onnx" and (tmp_path / "out" / "m.onnx").read_bytes() == b"onnx"
    assert raw["onnx_sha256"].startswith("87e93f89")  # sha256(b"onnx")
    assert json.loads(side.read_text())["held_out"] == ["x"]
