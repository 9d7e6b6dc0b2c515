from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sitewatch.compare.media import read_media, read_photo, sha256_pixels
from sitewatch.compare.types import MediaKind
from sitewatch.errors import CompareError
from tests.compare.compare_fixtures import vehicle_scene, write_image, write_video


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_photo_is_decoded_hashed_and_traced(tmp_path: Path, suffix: str) -> None:
    path = write_image(tmp_path / f"photo{suffix}", vehicle_scene(3, kind="tracked"))
    (frame,) = read_media(path)
    assert frame.rgb.shape == (240, 320, 3)
    assert frame.trace.kind is MediaKind.PHOTO
    assert frame.trace.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert frame.trace.frame_sha256 == sha256_pixels(frame.rgb)
    assert frame.trace.frame_index is None and frame.trace.timestamp_s is None


def test_png_is_lossless_so_pixel_hash_is_stable(tmp_path: Path) -> None:
    rgb = vehicle_scene(4, kind="dots")
    path = write_image(tmp_path / "a.png", rgb)
    assert read_photo(path).trace.frame_sha256 == sha256_pixels(rgb)
    assert sha256_pixels(rgb) != sha256_pixels(rgb[:, ::-1].copy())


def test_exif_time_and_place_are_read(tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif_ifd = {36867: "2022:03:01 14:30:00", 36881: "+02:00"}
    gps_ifd = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 12.0)}
    exif[0x8769] = exif_ifd
    exif[0x8825] = gps_ifd
    Image.fromarray(vehicle_scene(5, kind="tracked")).save(path, exif=exif)
    trace = read_photo(path).trace
    assert trace.exif_datetime_local == "2022:03:01 14:30:00"
    assert trace.exif_utc_offset == "+02:00"
    assert trace.exif_time_utc == datetime(2022, 3, 1, 12, 30, tzinfo=UTC)
    assert trace.exif_lonlat is not None
    assert trace.exif_lonlat.lat_deg == pytest.approx(50.45)
    assert trace.exif_lonlat.lon_deg == pytest.approx(30.52)


def test_exif_time_without_offset_is_not_turned_into_utc(tmp_path: Path) -> None:
    path = tmp_path / "local.jpg"
    exif = Image.Exif()
    exif[0x8769] = {36867: "2022:03:01 14:30:00"}
    Image.fromarray(vehicle_scene(6, kind="tracked")).save(path, exif=exif)
    trace = read_photo(path).trace
    assert trace.exif_datetime_local == "2022:03:01 14:30:00"
    assert trace.exif_time_utc is None


def test_photo_without_exif_has_none(tracked_photo: Path) -> None:
    trace = read_photo(tracked_photo).trace
    assert trace.exif_datetime_local is None and trace.exif_lonlat is None


def test_video_keyframes_one_per_scene_sharpest_and_traced(tmp_path: Path) -> None:
    scenes = [vehicle_scene(10, kind="tracked"), vehicle_scene(11, kind="stripes"),
              vehicle_scene(12, kind="dots")]
    path = write_video(tmp_path / "clip.mp4", scenes, frames_per_scene=12, fps=12.0,
                       sharp_offset=6)
    frames = read_media(path, max_keyframes=8)
    assert len(frames) == 3
    source = hashlib.sha256(path.read_bytes()).hexdigest()
    for scene_index, frame in enumerate(frames):
        trace = frame.trace
        assert trace.kind is MediaKind.VIDEO and trace.source_sha256 == source
        assert trace.frame_index == scene_index * 12 + 6  # the one sharp frame of the scene
        assert trace.timestamp_s == pytest.approx(trace.frame_index / 12.0, abs=1e-3)
        assert trace.frame_sha256 == sha256_pixels(frame.rgb)
        assert "clip.mp4 @" in trace.label


def test_video_keyframes_are_capped(tmp_path: Path) -> None:
    scenes = [vehicle_scene(20 + i, kind=k) for i, k in enumerate(["tracked", "stripes", "dots"])]
    frames = read_media(write_video(tmp_path / "c.mp4", scenes), max_keyframes=2)
    assert len(frames) == 2
    indices = [f.trace.frame_index or 0 for f in frames]
    assert indices == sorted(indices)


@pytest.mark.parametrize("name", ["broken.jpg", "broken.png", "broken.webp", "broken.mp4"])
def test_corrupt_file_raises_compare_error_naming_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0 this is not really an image or video" * 3)
    with pytest.raises(CompareError, match=name):
        read_media(path)


def test_truncated_jpeg_raises_or_decodes_but_never_crashes(tmp_path: Path) -> None:
    good = write_image(tmp_path / "full.jpg", vehicle_scene(7, kind="tracked"))
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CompareError, match=re.escape("cut.jpg")):
        read_media(cut)


def test_empty_file_and_unsupported_suffix(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(CompareError, match=re.escape("empty.png")):
        read_media(empty)
    other = tmp_path / "notes.txt"
    other.write_text("x")
    with pytest.raises(CompareError, match=re.escape("suffix '.txt'")):
        read_media(other)
    with pytest.raises(CompareError, match="no such file"):
        read_media(tmp_path / "missing.jpg")


def test_sha256_pixels_depends_on_shape() -> None:
    flat = np.zeros((2, 6, 3), np.uint8)
    assert sha256_pixels(flat) != sha256_pixels(flat.reshape(6, 2, 3))


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    import zlib

    # a valid PNG header declaring 20000 x 20000 px (400 Mpx) with almost no data
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))

    header = (20000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    with pytest.raises(CompareError, match="decompression bomb"):
        read_media(bomb)


@pytest.mark.parametrize(("suffix", "fourcc"), [(".mov", "mp4v"), (".webm", "VP80")])
def test_other_video_containers(tmp_path: Path, suffix: str, fourcc: str) -> None:
    import cv2

    path = tmp_path / f"clip{suffix}"
    scene = cv2.cvtColor(vehicle_scene(30, kind="tracked"), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc),  # type: ignore[attr-defined]
                             10.0, (320, 240))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV build cannot write {suffix}")
    for _ in range(10):
        writer.write(scene)
    writer.release()
    frames = read_media(path)
    assert len(frames) == 1 and frames[0].trace.kind is MediaKind.VIDEO


def _patched_sof(path: Path, width: int, height: int) -> Path:
    import struct

    data = bytearray(path.read_bytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    path.write_bytes(bytes(data))
    return path


def test_a_jpeg_whose_data_ends_early_is_refused(tmp_path: Path) -> None:
    """Fuzz corpus: libjpeg only warns when a JPEG's data ends before its declared rows, and
    OpenCV returned a 320×30000 picture, 99 % of it made-up grey."""
    path = _patched_sof(write_image(tmp_path / "tall.jpg", vehicle_scene(3, kind="tracked")),
                        320, 30_000)
    with pytest.raises(CompareError, match=r"tall\.jpg.*premature end") as caught:
        read_media(path)
    assert "\n" not in str(caught.value)


def test_a_sliver_is_too_small_to_compare(tmp_path: Path) -> None:
    """Fuzz corpus file 53 of seed 0 (real seeds): a JPEG whose SOF claimed 50000×1 px made
    `compare` crash in OpenCV's resize."""
    path = write_image(tmp_path / "sliver.png", np.full((1, 5000, 3), 90, np.uint8))
    with pytest.raises(CompareError, match=r"1×5000 px|5000×1 px"):
        read_media(path)
