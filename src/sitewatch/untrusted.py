"""Text from untrusted files made safe for the place it is written.

File names, sighting places and sources, zone names and STAC ids come from people who may want
an investigation to go wrong. Written as they are, they can run as a spreadsheet formula in a
CSV export (``=HYPERLINK(...)``), as HTML in a KML balloon (Google Earth renders descriptions
as HTML), or as escape sequences that rewrite the analyst's terminal. Every writer of such text
goes through one of these three functions; like :mod:`sitewatch.errors`, this module depends on
nothing else in sitewatch, so every stage can use it.
"""

from __future__ import annotations

import html
import json
import math
import unicodedata

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Bidirectional embedding, override and isolate marks: they reorder what a reader sees.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula.

    Numbers (negative ones too) stay numbers; text starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a line break gets a leading ``'``.

    >>> csv_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> csv_cell(-12.5), csv_cell("-12.5"), csv_cell(None)
    ('-12.5', '-12.5', '')
    """
    if value is None:
        return ""
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    risky = text.startswith(_FORMULA_STARTS) and not _number(text)
    return "'" + text if risky else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def printable(text: object) -> str:
    """One line of text safe to print to a terminal: control characters (escape sequences,
    line breaks, backspaces) and bidirectional overrides become ``?``.

    >>> printable("scene\\x1b[2J.tif")
    'scene?[2J.tif'
    >>> printable("a\\nOK: forged line")
    'a?OK: forged line'
    """
    return "".join("?" if _control(ch) else ch for ch in str(text))


def markup_text(text: object) -> str:
    """Text for a KML (XML) element whose content a viewer may render as HTML.

    The text is HTML-escaped, then XML-escaped, so that once the XML is parsed what remains is
    escaped HTML: shown as written, never run. Characters XML 1.0 cannot hold are dropped.

    >>> markup_text('<img src=x onerror="alert(1)">')
    '&amp;lt;img src=x onerror=&amp;quot;alert(1)&amp;quot;&amp;gt;'
    """
    escaped = html.escape(printable(text), quote=True)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _control(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs")


#: Deepest nesting of JSON read from an analyst's file: real GeoJSON nests five levels.
MAX_JSON_DEPTH = 64


#: Most digits of an integer read from an untrusted JSON file: a longer one is larger than any
#: float, so ``float()``, ``math.isfinite`` and comparisons with floats would raise OverflowError.
MAX_JSON_INT_DIGITS = 300


def json_int(digits: str) -> int:
    """``parse_int`` hook for untrusted JSON: an integer larger than any float is refused.

    Raises:
        ValueError: over :data:`MAX_JSON_INT_DIGITS` digits.

    >>> json_int("-12")
    -12
    """
    if len(digits.lstrip("-")) > MAX_JSON_INT_DIGITS:
        raise ValueError(f"an integer of {len(digits.lstrip('-'))} digits, beyond any number "
                         "sitewatch reads; fix that number")
    return int(digits)


def load_json(text: str, what: str) -> object:
    """Parse JSON from an untrusted file: NaN, Infinity and integers beyond any float refused,
    nesting bounded.

    ``what`` names the file in the error (e.g. ``"zone file 'zones.geojson'"``).

    Raises:
        ConfigError: not JSON, a non-finite number, or nested deeper than
            :data:`MAX_JSON_DEPTH` (100,000 brackets must not end in a RecursionError).

    >>> load_json('{"a": [1, 2]}', "test")
    {'a': [1, 2]}
    """
    from sitewatch.errors import ConfigError

    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # a bracket count outside strings: cheap, and before the recursive parser
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise ConfigError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels; it is not "
                                  "a file sitewatch reads (check it is the right file)")
        elif char in "]}":
            depth -= 1

    def refuse(constant: str) -> object:
        raise ValueError(f"non-finite number {constant}")

    try:
        return json.loads(text, parse_constant=refuse, parse_int=json_int)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"{what} is not JSON: {str(exc)[:120]}") from None


def check_lonlat(lon_deg: float, lat_deg: float, where: str) -> None:
    """Refuse a position that is not finite or outside ±180° longitude, ±90° latitude.

    Raises:
        ConfigError: naming ``where`` and the value.
    """
    from sitewatch.errors import ConfigError

    if not (math.isfinite(lon_deg) and math.isfinite(lat_deg)
            and -180.0 <= lon_deg <= 180.0 and -90.0 <= lat_deg <= 90.0):
        raise ConfigError(f"{where}: position ({lon_deg!r}, {lat_deg!r}) is not finite or "
                          "outside WGS84 (longitude -180..180, latitude -90..90); check the "
                          "order (lon, lat)")
