"""Pixel <-> map coordinates through a raster's affine transform, and ground sample distance.

The transform is a 6-tuple in GDAL/rasterio order ``(a, b, c, d, e, f)``::

    x_map = a * x_px + b * y_px + c
    y_map = d * x_px + e * y_px + f

with pixel coordinates continuous (pixel (0, 0) covers [0, 1) × [0, 1)).
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS, Geod, Transformer

from sitewatch.errors import NotGeoreferencedError

Affine6 = tuple[float, float, float, float, float, float]

_GEOD = Geod(ellps="WGS84")


def pixel_to_map(
    transform: Affine6, x_px: np.ndarray | float, y_px: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates of pixel positions.

    >>> [float(v) for v in pixel_to_map((0.5, 0.0, 100.0, 0.0, -0.5, 200.0), 2.0, 4.0)]
    [101.0, 198.0]
    """
    a, b, c, d, e, f = transform
    x = np.asarray(x_px, dtype=np.float64)
    y = np.asarray(y_px, dtype=np.float64)
    return a * x + b * y + c, d * x + e * y + f


def map_to_pixel(
    transform: Affine6, x_map: np.ndarray | float, y_map: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of map coordinates (the inverse of :func:`pixel_to_map`).

    Raises:
        NotGeoreferencedError: The transform is degenerate (not invertible).
    """
    a, b, c, d, e, f = transform
    det = a * e - b * d
    if det == 0 or not math.isfinite(det):
        raise NotGeoreferencedError(
            f"affine transform {transform} is not invertible; re-georeference the image",
            transform=transform,
        )
    x = np.asarray(x_map, dtype=np.float64) - c
    y = np.asarray(y_map, dtype=np.float64) - f
    return (e * x - b * y) / det, (-d * x + a * y) / det


def gsd_m_of(transform: Affine6, crs_wkt: str, width_px: int, height_px: int) -> float:
    """Ground sample distance in metres at the image centre (geometric mean of both axes).

    Projected CRSs use their linear unit; geographic CRSs (degrees) are measured on the WGS84
    ellipsoid between the centre pixel and its neighbours.

    >>> round(gsd_m_of((0.3, 0.0, 5e5, 0.0, -0.3, 4e6), CRS.from_epsg(32617).to_wkt(), 10, 10), 6)
    0.3
    """
    crs = CRS.from_wkt(crs_wkt)
    a, b, _, d, e, _ = transform
    if crs.is_geographic:
        cx, cy = width_px / 2.0, height_px / 2.0
        xs, ys = pixel_to_map(transform, np.array([cx, cx + 1, cx]), np.array([cy, cy, cy + 1]))
        lon, lat = _to_lonlat_arrays(crs, xs, ys)
        _, _, dx_m = _GEOD.inv(lon[0], lat[0], lon[1], lat[1])
        _, _, dy_m = _GEOD.inv(lon[0], lat[0], lon[2], lat[2])
        return float(math.sqrt(abs(dx_m * dy_m)))
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(math.sqrt(abs(a * e - b * d)) * unit)


def _to_lonlat_arrays(crs: CRS, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def pixel_to_lonlat(
    transform: Affine6, crs_wkt: str, x_px: np.ndarray, y_px: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude (degrees) of pixel positions."""
    xs, ys = pixel_to_map(transform, x_px, y_px)
    return _to_lonlat_arrays(CRS.from_wkt(crs_wkt), xs, ys)
