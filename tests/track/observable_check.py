"""Reading an events table against observability masks made apart from the code under test."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

#: Kinds that claim something about a place on both dates of their row.
CLAIMS = ("arrived", "departed", "moved", "stayed")


def events_in_unobservable_places(
    path: Path, observable: Callable[[dt.date, float, float, str], bool]
) -> list[str]:
    """Rows of an events CSV that claim an arrival, departure, move or stay at a place that
    ``observable(date, x_px, y_px, label)`` says one of the row's two dates could not see (a
    move is judged at both its ends); empty when every claim is on ground both dates saw."""
    bad = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] not in CLAIMS:
                continue
            d0, d1 = dt.date.fromisoformat(row["date_from"]), dt.date.fromisoformat(row["date_to"])
            places = [(float(row["x"]), float(row["y"]))]
            if row["from_x"]:
                places.append((float(row["from_x"]), float(row["from_y"])))
            for x, y in places:
                for d in (d0, d1):
                    if not observable(d, x, y, row["label"]):
                        bad.append(f"{row['kind']} {row['label']} at ({x:.0f}, {y:.0f}) "
                                   f"{d0}..{d1}: not observable on {d}")
    return bad
