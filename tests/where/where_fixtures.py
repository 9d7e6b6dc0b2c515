"""Tiny photos with EXIF written by piexif, made by the tests (seeded, no real data)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def _dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
    return ((degrees, 1), (minutes, 1), (seconds, 1000))


def scene(seed: int, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    """A seeded picture with structure (blocks of colour), so thumbnails can be told apart."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((size[1], size[0]), Image.Resampling.NEAREST))


def write_photo(path: Path, rgb: np.ndarray, *, lon_deg: float | None = None, lat_deg: float | None = None,
                taken: str | None = "2014:06:11 10:15:00", offset: str | None = "+03:00",
                modified: str | None = None, software: str | None = "Camera firmware 1.0",
                gps_utc: tuple[str, tuple[int, int, int]] | None = None,
                thumbnail_rgb: np.ndarray | None = None) -> Path:
    """Write a JPEG whose EXIF block holds exactly what the arguments say."""
    import piexif

    zeroth: dict[int, object] = {piexif.ImageIFD.Make: b"TestMake", piexif.ImageIFD.Model: b"TM-1"}
    if software:
        zeroth[piexif.ImageIFD.Software] = software.encode()
    if modified:
        zeroth[piexif.ImageIFD.DateTime] = modified.encode()
    exif: dict[int, object] = {}
    if taken:
        exif[piexif.ExifIFD.DateTimeOriginal] = taken.encode()
    if offset:
        exif[piexif.ExifIFD.OffsetTimeOriginal] = offset.encode()
    gps: dict[int, object] = {}
    if lon_deg is not None and lat_deg is not None:
        gps = {piexif.GPSIFD.GPSLatitudeRef: b"N" if lat_deg >= 0 else b"S",
               piexif.GPSIFD.GPSLatitude: _dms(lat_deg),
               piexif.GPSIFD.GPSLongitudeRef: b"E" if lon_deg >= 0 else b"W",
               piexif.GPSIFD.GPSLongitude: _dms(lon_deg)}
    if gps_utc is not None:
        gps[piexif.GPSIFD.GPSDateStamp] = gps_utc[0].encode()
        gps[piexif.GPSIFD.GPSTimeStamp] = tuple((v, 1) for v in gps_utc[1])
    first: dict[int, object] = {}
    thumbnail = None
    if thumbnail_rgb is not None:
        buffer = io.BytesIO()
        Image.fromarray(thumbnail_rgb).resize((64, 48)).save(buffer, format="JPEG", quality=90)
        thumbnail = buffer.getvalue()
        first = {piexif.ImageIFD.Compression: 6}
    block = piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps, "1st": first, "thumbnail": thumbnail})
    Image.fromarray(rgb).save(path, format="JPEG", quality=92, exif=block)
    return path
