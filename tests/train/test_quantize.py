from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sitewatch.detect import PAD_VALUE
from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import BASE_MODEL, DEFAULT_MODEL, card_path_for
from sitewatch.errors import ConfigError
from sitewatch.train.quantize import KEEP_FLOAT, CalibrationImage, calibration_tiles, quantize_onnx
from tests.detect.fakes import planted_scene


def test_calibration_tiles_are_model_size_at_model_gsd(tmp_path: Path) -> None:
    card = dataclasses.replace(load_card(card_path_for(BASE_MODEL), verify=False), gsd_m=0.15)
    big = planted_scene(tmp_path / "big.tif", width=1400, height=900, centres=[(100.0, 100.0)])
    small = planted_scene(tmp_path / "small.tif", width=300, height=200, centres=[])
    tiles = calibration_tiles([(big, 0.3), (small, 0.3)], card, per_image=3)
    # 0.3 m -> 0.15 m: a 1024 px model tile covers 512 px of the image; 1400x900 holds 3x2.
    assert len(tiles) == 3 + 1
    assert all(t.shape == (1024, 1024, 3) and t.dtype == np.uint8 for t in tiles)
    # The first tile of the big image holds the vehicle at (100, 100) -> (200, 200) upsampled.
    assert tiles[0][200, 200, 0] > 200 and tiles[0][600, 600, 0] < 50


def _parking_lot(seed: int, size: int = 256) -> np.ndarray:
    """Generated rows of small coloured boxes with shadows on noisy ground (RGB uint8)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = np.empty((size, size, 3), np.float32)
    img[:] = rng.uniform(150, 215, 3)
    img += rng.normal(0, 8, img.shape)
    for row in range(size // 40):
        y, angle, x = float(20 + row * 40 + rng.integers(-3, 4)), float(rng.uniform(-10, 10)), 10.0
        while x < size - 30:
            length, width = float(rng.uniform(14, 30)), float(rng.uniform(7, 11))
            bright = rng.random() < 0.5
            colour = rng.uniform(20, 250, 3) if bright else rng.uniform(60, 120, 3) * [0.8, 1, 0.7]
            centre = (x + length / 2, y)
            shadow = cv2.boxPoints(((centre[0] + 2, centre[1] + 3), (length, width), angle))
            cv2.fillPoly(img, [shadow.astype(np.int32)], (40, 40, 40))
            body = cv2.boxPoints((centre, (length, width), angle))
            cv2.fillPoly(img, [body.astype(np.int32)], colour.tolist())
            x += length + float(rng.uniform(3, 12))
    return np.clip(img, 0, 255).astype(np.uint8)


def _tiny_model(path: Path) -> dict[str, np.ndarray]:
    """conv -> SiLU -> the DFL conv's name -> conv; returns the weights by node name."""
    from onnx import TensorProto, helper, numpy_helper, save

    rng = np.random.default_rng(0)
    weights = {
        "/model.0/conv/Conv": rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32),
        KEEP_FLOAT[0]: rng.normal(0, 0.5, (4, 8, 1, 1)).astype(np.float32),
        "/model.22/cv3.0/cv3.0.2/Conv": rng.normal(0, 0.5, (2, 4, 1, 1)).astype(np.float32),
    }
    names = list(weights)
    nodes = [
        helper.make_node("Conv", ["images", "w0"], ["c0"], name=names[0], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c0"], ["s0"], name="/model.0/act/Sigmoid"),
        helper.make_node("Mul", ["c0", "s0"], ["a0"], name="/model.0/act/Mul"),
        helper.make_node("Conv", ["a0", "w1"], ["c1"], name=names[1]),
        helper.make_node("Conv", ["c1", "w2"], ["output0"], name=names[2]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 2, 32, 32])],
        [numpy_helper.from_array(w, f"w{k}") for k, w in enumerate(weights.values())],
    )  # fmt: skip
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return weights


def test_quantized_tiny_model_keeps_the_dfl_conv_float_and_weights_in_7_bits(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    weights = _tiny_model(tmp_path / "tiny.onnx")
    rng = np.random.default_rng(1)
    tiles = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(3)]
    quantize_onnx(tmp_path / "tiny.onnx", tmp_path / "int8.onnx", tiles)
    model = onnx.load(str(tmp_path / "int8.onnx"))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    made_by = {out: node for node in model.graph.node for out in node.output}
    convs = {node.name: node for node in model.graph.node if node.op_type == "Conv"}
    assert set(convs) == set(weights)
    for name, conv in convs.items():
        w = conv.input[1]
        if name in KEEP_FLOAT:  # the float weights themselves, no DequantizeLinear before them
            assert w not in made_by and np.array_equal(inits[w], weights[name])
        else:  # int8 weights within 7 bits, the largest of each output channel near the limit
            dq = made_by[w]
            assert dq.op_type == "DequantizeLinear"
            q = inits[dq.input[0]]
            assert q.dtype == np.int8 and q.min() >= -64 and q.max() <= 64
            assert np.abs(q.reshape(len(q), -1)).max(axis=1).min() >= 60


