"""Geometry, distances and travel times (pixel and map frames: :mod:`sitewatch.imagery.georef`)."""

from __future__ import annotations

from sitewatch.geo.boundary import Boundary, load_boundary
from sitewatch.geo.coords import LonLat, OrientedBoxPx, PixelPoint
from sitewatch.geo.travel import (
    DEFAULT_SPEEDS,
    ModeSpeed,
    TransportMode,
    geodesic_azimuth_deg,
    geodesic_distance_m,
)

__all__ = [
    "DEFAULT_SPEEDS",
    "Boundary",
    "LonLat",
    "ModeSpeed",
    "OrientedBoxPx",
    "PixelPoint",
    "TransportMode",
    "geodesic_azimuth_deg",
    "geodesic_distance_m",
    "load_boundary",
]
