from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitewatch.compare.media import read_media
from sitewatch.compare.quicktime import parse_iso6709, read_quicktime_metadata
from tests.compare.compare_fixtures import vehicle_scene, write_video


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _movie(seconds_since_1904: int, place: str | None) -> bytes:
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">II", seconds_since_1904, 0) + bytes(88))
    udta = b""
    if place is not None:
        text = place.encode()
        udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text))
    return _box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"moov", mvhd + udta)


def test_creation_time_and_place(tmp_path: Path) -> None:
    moment = datetime(2022, 3, 1, 12, 30, tzinfo=UTC)
    seconds = int((moment - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
    path = tmp_path / "phone.mov"
    path.write_bytes(_movie(seconds, "+50.4501+030.5234+120.0/"))
    created, place = read_quicktime_metadata(path)
    assert created == moment
    assert place is not None and place.lat_deg == pytest.approx(50.4501)
    assert place.lon_deg == pytest.approx(30.5234)


def test_unset_and_malformed(tmp_path: Path) -> None:
    unset = tmp_path / "unset.mp4"
    unset.write_bytes(_movie(0, None))
    assert read_quicktime_metadata(unset) == (None, None)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(struct.pack(">I4s", 999_999, b"moov") + b"short")
    assert read_quicktime_metadata(broken) == (None, None)
    assert parse_iso6709("+95.0+030.0/") is None  # latitude out of range


def test_opencv_written_video_traces_carry_container_fields(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", [vehicle_scene(1, kind="tracked")])
    trace = read_media(path)[0].trace
    assert trace.container_lonlat is None
    record = trace.to_dict()
    assert "container_time_utc" in record and "exif_time_utc" in record
