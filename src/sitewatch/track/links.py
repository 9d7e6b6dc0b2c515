"""Links between departures from sites and later sightings elsewhere.

For each sighting (place, time, what was seen, source) and each group of vehicles that
departed a site between two image dates, and for each transport mode, the link says how far
it is (geodesic), how much time there was (from the start of the earlier image's day, the
earliest the vehicles can have left, to the sighting), how long the move needs at the mode's
typical and at its maximum speed, and whether that is plausible. Implausible links are kept
and shown as implausible, never dropped: an analyst must see what was ruled out and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sitewatch.errors import ConfigError
from sitewatch.geo import DEFAULT_SPEEDS, Boundary, LonLat, ModeSpeed, TransportMode, geodesic_distance_m
from sitewatch.track.types import EventKind, SiteTrack
from sitewatch.untrusted import check_lonlat

MAX_SIGHTINGS_BYTES = 10_000_000
#: Most vehicles one sighting may count (a long convoy is hundreds; 1e39 was accepted).
MAX_SIGHTING_COUNT = 10_000
_COLUMNS = ("id", "time_utc", "lon", "lat", "place", "seen", "count", "source")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sighting:
    """Vehicles seen somewhere at some time, and who says so."""

    sighting_id: str
    time_utc: dt.datetime
    lonlat: LonLat
    place: str
    seen: str
    count: int | None
    source: str

    def __post_init__(self) -> None:
        if self.time_utc.tzinfo is None:
            raise ConfigError(f"sighting {self.sighting_id!r}: time must carry a time zone")


def _parse_row(row: dict[str, str], line: int, path: Path) -> Sighting:
    where = f"sightings file {str(path)!r} line {line}"
    try:
        when = dt.datetime.fromisoformat(row["time_utc"].strip().replace("Z", "+00:00"))
        lon, lat = float(row["lon"]), float(row["lat"])
        count = int(row["count"]) if (row.get("count") or "").strip() else None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = "the row is short of columns" if None in row.values() else str(exc)[:80]
        raise ConfigError(f"{where}: {reason}; expected ISO time, decimal lon/lat, integer "
                          "count") from None
    check_lonlat(lon, lat, where)
    if count is not None and not 0 <= count <= MAX_SIGHTING_COUNT:
        raise ConfigError(f"{where}: count {row['count'].strip()[:40]!r} is not a number of "
                          f"vehicles (0 to {MAX_SIGHTING_COUNT:,}); fix the row or leave it empty")
    lonlat = LonLat(lon_deg=lon, lat_deg=lat)
    if None in row or any(v is None for v in row.values()):
        raise ConfigError(f"{where}: the row has more or fewer cells than the header")
    if when.tzinfo is None:
        raise ConfigError(f"{where}: time {row['time_utc']!r} has no time zone; write it in "
                          "UTC with a trailing Z")
    return Sighting(sighting_id=row["id"].strip(), time_utc=when.astimezone(dt.UTC),
                    lonlat=lonlat, place=row.get("place", "").strip(),
                    seen=row.get("seen", "").strip() or "vehicle", count=count,
                    source=row.get("source", "").strip())


def load_sightings(path: Path) -> tuple[Sighting, ...]:
    """Sightings from a CSV file with columns ``id,time_utc,lon,lat,place,seen,count,source``.

    Raises:
        ConfigError: unreadable, too large, missing or unknown columns, or a bad value.
    """
    try:
        if path.stat().st_size > MAX_SIGHTINGS_BYTES:
            raise ConfigError(f"sightings file {str(path)!r} is over {MAX_SIGHTINGS_BYTES} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read sightings file {str(path)!r}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = tuple(reader.fieldnames or ())
    except csv.Error as exc:
        raise ConfigError(f"sightings file {str(path)!r} is not a readable CSV ({exc}); save it "
                          "again as comma-separated text") from None
    missing = [c for c in ("id", "time_utc", "lon", "lat") if c not in header]
    unknown = [c for c in header if c not in _COLUMNS]
    if missing or unknown:
        raise ConfigError(f"sightings file {str(path)!r}: missing columns {missing}, unknown "
                          f"columns {unknown}; expected {','.join(_COLUMNS)}")
    try:
        return tuple(_parse_row(row, i + 2, path) for i, row in enumerate(reader))
    except csv.Error as exc:
        raise ConfigError(f"sightings file {str(path)!r} is not a readable CSV ({exc}); save it "
                          "again as comma-separated text") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Departure:
    """Vehicles of one label that left one site between two image dates."""

    site: str
    date_from: dt.date
    date_to: dt.date
    label: str
    n: int
    lonlat: LonLat


def departures(track: SiteTrack) -> tuple[Departure, ...]:
    """Departed events of a georeferenced site, grouped by interval and label."""
    groups: dict[tuple[dt.date, dt.date, str], list[LonLat]] = defaultdict(list)
    for e in track.events:
        if e.kind is EventKind.DEPARTED and e.lonlat is not None:
            groups[(e.date_from, e.date_to, e.label)].append(e.lonlat)
    return tuple(
        Departure(site=track.site, date_from=d0, date_to=d1, label=label, n=len(pts),
                  lonlat=LonLat(lon_deg=sum(p.lon_deg for p in pts) / len(pts),
                                lat_deg=sum(p.lat_deg for p in pts) / len(pts)))
        for (d0, d1, label), pts in sorted(groups.items())
    )


class Verdict(StrEnum):
    """Whether a departure could have reached a sighting in time by one mode."""

    PLAUSIBLE = "plausible"
    ONLY_AT_MAXIMUM_SPEED = "only_at_maximum_speed"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One sighting, one departure group, one transport mode, and the verdict."""

    sighting: Sighting
    departure: Departure
    speed: ModeSpeed
    distance_m: float
    window_h: float
    needed_typical_h: float
    needed_fastest_h: float
    verdict: Verdict
    reason: str
    site_border_m: float | None = None
    sighting_border_m: float | None = None

    @property
    def count_fits(self) -> bool | None:
        """Whether no more vehicles were seen than departed (``None``: no count given)."""
        return None if self.sighting.count is None else self.sighting.count <= self.departure.n


