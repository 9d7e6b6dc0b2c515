from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from sitewatch.cli import eval as eval_cli
from sitewatch.cli import main as cli_main
from tests.detect.fakes import planted_scene
from tests.train.test_evaluation import _voc


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sitewatch eval")
    eval_cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_registered_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.COMMANDS["eval"] == "eval"
    with pytest.raises(SystemExit) as info:
        _parse(["--help"])
    assert info.value.code == 0 and "--labels" in capsys.readouterr().out


def _one_labelled_tile(tmp_path: Path, stem: str) -> tuple[Path, Path]:
    """``images/`` and ``labels/`` holding one planted vehicle and its VOC label."""
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    planted_scene(images / f"{stem}.tif", width=200, height=160, centres=[(50.0, 50.0)])
    _voc(labels / f"{stem}.xml", [(42, 47, 58, 54, "SMV")], (200, 160))
    return images, labels


def test_eval_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images, labels = _one_labelled_tile(tmp_path, "a")
    out = tmp_path / "r.json"
    argv = ["--images", str(images), "--labels", str(labels), "--gsd", "0.3"]
    argv += ["--model", "dota-yolov8n-obb", "--model-gsd", "0.3", "--out", str(out)]
    assert eval_cli.run(_parse(argv)) == 0
    report = json.loads(out.read_text())
    assert report["images"] == 1 and report["class_agnostic"]["truths"] == 1
    assert report["model"]["name"] == "dota-yolov8n-obb" and report["model"]["gsd_m"] == 0.3
    assert "all (class-agnostic)" in capsys.readouterr().out


def test_eval_warns_when_the_images_were_trained_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images, labels = _one_labelled_tile(tmp_path, "AUAU010081")
    out = tmp_path / "r.json"
    argv = ["--images", str(images), "--labels", str(labels), "--gsd", "0.3", "--out", str(out)]
    assert eval_cli.run(_parse(argv)) == 0
    assert "were in sitewatch-vehicles-yolov8n-obb's training data (AUAU010081)" in (
        capsys.readouterr().out)
    assert json.loads(out.read_text())["trained_on_overlap"] == ["AUAU010081"]
