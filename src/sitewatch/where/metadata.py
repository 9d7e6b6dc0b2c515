"""What a photo or video says about itself: place, time, camera, software, and signs of editing.

Read safely: the file size is bounded before anything is parsed, a photo's declared pixel count is
bounded before its pixels (or thumbnail) are decoded, and any failure of a reader on broken
metadata becomes a line in ``notes``, never a traceback. A file nothing can parse is *refused*
with the reason. Photos are read with Pillow (time and GPS through :func:`sitewatch.compare.media.
read_exif`, the same parser ``sitewatch compare`` uses); HEIC, which Pillow cannot open without a
plug-in, and the agreement check use ``exifread`` as a second, independent reader. MP4/MOV creation
time and ``©xyz`` position come from :mod:`sitewatch.compare.quicktime`.

Signs of editing are clues, not proof: an editor named in Software or XMP CreatorTool, an embedded
thumbnail that does not show the same picture as the image, and dates that disagree with each
other (modified vs taken, camera clock vs GPS clock).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.digest import sha256_file
from sitewatch.geo import LonLat

#: Files larger than this are refused before any parser sees them.
MAX_MEDIA_BYTES = 2 * 1024**3
#: Photos declaring more pixels than this are not decoded (metadata is still read).
MAX_DECODE_PIXELS = 80_000_000
#: Mean absolute grey-level difference (0-255) above which a thumbnail "shows another picture".
THUMBNAIL_DIFFERENCE_LIMIT = 24.0
#: Camera and GPS clocks further apart than this (after the UTC offset) disagree.
CLOCK_DISAGREEMENT = timedelta(minutes=2)

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".heic", ".heif"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".3gp"})
EDITORS = ("photoshop", "lightroom", "gimp", "snapseed", "affinity", "pixelmator", "paint.net",
           "picasa", "photoscape", "canva", "facetune", "luminar", "capture one", "darktable",
           "acdsee", "picsart", "vsco")
_XMP_FIELDS = {"creator_tool": rb"CreatorTool(?:>|=\")([^<\"]{1,200})",
               "software_agent": rb"softwareAgent(?:>|=\")([^<\"]{1,200})",
               "modify_date": rb"ModifyDate(?:>|=\")([^<\"]{1,64})"}


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaMetadata:
    """Metadata of one photo or video, as read, with what sitewatch noticed about it."""

    name: str
    sha256: str | None
    kind: str  # "photo", "video" or "unknown"
    refused: str | None = None
    width_px: int | None = None
    height_px: int | None = None
    camera: str | None = None
    software: str | None = None
    capture_local: str | None = None
    utc_offset: str | None = None
    capture_utc: datetime | None = None
    modified_local: str | None = None
    gps: LonLat | None = None
    gps_time_utc: datetime | None = None
    container_time_utc: datetime | None = None
    thumbnail_difference: float | None = None
    xmp: tuple[tuple[str, str], ...] = ()
    editing_signs: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    reader: str = ""

    @property
    def has_place_or_time(self) -> bool:
        """True when the file states where or when it was made."""
        return any(v is not None for v in (self.gps, self.capture_local, self.container_time_utc))

    def to_json(self) -> dict[str, object]:
        """Plain JSON form for the case and the report."""
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()
        return {
            "name": self.name, "sha256": self.sha256, "kind": self.kind, "refused": self.refused,
            "width_px": self.width_px, "height_px": self.height_px, "camera": self.camera,
            "software": self.software, "capture_local": self.capture_local,
            "utc_offset": self.utc_offset, "capture_utc": iso(self.capture_utc),
            "modified_local": self.modified_local,
            "gps": None if self.gps is None else [self.gps.lon_deg, self.gps.lat_deg],
            "gps_time_utc": iso(self.gps_time_utc), "container_time_utc": iso(self.container_time_utc),
            "thumbnail_difference": self.thumbnail_difference, "xmp": [list(p) for p in self.xmp],
            "editing_signs": list(self.editing_signs), "notes": list(self.notes), "reader": self.reader,
        }


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text[:200] or None


def read_media_metadata(path: Path) -> MediaMetadata:
    """Read (or refuse) one photo or video; never raises on a broken file.

    >>> read_media_metadata(Path("/nonexistent.jpg")).refused
    'no such file'
    """
    name = path.name
    if not path.is_file():
        return MediaMetadata(name=name, sha256=None, kind="unknown", refused="no such file")
    size = path.stat().st_size
    if size > MAX_MEDIA_BYTES:
        return MediaMetadata(name=name, sha256=None, kind="unknown",
                             refused=f"{size} bytes is more than {MAX_MEDIA_BYTES}; cut it first")
    digest = sha256_file(path)
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return _video(path, digest)
    if suffix not in PHOTO_SUFFIXES:
        return MediaMetadata(name=name, sha256=digest, kind="unknown",
                             refused=f"suffix {suffix!r} is not a photo or video sitewatch reads")
    return _photo(path, digest)


def _video(path: Path, digest: str) -> MediaMetadata:
    from sitewatch.compare import read_quicktime_metadata

    created, place = read_quicktime_metadata(path)
    notes = [] if created or place else ["no creation time or position atoms (moov/mvhd, ©xyz)"]
    if created is not None:
        notes.append("MP4 creation time is UTC by the standard; some cameras write local time")
    return MediaMetadata(name=path.name, sha256=digest, kind="video", container_time_utc=created,
                         gps=place, notes=tuple(notes), reader="sitewatch.compare.quicktime")


def _photo(path: Path, digest: str) -> MediaMetadata:
    import PIL
    from PIL import Image

    from sitewatch.compare import read_exif

    notes: list[str] = []
    fields: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                fields["width_px"], fields["height_px"] = image.size
                exif = image.getexif()
                sub = exif.get_ifd(0x8769)
                gps_ifd = exif.get_ifd(0x8825)
                make, model = _text(exif.get(271)), _text(exif.get(272))
                fields["camera"] = " ".join(p for p in (make, model) if p) or None
                fields["software"] = _text(exif.get(305))
                fields["modified_local"] = _text(exif.get(306))
                fields["gps_time_utc"] = _gps_time(gps_ifd)
                fields["thumbnail_difference"] = _thumbnail_difference(image, exif, notes)
        local, offset, utc, lonlat = read_exif(path)
        fields.update(capture_local=local, utc_offset=offset, capture_utc=utc, gps=lonlat)
        if sub.get(36867) is None and local is not None:
            notes.append("no DateTimeOriginal; the time shown is the file's DateTime (last change)")
        reader = f"Pillow {PIL.__version__}"
    except Exception as exc:  # Pillow cannot parse it: try the second reader before refusing
        second = _exifread_tags(path)
        if not second:
            return MediaMetadata(name=path.name, sha256=digest, kind="photo",
                                 refused=f"not a readable image and no EXIF block ({type(exc).__name__})")
        notes.append(f"Pillow cannot open it ({type(exc).__name__}); metadata read with exifread, "
                     "pixels not decoded (HEIC needs the pillow-heif plug-in)")
        fields.update(_fields_from_exifread(second))
        reader = _exifread_version()
    fields["xmp"] = _xmp(path)
    signs = _editing_signs(fields)
    return MediaMetadata(name=path.name, sha256=digest, kind="photo", editing_signs=tuple(signs),
                         notes=tuple(notes), reader=reader, **fields)


def _gps_time(gps: Any) -> datetime | None:
    try:
        stamp, clock = gps.get(29), gps.get(7)
        if not stamp or not clock:
            return None
        day = datetime.strptime(str(stamp).strip(), "%Y:%m:%d").replace(tzinfo=UTC)
        hours, minutes, seconds = (float(v) for v in clock)
        return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _thumbnail_difference(image: Any, exif: Any, notes: list[str]) -> float | None:
    """Mean absolute grey difference between the embedded thumbnail and the downscaled image."""
    from PIL import Image, ImageOps

    try:
        from PIL import ExifTags

        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1)
        offset, length = ifd1.get(0x0201), ifd1.get(0x0202)
        if not offset or not length:
            return None
        width, height = image.size
        if width * height > MAX_DECODE_PIXELS:
            notes.append("image too large to decode for the thumbnail check")
            return None
        raw = _read_thumbnail_bytes(image, int(offset), int(length))
        if raw is None:
            return None
        with Image.open(io.BytesIO(raw)) as thumb:
            thumb_grey = ImageOps.grayscale(thumb)
            size = thumb_grey.size
            main = ImageOps.grayscale(image).resize(size, Image.Resampling.BOX)
            a = np.asarray(main, dtype=np.float32)
            b = np.asarray(thumb_grey, dtype=np.float32)
        if abs(size[0] / size[1] - width / height) > 0.15:
            notes.append(f"thumbnail aspect {size[0]}×{size[1]} differs from the image's {width}×{height}")
        return round(float(np.mean(np.abs(a - b))), 2)
    except Exception as exc:  # a broken thumbnail is a note, never a crash
        notes.append(f"thumbnail could not be compared ({type(exc).__name__})")
        return None


def _read_thumbnail_bytes(image: Any, offset: int, length: int) -> bytes | None:
    """The JPEG thumbnail of IFD1 (offsets are relative to the TIFF header inside APP1)."""
    app1 = image.info.get("exif")
    if not isinstance(app1, bytes | bytearray):
        return None
    tiff = app1[6:] if app1.startswith(b"Exif\x00\x00") else app1
    raw = bytes(tiff[offset:offset + length])
    return raw if raw.startswith(b"\xff\xd8") and length <= 1_000_000 else None


def _xmp(path: Path) -> tuple[tuple[str, str], ...]:
    """A few XMP fields found in the first 512 KiB (the packet is plain text)."""
    with path.open("rb") as handle:
        head = handle.read(512 * 1024)
    start = head.find(b"<x:xmpmeta")
    if start < 0:
        return ()
    packet = head[start:start + 256 * 1024]
    found = []
    for key, pattern in _XMP_FIELDS.items():
        match = re.search(pattern, packet)
        if match:
            found.append((key, match.group(1).decode("utf-8", "replace").strip()[:200]))
    return tuple(found)


def _editing_signs(fields: dict[str, Any]) -> list[str]:
    signs = []
    tools = [fields.get("software") or ""] + [v for k, v in fields.get("xmp", ()) if k != "modify_date"]
    for tool in tools:
        hit = next((e for e in EDITORS if e in tool.lower()), None)
        if hit and f"editor named: {tool}" not in signs:
            signs.append(f"editor named: {tool}")
    difference = fields.get("thumbnail_difference")
    if difference is not None and difference > THUMBNAIL_DIFFERENCE_LIMIT:
        signs.append(f"thumbnail differs from the image (mean grey difference {difference:.0f}/255)")
    taken, modified = _clock(fields.get("capture_local")), _clock(fields.get("modified_local"))
    if taken and modified and abs(modified - taken) > CLOCK_DISAGREEMENT:
        signs.append(f"file changed {fields['modified_local']}, {_span(modified - taken)} after it was "
                     f"taken {fields['capture_local']} (transfer software or an edit)")
    gps_time, utc = fields.get("gps_time_utc"), fields.get("capture_utc")
    if gps_time is not None and utc is not None and abs(gps_time - utc) > CLOCK_DISAGREEMENT:
        signs.append(f"GPS clock {gps_time:%Y-%m-%d %H:%M:%S}Z disagrees with camera clock "
                     f"{utc:%Y-%m-%d %H:%M:%S}Z")
    elif gps_time is not None and taken is not None and utc is None:
        gap = abs(gps_time.replace(tzinfo=None) - taken)
        if gap > timedelta(hours=14) + CLOCK_DISAGREEMENT:
            signs.append(f"GPS clock and camera clock are {gap} apart (no time zone explains it)")
    return signs


def _span(delta: timedelta) -> str:
    """A signed duration in words.

    >>> _span(timedelta(days=9, hours=4)), _span(timedelta(minutes=-5))
    ('9.2 days', '-5 minutes')
    """
    seconds = delta.total_seconds()
    if abs(seconds) >= 86400:
        return f"{seconds / 86400:.1f} days"
    if abs(seconds) >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def _clock(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _exifread_version() -> str:
    import exifread

    return f"exifread {getattr(exifread, '__version__', '?')}"


def _exifread_tags(path: Path) -> dict[str, Any]:
    """Tags read by exifread (second reader); empty when it finds none or fails."""
    try:
        import exifread
    except ImportError:
        return {}
    try:
        import logging

        logging.getLogger("exifread").setLevel(logging.CRITICAL)
        with path.open("rb") as handle:
            return dict(exifread.process_file(handle, details=False))
    except Exception:  # the second reader failing on broken metadata is "no tags"
        return {}


def _ratio(value: Any) -> float:
    return float(value.num) / float(value.den) if hasattr(value, "num") else float(value)


def second_reader(path: Path) -> tuple[LonLat | None, str | None]:
    """GPS position and DateTimeOriginal as exifread reads them (for agreement checks)."""
    fields = _fields_from_exifread(_exifread_tags(path))
    return fields.get("gps"), fields.get("capture_local")


def _fields_from_exifread(tags: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    original = tags.get("EXIF DateTimeOriginal") or tags.get("Image DateTime")
    fields["capture_local"] = _text(original)
    fields["utc_offset"] = _text(tags.get("EXIF OffsetTimeOriginal"))
    make, model = _text(tags.get("Image Make")), _text(tags.get("Image Model"))
    fields["camera"] = " ".join(p for p in (make, model) if p) or None
    fields["software"] = _text(tags.get("Image Software"))
    try:
        lat = [_ratio(v) for v in tags["GPS GPSLatitude"].values]
        lon = [_ratio(v) for v in tags["GPS GPSLongitude"].values]
        lat_deg = (lat[0] + lat[1] / 60 + lat[2] / 3600) * (
            -1 if str(tags.get("GPS GPSLatitudeRef", "N")).upper().startswith("S") else 1)
        lon_deg = (lon[0] + lon[1] / 60 + lon[2] / 3600) * (
            -1 if str(tags.get("GPS GPSLongitudeRef", "E")).upper().startswith("W") else 1)
        fields["gps"] = LonLat(lon_deg=lon_deg, lat_deg=lat_deg)
    except Exception:  # absent or malformed GPS: no position
        fields["gps"] = None
    return fields


#: exifread tag-name prefixes that identify a place, a device or a person.
IDENTIFYING_PREFIXES = ("GPS ", "Image Make", "Image Model", "EXIF BodySerialNumber", "EXIF LensMake",
                        "EXIF LensModel", "EXIF LensSerialNumber", "MakerNote", "Image Artist",
                        "EXIF CameraOwnerName", "Image HostComputer")


def identifying_tags(path: Path) -> tuple[str, ...]:
    """Names of GPS, device and owner tags the second reader finds in a file (empty when clean)."""
    return tuple(sorted(name for name in _exifread_tags(path)
                        if name.startswith(IDENTIFYING_PREFIXES)))
