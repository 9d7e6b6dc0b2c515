"""Rectify a picture by ground control points with a polynomial of order 2 or 3.

An affine transform (:func:`sitewatch.imagery.fit_gcps`) cannot describe an oblique screenshot
or a photo with lens distortion. A polynomial in the pixel coordinates can, given enough points:
order 2 has 6 coefficients per axis and needs 6 points, order 3 has 10 and needs 10 (with
exactly that many the fit passes through every point and nothing checks it). The picture is
warped by GDAL (``rasterio.warp.reproject`` with ``SRC_METHOD=GCP_POLYNOMIAL`` and
``MAX_GCP_ORDER``: GDAL's GCP transformer) onto a north-up grid in the UTM zone of its points,
so that the catalog, maps and distances use an ordinary affine transform.

Each point's residual is the distance, in metres on the WGS84 ellipsoid, between the lon/lat
the user gave and where the least-squares polynomial of that order puts its pixel: the same
model GDAL's transformer fits (GDAL exposes no per-point residual).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.errors import GeoError
from sitewatch.imagery.georef import Affine6, Coords

#: Fewest control points a polynomial of each order needs (its coefficients per axis).
POLYNOMIAL_POINTS = {1: 3, 2: 6, 3: 10}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rectified:
    """A picture warped onto a north-up grid: its grid and how well the points fit."""

    transform: Affine6
    crs_wkt: str
    width_px: int
    height_px: int
    order: int
    residuals_m: tuple[float, ...]
    valid_px: int  #: pixels of the grid the picture covers (the rest is masked)

    @property
    def rms_m(self) -> float:
        """Root-mean-square residual, metres."""
        return math.sqrt(sum(r * r for r in self.residuals_m) / len(self.residuals_m))


def _terms(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    """The polynomial's terms x^i y^j with i + j <= order, one column each."""
    return np.column_stack([x ** (n - j) * y ** j for n in range(order + 1) for j in range(n + 1)])


def polynomial_residuals_m(xs_px: Coords, ys_px: Coords, lons: Coords, lats: Coords, *,
                           order: int) -> np.ndarray:
    """Each point's residual (metres) under the least-squares polynomial of ``order``.

    >>> xs, ys = [0, 100, 0, 100, 50, 30], [0, 0, 100, 100, 50, 80]
    >>> lons = [39 + x * 1e-5 + (x * y) * 1e-9 for x, y in zip(xs, ys)]
    >>> lats = [47 - y * 1e-5 for y in ys]
    >>> float(polynomial_residuals_m(xs, ys, lons, lats, order=2).max()) < 1e-6
    True

    Raises:
        GeoError: an order other than 1-3, too few points for it, or points that fix no
            polynomial of that order (in a line, or repeated).
    """
    if order not in POLYNOMIAL_POINTS:
        raise GeoError(f"polynomial order {order}: use 1 (affine), 2 or 3")
    px, py = np.asarray(xs_px, float).ravel(), np.asarray(ys_px, float).ravel()
    lon, lat = np.asarray(lons, float).ravel(), np.asarray(lats, float).ravel()
    need = POLYNOMIAL_POINTS[order]
    if len(px) < need:
        raise GeoError(f"a polynomial of order {order} needs {need} or more ground control points "
                       f"and {len(px)} were given; add points spread over the picture or use a "
                       f"lower --gcp-order")
    # Centred and scaled as GDAL does, so the normal equations stay well conditioned.
    cx, cy = px.mean(), py.mean()
    scale = max(float(np.abs(px - cx).max()), float(np.abs(py - cy).max()), 1.0)
    terms = _terms((px - cx) / scale, (py - cy) / scale, order)
    if np.linalg.matrix_rank(terms) < terms.shape[1]:
        raise GeoError(f"the ground control points fix no polynomial of order {order} (points "
                       "in a line, on one curve, or repeated); spread them over the picture")
    lon0, lat0 = lon.mean(), lat.mean()
    coef, *_ = np.linalg.lstsq(terms, np.column_stack([lon - lon0, lat - lat0]), rcond=None)
    fitted = terms @ coef + [lon0, lat0]
    from pyproj import Geod

    _, _, dist = Geod(ellps="WGS84").inv(fitted[:, 0], fitted[:, 1], lon, lat)
    return np.abs(np.asarray(dist, dtype=np.float64))


def utm_epsg(lon_deg: float, lat_deg: float) -> int:
    """The EPSG code of the WGS84 UTM zone holding a point.

    >>> utm_epsg(39.7, 47.2), utm_epsg(-58.4, -34.6)
    (32637, 32721)
    """
    zone = min(int((lon_deg + 180.0) // 6.0) + 1, 60)
    return (32600 if lat_deg >= 0 else 32700) + zone


def rectify_by_gcps(src: Path, out: Path, xs_px: Sequence[float], ys_px: Sequence[float],
                    lons: Sequence[float], lats: Sequence[float], *, order: int) -> Rectified:
    """Warp ``src`` by its control points (GDAL, polynomial of ``order``) into GeoTIFF ``out``.

    Pixels outside the picture are masked (an internal mask), not painted black.

    Raises:
        GeoError: too few points for the order, or points that fix no polynomial; or GDAL finds
            no grid for them (the points contradict one another).
    """
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.errors import NotGeoreferencedWarning, RasterioError
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    residuals = polynomial_residuals_m(xs_px, ys_px, lons, lats, order=order)
    gcps = [GroundControlPoint(row=float(y), col=float(x), x=float(lo), y=float(la), z=0.0)
            for x, y, lo, la in zip(xs_px, ys_px, lons, lats, strict=True)]
    options = {"SRC_METHOD": "GCP_POLYNOMIAL", "MAX_GCP_ORDER": order}
    wgs84 = CRS.from_epsg(4326)
    dst_crs = CRS.from_epsg(utm_epsg(float(np.mean(lons)), float(np.mean(lats))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # it has none: that is the point
        with rasterio.open(src) as dataset:
            data = dataset.read()
    try:
        grid, width, height = calculate_default_transform(
            wgs84, dst_crs, data.shape[2], data.shape[1], gcps=gcps, **options)
        if grid is None or not width or not height:
            raise GeoError("GDAL found no grid for these points")
        warped = np.zeros((data.shape[0], height, width), dtype=data.dtype)
        mask = np.zeros((height, width), dtype=np.uint8)
        common = {"gcps": gcps, "src_crs": wgs84, "dst_transform": grid, "dst_crs": dst_crs,
                  **options}
        reproject(data, warped, resampling=Resampling.bilinear, **common)
        reproject(np.full(data.shape[1:], 255, np.uint8), mask, resampling=Resampling.nearest,
                  dst_nodata=0, **common)
    except RasterioError as exc:
        raise GeoError(f"GDAL could not warp by these control points ({exc}); check that each "
                       "pairs the right pixel with the right lon/lat") from None
    profile = {"driver": "GTiff", "width": width, "height": height, "count": data.shape[0],
               "dtype": data.dtype, "crs": dst_crs, "transform": grid, "compress": "deflate"}
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(out, "w", **profile) as dst:
        dst.write(warped)
        dst.write_mask(mask)
    transform: Affine6 = tuple(float(v) for v in grid[:6])  # type: ignore[assignment]
    return Rectified(transform=transform, crs_wkt=dst_crs.to_wkt(), width_px=width,
                     height_px=height, order=order, residuals_m=tuple(float(r) for r in residuals),
                     valid_px=int(np.count_nonzero(mask)))