def _verdict(window_h: float, typical_h: float, fastest_h: float) -> tuple[Verdict, str]:
    if window_h <= 0:
        return Verdict.IMPLAUSIBLE, (f"seen {-window_h:.1f} h before the earliest possible "
                                     "departure")
    if typical_h <= window_h:
        return Verdict.PLAUSIBLE, f"needs {typical_h:.1f} h at typical speed, had {window_h:.1f} h"
    if fastest_h <= window_h:
        return Verdict.ONLY_AT_MAXIMUM_SPEED, (f"needs {typical_h:.1f} h typically, "
                                               f"{fastest_h:.1f} h at best; had {window_h:.1f} h")
    return Verdict.IMPLAUSIBLE, f"needs at least {fastest_h:.1f} h; had only {window_h:.1f} h"


def _compatible(seen: str, label: str) -> bool:
    return seen in ("vehicle", label) or (seen == "armored_vehicle" and
                                          label == "loaded_transporter")


def link_sightings(
    sightings: Sequence[Sighting],
    groups: Sequence[Departure],
    *,
    speeds: Mapping[TransportMode, ModeSpeed] | None = None,
    boundary: Boundary | None = None,
) -> tuple[Link, ...]:
    """Every (sighting, departure, mode) whose labels agree, with its verdict.

    A departure whose label differs from what the sighting saw is not a candidate (a sighting
    of ``vehicle`` matches every label). Nothing is dropped for being implausible.
    """
    table = dict(speeds or DEFAULT_SPEEDS)
    out = []
    for s in sightings:
        s_border = boundary.distance_m(s.lonlat) if boundary is not None else None
        for d in groups:
            if not _compatible(s.seen, d.label):
                continue
            distance = geodesic_distance_m(d.lonlat, s.lonlat)
            earliest = dt.datetime.combine(d.date_from, dt.time(0, 0), tzinfo=dt.UTC)
            window_h = (s.time_utc - earliest).total_seconds() / 3600.0
            d_border = boundary.distance_m(d.lonlat) if boundary is not None else None
            for mode in TransportMode:
                speed = table[mode]
                typical, fastest = speed.hours(distance), speed.hours(distance, fastest=True)
                verdict, reason = _verdict(window_h, typical, fastest)
                out.append(Link(sighting=s, departure=d, speed=speed, distance_m=distance,
                                window_h=window_h, needed_typical_h=typical,
                                needed_fastest_h=fastest, verdict=verdict, reason=reason,
                                site_border_m=d_border, sighting_border_m=s_border))
    return tuple(out)
