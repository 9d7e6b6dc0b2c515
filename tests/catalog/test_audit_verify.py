from __future__ import annotations

import datetime as dt
import json
import stat
from itertools import pairwise
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, ingest_files, verify_case
from sitewatch.catalog.audit import chain_problems, read_entries

DATE = dt.date(2014, 6, 11)


@pytest.fixture
def store(tmp_path: Path, tiny_png: Path, tiny_jpeg: Path) -> CaseStore:
    case = CaseStore.init(tmp_path / "case")
    ingest_files(case, [tiny_png, tiny_jpeg], site="a", date=DATE, gsd_m=0.3)
    return case


def test_fresh_case_verifies(store: CaseStore) -> None:
    report = verify_case(store)
    assert report.ok, report.problems
    assert report.originals_checked == 2
    assert report.audit_entries_checked == 2


def test_changed_original_is_named(store: CaseStore) -> None:
    scene = store.scenes()[0]
    scene.path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    scene.path.write_bytes(scene.path.read_bytes() + b"x")
    (problem,) = verify_case(store).problems
    assert scene.original_name in problem and "changed" in problem


def test_missing_and_appeared_files_are_named(store: CaseStore) -> None:
    scene = store.scenes()[0]
    scene.path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    scene.path.unlink()
    (store.root / "objects" / "intruder.tif").write_bytes(b"x")
    problems = " ".join(verify_case(store).problems)
    assert "missing" in problems and "intruder.tif" in problems


def test_edited_audit_entry_breaks_the_chain(store: CaseStore) -> None:
    lines = store.audit_path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["details"]["site"] = "elsewhere"
    lines[1] = json.dumps(entry)
    store.audit_path.write_text("\n".join(lines) + "\n")
    problems = verify_case(store).problems
    assert any("altered" in p for p in problems)


def test_removed_entries_are_detected(store: CaseStore) -> None:
    store.append_audit("note", {"text": "checked"})
    lines = store.audit_path.read_text().splitlines()
    store.audit_path.write_text(lines[0] + "\n")
    problems = " ".join(verify_case(store).problems)
    assert "removed or replaced" in problems
    assert "never logged" in problems


def test_a_last_entry_lost_after_its_commit_is_restored_and_said(store: CaseStore) -> None:
    """The catalog journals the last write's entry: a log cut back by one write (a crash
    before the append reached the disk) is finished by verify, which says so."""
    whole = store.audit_path.read_text()
    store.audit_path.write_text(whole.splitlines()[0] + "\n")
    report = verify_case(store)
    assert report.ok, report.problems
    assert report.recovered == ("appended 1 audit entry of an interrupted write",)
    assert store.audit_path.read_text() == whole


def test_chain_links_every_entry(store: CaseStore) -> None:
    store.append_audit("note", {"text": "checked"})
    entries = read_entries(store.audit_path)
    assert [e.seq for e in entries] == [0, 1, 2]
    assert all(b.prev == a.hash for a, b in pairwise(entries))
    assert chain_problems(entries) == []


@pytest.mark.parametrize(("column", "value", "named"), [
    ("date", "2014-06-12", "date '2014-06-12'"), ("site", "b", "site 'b'"),
    ("original_name", "other.png", "name 'other.png'"), ("source", "forged", "source 'forged'"),
])
def test_scene_metadata_edited_in_sqlite_is_caught(tmp_path: Path, tiny_png: Path, column: str,
                                                   value: str, named: str) -> None:
    """Issue 24: changing a scene's date in the catalog passed verify."""
    import sqlite3

    case = CaseStore.init(tmp_path / "case")
    ingest_files(case, [tiny_png], site="a", date=DATE, gsd_m=0.3, source="drone")
    assert verify_case(case).ok
    with sqlite3.connect(case.root / "catalog.sqlite") as db:
        assert db.execute(f"UPDATE scenes SET {column} = ?", (value,)).rowcount == 1
    (problem,) = verify_case(case).problems
    assert named in problem and "ingest audit entry 1" in problem
