"""Metadata of photos and videos: read safely, shown honestly, checked by a second reader."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sitewatch.where.metadata import identifying_tags, read_media_metadata, second_reader
from tests.shared_data import shared_path_or_skip
from tests.where.where_fixtures import scene, write_photo

SAMPLES = "ground/exif_samples"


def test_gps_time_camera_and_software_are_read(tmp_path: Path) -> None:
    path = write_photo(tmp_path / "a.jpg", scene(1), lon_deg=37.97, lat_deg=48.03,
                       gps_utc=("2014:06:11", (7, 15, 1)))
    meta = read_media_metadata(path)
    assert meta.refused is None and meta.kind == "photo"
    assert meta.gps is not None and meta.gps.lat_deg == pytest.approx(48.03, abs=1e-5)
    assert meta.gps.lon_deg == pytest.approx(37.97, abs=1e-5)
    assert meta.capture_local == "2014:06:11 10:15:00" and meta.utc_offset == "+03:00"
    assert meta.capture_utc == datetime(2014, 6, 11, 7, 15, tzinfo=UTC)
    assert meta.gps_time_utc == datetime(2014, 6, 11, 7, 15, 1, tzinfo=UTC)
    assert meta.camera == "TestMake TM-1" and meta.software == "Camera firmware 1.0"
    assert meta.editing_signs == ()
    assert len(meta.sha256 or "") == 64
    lonlat, taken = second_reader(path)
    assert taken == meta.capture_local
    assert lonlat is not None and lonlat.lat_deg == pytest.approx(meta.gps.lat_deg, abs=1e-6)


def test_signs_of_editing(tmp_path: Path) -> None:
    edited = write_photo(tmp_path / "b.jpg", scene(2), software="Adobe Photoshop 25.0",
                         modified="2014:07:01 09:00:00", gps_utc=("2014:06:12", (7, 15, 0)),
                         lon_deg=37.0, lat_deg=48.0, thumbnail_rgb=scene(99))
    signs = read_media_metadata(edited).editing_signs
    assert any("Photoshop" in s for s in signs)
    assert any("thumbnail differs" in s for s in signs)
    assert any("after it was taken" in s for s in signs)
    assert any("GPS clock" in s for s in signs)
    honest = write_photo(tmp_path / "c.jpg", scene(3), thumbnail_rgb=scene(3))
    meta = read_media_metadata(honest)
    assert meta.thumbnail_difference is not None and meta.thumbnail_difference < 24
    assert meta.editing_signs == ()


@pytest.mark.parametrize("content", [b"", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*garbage",
                                     b"not an image at all", bytes(range(256)) * 4])
def test_broken_files_are_refused_or_read_cleanly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(content)
    meta = read_media_metadata(path)
    assert meta.refused is not None or meta.kind == "photo"


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    assert "suffix" in (read_media_metadata(tmp_path / "a.txt").refused or "")
    assert read_media_metadata(tmp_path / "none.jpg").refused == "no such file"


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def test_video_creation_time_and_place(tmp_path: Path) -> None:
    moment = datetime(2014, 6, 11, 7, 0, tzinfo=UTC)
    seconds = int((moment - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
    text = b"+48.0300+037.9700/"
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">II", seconds, 0) + bytes(88))
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text))
    path = tmp_path / "clip.mp4"
    path.write_bytes(_box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"moov", mvhd + udta))
    meta = read_media_metadata(path)
    assert meta.kind == "video" and meta.container_time_utc == moment
    assert meta.gps is not None and meta.gps.lat_deg == pytest.approx(48.03)


def test_identifying_tags_found_and_absent(tmp_path: Path) -> None:
    tagged = write_photo(tmp_path / "t.jpg", scene(4), lon_deg=1.0, lat_deg=2.0)
    assert any(name.startswith("GPS ") for name in identifying_tags(tagged))
    assert "Image Make" in identifying_tags(tagged)
    from PIL import Image

    clean = tmp_path / "clean.png"
    Image.fromarray(scene(4)).save(clean)
    assert identifying_tags(clean) == ()


def _sample_files(samples: Path) -> list[Path]:
    return sorted(p for p in samples.rglob("*") if p.is_file() and p.name != "README")


def test_every_real_sample_is_read_or_refused_and_agrees_with_second_reader() -> None:
    samples = shared_path_or_skip(SAMPLES)
    files = _sample_files(samples)
    assert len(files) >= 30
    with_gps = 0
    for path in files:
        meta = read_media_metadata(path)  # must not raise
        assert meta.refused is None or meta.refused
        lonlat, taken = second_reader(path)
        if lonlat is not None:
            with_gps += 1
            assert meta.gps is not None, path.name
            assert meta.gps.lat_deg == pytest.approx(lonlat.lat_deg, abs=1e-6), path.name
            assert meta.gps.lon_deg == pytest.approx(lonlat.lon_deg, abs=1e-6), path.name
        if taken is not None:
            assert meta.capture_local == taken, path.name
    assert with_gps >= 9  # the nine Nikon photos (and the phone and HEIC ones)
    gps_folder = [read_media_metadata(p) for p in sorted((samples / "jpg" / "gps").glob("*.jpg"))]
    assert len(gps_folder) == 9 and all(m.gps and m.capture_local for m in gps_folder)
