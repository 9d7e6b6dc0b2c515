from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sitewatch.demo import sample_data_dir
from sitewatch.errors import ConfigError
from sitewatch.geo import LonLat
from sitewatch.geo.boundary import load_boundary
from sitewatch.geo.travel import TransportMode
from sitewatch.track.links import Departure, Verdict, link_sightings, load_sightings
from sitewatch.track.tables import LINK_COLUMNS, link_row

DEMO = sample_data_dir()
SITE = LonLat(lon_deg=-114.8190, lat_deg=39.2493)


def _departure(label: str = "armored_vehicle") -> Departure:
    return Departure(site="demo-depot", date_from=dt.date(2014, 8, 5),
                     date_to=dt.date(2014, 8, 7), label=label, n=8, lonlat=SITE)


def test_demo_sightings_one_plausible_one_shown_as_implausible() -> None:
    sightings = load_sightings(DEMO / "sightings.csv")
    links = link_sightings(sightings, [_departure()],
                           boundary=load_boundary(DEMO / "boundary.geojson"))
    assert len(links) == 2 * len(TransportMode)  # nothing dropped
    s1 = [lk for lk in links if lk.sighting.sighting_id == "S1"]
    assert {lk.verdict for lk in s1} == {Verdict.PLAUSIBLE}
    assert 73_000 < s1[0].distance_m < 75_000
    assert s1[0].sighting_border_m is not None and s1[0].sighting_border_m < 10_000
    s2 = [lk for lk in links if lk.sighting.sighting_id == "S2"]
    assert {lk.verdict for lk in s2} == {Verdict.IMPLAUSIBLE}
    assert "before the earliest possible departure" in s2[0].reason
    row = dict(zip(LINK_COLUMNS, link_row(s1[0]), strict=True))
    assert row["speed_source"] and row["verdict"] == "plausible"
    assert row["seen_count"] == "3" and row["count_fits"] == "True"


def test_too_far_for_the_time_is_implausible_and_kept() -> None:
    far = load_sightings(DEMO / "sightings.csv")[0]
    far = type(far)(sighting_id="F", time_utc=dt.datetime(2014, 8, 5, 3, tzinfo=dt.UTC),
                    lonlat=far.lonlat, place="", seen="vehicle", count=None, source="")
    verdicts = {lk.speed.mode: lk.verdict for lk in link_sightings([far], [_departure()])}
    assert verdicts[TransportMode.TRACKED_ROAD_MARCH] is Verdict.IMPLAUSIBLE
    assert verdicts[TransportMode.RAIL] is Verdict.IMPLAUSIBLE
    assert verdicts[TransportMode.TRANSPORTER_ROAD] is Verdict.ONLY_AT_MAXIMUM_SPEED


def test_other_labels_are_not_candidates() -> None:
    sightings = load_sightings(DEMO / "sightings.csv")
    assert link_sightings(sightings, [_departure("civilian_vehicle")]) == ()


def test_bad_sightings_files(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,when,lon,lat\nS1,2014-08-08T09:30:00Z,39,47\n")
    with pytest.raises(ConfigError, match="missing columns"):
        load_sightings(path)
    path.write_text("id,time_utc,lon,lat\nS1,2014-08-08T09:30:00,39,47\n")
    with pytest.raises(ConfigError, match="no time zone"):
        load_sightings(path)
    path.write_text("id,time_utc,lon,lat\nS1,2014-08-08T09:30:00Z,391,47\n")
    with pytest.raises(Exception, match="outside WGS84"):
        load_sightings(path)
    # issue 24: a count of 1e39 vehicles was accepted
    for count in ("1" + "0" * 39, "-3", "10001"):
        path.write_text(f"id,time_utc,lon,lat,count\nS1,2014-08-08T09:30:00Z,39,47,{count}\n")
        with pytest.raises(ConfigError, match="is not a number of vehicles"):
            load_sightings(path)
    path.write_text("id,time_utc,lon,lat,count\nS1,2014-08-08T09:30:00Z,39,47,10000\n")
    assert load_sightings(path)[0].count == 10_000