def test_int8_scores_track_the_float_scores_on_generated_tiles(tmp_path: Path) -> None:
    """On x86 CPUs without VNNI (AVX2) the old 8-bit recipe shrank the scores (median
    |logit difference| about 1.8 here, scores a quarter of the float ones); the recipe keeps them."""
    pytest.importorskip("onnx")
    import onnxruntime as ort

    card = load_card(card_path_for(DEFAULT_MODEL))
    quantize_onnx(card.onnx_path, tmp_path / "int8.onnx", [_parking_lot(1), _parking_lot(2)])
    probe = np.stack([_parking_lot(3), _parking_lot(4)]).transpose(0, 3, 1, 2).astype(np.float32) / 255

    def scores(path: Path) -> np.ndarray:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return np.asarray(session.run(None, {"images": probe})[0])[:, 4:-1].max(axis=1)

    ref, got = scores(card.onnx_path), scores(tmp_path / "int8.onnx")
    kept = ref >= 0.05
    assert kept.sum() >= 20  # the float model sees vehicles in these tiles
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))  # noqa: E731
    assert np.median(np.abs(logit(got[kept]) - logit(ref[kept]))) < 0.6
    assert 0.8 < np.median(got[kept] / ref[kept]) < 1.25
    assert (got[ref >= card.score_threshold] >= card.score_threshold).mean() > 0.85


def test_calibration_image_parses_the_command_line_forms() -> None:
    whole = CalibrationImage.parse("C:/a b/x.tif:0.3")
    assert whole == CalibrationImage(path=Path("C:/a b/x.tif"), gsd_m=0.3)
    item = CalibrationImage.parse("x.tif:0.25:0,1324,560,2432")
    assert item.path == Path("x.tif") and item.gsd_m == 0.25 and item.window == (0, 1324, 560, 2432)
    for bad in ("x.tif", "x.tif:abc", "x.tif:0.3:1,2,3", "x.tif:0.3:0,0,10,x", ":0.3"):
        with pytest.raises(ConfigError, match=r"IMAGE:GSD_M|X0,Y0,X1,Y1"):
            CalibrationImage.parse(bad)
    for window in ((5, 0, 5, 10), (0, 0, 10, -1)):
        with pytest.raises(ConfigError, match="window"):
            CalibrationImage(path=Path("x.tif"), gsd_m=0.3, window=window)


def test_calibration_window_is_cut_from_its_image_and_padded_as_detection_pads(tmp_path: Path) -> None:
    card = dataclasses.replace(load_card(card_path_for(BASE_MODEL), verify=False), gsd_m=0.15)
    big = planted_scene(tmp_path / "big.tif", width=1400, height=900, centres=[(900.0, 700.0)])
    # A 300 x 200 px window holding the vehicle at (900, 700): at 0.3 -> 0.15 m it becomes 600 x 400
    # px of a 1024 px tile, the rest padding.
    (tile,) = calibration_tiles([CalibrationImage(path=big, gsd_m=0.3, window=(800, 600, 1100, 800))], card)
    assert tile.shape == (1024, 1024, 3)
    assert tile[200, 200, 0] > 200 and tile[380, 580, 0] < 50  # the vehicle, then ground
    assert (tile[:, 600:] == PAD_VALUE).all() and (tile[400:] == PAD_VALUE).all()
    with pytest.raises(ConfigError, match="does not lie inside"):
        calibration_tiles([CalibrationImage(path=big, gsd_m=0.3, window=(0, 0, 1500, 100))], card)


def test_the_int8_card_says_its_known_limits_were_measured_on_the_float_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The float card's limits travel to the int8 card, each saying where it was measured."""
    import shutil

    from sitewatch.train import quantize

    # the quantisation itself is tested above; here only the card it writes
    monkeypatch.setattr(quantize, "quantize_onnx", lambda src, dst, tiles: shutil.copy(src, dst))
    image = planted_scene(tmp_path / "calib.tif", width=600, height=600, centres=[(300.0, 300.0)])
    out_card = quantize.quantize_int8(DEFAULT_MODEL, [(image, 0.3)], tmp_path / "q", name="q-int8")
    float_limits = load_card(card_path_for(DEFAULT_MODEL), verify=False).known_limits
    got = load_card(out_card).known_limits
    assert float_limits and got == tuple(limit + quantize.FLOAT_MEASURED for limit in float_limits)
    shipped = load_card(card_path_for(f"{DEFAULT_MODEL}-int8"), verify=False).known_limits
    assert shipped == got  # the shipped int8 card says the same
    # quantising an int8-described card again does not say it twice
    again = quantize.quantize_int8(out_card, [(image, 0.3)], tmp_path / "q2", name="q2")
    assert load_card(again).known_limits == got
    # what the weights were made from travels too, with the calibration images added once
    float_data = load_card(card_path_for(DEFAULT_MODEL), verify=False).training_data
    data = load_card(out_card).training_data
    assert float_data and data[:-1] == float_data
    assert data[-1].startswith(quantize.CALIBRATION_DATA + ": the 4 tiles its activation ranges")
    assert load_card(again).training_data == data
