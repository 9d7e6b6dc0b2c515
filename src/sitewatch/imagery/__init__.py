"""sitewatch.imagery stage: reading rasters window by window, tile grids, georeference.

Public names:

- :class:`RasterReader`, :func:`read_info`, :class:`RasterInfo`: open any raster GDAL can read
  and read windows of it as RGB uint8.
- :class:`Tile`, :func:`tile_grid`: the pure tile maths.
- :class:`GsdEstimate`: a GSD estimated from vehicle lengths (:mod:`sitewatch.imagery.scale`).
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
from sitewatch.imagery.limits import MAX_BANDS, check_decoded_size
from sitewatch.imagery.raster import RasterInfo, RasterReader, check_decodes, read_info
from sitewatch.imagery.scale import GsdEstimate, disagreement, fit_gsd
from sitewatch.imagery.tiles import Tile, tile_grid

__all__ = [
    "MAX_BANDS",
    "Affine6",
    "GsdEstimate",
    "RasterInfo",
    "RasterReader",
    "Tile",
    "check_decoded_size",
    "check_decodes",
    "disagreement",
    "fit_gcps",
    "fit_gsd",
    "gsd_m_of",
    "lonlat_to_map",
    "lonlat_to_pixel",
    "map_to_lonlat",
    "map_to_pixel",
    "outline_lonlat_wkt",
    "pixel_to_lonlat",
    "pixel_to_map",
    "read_info",
    "same_crs",
    "tile_grid",
]
