"""Conversions between an image's pixel grid, its map CRS and WGS84 longitude/latitude."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TypeAlias

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from sitewatch.errors import GeoError

#: Coordinates: a sequence of floats or a 1-D array.
Coords: TypeAlias = Sequence[float] | np.ndarray


@lru_cache(maxsize=32)
def _to_wgs84(crs_wkt: str) -> Transformer:
    try:
        crs = CRS.from_user_input(crs_wkt)
    except CRSError as exc:
        raise GeoError(
            f"cannot read coordinate reference system {crs_wkt[:60]!r}: {exc}; re-ingest the "
            "image or give its EPSG code",
        ) from None
    return Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)


def _affine(transform: Sequence[float]) -> np.ndarray:
    if len(transform) < 6:
        raise GeoError(f"affine transform needs 6 GDAL-order numbers, got {tuple(transform)}")
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def pixel_to_map(
    transform: Sequence[float], xs_px: Coords, ys_px: Coords
) -> np.ndarray:
    """Pixel (x right, y down) -> map coordinates with a GDAL-order affine; (N, 2) array.

    >>> pixel_to_map((0.5, 0, 1000.0, 0, -0.5, 2000.0), [0, 10], [0, 4]).tolist()
    [[1000.0, 2000.0], [1005.0, 1998.0]]
    """
    m = _affine(transform)
    pts = np.column_stack([np.asarray(xs_px, float), np.asarray(ys_px, float), np.ones(len(xs_px))])
    return (pts @ m.T)[:, :2]


def map_to_pixel(
    transform: Sequence[float], xs: Coords, ys: Coords
) -> np.ndarray:
    """Inverse of :func:`pixel_to_map`.

    Raises:
        GeoError: the transform is singular.
    """
    m = _affine(transform)
    if abs(np.linalg.det(m)) < 1e-18:
        raise GeoError(f"affine transform {tuple(transform)} is singular and cannot be inverted")
    pts = np.column_stack([np.asarray(xs, float), np.asarray(ys, float), np.ones(len(xs))])
    return (pts @ np.linalg.inv(m).T)[:, :2]


def map_to_lonlat(crs_wkt: str, xs: Coords, ys: Coords) -> np.ndarray:
    """Map coordinates in ``crs_wkt`` -> WGS84 (lon, lat) degrees; (N, 2) array.

    Raises:
        GeoError: the CRS cannot be read.
    """
    lon, lat = _to_wgs84(crs_wkt).transform(np.asarray(xs, float), np.asarray(ys, float))
    return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])


def lonlat_to_map(crs_wkt: str, lons: Coords, lats: Coords) -> np.ndarray:
    """WGS84 (lon, lat) degrees -> map coordinates in ``crs_wkt``; (N, 2) array.

    Raises:
        GeoError: the CRS cannot be read.
    """
    from pyproj.enums import TransformDirection

    x, y = _to_wgs84(crs_wkt).transform(
        np.asarray(lons, float), np.asarray(lats, float), direction=TransformDirection.INVERSE
    )
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def pixel_to_lonlat(
    transform: Sequence[float], crs_wkt: str, xs_px: Coords, ys_px: Coords
) -> np.ndarray:
    """Pixel -> WGS84 (lon, lat) degrees; (N, 2) array."""
    m = pixel_to_map(transform, xs_px, ys_px)
    return map_to_lonlat(crs_wkt, m[:, 0], m[:, 1])


def lonlat_to_pixel(
    transform: Sequence[float], crs_wkt: str, lons: Coords, lats: Coords
) -> np.ndarray:
    """WGS84 (lon, lat) degrees -> pixel; (N, 2) array."""
    m = lonlat_to_map(crs_wkt, lons, lats)
    return map_to_pixel(transform, m[:, 0], m[:, 1])


def same_crs(wkt_a: str, wkt_b: str) -> bool:
    """Whether two WKT strings name the same coordinate reference system."""
    if wkt_a == wkt_b:
        return True
    try:
        return bool(CRS.from_user_input(wkt_a) == CRS.from_user_input(wkt_b))
    except CRSError:
        return False
