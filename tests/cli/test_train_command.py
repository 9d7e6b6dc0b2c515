"""Tests of ``sitewatch train``'s argument handling (training itself needs Ultralytics)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sitewatch.cli import train
from sitewatch.errors import ConfigError, ModelError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitewatch train")
    train.add_arguments(parser)
    return parser


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--holdout", "--data-gsd", "--base", "--ground", "--negative", "--imgsz"):
        assert option in out
    assert train.HELP


def test_missing_base_weights_fail_before_anything_heavy(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["--data", str(tmp_path), "--labels", str(tmp_path), "--data-gsd", "0.12",
         "--holdout", "a,b", "--base", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    assert args.holdout == ("a", "b")
    with pytest.raises(ModelError, match=r"nope\.pt' not found"):
        train.run(args)


def test_wrong_base_hash_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pt"
    fake.write_bytes(b"not a checkpoint")
    args = _parser().parse_args(
        ["--data", str(tmp_path), "--labels", str(tmp_path), "--data-gsd", "0.12",
         "--holdout", "none", "--base", str(fake), "--out", str(tmp_path / "o")]
    )  # fmt: skip
    with pytest.raises(ModelError, match="expected fa6e4cd2"):
        train.run(args)


def test_bad_ground_spec_and_imgsz(tmp_path: Path) -> None:
    args = _parser().parse_args(
        ["--data", str(tmp_path), "--labels", str(tmp_path), "--data-gsd", "0.12",
         "--holdout", "none", "--base", "x.pt", "--out", str(tmp_path), "--ground", "depot.tif"]
    )  # fmt: skip
    with pytest.raises(ConfigError, match="PATH@GSD"):
        train.run(args)
    args.ground, args.imgsz = [], 500
    with pytest.raises(ConfigError):
        train.run(args)
