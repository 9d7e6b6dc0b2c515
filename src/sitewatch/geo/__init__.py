"""Geometry, coordinate frames, distances and travel times."""

from __future__ import annotations

from sitewatch.geo.coords import LonLat, OrientedBoxPx, PixelPoint

__all__ = ["LonLat", "OrientedBoxPx", "PixelPoint"]
