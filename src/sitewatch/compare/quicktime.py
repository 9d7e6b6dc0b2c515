"""Time and place from MP4 / MOV (ISO base media) containers, read without decoding video.

Only two atoms are read: ``moov/mvhd`` (creation time, seconds since 1904-01-01, which the
format defines as UTC although some cameras write local time) and ``moov/udta/©xyz`` (an ISO
6709 position such as ``+50.4501+030.5234/`` written by phones). A zero creation time means
"not set". The walk seeks over box headers, never loads the file, and stops at malformed sizes.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sitewatch.errors import GeoError
from sitewatch.geo import LonLat

_EPOCH_1904 = datetime(1904, 1, 1, tzinfo=UTC)
_MAX_BOXES = 10_000
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


def _boxes(handle: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes between ``start`` and ``end``."""
    found: list[tuple[bytes, int, int]] = []
    offset = start
    while offset + 8 <= end and len(found) < _MAX_BOXES:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        payload = offset + 8
        if size == 1:
            large = handle.read(8)
            if len(large) < 8:
                break
            size = struct.unpack(">Q", large)[0]
            payload += 8
        elif size == 0:
            size = end - offset
        if size < payload - offset or offset + size > end:
            break
        found.append((kind, payload, offset + size))
        offset += size
    return found


def read_quicktime_metadata(path: Path) -> tuple[datetime | None, LonLat | None]:
    """Creation time (UTC) and position of an MP4/MOV file, ``None`` where absent or unreadable.

    >>> read_quicktime_metadata(Path("/nonexistent.mp4"))
    (None, None)
    """
    try:
        with path.open("rb") as handle:
            end = path.stat().st_size
            moov = next(((s, e) for k, s, e in _boxes(handle, 0, end) if k == b"moov"), None)
            if moov is None:
                return None, None
            created, place = None, None
            for kind, start, stop in _boxes(handle, *moov):
                if kind == b"mvhd":
                    created = _mvhd_time(handle, start)
                elif kind == b"udta":
                    place = _udta_place(handle, start, stop)
            return created, place
    except (OSError, struct.error, OverflowError, ValueError):
        return None, None


def _mvhd_time(handle: BinaryIO, start: int) -> datetime | None:
    handle.seek(start)
    version = handle.read(4)[0]
    raw = handle.read(8 if version == 1 else 4)
    seconds = int.from_bytes(raw, "big")
    if seconds == 0:
        return None
    return _EPOCH_1904 + timedelta(seconds=seconds)


def _udta_place(handle: BinaryIO, start: int, stop: int) -> LonLat | None:
    for kind, payload, end in _boxes(handle, start, stop):
        if kind != b"\xa9xyz" or end - payload > 256:
            continue
        handle.seek(payload)
        body = handle.read(end - payload)
        text = body[4:].decode("ascii", "replace")  # 2-byte length, 2-byte language
        return parse_iso6709(text)
    return None


def parse_iso6709(text: str) -> LonLat | None:
    """Latitude and longitude from an ISO 6709 string, ``None`` if it is not one.

    >>> parse_iso6709("+50.4501+030.5234/")
    LonLat(lon_deg=30.5234, lat_deg=50.4501)
    >>> parse_iso6709("nowhere") is None
    True
    """
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    try:
        return LonLat(lon_deg=float(match.group(2)), lat_deg=float(match.group(1)))
    except GeoError:
        return None
