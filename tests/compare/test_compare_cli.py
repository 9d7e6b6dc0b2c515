from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from sitewatch.cli import compare as command
from sitewatch.errors import CompareError
from tests.compare.compare_fixtures import vehicle_scene, write_image


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sitewatch compare")
    command.add_arguments(parser)
    return parser


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["--help"])
    assert exit_info.value.code == 0
    assert "--gallery" in capsys.readouterr().out


def test_gallery_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["q.jpg", "--out", "o.json"])


def test_run_writes_json_and_panel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = tmp_path / "refs"
    for seed in range(2):
        write_image(refs / f"r{seed}.jpg", vehicle_scene(seed, kind="tracked"))
    query = write_image(tmp_path / "q.png", vehicle_scene(9, kind="tracked"))
    args = _parser().parse_args([str(query), "--gallery", f"Tanks={refs}", "--out",
                                 str(tmp_path / "o.json"), "--panel", str(tmp_path / "p"),
                                 "--mark", "nizh_era=seen", "--threads", "1"])
    assert command.run(args) == 0
    assert "Tanks" in capsys.readouterr().out
    document = json.loads((tmp_path / "o.json").read_text())
    assert document["queries"][0]["ranking"][0]["gallery"] == "Tanks"
    # Panels are named relative to the JSON, so the pair attaches to a case as written.
    assert document["queries"][0]["panel"] == "p/compare_00_q.png"
    from sitewatch.compare.resultfile import load_comparison

    checked = load_comparison(tmp_path / "o.json")
    assert checked.panels == ((tmp_path / "p" / "compare_00_q.png").resolve(),)
    assert checked.document["checklist"] == document["checklist"]


def test_run_raises_library_errors_for_the_shell_to_map(tmp_path: Path) -> None:
    args = _parser().parse_args([str(tmp_path / "missing.jpg"), "--gallery",
                                 f"A={tmp_path}", "--out", str(tmp_path / "o.json")])
    with pytest.raises(CompareError, match=re.escape("missing.jpg")):
        command.run(args)


def test_registered_in_the_sitewatch_command(capsys: pytest.CaptureFixture[str]) -> None:
    from sitewatch.cli import main as cli_main

    assert cli_main.COMMANDS["compare"] == "compare"
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["compare", "--help"])
    assert exit_info.value.code == 0
    assert "NAME=DIR" in capsys.readouterr().out


def test_missing_query_maps_to_exit_code_2(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from sitewatch.cli import main as cli_main

    code = cli_main.main(["compare", str(tmp_path / "nope.jpg"), "--gallery", f"A={tmp_path}",
                          "--out", str(tmp_path / "o.json")])
    assert code == 2 and "nope.jpg" in capsys.readouterr().err
