from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sitewatch.cli import bench
from sitewatch.cli import main as cli_main
from sitewatch.errors import ConfigError


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sitewatch bench")
    bench.add_arguments(parser)
    return parser.parse_args(argv)


def test_registered_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.COMMANDS["bench"] == "bench"
    with pytest.raises(SystemExit) as info:
        _parse(["--help"])
    assert info.value.code == 0 and "--scene" in capsys.readouterr().out


def test_says_clearly_when_shared_data_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "shared_data_root", lambda **_: None)
    with pytest.raises(ConfigError, match=r"\.\./shared/data is absent"):
        bench.run(_parse([]))


def test_missing_baseline_weights(tmp_path: Path) -> None:
    scene = tmp_path / "scene.tif"
    scene.write_bytes(b"x")
    argv = ["--scene", str(scene), "--no-labelled", "--weights", str(tmp_path / "none.pt")]
    with pytest.raises(ConfigError, match="models fetch"):
        bench.run(_parse(argv))


def test_fuzz_needs_a_number_of_files() -> None:
    with pytest.raises(ConfigError, match="--fuzz 0: give a number of files"):
        bench.run(_parse(["--fuzz", "0"]))


def test_tamper_refuses_a_negative_number_of_flips() -> None:
    with pytest.raises(ConfigError, match="--tamper-flips -1"):
        bench.run(_parse(["--tamper", "--tamper-flips", "-1"]))
