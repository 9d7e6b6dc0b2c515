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
from sitewatch.detect.tta import FLIPS
from sitewatch.detect.types import Detection, VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.imagery import RasterReader, Tile
from sitewatch.train.pieces import paint_out
from sitewatch.train.pseudo import (
    PseudoLabelling,
    PseudoScene,
    write_pseudo_labels,
)
from sitewatch.train.sources import load_reviewed

DEMO_IMAGE = (
    Path(__file__).resolve().parents[2]
    / "src" / "sitewatch" / "demo" / "data" / "demo-depot_2014-08-05.tif"
)  # fmt: skip
DEMO_GSD_M = 0.1195


def _demo_bgr() -> np.ndarray:
    """The demo scene as the detector reads it (GDAL's JPEG decoder, not OpenCV's)."""
    with RasterReader(DEMO_IMAGE) as reader:
        rgb = reader.read_rgb(Tile(x0_px=0, y0_px=0, width_px=reader.info.width_px,
                                   height_px=reader.info.height_px))
    return np.ascontiguousarray(rgb[..., ::-1])


def _det(cx: float, cy: float, score: float, w: float = 30, h: float = 12) -> Detection:
    box = OrientedBoxPx(cx_px=cx, cy_px=cy, width_px=w, height_px=h, angle_rad=0.3)
    return Detection(box=box, label=VehicleClass.MILITARY_TRUCK, score=score)


def test_unsure_boxes_are_inpainted_and_labelled_ones_kept() -> None:
    rng = np.random.default_rng(0)
    image = (rng.normal(120, 4, (200, 200, 3))).clip(0, 255).astype(np.uint8)
    image[40:60, 40:70] = 20  # a dark vehicle the teacher is unsure of
    image[140:160, 130:160] = 230  # a bright one it labels
    unsure, labelled = _det(55, 50, 0.1, 34, 24), _det(145, 150, 0.8, 34, 24)
    out = paint_out(image, [labelled.box], [unsure.box], grow=1.25, pad_px=4.0)
    assert out[40:60, 40:70].mean() == pytest.approx(120, abs=15)  # gone into the ground
    assert np.array_equal(out[140:160, 130:160], image[140:160, 130:160])
    assert np.array_equal(out[:, 100:], image[:, 100:])  # nothing else touched
    assert paint_out(image, [labelled.box], [], grow=1.25, pad_px=4.0) is image


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

    original = _demo_bgr()
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


def test_a_large_scene_is_written_as_pieces_that_label_every_vehicle_whole(tmp_path: Path) -> None:
    whole = write_pseudo_labels([PseudoScene(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, stem="demo")],
                                DEFAULT_MODEL, tmp_path / "whole")
    settings = PseudoLabelling(piece_px=300)  # the 600 px scene in 4 × 4 pieces (167 px overlap)
    cut = write_pseudo_labels([PseudoScene(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, stem="demo")],
                              DEFAULT_MODEL, tmp_path / "cut", settings)
    assert (cut.scenes, len(cut.stems)) == (1, 16)
    assert (cut.labels, cut.inpainted) == (whole.labels, whole.inpainted)

    manifest = json.loads((tmp_path / "cut" / "reviews.json").read_text())
    original = _demo_bgr()
    truth = {tuple(line.split()[:8]) for line in
             (tmp_path / "whole" / "labels" / "demo.txt").read_text().splitlines()}
    seen: set[tuple[float, ...]] = set()
    for entry in manifest["images"]:
        x0, y0, x1, y1 = entry["window_px"]
        assert x1 - x0 == y1 - y0 == 300
        piece = cv2.imread(str(tmp_path / "cut" / "images" / f"{entry['stem']}.png"))
        assert piece.shape[:2] == (300, 300)
        for line in (tmp_path / "cut" / "labels" / f"{entry['stem']}.txt").read_text().splitlines():
            xy = np.asarray(line.split()[:8], float).reshape(4, 2)
            lo, hi = xy.min(axis=0), xy.max(axis=0)  # no inner edge of the piece cuts it
            assert (x0 == 0 or lo[0] >= -0.01) and (y0 == 0 or lo[1] >= -0.01)
            assert (x1 == 600 or hi[0] <= 300.01) and (y1 == 600 or hi[1] <= 300.01)
            r, c = int(xy[:, 1].mean()), int(xy[:, 0].mean())
            assert np.array_equal(piece[r, c], original[y0 + r, x0 + c])  # a label's pixels stay
            seen.add(tuple(np.round(np.add(xy, [x0, y0]), 1).ravel()))
    # every vehicle the whole scene labels is labelled whole in at least one piece
    assert {tuple(np.round(np.asarray(t, float), 1)) for t in truth} <= seen


def test_a_large_reviewed_scene_is_read_as_pieces_holding_every_label(tmp_path: Path) -> None:
    write_pseudo_labels([PseudoScene(path=DEMO_IMAGE, gsd_m=DEMO_GSD_M, stem="demo")],
                        DEFAULT_MODEL, tmp_path / "p")
    (whole,) = load_reviewed(tmp_path / "p", gsd_m=DEMO_GSD_M, kind="pseudo")
    samples = load_reviewed(tmp_path / "p", gsd_m=DEMO_GSD_M, kind="pseudo", piece_px=300)
    assert len(samples) == 16 and all(s.image.shape[:2] == (300, 300) for s in samples)
    seen = set()
    for sample in samples:
        x0, y0 = (int(part[1:]) for part in sample.source.rsplit("_", 2)[1:])
        assert sample.source == f"pseudo:demo_x{x0}_y{y0}"
        for b in sample.boxes:  # a label's pixels are the scene's own
            r, c = int(b.box.cy_px), int(b.box.cx_px)
            assert np.array_equal(sample.image[r, c], whole.image[y0 + r, x0 + c])
        seen |= {(round(b.box.cx_px + x0, 1), round(b.box.cy_px + y0, 1)) for b in sample.boxes}
    assert {(round(b.box.cx_px, 1), round(b.box.cy_px, 1)) for b in whole.boxes} <= seen


def test_pieces_must_hold_the_overlap(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 256 px"):
        PseudoLabelling(piece_px=100)
    scene = PseudoScene(path=DEMO_IMAGE, gsd_m=0.05, stem="demo")  # 20 m overlap = 400 px
    with pytest.raises(ConfigError, match="not longer than their 400 px overlap"):
        write_pseudo_labels([scene], DEFAULT_MODEL, tmp_path / "p", PseudoLabelling(piece_px=300))
