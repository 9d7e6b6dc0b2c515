"""The one home of georeferencing: pixel <-> map <-> WGS84 lon/lat, and ground sample distance.

The transform is a 6-tuple in GDAL/rasterio order ``(a, b, c, d, e, f)``::

    x_map = a * x_px + b * y_px + c
    y_map = d * x_px + e * y_px + f

with pixel coordinates continuous (pixel (0, 0) covers [0, 1) × [0, 1)). Every conversion takes
coordinates as scalars, sequences or 1-D arrays and returns an ``(N, 2)`` array of (x, y) or
(lon, lat) pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeAlias

import numpy as np
from pyproj import CRS, Geod, Transformer
from pyproj.enums import TransformDirection
from pyproj.exceptions import CRSError

from sitewatch.errors import GeoError, NotGeoreferencedError

Affine6 = tuple[float, float, float, float, float, float]
#: Coordinates: a number, a sequence of numbers or a 1-D array.
Coords: TypeAlias = float | Sequence[float] | np.ndarray

_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=32)
def _crs(crs_wkt: str) -> CRS:
    try:
        return CRS.from_user_input(crs_wkt)
    except CRSError as exc:
        raise GeoError(
            f"cannot read coordinate reference system {crs_wkt[:60]!r}: {exc}; re-ingest the "
            "image or give its EPSG code",
        ) from None


@lru_cache(maxsize=32)
def _to_wgs84(crs_wkt: str) -> Transformer:
    from pyproj.exceptions import ProjError

    try:
        return Transformer.from_crs(_crs(crs_wkt), CRS.from_epsg(4326), always_xy=True)
    except ProjError:  # an engineering or local CRS (LOCAL_CS) has no way to the globe
        raise GeoError(
            f"coordinate reference system {crs_wkt[:60]!r} cannot be turned into longitude/"
            "latitude (a local or engineering system?); give its EPSG code",
        ) from None


def _affine(transform: Sequence[float]) -> np.ndarray:
    if len(transform) < 6:
        raise GeoError(f"affine transform needs 6 GDAL-order numbers, got {tuple(transform)}")
    a, b, c, d, e, f = (float(v) for v in transform[:6])
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def _points(xs: Coords, ys: Coords) -> np.ndarray:
    x = np.atleast_1d(np.asarray(xs, dtype=np.float64))
    y = np.atleast_1d(np.asarray(ys, dtype=np.float64))
    return np.column_stack([x, y, np.ones(len(x))])


def pixel_to_map(transform: Sequence[float], xs_px: Coords, ys_px: Coords) -> np.ndarray:
    """Pixel (x right, y down) -> map coordinates; ``(N, 2)`` array.

    >>> pixel_to_map((0.5, 0, 1000.0, 0, -0.5, 2000.0), [0, 10], [0, 4]).tolist()
    [[1000.0, 2000.0], [1005.0, 1998.0]]
    """
    return (_points(xs_px, ys_px) @ _affine(transform).T)[:, :2]


def map_to_pixel(transform: Sequence[float], xs: Coords, ys: Coords) -> np.ndarray:
    """Inverse of :func:`pixel_to_map`; ``(N, 2)`` array.

    Raises:
        NotGeoreferencedError: the transform is degenerate (not invertible).
    """
    m = _affine(transform)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    if det == 0 or not math.isfinite(det):
        raise NotGeoreferencedError(
            f"affine transform {tuple(transform)} is not invertible; re-georeference the image",
            transform=tuple(transform),
        )
    return (_points(xs, ys) @ np.linalg.inv(m).T)[:, :2]


def map_to_lonlat(crs_wkt: str, xs: Coords, ys: Coords) -> np.ndarray:
    """Map coordinates in ``crs_wkt`` -> WGS84 (lon, lat) degrees; ``(N, 2)`` array.

    Raises:
        GeoError: the CRS cannot be read.
    """
    lon, lat = _to_wgs84(crs_wkt).transform(np.asarray(xs, float), np.asarray(ys, float))
    return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])


def lonlat_to_map(crs_wkt: str, lons: Coords, lats: Coords) -> np.ndarray:
    """WGS84 (lon, lat) degrees -> map coordinates in ``crs_wkt``; ``(N, 2)`` array.

    Raises:
        GeoError: the CRS cannot be read.
    """
    x, y = _to_wgs84(crs_wkt).transform(
        np.asarray(lons, float), np.asarray(lats, float), direction=TransformDirection.INVERSE
    )
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])


def pixel_to_lonlat(
    transform: Sequence[float], crs_wkt: str, xs_px: Coords, ys_px: Coords
) -> np.ndarray:
    """Pixel -> WGS84 (lon, lat) degrees; ``(N, 2)`` array."""
    m = pixel_to_map(transform, xs_px, ys_px)
    return map_to_lonlat(crs_wkt, m[:, 0], m[:, 1])


def lonlat_to_pixel(
    transform: Sequence[float], crs_wkt: str, lons: Coords, lats: Coords
) -> np.ndarray:
    """WGS84 (lon, lat) degrees -> pixel; ``(N, 2)`` array."""
    m = lonlat_to_map(crs_wkt, lons, lats)
    return map_to_pixel(transform, m[:, 0], m[:, 1])


def same_crs(wkt_a: str, wkt_b: str) -> bool:
    """Whether two WKT strings name the same coordinate reference system."""
    if wkt_a == wkt_b:
        return True
    try:
        return bool(_crs(wkt_a) == _crs(wkt_b))
    except GeoError:
        return False


def gsd_m_of(transform: Sequence[float], crs_wkt: str, width_px: int, height_px: int) -> float:
    """Ground sample distance in metres at the image centre (geometric mean of both axes).

    Projected CRSs use their linear unit; geographic CRSs (degrees) are measured on the WGS84
    ellipsoid between the centre pixel and its neighbours.

    >>> round(gsd_m_of((0.3, 0.0, 5e5, 0.0, -0.3, 4e6), CRS.from_epsg(32617).to_wkt(), 10, 10), 6)
    0.3

    Raises:
        GeoError: the CRS cannot be read.
    """
    crs = _crs(crs_wkt)
    if crs.is_geographic:
        cx, cy = width_px / 2.0, height_px / 2.0
        lonlat = pixel_to_lonlat(transform, crs_wkt, [cx, cx + 1, cx], [cy, cy, cy + 1])
        (lon0, lat0), (lon1, lat1), (lon2, lat2) = lonlat.tolist()
        _, _, dx_m = _GEOD.inv(lon0, lat0, lon1, lat1)
        _, _, dy_m = _GEOD.inv(lon0, lat0, lon2, lat2)
        return float(math.sqrt(abs(dx_m * dy_m)))
    a, b, _, d, e, _ = (float(v) for v in transform[:6])
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(math.sqrt(abs(a * e - b * d)) * unit)


def outline_lonlat_wkt(transform: Sequence[float], crs_wkt: str, width_px: int, height_px: int) -> str:
    """The image outline (its four corners) in WGS84 lon/lat, as a WKT polygon.

    Raises:
        GeoError: the CRS cannot be read, or a corner has no place on the globe (outside the
            projection's domain, or a nonsense transform): never an ``inf`` or ``nan`` outline.
    """
    lonlat = pixel_to_lonlat(transform, crs_wkt, [0, width_px, width_px, 0], [0, 0, height_px, height_px])
    if not np.isfinite(lonlat).all():
        raise GeoError(
            f"the georeference puts the image's corners nowhere on the globe (transform "
            f"{tuple(transform)[:6]} in {crs_wkt[:60]!r})",
        )
    corners = lonlat.tolist()
    ring = [*corners, corners[0]]
    return "POLYGON ((" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in ring) + "))"


def fit_gcps(xs_px: Coords, ys_px: Coords, lons: Coords, lats: Coords) -> tuple[Affine6, np.ndarray]:
    """An affine pixel -> WGS84 lon/lat transform fitted through ground control points by GDAL's
    least squares (``GDALGCPsToGeoTransform``), and each point's residual in metres.

    Three points fix an affine exactly (every residual is 0, so nothing checks them); with four
    or more the residuals measure how well the points, and the affine model, agree.

    >>> t, r = fit_gcps([0, 100, 0, 100], [0, 0, 100, 100],
    ...                 [39.0, 39.001, 39.0, 39.001], [47.0, 47.0, 46.999, 46.999])
    >>> round(t[0], 8), float(r.max()) < 0.01
    (1e-05, True)

    Raises:
        GeoError: fewer than three points, or points in a line (no transform fits them).
    """
    from rasterio.control import GroundControlPoint
    from rasterio.transform import from_gcps

    px, py = np.atleast_1d(np.asarray(xs_px, float)), np.atleast_1d(np.asarray(ys_px, float))
    lon, lat = np.atleast_1d(np.asarray(lons, float)), np.atleast_1d(np.asarray(lats, float))
    if len(px) < 3:
        raise GeoError(f"{len(px)} ground control points: an affine fit needs 3 or more, spread "
                       "over the image (4 or more to measure the error)")
    # A triangle of points must span the image: twice its largest area over all point triples.
    spread = max(abs((px[j] - px[i]) * (py[k] - py[i]) - (px[k] - px[i]) * (py[j] - py[i]))
                 for i in range(len(px)) for j in range(i + 1, len(px)) for k in range(j + 1, len(px)))
    if spread < 1.0:
        raise GeoError("the ground control points lie on one line in the image; give 3 or more "
                       "points that are not in a line (e.g. near three corners)")
    gcps = [GroundControlPoint(row=float(y), col=float(x), x=float(lo), y=float(la))
            for x, y, lo, la in zip(px, py, lon, lat, strict=True)]
    fitted = from_gcps(gcps)
    transform: Affine6 = tuple(float(v) for v in fitted[:6])  # type: ignore[assignment]
    if not all(math.isfinite(v) for v in transform) or abs(transform[0] * transform[4]
                                                          - transform[1] * transform[3]) == 0:
        raise GeoError("no affine transform fits these ground control points; check that each "
                       "pairs the right pixel with the right lon/lat")
    predicted = pixel_to_map(transform, px, py)
    _, _, residual_m = _GEOD.inv(predicted[:, 0], predicted[:, 1], lon, lat)
    return transform, np.abs(np.asarray(residual_m, dtype=np.float64))
