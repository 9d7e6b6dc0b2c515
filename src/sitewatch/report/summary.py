"""What a reader needs first: the opening paragraph, and tables that stay short on dense sites.

A depot holds thousands of vehicles; a report that lists each of them is unreadable and
unprintable. Here the track's counts, events and unseen vehicles are aggregated per pair of
dates, zone, kind and label; the full lists stay in the exports (``sitewatch events``,
``sitewatch export``). The opening paragraph says what was looked at, what was found and how
sure it is, in the reader's words (:mod:`.wording`), without tile ids, fold names or model
file names: those belong in the methods appendix.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sitewatch.catalog import Scene
from sitewatch.label_names import label_name
from sitewatch.report.wording import (
    counted,
    events_phrase,
    join_words,
    long_date,
    plural,
    share,
)
from sitewatch.track import Count, SiteTrack

#: Event kinds that are a change a reader is told about (``stayed`` is the absence of one).
CHANGES = ("arrived", "departed", "moved", "loaded")

#: At most this many single events are listed in the report; beyond it only the aggregate is.
MAX_LISTED_EVENTS = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeRow:
    """Changes of one kind and label between two dates in one zone (``None``: outside zones)."""

    date_from: dt.date
    date_to: dt.date
    zone: str | None
    kind: str
    label: str
    n: int
    mean_confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenRow:
    """Vehicles of one label whose place one date of a pair could not show, for one reason."""

    date_from: dt.date
    date_to: dt.date
    unseen_on: dt.date
    reason: str
    label: str
    n: int


def change_rows(track: SiteTrack) -> list[ChangeRow]:
    """The track's changes (not stays) counted per pair, zone, kind and label, in date order."""
    groups: dict[tuple[dt.date, dt.date, str, str, str], list[float]] = defaultdict(list)
    for e in track.events:
        if e.kind.value in CHANGES:
            groups[(e.date_from, e.date_to, e.zone or "", e.kind.value, e.label)].append(
                e.confidence)
    return [ChangeRow(date_from=a, date_to=b, zone=zone or None, kind=kind, label=label,
                      n=len(conf), mean_confidence=statistics.fmean(conf))
            for (a, b, zone, kind, label), conf in sorted(groups.items())]


def reason_kind(reason: str) -> str:
    """The kind of an unseen reason, without its date and per-vehicle figures.

    >>> reason_kind("hazy on 2024-06-11: 61% of contrast lost")
    'hazy'
    >>> reason_kind("washed out (haze or thick cloud: 71% lost) on 2024-06-11")
    'washed out (haze or thick cloud)'
    >>> reason_kind("outside the image of 2024-06-11")
    'outside the image'
    >>> reason_kind("too coarse on 2024-06-11: 0.50 m pixels make this 4.5 m truck 9.0 px long")
    'too coarse'
    """
    kind = re.split(r":| on \d{4}-\d{2}-\d{2}| of \d{4}-\d{2}-\d{2}", reason, maxsplit=1)[0]
    kind = kind.strip() or reason
    return kind + ")" * (kind.count("(") - kind.count(")"))


def unseen_rows(track: SiteTrack) -> list[UnseenRow]:
    """The track's unseen vehicles counted per pair, date that could not see, reason and label."""
    groups: Counter[tuple[dt.date, dt.date, dt.date, str, str]] = Counter(
        (u.date_from, u.date_to, u.unseen_on, reason_kind(u.reason), u.label)
        for u in track.unseen)
    return [UnseenRow(date_from=a, date_to=b, unseen_on=on, reason=why, label=label, n=n)
            for (a, b, on, why, label), n in sorted(groups.items())]


def pair_share(track: SiteTrack, date_from: dt.date, date_to: dt.date) -> float | None:
    """The share of the whole site both dates could see, or ``None`` when not computed."""
    return next((p.observable_share for p in track.pairs if p.date_from == date_from
                 and p.date_to == date_to and p.zone is None), None)


