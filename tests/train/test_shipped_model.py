"""The fine-tuned model shipped in the package: card, hash, and that it runs in onnxruntime."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import sitewatch.detect
from tests.shared_data import shared_path_or_skip

MODELS = Path(sitewatch.detect.__file__).with_name("models")
NAME = "sitewatch-vehicles-yolov8n-obb"


def test_card_matches_onnx_and_training_record() -> None:
    card = json.loads((MODELS / f"{NAME}.json").read_text())
    onnx = MODELS / card["onnx_file"]
    assert hashlib.sha256(onnx.read_bytes()).hexdigest() == card["onnx_sha256"]
    assert onnx.stat().st_size < 15_000_000
    assert card["classes"] == [
        "armored_vehicle", "military_truck", "military_light_vehicle",
        "military_engineering_vehicle", "civilian_vehicle",
    ]  # fmt: skip
    assert (card["gsd_m"], card["input_px"], card["licence"]) == (0.3, 512, "AGPL-3.0")
    side = json.loads((MODELS / f"{NAME}.training.json").read_text())
    assert side["onnx_sha256"] == card["onnx_sha256"]
    assert side["pt_sha256"] == card["source_sha256"]
    assert side["base_weights"]["sha256"].startswith("fa6e4cd2")
    rates = side["cross_validation"]["rates"]  # the count intervals' rates: at the card's score
    assert rates["plain"]["score_threshold"] == rates["tta"]["score_threshold"] == card["score_threshold"]
    pt = MODELS / card["source_file"]  # shipped, so train --from-reviews can start from it
    assert hashlib.sha256(pt.read_bytes()).hexdigest() == card["source_sha256"]


def test_trained_on_every_labelled_tile_and_estimated_by_cross_validation() -> None:
    """The shipped model saw all 8 tiles; its accuracy comes from folds that held tiles out."""
    side = json.loads((MODELS / f"{NAME}.training.json").read_text())
    assert len(side["trained_on"]) == 8 and not side["held_out"]
    repo = Path(__file__).resolve().parents[2]
    folds = side["cross_validation"]["records"]
    assert len(folds) >= 2
    seen: set[str] = set()
    for record_path in folds:
        fold = json.loads((repo / record_path).read_text())
        held = {s.split(":")[1] for s in fold["held_out"]}
        trained = {s.split(":")[1] for s in fold["trained_on"]}
        assert held and not held & trained
        seen |= held
    assert seen == {s.split(":")[1] for s in side["trained_on"]}  # every tile held out once


def test_onnx_runs_without_torch() -> None:
    ort = pytest.importorskip("onnxruntime")
    card = json.loads((MODELS / f"{NAME}.json").read_text())
    session = ort.InferenceSession(
        str(MODELS / card["onnx_file"]), providers=["CPUExecutionProvider"]
    )
    x = np.full((1, 3, 512, 512), 0.45, np.float32)
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    assert out.shape == (1, 4 + len(card["classes"]) + 1, 5376)
    scores = out[0, 4:9]
    assert scores.max() < 0.25  # a blank grey tile holds no vehicle


def test_finds_the_held_out_tanks_on_real_pixels() -> None:
    """The exported model finds the 3 armoured vehicles of AUAU010081 on real pixels.

    A smoke test of the export on real imagery: the shipped model trained on this tile (the
    held-out figures are in the cross-validation records).
    """
    import cv2

    from sitewatch.train.labels import read_voc

    ort = pytest.importorskip("onnxruntime")
    mvrsd = shared_path_or_skip("overhead/mvrsd")
    boxes, _ = read_voc(mvrsd / "labels" / "AUAU010081.xml")
    tanks = [b for b in boxes if b.source_label == "AFV"]
    image = cv2.imread(str(mvrsd / "images" / "AUAU010081.jpg"))
    f = 0.12 / 0.3  # MVRSD GSD (estimated) -> model GSD
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    canvas = np.full((512, 512, 3), 114, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    x = canvas[..., ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    card = json.loads((MODELS / f"{NAME}.json").read_text())
    session = ort.InferenceSession(
        str(MODELS / card["onnx_file"]), providers=["CPUExecutionProvider"]
    )
    (out,) = session.run(None, {"images": x})
    cx, cy, score = out[0, 0], out[0, 1], out[0, 4:9].max(axis=0)
    found = 0
    for t in tanks:
        x0, y0, x1, y1 = (v * f for v in t.bounds_px)
        inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
        found += bool((score[inside] >= 0.25).any())
    assert len(tanks) == 3 and found == 3
