"""The scene: one stored image of one site on one date, with what was read from it."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sitewatch.errors import ConfigError


class ImageFormat(StrEnum):
    """Formats recognised from a file's first bytes, whatever its name says."""

    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    STAC_JSON = "stac-json"


class GsdSource(StrEnum):
    """Where a scene's ground sample distance came from."""

    GEOREFERENCE = "georeference"
    USER = "user"
    ESTIMATED = "estimated"  #: from the vehicles in the image (see the ingest audit entry)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """An ingested image.

    ``transform`` is the affine pixel-to-map transform in GDAL order ``(a, b, c, d, e, f)``
    (x = a*col + b*row + c, y = d*col + e*row + f) in the units of ``crs_wkt``; both are None
    for images without georeference. ``footprint_lonlat_wkt`` is the image outline in WGS84.
    ``retired`` scenes stay stored (their original and history) but no job uses them.
    """

    sha256: str
    site: str
    date: dt.date
    path: Path
    original_name: str
    image_format: ImageFormat
    width_px: int
    height_px: int
    band_count: int
    dtype: str
    gsd_m: float
    gsd_source: GsdSource
    crs_wkt: str | None = None
    transform: tuple[float, float, float, float, float, float] | None = None
    footprint_lonlat_wkt: str | None = None
    source: str = ""
    licence: str = ""
    retired: bool = False

    def __post_init__(self) -> None:
        if len(self.sha256) != 64:
            raise ConfigError(f"scene hash must be a sha256 hex digest, got {self.sha256!r}")
        if not math.isfinite(self.gsd_m) or self.gsd_m <= 0:
            raise ConfigError(f"ground sample distance must be positive, got {self.gsd_m} m")
        if (self.crs_wkt is None) != (self.transform is None):
            raise ConfigError("a scene has both a CRS and a transform, or neither")

    @property
    def georeferenced(self) -> bool:
        """Whether pixel positions can be mapped to the ground."""
        return self.transform is not None


def parse_date(text: str) -> dt.date:
    """Parse an acquisition date given as ``YYYY-MM-DD``.

    >>> parse_date("2014-06-11")
    datetime.date(2014, 6, 11)

    Raises:
        ConfigError: the text is not a real calendar date in that form, or is in the future or
            before the first aerial photograph (:func:`check_acquisition_date`).
    """
    try:
        if len(text) != 10:
            raise ValueError(text)
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"date {text!r} is not a calendar date in the form YYYY-MM-DD (e.g. 2014-06-11)"
        ) from None
    return check_acquisition_date(date)


#: The first aerial photograph (Nadar, over Paris, 1858): no overhead image is older.
FIRST_AERIAL_PHOTO = dt.date(1858, 1, 1)


def check_acquisition_date(date: dt.date, *, today: dt.date | None = None) -> dt.date:
    """Refuse an acquisition date in the future or before the first aerial photograph.

    >>> check_acquisition_date(dt.date(2014, 6, 11))
    datetime.date(2014, 6, 11)

    Raises:
        ConfigError: the date cannot be when an overhead image was taken (a typo in the year?).
    """
    today = today or dt.datetime.now(dt.UTC).date()
    # A day's grace: an image taken "today" somewhere east of UTC is already tomorrow there.
    if date > today + dt.timedelta(days=1):
        raise ConfigError(f"date {date.isoformat()} is in the future (today is {today.isoformat()}); "
                          "check the year")
    if date < FIRST_AERIAL_PHOTO:
        raise ConfigError(f"date {date.isoformat()} is before the first aerial photograph "
                          f"({FIRST_AERIAL_PHOTO.year}); check the year")
    return date


#: A car's length in metres: at a GSD where the image is shorter than this, nothing fits in it.
CAR_LENGTH_M = 4.5


def check_vehicle_fits(name: str, width_px: int, height_px: int, gsd_m: float) -> None:
    """Refuse a GSD at which the whole image is smaller than one car (a mistyped --gsd).

    >>> check_vehicle_fits("a.png", 640, 480, 0.3)

    Raises:
        ConfigError: the image's longer side covers less ground than a car's length.
    """
    side_m = max(width_px, height_px) * gsd_m
    if side_m < CAR_LENGTH_M:
        raise ConfigError(
            f"'{name}' is {max(width_px, height_px)} px across: at --gsd {gsd_m} m it would cover "
            f"{side_m:.2g} m, less than one car ({CAR_LENGTH_M} m); --gsd is metres per pixel "
            "(e.g. 0.3), check its value"
        )


def parse_site(text: str) -> str:
    """Validate a site name: letters, digits, '-', '_' and '.', 1 to 64 characters."""
    ok = 0 < len(text) <= 64 and all(ch.isalnum() or ch in "-_." for ch in text)
    if not ok or text.startswith("."):
        raise ConfigError(
            f"site name {text!r} must be 1-64 letters, digits, '-', '_' or '.' (e.g. rostov_a)"
        )
    return text
