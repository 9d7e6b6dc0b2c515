"""Issue 23.3: long commands show progress on a terminal, and stay quiet when piped or --quiet."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
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


def test_advance_sets_the_total_the_library_learns_late(capsys: pytest.CaptureFixture[str]) -> None:
    from sitewatch.cli.progress import Bars

    with Bars(total=1, unit="step", enabled=True) as bars:
        bars.advance(2, 5, "site depot")
    shown = capsys.readouterr().err
    assert "2/5" in shown and "site depot" in shown


def _report_case(tmp_path: Path) -> Path:
    import datetime as dt

    from sitewatch.case import detect_case
    from sitewatch.catalog import CaseStore, ingest_files
    from tests.case.test_jobs import BlobDetector, _scene

    store = CaseStore.init(tmp_path / "case")
    for name, date in (("a.tif", dt.date(2014, 5, 30)), ("b.tif", dt.date(2014, 6, 11))):
        ingest_files(store, [_scene(tmp_path / name, [(60, 60)])], site="depot", date=date,
                     source="generated")
    detect_case(store, BlobDetector())
    return store.root


def test_report_shows_its_steps_on_a_terminal_and_nothing_with_quiet(tmp_path: Path) -> None:
    root = _report_case(tmp_path)
    shown = _on_a_terminal(["report", str(root)])
    assert "3/3" in shown and "step" in shown and "<" in shown  # tracked, depot, written; ETA
    quiet = _on_a_terminal(["report", str(root), "--quiet"])
    assert "step" not in quiet and "%|" not in quiet


def test_bench_reports_each_timed_run() -> None:
    from sitewatch.train.benchmark import _timed

    seen: list[tuple[int, int, str]] = []
    empty = (np.zeros((0, 4)), np.zeros(0))
    _timed({"sitewatch": lambda: empty, "baseline": lambda: empty}, 2,
           lambda done, total, name: seen.append((done, total, name)))
    assert seen == [(1, 4, "sitewatch"), (2, 4, "baseline"), (3, 4, "sitewatch"),
                    (4, 4, "baseline")]
