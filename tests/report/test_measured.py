"""sitewatch's own figure for an evidence item's reference."""

from __future__ import annotations

import datetime as dt

from sitewatch.geo import LonLat
from sitewatch.report.measured import measured_for
from sitewatch.track import Count, Event, EventKind, SiteTrack
from sitewatch.track.links import Departure, Sighting, link_sightings

D1, D2 = dt.date(2014, 8, 5), dt.date(2014, 8, 7)


def _track() -> SiteTrack:
    counts = (
        Count(site="depot", date=D1, label="loaded_transporter", zone=None, n=0, observable=True,
              reason="observable", estimate=0.0, interval_lo=0, interval_hi=1,
              interval_level=0.9, precision=0.7, recall=0.84),
        Count(site="depot", date=D2, label="armored_vehicle", zone="north", n=None,
              observable=False, reason="cloud over 30 %"),
    )
    events = tuple(
        Event(site="depot", date_from=D1, date_to=D2, kind=kind, label="armored_vehicle",
              zone=None, x_px=10.0 * i, y_px=5.0)
        for i, kind in enumerate([EventKind.DEPARTED, EventKind.DEPARTED, EventKind.STAYED]))
    return SiteTrack(site="depot", reference_date=D1, dates=(D1, D2), counts=counts,
                     events=events, registrations=())


def test_counts_say_the_number_its_interval_or_why_not_observable() -> None:
    tracks = [_track()]
    assert measured_for("count:depot/2014-08-05/loaded_transporter", tracks, ()) == (
        "sitewatch detected 0 loaded transporters at depot on 2014-08-05; true number estimated "
        "at 0 (90% interval 0–1, from precision 0.7 and recall 0.84)")
    assert measured_for("count:depot/2014-08-07/armored_vehicle/north", tracks, ()) == (
        "sitewatch: depot, zone 'north' not observable on 2014-08-07 (cloud over 30 %)")
    assert "no count" in str(measured_for("count:depot/2014-07-01/armored_vehicle", tracks, ()))


def test_events_are_counted_over_the_span() -> None:
    text = measured_for("event:depot/2014-08-05..2014-08-07/departed/armored_vehicle",
                        [_track()], ())
    assert text == ("sitewatch: 2 departures of armoured vehicles at depot between 2014-08-05 "
                    "and 2014-08-07")
    assert "no site 'base'" in str(
        measured_for("event:base/2014-08-05..2014-08-07/departed/armored_vehicle", [_track()], ()))


def test_links_give_each_modes_verdict() -> None:
    here = LonLat(lon_deg=39.7, lat_deg=47.2)
    left = Departure(site="depot", date_from=D1, date_to=D2, label="armored_vehicle", n=2,
                     lonlat=here)
    seen = Sighting(sighting_id="S1", time_utc=dt.datetime(2014, 8, 4, 12, tzinfo=dt.UTC),
                    lonlat=here, place="lay-by", seen="armored_vehicle", count=2, source="photo")
    text = str(measured_for("link:S1", (), link_sightings([seen], [left])))
    assert text.startswith("sitewatch's travel-time check for S1 against the 2 armoured vehicles "
                           "that left depot between 2014-08-05 and 2014-08-07: ")
    assert text.count("implausible") == 3  # seen before the vehicles left, by every mode
    assert "no sighting 'S9'" in str(measured_for("link:S9", (), ()))


def test_other_references_are_left_to_the_analyst() -> None:
    for ref in (None, "document:press", "event:arrival-0611", "scene:abc",
                "count:depot/not-a-date/armored_vehicle"):
        assert measured_for(ref, [_track()], ()) is None
