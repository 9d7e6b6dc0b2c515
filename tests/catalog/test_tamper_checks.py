"""Issue 24, found by ``bench --tamper``: catalog edits ``verify`` did not see, and catalog damage
that made ``verify`` crash. Each test edits a real case's SQLite file as anyone can."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sitewatch.catalog import (
    CaseStore,
    DetectionRecord,
    RunRecord,
    ingest_files,
    redate_scene,
    verify_case,
)
from sitewatch.cli.main import main
from sitewatch.errors import IntegrityError

DATE = dt.date(2014, 6, 11)


def _sql(store: CaseStore, *statements: str) -> None:
    with closing(sqlite3.connect(store.layout.catalog)) as db, db:
        for statement in statements:
            db.execute(statement)


@pytest.fixture
def store(tmp_path: Path, tiny_geotiff: Path) -> CaseStore:
    """A georeferenced scene with one detection run and one audited correction."""
    case = CaseStore.init(tmp_path / "case")
    ingest_files(case, [tiny_geotiff], site="a", date=DATE, source="drone", licence="CC-BY-4.0")
    (scene,) = case.scenes()
    run = RunRecord(run_id="r1", kind="detect", created_utc="2024-05-01T00:00:00+00:00",
                    model_name="m", model_sha256="a" * 64, params={"score_threshold": 0.3},
                    software={"sitewatch": "0"})
    case.save_run(run, {scene.sha256: [
        DetectionRecord(label="military_truck", score=0.8, cx_px=10.0, cy_px=12.0, width_px=9.0,
                        height_px=4.0, angle_rad=0.1, lon_deg=39.7, lat_deg=47.2)]})
    redate_scene(case, scene.sha256[:12], dt.date(2014, 6, 12), reason="EXIF date")
    assert verify_case(case).ok, verify_case(case).problems
    return case


@pytest.mark.parametrize("assignment", [
    "licence = 'CC0'", "footprint_lonlat_wkt = 'POLYGON ((0 0, 1 0, 1 1, 0 0))'",
    "transform = '[1.0, 0.0, 0.0, 0.0, -1.0, 0.0]'", "crs_wkt = 'LOCAL_CS[\"x\"]'",
    "width_px = width_px + 1", "ingested_utc = '2000-01-01T00:00:00+00:00'",
])
def test_a_scene_field_no_correction_changes_is_checked(store: CaseStore, assignment: str) -> None:
    """Old code compared site, date, name, source and GSD only: these edits passed."""
    _sql(store, f"UPDATE scenes SET {assignment}")
    (problem,) = verify_case(store).problems
    assert "catalog row differs from the digest its audit entry 1 recorded" in problem


def test_an_edited_detection_position_is_caught(store: CaseStore) -> None:
    """Old code digested boxes, labels and scores only: a moved longitude passed."""
    _sql(store, "UPDATE detections SET lon_deg = lon_deg + 0.001")
    (problem,) = verify_case(store).problems
    assert "detections of run r1" in problem and "differ from the digest" in problem


@pytest.mark.parametrize("statement", [
    "UPDATE runs SET params = json_set(params, '$.score_threshold', 0.9)",
    "UPDATE runs SET model_sha256 = 'c' || substr(model_sha256, 2)",
])
def test_an_edited_run_is_caught(store: CaseStore, statement: str) -> None:
    _sql(store, statement)
    (problem,) = verify_case(store).problems
    assert problem.startswith("run r1 (its model, parameters or software) differs")


def test_a_run_row_never_logged_is_caught(store: CaseStore) -> None:
    _sql(store, "INSERT INTO runs SELECT 'r2', kind, created_utc, model_name, model_sha256, params, "
                "software FROM runs")
    assert verify_case(store).problems == ("run r2 is in the catalog but was never logged",)


def test_an_edited_or_removed_scene_change_is_caught(store: CaseStore) -> None:
    """Old code never read the scene-change history back."""
    _sql(store, "DROP TRIGGER scene_changes_no_update", "UPDATE scene_changes SET reason = 'forged'")
    problems = " ".join(verify_case(store).problems)
    assert "scene change 1 (date of scene" in problems
    assert "trigger 'scene_changes_no_update' is missing" in problems
    _sql(store, "DROP TRIGGER scene_changes_no_delete", "DELETE FROM scene_changes")
    problems = " ".join(verify_case(store).problems)
    assert "that the catalog's history no longer holds" in problems


def test_an_edited_time_of_a_scene_change_is_caught(store: CaseStore) -> None:
    """The correction's entry records the row's time since issue 24 (a flipped digit passed)."""
    _sql(store, "DROP TRIGGER scene_changes_no_update",
         "UPDATE scene_changes SET time_utc = replace(time_utc, '+00:00', '1+00:00')")
    problems = verify_case(store).problems
    assert any(p.startswith("scene change 1 (date of scene") for p in problems), problems


def test_a_head_whose_number_was_edited_is_caught(store: CaseStore) -> None:
    """Old code compared the head's hash only."""
    _sql(store, "UPDATE meta SET value = json_set(value, '$.seq', json_extract(value, '$.seq') - 1) "
                "WHERE key = 'audit_head'")
    (problem,) = verify_case(store).problems
    assert "entries were removed or replaced" in problem


