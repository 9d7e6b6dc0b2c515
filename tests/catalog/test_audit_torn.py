"""A torn last line of audit.jsonl (a write cut off) is reported precisely and repaired with a
note by the next write; a damaged line elsewhere is a one-line IntegrityError, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, ingest_files, verify_case
from sitewatch.catalog.audit import read_entries, read_log
from sitewatch.cli.main import main
from sitewatch.errors import IntegrityError

DATE = dt.date(2014, 6, 11)


@pytest.fixture
def store(tmp_path: Path, tiny_png: Path) -> CaseStore:
    case = CaseStore.init(tmp_path / "case")
    ingest_files(case, [tiny_png], site="a", date=DATE, gsd_m=0.3)
    return case


def _tear(store: CaseStore, tail: bytes) -> None:
    with store.audit_path.open("ab") as handle:
        handle.write(tail)


@pytest.mark.parametrize("tail", [
    b'{"action":"ingest","actor":"x","det',            # cut inside an entry
    b"\x00" * 300,                                      # zeros a power cut left
    b"\x00" * 200 + b"\n",
    b'{"seq": 2',
])
def test_torn_tail_is_reported_then_set_aside_by_the_next_write(
    store: CaseStore, tmp_path: Path, tiny_jpeg: Path, tail: bytes,
) -> None:
    _tear(store, tail)
    report = verify_case(store)
    (problem,) = report.problems
    assert "cut off" in problem and f"{len(tail)} bytes" in problem and "\n" not in problem
    with pytest.raises(IntegrityError, match="cut off"):
        read_entries(store.audit_path)
    ingest_files(store, [tiny_jpeg], site="a", date=DATE, gsd_m=0.3)  # the next write
    assert verify_case(store).ok, verify_case(store).problems
    entries = read_entries(store.audit_path)
    repair = next(e for e in entries if e.action == "audit-repair")
    assert repair.details["torn_bytes"] == len(tail)
    assert (store.root / repair.details["kept_as"]).read_bytes() == tail
    assert [e.action for e in entries][-2:] == ["audit-repair", "ingest"]


@pytest.mark.parametrize("damage", [b"not json\n", b"[1, 2]\n", b'{"seq": "0"}\n',
                                    b"[" * 100_000 + b"\n"])
def test_a_damaged_line_inside_the_log_is_one_clear_error(store: CaseStore, tiny_jpeg: Path,
                                                          damage: bytes) -> None:
    lines = store.audit_path.read_bytes().splitlines(keepends=True)
    store.audit_path.write_bytes(lines[0] + damage + b"".join(lines[1:]))
    (problem,) = verify_case(store).problems
    assert "line 2 is not a whole entry" in problem
    with pytest.raises(IntegrityError, match="line 2"):
        ingest_files(store, [tiny_jpeg], site="a", date=DATE, gsd_m=0.3)
    assert read_log(store.audit_path.with_name("absent.jsonl")).entries == ()


def test_cli_reports_a_torn_tail_without_a_traceback(store: CaseStore,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _tear(store, b'{"seq": 2, "acti')
    assert main(["verify", str(store.root)]) == 1
    printed = capsys.readouterr()
    assert "cut off" in printed.err and "Traceback" not in printed.err
    assert main(["track", str(store.root)]) == 0  # a write command repairs and goes on
    capsys.readouterr()
    assert main(["verify", str(store.root)]) == 0
    last = json.loads(store.audit_path.read_text().splitlines()[-1])
    assert last["action"] == "track"
