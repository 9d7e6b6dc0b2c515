from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitewatch.detect import VehicleClass, load_detector
from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import BASE_MODEL, DEFAULT_MODEL, MODELS, card_path_for
from sitewatch.errors import ConfigError, ModelError


def test_default_model_is_the_military_fine_tune() -> None:
    card = load_card(card_path_for(DEFAULT_MODEL))
    assert {label for _, label in card.class_indices()} == set(VehicleClass) - {VehicleClass.VEHICLE}


def test_base_model_card_verifies_and_maps_vehicles() -> None:
    card = load_card(card_path_for(BASE_MODEL))
    assert card.licence == "AGPL-3.0" and card.input_px == 1024
    assert dict(card.class_map) == {
        "large vehicle": VehicleClass.VEHICLE,
        "small vehicle": VehicleClass.VEHICLE,
    }
    assert card.class_indices() == ((9, VehicleClass.VEHICLE), (10, VehicleClass.VEHICLE))


@pytest.mark.parametrize("name", sorted(n for n in MODELS if n.endswith("-int8")))
def test_shipped_int8_variants_have_7_bit_weights(name: str) -> None:
    """Every quantized convolution of a shipped int8 variant has weights within 7 bits
    (-64..64), the recipe of ``sitewatch models quantize``: 8-bit weights saturate onnxruntime's
    16-bit sums in the first convolution on x86 CPUs without VNNI, and the scores shrink
    (``docs/model-records/dense-park.md``, "The int8 variant remade"). The DOTA int8 file shipped
    before 2026-12-05 had weights up to ±127."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(load_card(card_path_for(name)).onnx_path))
    inits = {t.name: t for t in model.graph.initializer}
    made_by = {out: node for node in model.graph.node for out in node.output}
    ranges = {}
    for conv in (node for node in model.graph.node if node.op_type == "Conv"):
        dq = made_by.get(conv.input[1])
        if dq is not None and dq.op_type == "DequantizeLinear":
            q = numpy_helper.to_array(inits[dq.input[0]])
            ranges[conv.name] = (q.dtype, int(q.min()), int(q.max()))
    assert "/model.0/conv/Conv" in ranges and len(ranges) >= 60  # quantized, the first conv too
    wider = {n: r for n, r in ranges.items() if not (r[0] == np.int8 and r[1] >= -64 and r[2] <= 64)}
    assert wider == {}


def test_unknown_model_name_lists_valid_ones() -> None:
    with pytest.raises(ConfigError, match=DEFAULT_MODEL) as info:
        load_detector("no-such-model")
    assert all(name in str(info.value) for name in MODELS)


def _copy_model(tmp_path: Path) -> Path:
    src = card_path_for(DEFAULT_MODEL)
    card = json.loads(src.read_text())
    shutil.copy(src.with_name(card["onnx_file"]), tmp_path / card["onnx_file"])
    dst = tmp_path / src.name
    dst.write_text(json.dumps(card))
    return dst


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    card_path = _copy_model(tmp_path)
    onnx = card_path.with_suffix(".onnx")
    with onnx.open("r+b") as fh:
        fh.seek(5000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(ModelError, match=rf"{DEFAULT_MODEL}\.onnx.*sha256.*reinstall"):
        load_detector(card_path)


def test_missing_weights_and_bad_cards(tmp_path: Path) -> None:
    card_path = _copy_model(tmp_path)
    card_path.with_suffix(".onnx").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_detector(card_path.with_suffix(".onnx"))
    raw = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**raw, "extra": 1}))
    with pytest.raises(ModelError, match="unknown keys"):
        load_card(card_path, verify=False)
    card_path.write_text(json.dumps({**raw, "class_map": {"tank": "vehicle"}}))
    with pytest.raises(ModelError, match="tank"):
        load_card(card_path, verify=False)
    card_path.write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        load_card(card_path)


def test_score_threshold_comes_from_the_card(tmp_path: Path) -> None:
    """A card names the score its rates were measured at; older cards mean 0.25."""
    card_path = _copy_model(tmp_path)
    raw = json.loads(card_path.read_text())
    assert load_detector(card_path).score_threshold == raw["score_threshold"]
    assert load_detector(card_path, score_threshold=0.5).score_threshold == 0.5
    older = {k: v for k, v in raw.items() if k not in ("score_threshold", "score_note")}
    card_path.write_text(json.dumps(older))
    assert load_card(card_path).score_threshold == 0.25
    card_path.write_text(json.dumps({**raw, "score_threshold": 1.5}))
    with pytest.raises(ModelError, match="score_threshold"):
        load_card(card_path, verify=False)


def test_known_limits_are_a_list_of_sentences(tmp_path: Path) -> None:
    """The shipped default names its measured failures; a card may name none; a bad value is refused."""
    card_path = _copy_model(tmp_path)
    raw = json.loads(card_path.read_text())
    limits = load_card(card_path).known_limits
    assert limits == tuple(raw["known_limits"]) and "174 military-labelled" in limits[0]
    assert load_card(card_path).limit_topics() == ("Civilian ground", "Loaded transporters", "Wrong GSD")
    card_path.write_text(json.dumps({k: v for k, v in raw.items() if k != "known_limits"}))
    assert load_card(card_path, verify=False).known_limits == ()
    for bad in ("Civilian ground: cars called military", [3]):
        card_path.write_text(json.dumps(raw | {"known_limits": bad}))
        with pytest.raises(ModelError, match="known_limits must be a list of 'Topic: what was"):
            load_card(card_path, verify=False)
    for bad in ("", "cars called military", "A topic that runs on far too long to be one: text"):
        card_path.write_text(json.dumps(raw | {"known_limits": [bad]}))
        with pytest.raises(ModelError, match="is not 'Topic: what was measured'"):
            load_card(card_path, verify=False)


def test_training_data_names_each_source_with_its_terms(tmp_path: Path) -> None:
    """Every shipped card says what its weights were made from and under which terms."""
    for name in MODELS:
        data = load_card(card_path_for(name), verify=False).training_data
        assert data and all("terms" in item for item in data), name
    card_path = _copy_model(tmp_path)
    raw = json.loads(card_path.read_text())
    assert any("evaluation and tests only" in item for item in load_card(card_path).training_data)
    card_path.write_text(json.dumps({k: v for k, v in raw.items() if k != "training_data"}))
    assert load_card(card_path, verify=False).training_data == ()
    card_path.write_text(json.dumps(raw | {"training_data": "MVRSD: tiles"}))
    with pytest.raises(ModelError, match="training_data must be a list of 'Source: what it was"):
        load_card(card_path, verify=False)
    card_path.write_text(json.dumps(raw | {"training_data": ["MVRSD tiles, terms unknown"]}))
    with pytest.raises(ModelError, match="is not 'Source: what it was used for; its terms'"):
        load_card(card_path, verify=False)


def test_hash_matching_garbage_is_refused_by_onnxruntime(tmp_path: Path) -> None:
    card_path = _copy_model(tmp_path)
    onnx = card_path.with_suffix(".onnx")
    onnx.write_bytes(b"not a model")
    raw = json.loads(card_path.read_text())
    import hashlib

    raw["onnx_sha256"] = hashlib.sha256(b"not a model").hexdigest()
    card_path.write_text(json.dumps(raw))
    with pytest.raises(ModelError, match="onnxruntime cannot load"):
        load_detector(card_path)


def test_onnx_detector_rejects_wrong_tiles() -> None:
    detector = load_detector(threads=1)
    with pytest.raises(ConfigError, match="uint8"):
        detector.detect_batch([np.zeros((32, 32, 3), dtype=np.float32)])
    assert detector.detect_batch([]) == []


def test_label_score_floors_come_from_the_card(tmp_path: Path) -> None:
    """A card's per-label floor drops that label's boxes under it, whatever score a run asks for."""
    card_path = _copy_model(tmp_path)
    raw = json.loads(card_path.read_text())
    assert load_card(card_path).label_score_thresholds == ()
    card_path.write_text(json.dumps({**raw, "label_score_thresholds": {"civilian_vehicle": 0.6}}))
    card = load_card(card_path)
    assert card.label_floor(VehicleClass.CIVILIAN_VEHICLE) == 0.6
    assert card.label_floor(VehicleClass.MILITARY_TRUCK) == 0.0
    out = np.zeros((1, 4 + len(raw["classes"]) + 1, 3), np.float32)
    out[0, :4] = [[50, 300, 300], [50, 50, 300], [20, 20, 20], [10, 10, 10]]  # three places
    civilian, truck = 4 + raw["classes"].index("civilian_vehicle"), 4 + raw["classes"].index("military_truck")
    out[0, civilian, 0], out[0, civilian, 1], out[0, truck, 2] = 0.5, 0.7, 0.5
    for score in (None, 0.01):
        detector = load_detector(card_path, score_threshold=score)
        ((_, scores, labels),) = detector._decode(out)  # the card's floors reach the decoding
        order = tuple(VehicleClass)
        assert sorted((order[i].value, round(float(s), 2)) for i, s in zip(labels, scores, strict=True)) == [
            ("civilian_vehicle", 0.7), ("military_truck", 0.5)]
    for wrong in ({"vehicle": 0.5}, {"civilian_vehicle": 1.5}, {"tank": 0.5}, [0.5]):
        card_path.write_text(json.dumps({**raw, "label_score_thresholds": wrong}))
        with pytest.raises(ModelError, match="label_score_thresholds"):
            load_card(card_path, verify=False)


def test_network_input_is_the_padded_batch_channels_first_over_255() -> None:
    """Each channel divided straight into its place gives the bytes of the plain recipe
    (pad, transpose, float32, divide by 255) for full, smaller, larger and mirrored tiles."""
    from sitewatch.detect.backend import padded_batch

    detector = load_detector(threads=1)
    size = detector.tile_px
    rng = np.random.default_rng(0)
    full = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    tiles = [full, full[:size - 37, : size - 5], rng.integers(0, 256, (size + 9, size + 3, 3), np.uint8),
             full[::-1, ::-1], full[:, :1]]
    got = detector.network_input(tiles)
    want = np.ascontiguousarray(padded_batch(tiles, size).transpose(0, 3, 1, 2),
                                dtype=np.float32) / 255.0
    assert got.dtype == np.float32 and got.shape == (5, 3, size, size)
    assert got.tobytes() == want.tobytes()
    with pytest.raises(ConfigError, match="uint8"):
        detector.network_input([full, full[:, :, :2]])
