"""Where/when checks in a case: recorded with an audit entry, cited by the assessment, replayed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitewatch.assess import load_assessment
from sitewatch.assess.ids import check_ref
from sitewatch.case.where import media_check, record_where_check, replay_where_checks, where_checks
from sitewatch.catalog import CaseStore
from sitewatch.catalog.audit import read_entries
from sitewatch.where.evidence import CheckKind, WhereCheck, run_check
from tests.where.where_fixtures import scene, write_photo

MARKS = {"base_px": [500, 600], "top_px": [500, 400], "tip_px": [658.7, 600], "marking_error_px": 3.0,
         "reference": None}


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def test_place_time_check_is_recorded_cited_and_replays(store: CaseStore) -> None:
    inputs = {"marks": MARKS, "lon_deg": 37.97, "lat_deg": 48.03, "time_utc": "2014-06-11T07:00:00Z"}
    check = run_check("shadow-1", CheckKind.PLACE_TIME, inputs)
    assert check.fits is True and "fits" in check.finding
    assert check.library.startswith("pvlib ")
    record_where_check(store, check, cite_as="E-sun")
    assert where_checks(store) == (check,)
    entries = [e for e in read_entries(store.audit_path) if e.action == "where.check"]
    assert entries and entries[-1].details["id"] == "shadow-1"
    evidence = load_assessment(store.layout.assessment).evidence
    assert evidence[0].ref == "where:shadow-1" and evidence[0].kind.value == "where"
    check_ref(check.ref)
    assert replay_where_checks(store) == ()
    # A hand edit of the stored result is caught by replay.
    path = store.layout.where / "shadow-1.json"
    data = json.loads(path.read_text())
    data["result"]["elevation_deg"] = 12.0
    path.write_text(json.dumps(data))
    assert "differs" in replay_where_checks(store)[0]


def test_times_of_day_and_map_checks(store: CaseStore, tmp_path: Path) -> None:
    times = run_check("t1", CheckKind.TIMES_OF_DAY, {"marks": MARKS, "lon_deg": 37.97, "lat_deg": 48.03,
                                                     "day": "2014-06-11"})
    assert times.fits is True and "Europe/Kyiv" in times.finding
    world = run_check("w1", CheckKind.WHERE_ON_EARTH, {"marks": MARKS, "time_utc": "2014-06-11T07:00:00Z",
                                                       "lon_deg": 37.97, "lat_deg": 48.03, "step_deg": 1.0},
                      outputs=tmp_path / "maps")
    assert world.fits is True and (tmp_path / "maps" / "w1.png").is_file()
    assert WhereCheck.from_json(world.to_json()) == world


def test_media_check_keeps_the_original_and_replays(store: CaseStore, tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "p.jpg", scene(5), lon_deg=37.97, lat_deg=48.03)
    check, meta = media_check(store, photo)
    assert meta.gps is not None and "48.03" in check.finding
    assert store.layout.object(meta.sha256 or "", ".jpg").is_file()
    assert replay_where_checks(store) == ()