def pair_heading(track: SiteTrack, date_from: dt.date, date_to: dt.date) -> str:
    """One line for a pair: its dates, its changes and how much of the site both dates saw.

    >>> track = SiteTrack(site="s", reference_date=dt.date(2024, 5, 30), dates=(), counts=(),
    ...                   events=(), registrations=())
    >>> pair_heading(track, dt.date(2024, 5, 30), dt.date(2024, 6, 6))
    '30 May 2024 to 6 June 2024: no changes found'
    >>> import dataclasses
    >>> from sitewatch.track import PairSummary
    >>> def seen(share):
    ...     return dataclasses.replace(track, pairs=(PairSummary(
    ...         site="s", date_from=dt.date(2024, 5, 30), date_to=dt.date(2024, 6, 6), zone=None,
    ...         observable_share=share, compared_share=share),))
    >>> pair_heading(seen(0.997), dt.date(2024, 5, 30), dt.date(2024, 6, 6)).split(": ")[1]
    'no changes found, in the part of the site both images could see (over 99% of it)'
    >>> pair_heading(seen(1.0), dt.date(2024, 5, 30), dt.date(2024, 6, 6)).split(": ")[1]
    'no changes found, over the whole site (both images could see all of it)'
    """
    refused = [r.date for r in track.refused if r.date in (date_from, date_to)]
    if refused:
        return (f"{long_date(date_from)} to {long_date(date_to)}: not compared, because "
                f"{long_date(refused[0])} could not be registered onto the other dates")
    kinds: Counter[str] = Counter(
        str(e.kind.value) for e in track.events
        if e.date_from == date_from and e.date_to == date_to and e.kind.value in CHANGES)
    found = join_words([events_phrase(kinds[k], k) for k in CHANGES if kinds[k]])
    text = f"{long_date(date_from)} to {long_date(date_to)}: {found or 'no changes found'}"
    seen = pair_share(track, date_from, date_to)
    if seen is not None and seen >= 1.0:
        text += ", over the whole site (both images could see all of it)"
    elif seen is not None:  # "in the over 99% of the site" does not read: the share apart
        text += f", in the part of the site both images could see ({share(seen)} of it)"
    return text


def _seen_share(count: Count) -> float | None:
    """The share of the site a whole-site count saw: inside the image, clear of cloud and
    not washed out (the count's own ``observable_share`` where the track measured it)."""
    if count.observable_share is not None:
        return count.observable_share
    if count.coverage is None:
        return None
    return count.coverage * (1.0 - (count.cloud_fraction or 0.0))


def _date_sentence(day: dt.date, counts: Sequence[Count], level: str,
                   both_share: float | None = None) -> str:
    """What was found on one date, leading with the largest groups.

    ``both_share`` is the share of the site this date and the one before could both see: a
    date partly hidden (cloud, edge of the image) gives a count that is likely short.
    """
    site_counts = [c for c in counts if c.zone is None and c.label != "loaded_transporter"]
    if site_counts and not any(c.observable for c in site_counts):
        why = site_counts[0].reason.split(";")[0]
        return (f"On {long_date(day)} the site could not be seen ({why}), so nothing is "
                "counted for that date.")
    seen = [c for c in site_counts if c.observable and c.n]
    total = sum(c.n or 0 for c in seen)
    if not seen:
        return f"On {long_date(day)} the detector found no vehicles."
    seen.sort(key=lambda c: (-(c.estimate or 0.0), c.label))
    groups = [f"{counted(c.n or 0, c.label)} (true number estimated at {c.estimate:.0f}, "
              f"{level} interval {c.interval_lo}–{c.interval_hi})" for c in seen[:3]]
    more = " among others" if len(seen) > 3 else ""
    sentence = (f"On {long_date(day)} the detector found {plural(total, 'vehicle')}: "
                f"{join_words(groups)}{more}.")
    part = _seen_share(site_counts[0])
    if part is not None and part < 0.95:
        sentence += f" Only {share(part)} of the site could be seen that day."
    elif both_share is not None and both_share < 0.95:
        sentence += (f" Part of the site was hidden on this date or the one before (both saw "
                     f"{share(both_share)} of it), so a count lower than the day before is not, "
                     "by itself, evidence that vehicles left.")
    return sentence


