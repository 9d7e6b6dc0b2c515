"""Issue 24: the fuzz corpus is a pure function of its seed and covers the attacks the audit
used; the harness sees tracebacks, hangs and refusals that change the case; and a fast subset
of the corpus goes through the real commands with no target broken."""

from __future__ import annotations

import time
from pathlib import Path

from sitewatch.case.fuzz_seeds import real_seeds
from sitewatch.case.fuzzing import (
    CommandRecord,
    FuzzSummary,
    corpus_file,
    run_command,
    run_fuzz_benchmark,
    seeds_for,
    write_corpus,
)
from sitewatch.cli.main import main
from tests.shared_data import shared_path_or_skip


def _digest(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_corpus_is_a_pure_function_of_its_seed(tmp_path: Path) -> None:
    first = write_corpus(12, tmp_path / "a", seed=5, large=False)
    again = write_corpus(12, tmp_path / "b", seed=5, large=False)
    other = write_corpus(12, tmp_path / "c", seed=6, large=False)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert [f.mutation for f in first] == [f.mutation for f in again]
    assert [f.mutation for f in first] != [f.mutation for f in other]


def test_the_corpus_covers_every_attack_family(tmp_path: Path) -> None:
    seeds = seeds_for(None)
    made = [corpus_file(i, tmp_path / str(i), seeds, seed=0, large=False) for i in range(260)]
    mutations = " | ".join(f.mutation for f in made)
    for family in ("truncate", "bit flip", "JPEG SOF", "PNG IHDR", "TIFF ", "sparse ",
                   "georeference", "world file", "EXIF", "MP4 ", "polyglot", " named ",
                   "zones:", "boundary:", "alerts:", "sightings:", "stac:", "comparison:"):
        assert family in mutations, family
    assert all(f.path.is_file() for f in made)
    assert max(f.path.stat().st_size for f in made) < 8 * 1024**2


def test_real_seeds_are_read_from_the_shared_data() -> None:
    kinds = {s.kind for s in real_seeds(shared_path_or_skip("overhead").parent)}
    assert kinds == {"jpeg", "png", "tiff", "mp4"}


def _traceback(argv: list[str]) -> int:
    raise KeyError(argv[0])


def _refuse_after_writing(argv: list[str]) -> int:
    (Path(argv[1]) / "stray.txt").write_text("changed")
    return 2


def _sleep(argv: list[str]) -> int:
    time.sleep(30)
    return 0


def _spin(argv: list[str]) -> int:
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    return 0


def test_the_harness_sees_a_traceback_a_hang_and_a_changed_case(tmp_path: Path) -> None:
    log = tmp_path / "log"
    ran = run_command(_traceback, ["x"], log)
    assert (ran.code, ran.killed) == (1, False) and "Traceback (most recent call last)" in log.read_text()
    started = time.monotonic()
    ran = run_command(_sleep, ["x"], log, kill_after_s=1.0)
    assert ran.killed and ran.code == -9 and ran.wall_s < 10 and time.monotonic() - started < 10
    assert ran.cpu_s < 0.5 < ran.wall_s  # asleep: wall time without processor time
    ran = run_command(_spin, ["x"], log)
    assert ran.cpu_s > 0.2
    ran = run_command(_refuse_after_writing, ["x", str(tmp_path)], log)
    assert ran.code == 2 and (tmp_path / "stray.txt").is_file() and 1 < ran.peak_mb < 4096

    summary = FuzzSummary()
    base = {"index": 3, "kind": "image", "mutation": "m", "command": "ingest", "exit_code": 2,
            "traceback": False, "wall_s": 1.0, "cpu_s": 0.8, "load_1m": 1.0, "peak_mb": 100.0,
            "killed": False, "case_changed": False, "output_left": False, "last_line": ""}
    summary.add(CommandRecord(**base))  # type: ignore[arg-type]
    assert summary.ok
    for broken in ({"traceback": True, "exit_code": 1}, {"wall_s": 31.0}, {"peak_mb": 3000.0},
                   {"case_changed": True}, {"output_left": True}):
        summary.add(CommandRecord(**{**base, **broken}))  # type: ignore[arg-type]
    assert not summary.ok and len(summary.failures) == 5
    assert (summary.tracebacks, summary.hangs, summary.over_memory, summary.case_changed,
            summary.output_left) == (1, 1, 1, 1, 1)


def test_a_fast_subset_breaks_no_target(tmp_path: Path) -> None:
    """Twenty files of corpus 0 (generated seeds, no valid huge images) through ingest, loose
    detect, compare and attach, each a real CLI process."""
    summary = run_fuzz_benchmark(20, tmp_path, main, seed=0, large=False)
    assert summary.files == 20 and summary.commands >= 20
    assert summary.ok, summary.failures
    assert summary.refused > 0 and summary.accepted > 0
