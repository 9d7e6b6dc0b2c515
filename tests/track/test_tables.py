from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sitewatch.track import Event, EventKind, SiteTrack
from sitewatch.track.tables import EVENT_COLUMNS, write_events_csv


def test_events_csv_has_the_columns_and_defuses_formulas(tmp_path: Path) -> None:
    event = Event(site="=cmd|' /C calc'!A0", date_from=dt.date(2014, 8, 5),
                  date_to=dt.date(2014, 8, 7), kind=EventKind.DEPARTED,
                  label="armored_vehicle", zone="north apron", x_px=10.0, y_px=-3.5)
    track = SiteTrack(site="x", reference_date=dt.date(2014, 8, 5), dates=(), counts=(),
                      events=(event,), registrations=())
    path = tmp_path / "e.csv"
    assert write_events_csv([track], path) == 1
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == EVENT_COLUMNS
    assert rows[0]["site"].startswith("'=")
    assert rows[0]["y"] == "-3.5" and rows[0]["lon"] == ""
    assert rows[0]["kind"] == "departed" and rows[0]["zone"] == "north apron"
