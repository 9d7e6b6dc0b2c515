"""What the case itself measured for an evidence item's reference, in words.

An assessment's evidence may point at a count, an event group or a link of the case
(``count:SITE/DATE/LABEL[/ZONE]``, ``event:SITE/FROM..TO/KIND/LABEL``, ``link:SIGHTING``).
The report prints sitewatch's own figure beside the analyst's description, so that a reader
sees at once where the two differ (an analyst who counted three loaded transporters by eye
where the detector found none, say). Other references (scenes, documents, free-form event
names) are left to the analyst's words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sitewatch.label_names import label_name
from sitewatch.report.wording import events_phrase
from sitewatch.track import Departure, Link, SiteTrack

__all__ = ["measured_for"]


def measured_for(ref: str | None, tracks: Sequence[SiteTrack], links: Sequence[Link]) -> str | None:
    """sitewatch's figure for ``ref`` in one sentence, or ``None`` if it names no case figure.

    >>> measured_for("document:press-release", (), ()) is None
    True
    """
    if ref is None:
        return None
    scheme, _, value = ref.partition(":")
    if scheme == "count":
        return _count(value.split("/"), tracks)
    if scheme == "event":
        return _events(value.split("/"), tracks)
    if scheme == "link":
        return _link(value, links)
    return None


def _words(label: str, n: int = 2) -> str:
    return label_name(label, n)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _count(parts: list[str], tracks: Sequence[SiteTrack]) -> str | None:
    if len(parts) not in (3, 4) or (date := _date(parts[1])) is None:
        return None
    site, _, label = parts[:3]
    zone = parts[3] if len(parts) == 4 else None
    where = f"{site}" + (f", zone {zone!r}" if zone else "")
    found = [c for t in tracks for c in t.counts
             if c.site == site and c.date == date and c.label == label and c.zone == zone]
    if not found:
        return f"sitewatch has no count of {_words(label)} for {where} on {date}"
    c = found[0]
    if c.unmeasured is not None:
        marked = (f"an analyst marked {c.marked} {_words(label, c.marked or 0)}" if c.marked
                  else "no analyst mark")
        return f"sitewatch: {_words(label)} at {where} on {date} are {c.unmeasured} ({marked})"
    if c.n is None:
        return f"sitewatch: {where} not observable on {date} ({c.reason})"
    true = "" if c.estimate is None or c.interval_level is None else (
        f"; true number estimated at {c.estimate:.0f} ({c.interval_level:.0%} interval "
        f"{c.interval_lo}–{c.interval_hi}, from precision {c.precision:g} and recall "
        f"{c.recall:g})")
    return f"sitewatch detected {c.n} {_words(label, c.n or 0)} at {where} on {date}{true}"


def _events(parts: list[str], tracks: Sequence[SiteTrack]) -> str | None:
    if len(parts) != 4:
        return None
    site, span, kind, label = parts
    start, sep, end = span.partition("..")
    date_from, date_to = _date(start), _date(end)
    if not sep or date_from is None or date_to is None:
        return None
    if not any(t.site == site for t in tracks):
        return f"sitewatch has no site {site!r} in this case"
    n = sum(1 for t in tracks for e in t.events
            if e.site == site and e.kind.value == kind and e.label == label
            and date_from <= e.date_from and e.date_to <= date_to)
    return (f"sitewatch: {events_phrase(n, kind)} of {_words(label, n)} at {site} between "
            f"{date_from} and {date_to}")


def _link(sighting_id: str, links: Sequence[Link]) -> str | None:
    mine = [k for k in links if k.sighting.sighting_id == sighting_id]
    if not mine:
        return f"sitewatch has no sighting {sighting_id!r} in this case"
    by_departure: dict[Departure, list[str]] = {}
    for k in mine:
        by_departure.setdefault(k.departure, []).append(
            f"{k.speed.mode.value.replace('_', ' ')} {k.verdict.value.replace('_', ' ')}")
    groups = "; ".join(
        f"the {d.n} {_words(d.label, d.n)} that left {d.site} between {d.date_from} and "
        f"{d.date_to}: " + ", ".join(verdicts)
        for d, verdicts in by_departure.items())
    return f"sitewatch's travel-time check for {sighting_id} against {groups}"
