"""Analysed images as KML ground overlays: each image, reduced, pinned to the ground on its date.

A box floating over today's Google Earth imagery proves nothing; the image it was found on,
shown under it on the same time-slider step, does. :func:`image_overlays` reduces each analysed,
georeferenced scene to a JPEG of at most 2048 px a side and says where its corners lie.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.catalog import Scene
from sitewatch.errors import ImageryError, ReportError
from sitewatch.imagery import RasterReader, pixel_to_lonlat

#: Google Earth draws overlays up to this size a side without tiling them.
MAX_OVERLAY_PX = 2048

LonLat = tuple[float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageOverlay:
    """One analysed image as a ground overlay.

    ``corners_lonlat`` are the image's lower-left, lower-right, upper-right and upper-left
    corners (``gx:LatLonQuad`` order); ``box_nsew`` is ``(north, south, east, west)`` when the
    image sits on the lon/lat grid to within a quarter of a pixel, so that a plain ``LatLonBox``
    places it exactly (readers that ignore ``gx:`` extensions still show it); otherwise None.
    """

    name: str
    site: str
    scene_sha256: str
    date_from: dt.date
    date_to: dt.date
    jpeg: bytes
    corners_lonlat: tuple[LonLat, LonLat, LonLat, LonLat]
    box_nsew: tuple[float, float, float, float] | None

    def __post_init__(self) -> None:
        if self.date_to <= self.date_from:
            raise ReportError(f"overlay of {self.name!r} ends ({self.date_to}) before it begins "
                              f"({self.date_from})")


def overlay_corners(
    scene: Scene,
) -> tuple[tuple[LonLat, LonLat, LonLat, LonLat], tuple[float, float, float, float] | None]:
    """Where a georeferenced scene's corners lie, and its LatLonBox when it is grid-aligned.

    >>> import dataclasses, datetime as dt
    >>> from pathlib import Path
    >>> from sitewatch.catalog.scene import GsdSource, ImageFormat
    >>> s = Scene(sha256="a" * 64, site="s", date=dt.date(2014, 6, 1), path=Path("x.tif"),
    ...     original_name="x.tif", image_format=ImageFormat.TIFF, width_px=100,
    ...     height_px=50, band_count=3, dtype="uint8", gsd_m=1.0, gsd_source=GsdSource.GEOREFERENCE,
    ...     crs_wkt="EPSG:4326", transform=(0.001, 0.0, 39.0, 0.0, -0.001, 47.0))
    >>> overlay_corners(s)[1]
    (47.0, 46.95, 39.1, 39.0)
    """
    assert scene.transform is not None and scene.crs_wkt is not None
    w, h = scene.width_px, scene.height_px
    lonlat = pixel_to_lonlat(scene.transform, scene.crs_wkt, [0, w, w, 0], [h, h, 0, 0])
    (llx, lly), (lrx, lry), (urx, ury), (ulx, uly) = (
        (round(float(lo), 8), round(float(la), 8)) for lo, la in lonlat)
    pixel_deg = max(abs(lrx - llx) / w, abs(uly - lly) / h)
    aligned = (max(abs(llx - ulx), abs(lrx - urx), abs(lly - lry), abs(uly - ury))
               <= pixel_deg / 4 and uly > lly and lrx > llx)
    box = (uly, lly, lrx, llx) if aligned else None
    return ((llx, lly), (lrx, lry), (urx, ury), (ulx, uly)), box


def _jpeg(scene: Scene, max_side_px: int) -> bytes:
    import cv2

    with RasterReader(scene.path) as raster:
        rgb = raster.read_rgb_reduced(max_side_px=max_side_px)
    ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]),
                               [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB array
        raise ReportError(f"cannot encode '{scene.original_name}' as JPEG")
    return bytes(encoded.tobytes())


def image_overlays(
    scenes: Sequence[Scene], *, max_side_px: int = MAX_OVERLAY_PX,
) -> tuple[tuple[ImageOverlay, ...], tuple[str, ...]]:
    """Each georeferenced scene as a ground overlay, shown from its date until the site's next
    analysed date (or for one day, the last), and a note for each scene left out and why.

    Args:
        scenes: The analysed scenes (their dates set the time spans).
        max_side_px: The longest side of each JPEG.
    """
    by_site: dict[str, list[dt.date]] = {}
    for scene in scenes:
        by_site.setdefault(scene.site, []).append(scene.date)
    overlays, notes = [], []
    for scene in sorted(scenes, key=lambda s: (s.site, s.date, s.original_name)):
        label = f"{scene.original_name} ({scene.site}, {scene.date})"
        if not scene.georeferenced:
            notes.append(f"{label}: no georeference, so it cannot be laid on the ground "
                         "(add a world file or control points with sitewatch ingest)")
            continue
        later = [d for d in by_site[scene.site] if d > scene.date]
        try:
            jpeg = _jpeg(scene, max_side_px)
        except ImageryError as exc:
            notes.append(f"{label}: left out, {exc}")
            continue
        corners, box = overlay_corners(scene)
        overlays.append(ImageOverlay(
            name=scene.original_name, site=scene.site, scene_sha256=scene.sha256,
            date_from=scene.date, date_to=min(later) if later else scene.date + dt.timedelta(days=1),
            jpeg=jpeg, corners_lonlat=corners, box_nsew=box,
        ))
    return tuple(overlays), tuple(notes)
