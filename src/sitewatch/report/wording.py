"""The words a reader sees: label names in British spelling, plurals, dates and shares.

The report is read by editors and analysts, not by the people who wrote the detector, so
labels such as ``armored_vehicle`` are never shown as they are stored: they go through
:func:`label_name` (from :mod:`sitewatch.label_names`, shared with the review page), which
spells them one way (British, as the project writes "armoured") and makes the plural agree
with the number.
"""

from __future__ import annotations

import datetime as dt

from sitewatch.label_names import label_name

#: Event kind -> (singular, plural) nouns.
EVENT_NOUNS: dict[str, tuple[str, str]] = {
    "arrived": ("arrival", "arrivals"),
    "departed": ("departure", "departures"),
    "moved": ("move", "moves"),
    "stayed": ("vehicle that stayed", "vehicles that stayed"),
    "loaded": ("loading", "loadings"),
}


def plural(n: int, singular: str, many: str | None = None) -> str:
    """``n`` with its noun made to agree.

    >>> plural(1, "change"), plural(0, "change"), plural(3, "vehicle that stayed",
    ...                                                  "vehicles that stayed")
    ('1 change', '0 changes', '3 vehicles that stayed')
    """
    return f"{n} {singular if n == 1 else (many or singular + 's')}"


def counted(n: int, label: str) -> str:
    """A number of vehicles of one label.

    >>> counted(7, "armored_vehicle"), counted(1, "civilian_vehicle")
    ('7 armoured vehicles', '1 civilian vehicle')
    """
    return f"{n} {label_name(label, n)}"


def events_phrase(n: int, kind: str) -> str:
    """A number of events of one kind.

    >>> events_phrase(1, "arrived"), events_phrase(15, "departed")
    ('1 arrival', '15 departures')
    """
    one, many = EVENT_NOUNS.get(kind, (kind, kind))
    return plural(n, one, many)


def long_date(day: dt.date) -> str:
    """A date as an editor writes it, day first with the month in words.

    >>> long_date(dt.date(2024, 6, 6))
    '6 June 2024'
    """
    return f"{day.day} {day:%B %Y}"


def share(fraction: float) -> str:
    """A fraction as a whole percentage, never rounding a part to 0 % or 100 %.

    >>> share(0.03), share(0.999), share(0.0004), share(1.0), share(0.0)
    ('3%', 'over 99%', 'under 1%', '100%', 'none')
    """
    if fraction <= 0.0:
        return "none"
    if fraction >= 1.0:
        return "100%"
    if fraction < 0.01:
        return "under 1%"
    if fraction > 0.99:
        return "over 99%"
    return f"{fraction:.0%}"


def join_words(parts: list[str]) -> str:
    """Parts joined as a sentence lists them.

    >>> join_words(["a"]), join_words(["a", "b"]), join_words(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
