"""Issue 24: kill -9 at each write step of ingest and detect; then verify is clean, the next
command finishes the work, and nothing is lost or duplicated. Real processes, real SIGKILL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from sitewatch.case.crash import make_images, run_trial
from sitewatch.catalog import CaseStore, ingest_files, verify_case


@pytest.mark.parametrize(("command", "step"), [
    ("ingest", "staged"), ("ingest", "committed"), ("ingest", "torn-append"),
    ("detect", "detect-scene"),
])
def test_kill_at_a_write_step_loses_nothing_and_alarms_nothing(
        tmp_path: Path, command: str, step: str) -> None:
    assert run_trial(tmp_path, command=command, step=step, delay_s=None, seed=7,
                     model="dota-yolov8n-obb") == ["(killed)"]


@pytest.mark.parametrize(("command", "step", "delay_s"), [
    ("ingest", "committed", None), ("detect", "torn-append", None), ("ingest", None, 0.3),
])
def test_a_trial_in_forked_children_kills_and_checks_as_a_fresh_process_does(
        tmp_path: Path, command: str, step: str | None, delay_s: float | None) -> None:
    """``bench --crash`` forks each command from its own process (imports paid once): the
    SIGKILL, at a write step or after a delay, still lands in the command, and the checks after
    it run."""
    from sitewatch.case.crash import forked_runner
    from sitewatch.cli.main import main

    runner = forked_runner(main, tmp_path)
    problems = run_trial(tmp_path / "t", command=command, step=step, delay_s=delay_s, seed=11,
                         model="dota-yolov8n-obb", runner=runner)
    assert problems == ["(killed)"]
    code, text = runner(["verify", str(tmp_path / "t" / "case")], {}, None)
    assert code == 0 and "Traceback" not in text


def _killed_ingest(case: Path, images: list[Path], step: str) -> None:
    code = ("import sys, datetime; from pathlib import Path;"
            "from sitewatch.catalog import CaseStore, ingest_files;"
            "ingest_files(CaseStore.open(Path(sys.argv[1])), [Path(p) for p in sys.argv[2:]],"
            " site='a', date=datetime.date(2024, 5, 1), gsd_m=0.3)")
    env = {"SITEWATCH_CRASH_AT": step, "PYTHONPATH": ":".join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code, str(case), *map(str, images)], env=env,
                          check=False, capture_output=True)
    assert done.returncode == -9, done.stderr


def test_a_write_killed_after_its_commit_is_finished_by_verify(tmp_path: Path) -> None:
    """Old code: a kill between the catalog insert and the audit append left 'scene … never
    logged' forever, and re-ingest said 'already stored'."""
    images = make_images(tmp_path / "images", seed=3)
    store = CaseStore.init(tmp_path / "case")
    _killed_ingest(store.root, images, "committed")
    assert not any(store.layout.objects.rglob("*.png"))  # the originals are still staged
    report = verify_case(store)
    assert report.ok, report.problems
    assert any("appended 1 audit entry" in note for note in report.recovered)
    assert len(store.scenes()) == 3 and all(s.path.is_file() for s in store.scenes())
    again = ingest_files(store, images, site="a", date=dt.date(2024, 5, 1), gsd_m=0.3)
    assert again.added == () and len(again.already_stored) == 3


def test_a_write_killed_before_its_commit_leaves_the_case_as_it_was(tmp_path: Path) -> None:
    images = make_images(tmp_path / "images", seed=4)
    store = CaseStore.init(tmp_path / "case")
    _killed_ingest(store.root, images, "staged")
    report = verify_case(store)
    assert report.ok and store.scenes() == ()
    assert any("never committed" in note for note in report.recovered)
    assert not any(store.layout.staging.iterdir())
    assert len(ingest_files(store, images, site="a", date=dt.date(2024, 5, 1), gsd_m=0.3).added) == 3


def test_concurrent_writers_do_not_fork_the_chain(tmp_path: Path) -> None:
    """Eight concurrent writers forked the chain before the case had a lock."""
    store = CaseStore.init(tmp_path / "case")
    code = ("import sys; from pathlib import Path; from sitewatch.catalog import CaseStore;"
            "s = CaseStore.open(Path(sys.argv[1]));"
            "[s.append_audit('note', {'writer': sys.argv[2], 'n': n}) for n in range(5)]")
    env = {"PYTHONPATH": ":".join(sys.path)}
    children = [subprocess.Popen([sys.executable, "-c", code, str(store.root), str(n)], env=env)
                for n in range(8)]
    assert [c.wait(timeout=120) for c in children] == [0] * 8
    report = verify_case(store)
    assert report.ok, report.problems
    assert report.audit_entries_checked == 1 + 8 * 5


def test_forked_random_kills_land_within_the_command(tmp_path: Path) -> None:
    """Forked commands are quick: random kills are drawn within an uninterrupted run's time, so
    that they kill (a kill after the command ended tests nothing)."""
    from sitewatch.case.crash import run_crash_benchmark
    from sitewatch.cli.main import main

    summary = run_crash_benchmark(4, tmp_path, start=1, entry=main)  # trials 1 and 3 are random
    assert set(summary.command_seconds) == {"ingest", "detect"}
    assert all(0 < s < 120 for s in summary.command_seconds.values())
    assert summary.ok, summary.failures
    assert summary.trials == 4 and summary.killed >= 3
