"""Pixel and map coordinates as distinct types, with units in their names."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sitewatch.errors import GeoError


@dataclass(frozen=True, slots=True, kw_only=True)
class PixelPoint:
    """A point in an image's pixel grid: x to the right, y down, origin at the top-left corner."""

    x_px: float
    y_px: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LonLat:
    """A WGS84 position in decimal degrees (EPSG:4326, longitude first as in RFC 7946)."""

    lon_deg: float
    lat_deg: float

    def __post_init__(self) -> None:
        if not (-180.0 <= self.lon_deg <= 180.0 and -90.0 <= self.lat_deg <= 90.0):
            raise GeoError(
                f"longitude {self.lon_deg} / latitude {self.lat_deg} is outside WGS84 bounds",
                lon_deg=self.lon_deg,
                lat_deg=self.lat_deg,
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrientedBoxPx:
    """An oriented rectangle in pixel coordinates.

    ``angle_rad`` turns the box's width axis clockwise from the image x axis (y points down).

    >>> box = OrientedBoxPx(cx_px=10, cy_px=10, width_px=4, height_px=2, angle_rad=0.0)
    >>> box.bounds_px()
    (8.0, 9.0, 12.0, 11.0)
    """

    cx_px: float
    cy_px: float
    width_px: float
    height_px: float
    angle_rad: float

    def __post_init__(self) -> None:
        if not (self.width_px > 0 and self.height_px > 0):
            raise GeoError(
                f"oriented box needs positive size, got {self.width_px}×{self.height_px} px",
                width_px=self.width_px,
                height_px=self.height_px,
            )

    def corners_px(self) -> tuple[tuple[float, float], ...]:
        """The four corners, clockwise in image space, starting at the box's own top-left."""
        c, s = math.cos(self.angle_rad), math.sin(self.angle_rad)
        hw, hh = self.width_px / 2.0, self.height_px / 2.0
        out = []
        for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)):
            out.append((self.cx_px + dx * c - dy * s, self.cy_px + dx * s + dy * c))
        return tuple(out)

    def bounds_px(self) -> tuple[float, float, float, float]:
        """Axis-aligned box (x0, y0, x1, y1) enclosing the oriented box."""
        xs = [p[0] for p in self.corners_px()]
        ys = [p[1] for p in self.corners_px()]
        return (round(min(xs), 6), round(min(ys), 6), round(max(xs), 6), round(max(ys), 6))

    def length_px(self) -> float:
        """The longer side."""
        return max(self.width_px, self.height_px)

    def to_wkt(self) -> str:
        """WKT polygon of the corners in pixel coordinates (closed ring)."""
        pts = [*self.corners_px(), self.corners_px()[0]]
        return "POLYGON ((" + ", ".join(f"{x:.2f} {y:.2f}" for x, y in pts) + "))"