def opening(
    site: str,
    scenes: Sequence[Scene],
    track: SiteTrack,
    *,
    reviewed: int = 0,
    detected: int = 0,
) -> list[str]:
    """The opening of the report for one site, as paragraphs: what was looked at, what was
    found on each date, what changed between dates, and how sure all of it is.

    ``reviewed`` of ``detected`` detections were checked by an analyst.
    """
    dates = sorted({s.date for s in scenes} | set(track.dates))
    if not dates:
        return [f"No imagery of site {site} has been added yet."]
    gsds = sorted({round(s.gsd_m, 2) for s in scenes})
    sources = sorted({s.source for s in scenes if s.source})
    looked = (f"This report examines site {site} in {plural(len(scenes), 'overhead image')} "
              f"taken on {join_words([long_date(d) for d in dates])}")
    if gsds:
        looked += (f", at {gsds[0]:g} m per pixel" if len(gsds) == 1
                   else f", at {gsds[0]:g} to {gsds[-1]:g} m per pixel")
    looked += f" (source: {'; '.join(sources)})." if sources else "."
    level = f"{_level(track):.0%}"
    shown = dates if len(dates) <= 4 else [dates[0], dates[-1]]
    found = [_date_sentence(d, [c for c in track.counts if c.date == d], level,
                            _share_ending(track, d)) for d in shown]
    if len(shown) < len(dates):
        found.append(f"The counts of the other {len(dates) - len(shown)} dates are in the "
                     "tables below.")
    return [looked, " ".join(found), " ".join(_change_sentences(track)),
            _sureness(track, level, reviewed=reviewed, detected=detected)]


def _share_ending(track: SiteTrack, day: dt.date) -> float | None:
    """The share of the site seen on both ``day`` and the date before it, if computed."""
    return next((p.observable_share for p in track.pairs if p.date_to == day
                 and p.zone is None), None)


def _change_sentences(track: SiteTrack) -> list[str]:
    out: list[str] = []
    for a, b in zip(track.dates, track.dates[1:], strict=False):
        line = pair_heading(track, a, b)
        hidden = [u for u in track.unseen if u.date_from == a and u.date_to == b]
        if hidden:
            why = Counter(reason_kind(u.reason) for u in hidden).most_common(1)[0][0]
            line += (f"; {plural(len(hidden), 'vehicle')} stood where one of the two images "
                     f"could not see, most of them {why}, and nothing is claimed about them")
        out.append(f"From {line}.")
    return out


def _sureness(track: SiteTrack, level: str, *, reviewed: int, detected: int) -> str:
    rates = [(c.precision, c.recall) for c in track.counts
             if c.precision is not None and c.recall is not None]
    text = "Counts are machine detections"
    if rates:
        lo = min(min(p, r) for p, r in rates)
        hi = max(max(p, r) for p, r in rates)
        text += (f", corrected for the detector's measured precision and recall (between "
                 f"{lo:.2f} and {hi:.2f}, depending on the type)")
    text += (f"; each estimate carries a {level} interval for the true number. Changes are "
             "claimed only where both images could see the place.")
    confidences = [e.confidence for e in track.events if e.kind.value in CHANGES]
    if confidences:
        low = sum(1 for c in confidences if c < 0.5)
        text += (f" {plural(low, 'change')} of {len(confidences)} "
                 f"{'has' if low == 1 else 'have'} a confidence below 0.5: check them on the "
                 "images before publishing them.")
    if detected:
        text += (f" An analyst reviewed {reviewed} of the {plural(detected, 'detection')}."
                 if reviewed else " No detection has been checked by an analyst.")
    return text


def _level(track: SiteTrack) -> float:
    """The level of the track's count intervals (all counts of a track share it)."""
    return next((c.interval_level for c in track.counts if c.interval_level is not None), 0.9)


def label_counts(labels: Sequence[str]) -> str:
    """Labels counted and named for a caption, largest first.

    >>> label_counts(["armored_vehicle"] * 7 + ["military_truck"])
    '7 armoured vehicles, 1 military truck'
    """
    return ", ".join(counted(n, label) for label, n in
                     sorted(Counter(labels).items(), key=lambda kv: (-kv[1], kv[0])))


__all__ = ["ChangeRow", "UnseenRow", "change_rows", "label_counts", "label_name", "opening",
           "pair_heading", "pair_share", "reason_kind", "unseen_rows"]
