from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sitewatch.track import Count, Event, EventKind, SiteTrack
from sitewatch.track.tables import COUNT_COLUMNS, EVENT_COLUMNS, write_counts_csv, write_events_csv


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


def test_counts_csv_holds_the_three_figures_their_meaning_and_unseen_rows_blank(
        tmp_path: Path) -> None:
    day = dt.date(2014, 8, 5)
    seen = Count(site="depot", date=day, label="armored_vehicle", zone=None, n=355,
                 observable=True, reason="observable", estimate=261.58, interval_lo=245,
                 interval_hi=278, interval_level=0.9, precision=0.7, recall=0.95)
    unseen = Count(site="depot", date=day, label="armored_vehicle", zone="-north", n=None,
                   observable=False, reason="clouded: 80% under cloud")
    track = SiteTrack(site="depot", reference_date=day, dates=(day,), counts=(seen, unseen),
                      events=(), registrations=())
    path = tmp_path / "c.csv"
    assert write_counts_csv([track], path, rates_source="model m, from a test") == 2
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COUNT_COLUMNS
    first, second = rows
    assert (first["detected"], first["estimate"], first["interval_lo"], first["interval_hi"]) == (
        "355", "261.58", "245", "278")
    assert first["zone"] == "" and first["rates_source"] == "model m, from a test"
    assert "90% interval for the true number" in first["interval_meaning"]
    assert second["observable"] == "no" and second["zone"] == "'-north"
    assert (second["detected"], second["estimate"], second["interval_lo"]) == ("", "", "")
    assert second["rates_source"] == "" and second["reason"].startswith("clouded")


def test_an_unmeasured_loaded_count_has_blank_figures_and_says_why(tmp_path: Path) -> None:
    day = dt.date(2014, 8, 5)
    why = "not measurable by the detector: found 0 of 32 on generated series; analyst marks only"
    loaded = Count(site="depot", date=day, label="loaded_transporter", zone=None, n=None,
                   observable=True, reason="not measurable by the detector, analyst marks only: "
                   "analyst marked 3; observable", unmeasured=why, marked=3)
    track = SiteTrack(site="depot", reference_date=day, dates=(day,), counts=(loaded,),
                      events=(), registrations=())
    path = tmp_path / "c.csv"
    assert write_counts_csv([track], path, rates_source="CV rates of model m") == 1
    with path.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["observable"] == "yes"
    blank = ("detected", "estimate", "interval_lo", "interval_hi", "interval_level",
             "precision", "recall", "interval_meaning")
    assert {k: row[k] for k in blank} == dict.fromkeys(blank, "")  # empty, never 0
    assert row["rates_source"] == why and "analyst marked 3" in row["reason"]
