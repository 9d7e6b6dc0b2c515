"""The public face of sitewatch.cli is pinned: one call that runs the command."""

from __future__ import annotations

from pathlib import Path

import pytest

import sitewatch.cli


def test_public_face_is_pinned() -> None:
    assert sorted(sitewatch.cli.__all__) == ["run_command"]


def test_run_command_runs_the_command_and_returns_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case"
    assert sitewatch.cli.run_command(["case", "init", str(case)]) == 0
    assert capsys.readouterr().out == f"created case {case}\n"
    assert sitewatch.cli.run_command(["verify", str(case)]) == 0
