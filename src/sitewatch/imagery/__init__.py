"""sitewatch.imagery stage: reading rasters window by window, tile grids, georeference.

Public names:

- :class:`RasterReader`, :func:`read_info`, :class:`RasterInfo`: open any raster GDAL can read
  and read windows of it as RGB uint8; :func:`dataset_info` for a dataset opened elsewhere.
- :func:`mosaic_images`, :class:`MosaicSource`, :class:`MosaicResult`, :class:`MosaicPart`,
  :class:`OverlapCheck`: several georeferenced images of one date made into one, seams kept.
- :func:`rectify_by_gcps`, :class:`Rectified`, :data:`POLYNOMIAL_POINTS`: a picture warped
  by GDAL through a polynomial (order 2 or 3) of its ground control points.
- :func:`sniff_bytes`: the one format sniffer (a file's GDAL driver from its first bytes).
- :func:`check_dataset`, :data:`MAX_WHOLE_DECODE_BYTES`, :func:`check_decoded_size`: what a
  decode may cost, checked from the header.
- :class:`Tile`, :func:`tile_grid`: the pure tile maths.
- :class:`Registration`, :func:`register_images`, :func:`register_by_georeference`,
  :func:`identity_registration`, :func:`read_grey_raw`: how one date's image lies on another's.
- :class:`GsdEstimate`, :func:`fit_gsd`, :func:`pool_fits`, :func:`disagreement`: a GSD estimated
  from vehicle lengths and the arithmetic behind it (:mod:`sitewatch.imagery.scale`).
- :func:`pixel_to_map`, :func:`map_to_pixel`, :func:`pixel_to_lonlat`, :func:`lonlat_to_pixel`,
  :func:`map_to_lonlat`, :func:`lonlat_to_map`, :func:`same_crs`, :func:`gsd_m_of`: the one home
  of georeferencing (``imagery.georef``).
"""

from __future__ import annotations

from sitewatch.imagery.georef import (
    Affine6,
    fit_gcps,
    gsd_m_of,
    lonlat_to_map,
    lonlat_to_pixel,
    map_to_lonlat,
    map_to_pixel,
    outline_lonlat_wkt,
    pixel_to_lonlat,
    pixel_to_map,
    same_crs,
)
from sitewatch.imagery.limits import MAX_BANDS, MAX_WHOLE_DECODE_BYTES, check_dataset, check_decoded_size
from sitewatch.imagery.mosaic import MosaicPart, MosaicResult, MosaicSource, OverlapCheck, mosaic_images
from sitewatch.imagery.raster import (
    RasterInfo,
    RasterReader,
    check_decodes,
    dataset_info,
    read_info,
    same_pixels,
)
from sitewatch.imagery.rectify import POLYNOMIAL_POINTS, Rectified, rectify_by_gcps
from sitewatch.imagery.registration import (
    Registration,
    RegistrationMethod,
    RegistrationOptions,
    identity_registration,
    read_grey_raw,
    register_by_georeference,
    register_images,
)
from sitewatch.imagery.scale import GsdEstimate, disagreement, fit_gsd, pool_fits
from sitewatch.imagery.sniff import sniff_bytes
from sitewatch.imagery.tiles import Tile, tile_grid

__all__ = [
    "MAX_BANDS",
    "MAX_WHOLE_DECODE_BYTES",
    "POLYNOMIAL_POINTS",
    "Affine6",
    "GsdEstimate",
    "MosaicPart",
    "MosaicResult",
    "MosaicSource",
    "OverlapCheck",
    "RasterInfo",
    "RasterReader",
    "Rectified",
    "Registration",
    "RegistrationMethod",
    "RegistrationOptions",
    "Tile",
    "check_dataset",
    "check_decoded_size",
    "check_decodes",
    "dataset_info",
    "disagreement",
    "fit_gcps",
    "fit_gsd",
    "gsd_m_of",
    "identity_registration",
    "lonlat_to_map",
    "lonlat_to_pixel",
    "map_to_lonlat",
    "map_to_pixel",
    "mosaic_images",
    "outline_lonlat_wkt",
    "pixel_to_lonlat",
    "pixel_to_map",
    "pool_fits",
    "read_grey_raw",
    "read_info",
    "rectify_by_gcps",
    "register_by_georeference",
    "register_images",
    "same_crs",
    "same_pixels",
    "sniff_bytes",
    "tile_grid",
]