def test_an_added_table_and_an_edited_counter_are_caught(store: CaseStore) -> None:
    _sql(store, "CREATE TABLE notes (x TEXT)", "UPDATE sqlite_sequence SET seq = 7")
    problems = verify_case(store).problems
    assert "catalog 'catalog.sqlite': table 'notes' is not one sitewatch makes" in problems
    assert any("table scene_changes counted 7 rows but its last row is 1" in p for p in problems)


def test_bytes_appended_to_the_catalog_file_are_caught(store: CaseStore) -> None:
    """SQLite reads past them, so every row read the same and verify passed."""
    with store.layout.catalog.open("ab") as handle:
        handle.write(b"appended")
    (problem,) = verify_case(store).problems
    assert "bytes were added to or cut from the file" in problem


def test_an_edited_journal_is_caught(store: CaseStore) -> None:
    with closing(sqlite3.connect(store.layout.catalog)) as db:
        journal = json.loads(db.execute("SELECT value FROM meta WHERE key = 'audit_journal'").fetchone()[0])
    entry = json.loads(journal["lines"][-1])
    entry["hash"] = "f" * 64
    journal["lines"][-1] = json.dumps(entry)
    _sql(store, f"UPDATE meta SET value = '{json.dumps(journal)}' WHERE key = 'audit_journal'")
    (problem,) = verify_case(store).problems
    assert "the catalog journals audit entry" in problem


def test_a_journal_that_moves_a_file_from_outside_the_case_is_refused(store: CaseStore,
                                                                     tmp_path: Path) -> None:
    """A case received from an adversary must not make ``verify`` rename files on the machine."""
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    journal = {"lines": [], "moves": [[str(victim), "derived/taken.txt"]]}
    _sql(store, f"UPDATE meta SET value = '{json.dumps(journal)}' WHERE key = 'audit_journal'")
    with pytest.raises(IntegrityError, match=r"moves 'victim\.txt', which sitewatch never stages"):
        store.recover()
    assert victim.read_text() == "mine" and not (store.root / "derived" / "taken.txt").exists()


@pytest.mark.parametrize(("statement", "said"), [
    ("UPDATE scenes SET date = '2014-13-45'", "scene row"),
    ("UPDATE scenes SET format = 'bogus'", "scene row"),
    ("UPDATE runs SET params = '{not json'", "a run row does not decode"),
    ("UPDATE meta SET value = '{not json' WHERE key = 'audit_head'", "its audit head does not decode"),
    ("UPDATE meta SET value = '[1' WHERE key = 'audit_journal'", "its write journal does not decode"),
    ("UPDATE scene_changes SET field = 'bogus'", "a scene-change row does not decode"),
])
def test_verify_and_replay_say_a_damaged_row_in_one_line(store: CaseStore, statement: str, said: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Old code: tracebacks (ValueError, JSONDecodeError) from verify and replay."""
    if "scene_changes" in statement:
        _sql(store, "DROP TRIGGER scene_changes_no_update")
    _sql(store, statement)
    store.layout.manifest.write_text('{"inputs": [], "runs": [], "tracks_sha256": ""}')  # replay reads on
    for command in ("verify", "replay"):
        code = main([command, str(store.root)])
        err = capsys.readouterr().err
        assert code in (1, 2) and "Traceback" not in err, err
        if command == "verify":  # replay reads the rows it recomputes, and names those
            assert said in err and "catalog.sqlite" in err, err


def test_flips_in_the_schema_text_are_one_line_errors_never_tracebacks(
        store: CaseStore, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by bench --tamper: a flip in page 1 (the schema's SQL text) made verify raise
    UnicodeDecodeError; another byte gave an OperationalError traceback."""
    data = store.layout.catalog.read_bytes()
    start = data.index(b"CREATE TABLE scenes")
    for offset in range(start, start + 400, 3):
        changed = bytearray(data)
        changed[offset] ^= 0xa4
        store.layout.catalog.write_bytes(bytes(changed))
        code = main(["verify", str(store.root)])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err and code in (0, 1, 2), (offset, captured.err)
        assert code != 0, (offset, captured.out)


@pytest.mark.parametrize("damage", ["garbage", "cut", "header"])
def test_verify_names_a_corrupt_catalog_file_in_one_line(store: CaseStore, damage: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = store.layout.catalog.read_bytes()
    store.layout.catalog.write_bytes({"garbage": b"x" * len(data), "cut": data[: len(data) // 2],
                                      "header": data[:40] + b"\xff" * 20 + data[60:]}[damage])
    code = main(["verify", str(store.root)])
    err = capsys.readouterr().err
    assert code in (1, 2) and "Traceback" not in err and "catalog.sqlite" in err, err
    assert len(err.strip().splitlines()) <= 3
