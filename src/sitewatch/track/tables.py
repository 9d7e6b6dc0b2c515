"""Counts, events and links as CSV tables (one row per count, event or link)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from sitewatch.track.intervals import interval_meaning
from sitewatch.track.links import Link
from sitewatch.track.types import Count, Event, SiteTrack, Unseen
from sitewatch.untrusted import csv_cell as _cell

#: Every count says what its figures mean and whose rates made them, so that a row copied out
#: of the table still does (``interval_meaning``, ``rates_source``).
COUNT_COLUMNS = ("site", "date", "zone", "label", "observable", "detected", "estimate",
                 "interval_lo", "interval_hi", "interval_level", "precision", "recall", "reason",
                 "coverage", "cloud_fraction", "interval_meaning", "rates_source",
                 "washed_fraction", "observable_share", "partial")

#: ``kind`` of a row for a vehicle whose place one date of the pair could not show.
UNSEEN_KIND = "unseen"
EVENT_COLUMNS = ("site", "date_from", "date_to", "kind", "label", "zone", "x", "y", "lon", "lat",
                 "from_x", "from_y", "distance_m", "confidence", "unseen_on", "reason")
LINK_COLUMNS = ("sighting", "sighting_time_utc", "place", "seen", "seen_count", "sighting_source", "site",
                "date_from", "date_to", "label", "n_departed", "count_fits", "mode", "distance_km",
                "window_h", "needed_typical_h", "needed_fastest_h", "verdict", "reason",
                "typical_kmh", "max_kmh", "detour_factor", "fixed_delay_h", "speed_source",
                "site_border_km", "sighting_border_km")


def event_row(e: Event) -> tuple[str, ...]:
    """One event as CSV cells in :data:`EVENT_COLUMNS` order."""
    lon, lat = (e.lonlat.lon_deg, e.lonlat.lat_deg) if e.lonlat is not None else (None, None)
    values: tuple[object, ...] = (
        e.site, e.date_from.isoformat(), e.date_to.isoformat(), e.kind.value, e.label, e.zone,
        round(e.x_px, 2), round(e.y_px, 2),
        None if lon is None else f"{lon:.7f}", None if lat is None else f"{lat:.7f}",
        None if e.from_x_px is None else round(e.from_x_px, 2),
        None if e.from_y_px is None else round(e.from_y_px, 2),
        None if e.distance_m is None else round(e.distance_m, 2), round(e.confidence, 3),
        None, None,
    )
    return tuple(_cell(v) for v in values)


def unseen_row(u: Unseen) -> tuple[str, ...]:
    """One unseen vehicle as CSV cells in :data:`EVENT_COLUMNS` order (kind ``unseen``)."""
    lon, lat = (u.lonlat.lon_deg, u.lonlat.lat_deg) if u.lonlat is not None else (None, None)
    values: tuple[object, ...] = (
        u.site, u.date_from.isoformat(), u.date_to.isoformat(), UNSEEN_KIND, u.label, u.zone,
        round(u.x_px, 2), round(u.y_px, 2),
        None if lon is None else f"{lon:.7f}", None if lat is None else f"{lat:.7f}",
        None, None, None, round(u.confidence, 3), u.unseen_on.isoformat(), u.reason,
    )
    return tuple(_cell(v) for v in values)


def count_row(c: Count, *, rates_source: str) -> tuple[str, ...]:
    """One count as CSV cells in :data:`COUNT_COLUMNS` order; a zone ``None`` is the site."""
    meaning = "" if c.interval_level is None else interval_meaning(c.interval_level)
    values: tuple[object, ...] = (
        c.site, c.date.isoformat(), c.zone, c.label, "yes" if c.observable else "no", c.n,
        None if c.estimate is None else round(c.estimate, 2), c.interval_lo, c.interval_hi,
        c.interval_level, c.precision, c.recall, c.reason,
        None if c.coverage is None else round(c.coverage, 3),
        None if c.cloud_fraction is None else round(c.cloud_fraction, 3),
        meaning, c.unmeasured or (rates_source if c.observable else ""),
        None if c.washed_fraction is None else round(c.washed_fraction, 3),
        None if c.observable_share is None else round(c.observable_share, 3),
        ("yes" if c.partial else "no") if c.observable else "",
    )
    return tuple(_cell(v) for v in values)


def write_counts_csv(tracks: Sequence[SiteTrack], path: Path, *, rates_source: str) -> int:
    """Write every count of every site (zone empty for the whole site) to ``path``.

    ``rates_source`` says where the detector's precision and recall came from (e.g.
    ``sitewatch.case.interval_options``' note); it is written on every observable row.
    Returns the number of rows.
    """
    rows = [count_row(c, rates_source=rates_source) for t in tracks for c in t.counts]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COUNT_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def write_events_csv(tracks: Sequence[SiteTrack], path: Path) -> int:
    """Write every event of every site, then every vehicle left unseen by one date of its
    pair (kind ``unseen``, with ``unseen_on`` and ``reason``), to ``path``; returns the number
    of rows."""
    rows = [event_row(e) for t in tracks for e in t.events]
    rows += [unseen_row(u) for t in tracks for u in t.unseen]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(EVENT_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def link_row(link: Link) -> tuple[str, ...]:
    """One link as CSV cells in :data:`LINK_COLUMNS` order."""
    s, d, sp = link.sighting, link.departure, link.speed
    values: tuple[object, ...] = (
        s.sighting_id, s.time_utc.isoformat().replace("+00:00", "Z"), s.place, s.seen, s.count,
        s.source, d.site, d.date_from.isoformat(), d.date_to.isoformat(), d.label, d.n,
        link.count_fits, sp.mode.value,
        round(link.distance_m / 1000.0, 2), round(link.window_h, 1),
        round(link.needed_typical_h, 1), round(link.needed_fastest_h, 1), link.verdict.value,
        link.reason, sp.typical_kmh, sp.max_kmh, sp.detour_factor, sp.fixed_delay_h, sp.source,
        None if link.site_border_m is None else round(link.site_border_m / 1000.0, 2),
        None if link.sighting_border_m is None else round(link.sighting_border_m / 1000.0, 2),
    )
    return tuple(_cell(v) for v in values)


def write_links_csv(links: Sequence[Link], path: Path) -> int:
    """Write every link to ``path``; returns the number of rows."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(LINK_COLUMNS)
        writer.writerows(link_row(lk) for lk in links)
    return len(links)
