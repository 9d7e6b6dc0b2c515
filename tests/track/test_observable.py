"""Events only where both dates could see: cloud, haze, partial coverage, on real pixels."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sitewatch.track import EventKind, SiteTrack, TrackOptions, register_by_metadata, track_site
from sitewatch.track.tables import write_events_csv
from tests.track.clouded_series import Scene, clouded_series, coverage_pair
from tests.track.observable_check import events_in_unobservable_places

D1, D2, D3, D4 = (dt.date(2021, 5, d) for d in (3, 10, 17, 24))


def _track(scene: Scene) -> SiteTrack:
    return track_site(scene.observations, registrar=register_by_metadata,
                      options=TrackOptions())


@pytest.fixture(scope="module")
def clouded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scene, SiteTrack, Path]:
    folder = tmp_path_factory.mktemp("clouded")
    scene = clouded_series(folder)
    track = _track(scene)
    path = folder / "events.csv"
    write_events_csv([track], path)
    return scene, track, path


def _claims(track: SiteTrack, d0: dt.date, d1: dt.date) -> Counter[str]:
    return Counter(e.kind.value for e in track.events
                   if (e.date_from, e.date_to) == (d0, d1) and e.kind is not EventKind.LOADED)


def test_no_event_in_a_place_either_date_could_not_see(
        clouded: tuple[Scene, SiteTrack, Path]) -> None:
    scene, _, path = clouded
    assert events_in_unobservable_places(path, scene.observable) == []


def test_a_fully_clouded_date_yields_no_arrival_or_departure(
        clouded: tuple[Scene, SiteTrack, Path]) -> None:
    _, track, _ = clouded
    assert not [e for e in track.events if D2 in (e.date_from, e.date_to)]
    unseen = [u for u in track.unseen if u.unseen_on == D2]
    assert len(unseen) == 4 and all(u.date_from == D1 and u.date_to == D2 for u in unseen)
    assert all("hazy" in u.reason or "cloud" in u.reason or "washed" in u.reason
               for u in unseen)
    (site,) = [p for p in track.pairs if p.date_to == D2 and p.zone is None]
    assert site.observable_share < 0.05


def test_after_a_clouded_date_each_place_is_compared_with_the_last_date_that_saw_it(
        clouded: tuple[Scene, SiteTrack, Path]) -> None:
    _, track, _ = clouded
    # the four vehicles hidden on D2 and seen again on D3 have not arrived: they stayed since D1
    assert _claims(track, D1, D3) == Counter({"stayed": 4, "arrived": 1})
    assert _claims(track, D2, D3) == Counter()
    (arrived,) = [e for e in track.events if e.kind is EventKind.ARRIVED and e.date_to == D3]
    assert (arrived.x_px, arrived.y_px) == pytest.approx((140, 430), abs=1)
    (pair,) = [p for p in track.pairs if p.date_to == D3 and p.zone is None]
    assert pair.observable_share < 0.05 and pair.compared_share > 0.95


def test_a_half_clouded_date_has_events_only_in_its_clear_half(
        clouded: tuple[Scene, SiteTrack, Path]) -> None:
    _, track, _ = clouded
    assert _claims(track, D3, D4) == Counter({"stayed": 2, "departed": 1, "arrived": 1})
    (gone,) = [e for e in track.events if e.kind is EventKind.DEPARTED]
    assert (gone.x_px, gone.y_px) == pytest.approx((90, 110), abs=1)
    hidden = sorted((u.x_px, u.y_px) for u in track.unseen if u.unseen_on == D4)
    assert hidden == [(400, 120), (410, 360)]
    (pair,) = [p for p in track.pairs if p.date_to == D4 and p.zone is None]
    assert 0.35 < pair.observable_share < 0.55


def test_unseen_vehicles_are_rows_of_the_events_csv(
        clouded: tuple[Scene, SiteTrack, Path]) -> None:
    _, track, path = clouded
    with path.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "unseen"]
    assert len(rows) == len(track.unseen) == 6
    assert {r["unseen_on"] for r in rows} == {str(D2), str(D4)}
    assert all(r["reason"] for r in rows)


def test_a_pair_covering_3_percent_lists_no_departure_outside_it(tmp_path: Path) -> None:
    scene = coverage_pair(tmp_path, share=0.03)
    track = _track(scene)
    path = tmp_path / "events.csv"
    write_events_csv([track], path)
    assert events_in_unobservable_places(path, scene.observable) == []
    (gone,) = [e for e in track.events if e.kind is not EventKind.LOADED]
    assert gone.kind is EventKind.DEPARTED
    assert sorted(u.reason.split(" of ")[0] for u in track.unseen) == ["outside the image"] * 3
    (pair,) = [p for p in track.pairs if p.zone is None]
    assert 0.02 < pair.observable_share < 0.045


def test_the_check_catches_an_event_in_an_unobservable_place(tmp_path: Path) -> None:
    # the helper itself must fail on a claim under the cloud of D4
    from sitewatch.track import Event

    scene = clouded_series(tmp_path)
    bad = Event(site="clouded", date_from=D3, date_to=D4, kind=EventKind.DEPARTED,
                label="armored_vehicle", zone=None, x_px=400.0, y_px=120.0)
    track = SiteTrack(site="clouded", reference_date=D1, dates=(D1, D2, D3, D4), counts=(),
                      events=(bad,), registrations=())
    path = tmp_path / "bad.csv"
    write_events_csv([track], path)
    (message,) = events_in_unobservable_places(path, scene.observable)
    assert "not observable on 2021-05-24" in message
