"""The case's tracks are computed once per case state, and recomputed when an input changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.case import detect_case, export_case, track_case
from sitewatch.case.manifest import tracks_digest
from sitewatch.case.replay import replay_case
from sitewatch.case.trackcache import load_tracks, save_tracks
from sitewatch.catalog import CaseStore
from sitewatch.catalog.reviews import ReviewAction, ReviewRecord, ReviewStatus
from sitewatch.geo import LonLat
from sitewatch.imagery.registration import Registration, RegistrationMethod
from sitewatch.track import (
    Event,
    EventKind,
    RegistrationNote,
    SiteTrack,
    TrackOptions,
    track_site,
)
from tests.case.test_jobs import BlobDetector, case  # noqa: F401  (the fixture)


class _Counting:
    """The real ``track_site``, counting its calls (to see when the cache is used)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object, **kwargs: object) -> SiteTrack:
        self.calls += 1
        return track_site(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> _Counting:
    spy = _Counting()
    monkeypatch.setattr("sitewatch.case.jobs.track_site", spy)
    return spy


@pytest.fixture
def detected(case: CaseStore) -> CaseStore:  # noqa: F811
    detect_case(case, BlobDetector())
    return case


def test_the_second_call_reads_the_tracks_the_first_computed(
        detected: CaseStore, counted: _Counting) -> None:
    first = track_case(detected)
    assert counted.calls == 1 and detected.layout.tracks.is_file()
    second = track_case(detected)
    assert counted.calls == 1
    assert second == first and tracks_digest(second) == tracks_digest(first)


def test_the_cached_tracks_are_the_tracks_computed_afresh(detected: CaseStore) -> None:
    track_case(detected)
    cached = track_case(detected)
    fresh = track_case(detected, use_cache=False)
    assert cached == fresh and tracks_digest(cached) == tracks_digest(fresh)
    assert any(t.events for t in cached) and any(c.observable for t in cached for c in t.counts)


def test_exports_share_one_computation(detected: CaseStore, counted: _Counting,
                                       tmp_path: Path) -> None:
    export_case(detected, "geojson", tmp_path / "a.geojson")
    export_case(detected, "kml", tmp_path / "a.kml")
    export_case(detected, "csv", tmp_path / "a.csv")
    assert counted.calls == 1


def test_a_review_invalidates_the_tracks(detected: CaseStore, counted: _Counting) -> None:
    before = track_case(detected)
    scene = next(s for s in detected.scenes() if s.date == dt.date(2014, 6, 11))
    run_id = detected.latest_run_id(scene.sha256)
    assert run_id is not None
    first = detected.detections(scene.sha256)[0]
    detected.append_review(ReviewRecord(
        scene_sha256=scene.sha256, run_id=run_id, detection_id="d0",
        action=ReviewAction.REJECT, status=ReviewStatus.REJECTED, label=first.label,
        cx_px=first.cx_px, cy_px=first.cy_px, width_px=first.width_px,
        height_px=first.height_px, angle_rad=first.angle_rad, loaded=False, reviewer="test",
        time_utc="2026-01-01T00:00:00Z"))
    after = track_case(detected)
    assert counted.calls == 2 and after != before


def test_other_options_or_a_zones_file_give_other_tracks(
        detected: CaseStore, counted: _Counting, tmp_path: Path) -> None:
    track_case(detected)
    track_case(detected, dataclasses.replace(TrackOptions(), interval_level=0.8))
    assert counted.calls == 2
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "sitewatch:frame": "pixel",
                                 "features": [{
        "type": "Feature", "properties": {"name": "north"},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [300, 0], [300, 150],
                                                          [0, 150], [0, 0]]]}}]}))
    with_zones = track_case(detected, zones_file=zones)
    assert counted.calls == 3 and any(c.zone == "north" for t in with_zones for c in t.counts)
    zones.write_text(zones.read_text().replace("north", "south"))
    renamed = track_case(detected, zones_file=zones)
    assert counted.calls == 4 and any(c.zone == "south" for t in renamed for c in t.counts)


def test_a_damaged_or_altered_cache_is_recomputed(detected: CaseStore,
                                                  counted: _Counting) -> None:
    first = track_case(detected)
    path = detected.layout.tracks
    path.write_text(path.read_text()[:100], encoding="utf-8")
    assert track_case(detected) == first and counted.calls == 2
    stored = json.loads(path.read_text())
    stored["tracks"][0]["site"] = "elsewhere"  # the digest stored beside it no longer matches
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert track_case(detected) == first and counted.calls == 3


def test_replay_recomputes_rather_than_reading_the_cache(
        detected: CaseStore, counted: _Counting, tmp_path: Path) -> None:
    from sitewatch.case import report_case

    report_case(detected, out=tmp_path / "report.html")
    calls = counted.calls
    replay_case(detected, detectors={BlobDetector.sha256: BlobDetector()})
    assert counted.calls == calls + 1


_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
_day = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1))


@st.composite
def _events(draw: st.DrawFn) -> Event:
    start = draw(_day)
    lonlat = draw(st.none() | st.builds(
        LonLat, lon_deg=st.floats(min_value=-180, max_value=180),
        lat_deg=st.floats(min_value=-90, max_value=90)))
    return Event(site=draw(st.text(max_size=8)), date_from=start,
                 date_to=start + dt.timedelta(days=draw(st.integers(0, 400))),
                 kind=draw(st.sampled_from(EventKind)), label=draw(st.text(max_size=12)),
                 zone=draw(st.none() | st.text(max_size=8)), x_px=draw(_finite),
                 y_px=draw(_finite), lonlat=lonlat,
                 confidence=draw(st.floats(min_value=0, max_value=1)),
                 from_x_px=draw(st.none() | _finite), distance_m=draw(st.none() | _finite))


@settings(deadline=None, max_examples=60)
@given(events=st.lists(_events(), max_size=6), residual=st.none() | _finite,
       method=st.sampled_from(RegistrationMethod))
def test_stored_tracks_read_back_equal(events: list[Event], residual: float | None,
                                       method: RegistrationMethod) -> None:
    import tempfile

    reg = Registration(date=dt.date(2020, 1, 2), reference_date=dt.date(2020, 1, 1),
                       matrix=(1.0, 0.0, 0.5, 0.0, 1.0, -2.25, 0.0, 0.0, 1.0),
                       residual_m=residual, method=method, n_inliers=3, n_matches=9)
    track = SiteTrack(site="s", reference_date=dt.date(2020, 1, 1),
                      dates=(dt.date(2020, 1, 1), dt.date(2020, 1, 2)), counts=(),
                      events=tuple(events), registrations=(reg,),
                      registration_notes=(RegistrationNote(date=dt.date(2020, 1, 2),
                                                           message="0 of 0 matches",
                                                           assumed_residual_m=5.0),))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracks.json"
        assert save_tracks(path, "k", (track,))
        assert load_tracks(path, "k") == (track,)
        assert load_tracks(path, "other key") is None
