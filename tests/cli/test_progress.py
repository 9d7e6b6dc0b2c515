"""Issue 23.3: long commands show progress on a terminal, and stay quiet when piped or --quiet."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from sitewatch.cli.main import main
from sitewatch.demo import sample_data_dir

SAMPLE = sample_data_dir() / "demo-depot_2014-08-05.tif"


def _on_a_terminal(args: list[str]) -> str:
    """Run ``sitewatch ARGS`` with stderr on a pseudo-terminal, as a user at a shell would."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "sitewatch.cli.main", *args],
                               stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=300)
    os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode(errors="replace")


def test_detect_shows_images_and_tiles_with_eta_on_a_terminal(tmp_path: Path) -> None:
    shown = _on_a_terminal(["detect", str(SAMPLE), "--out", str(tmp_path / "a.csv")])
    assert "tile" in shown and "image" in shown and "<" in shown  # elapsed<remaining: the ETA
    assert "1/1" in shown


def test_quiet_on_a_terminal_and_piped_output_draw_no_bars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    shown = _on_a_terminal(["detect", str(SAMPLE), "--out", str(tmp_path / "a.csv"), "--quiet"])
    assert "tile" not in shown and "%|" not in shown
    assert main(["detect", str(SAMPLE), "--out", str(tmp_path / "b.csv")]) == 0  # not a tty
    printed = capsys.readouterr()
    assert "%|" not in printed.err and "tile" not in printed.err
    assert "vehicles" in printed.out
