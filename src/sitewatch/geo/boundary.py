"""A border the user supplies, and geodesic distances to it.

The boundary is read from a GeoJSON file in WGS84 longitude/latitude (LineString,
MultiLineString, Polygon or MultiPolygon; polygons count by their outline). The distance from
a point is computed in an azimuthal equidistant projection centred on that point, where
distances from the centre are true geodesic distances, so it is exact up to the few metres by
which the boundary's straight segments differ from geodesics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
import shapely.errors
from pyproj import CRS, Transformer
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from sitewatch.errors import ConfigError
from sitewatch.geo.coords import LonLat
from sitewatch.untrusted import check_lonlat, load_json

MAX_BOUNDARY_BYTES = 50_000_000
_LINEAR = {"LineString", "MultiLineString", "Polygon", "MultiPolygon"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Boundary:
    """A named border line (or area outline) in WGS84."""

    name: str
    geometry: BaseGeometry
    source_path: str

    def distance_m(self, point: LonLat) -> float:
        """Geodesic distance from ``point`` to the nearest part of the boundary, in metres."""
        aeqd = CRS.from_proj4(
            f"+proj=aeqd +lat_0={point.lat_deg} +lon_0={point.lon_deg} +ellps=WGS84 +units=m"
        )
        to_local = Transformer.from_crs(CRS.from_epsg(4326), aeqd, always_xy=True).transform
        line = self.geometry.boundary if self.geometry.geom_type.endswith("Polygon") else (
            self.geometry)
        local = shapely.transform(line, lambda x, y: to_local(x, y), interleaved=False)
        return float(local.distance(Point(0.0, 0.0)))

    def side(self, point: LonLat) -> str | None:
        """``"inside"``/``"outside"`` for an area boundary, ``None`` for a line."""
        if not self.geometry.geom_type.endswith("Polygon"):
            return None
        inside = self.geometry.covers(Point(point.lon_deg, point.lat_deg))
        return "inside" if inside else "outside"


def load_boundary(path: Path) -> Boundary:
    """Read a boundary from GeoJSON (a geometry, a Feature or a FeatureCollection).

    Raises:
        ConfigError: unreadable, too large, not GeoJSON or no line or polygon in it.
    """
    try:
        size = path.stat().st_size
        if size > MAX_BOUNDARY_BYTES:
            raise ConfigError(f"boundary file {str(path)!r} is {size} bytes, over the "
                              f"{MAX_BOUNDARY_BYTES} byte limit; simplify it")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read boundary file {str(path)!r}: {exc}; give a GeoJSON "
                          "file in WGS84 longitude/latitude") from None
    doc = load_json(text, f"boundary file {str(path)!r}")
    if not isinstance(doc, dict):
        raise ConfigError(f"boundary file {str(path)!r} is not a GeoJSON object")
    features: list[Any] = (doc.get("features") or [] if doc.get("type") == "FeatureCollection"
                           else [doc] if doc.get("type") == "Feature"
                           else [{"type": "Feature", "geometry": doc, "properties": {}}])
    geoms, names = [], []
    for feat in features:
        if not isinstance(feat, dict):
            raise ConfigError(f"boundary file {str(path)!r}: a feature is not an object")
        geom = feat.get("geometry") or {}
        if isinstance(geom, dict) and isinstance(geom.get("type"), str) and geom["type"] in _LINEAR:
            if not isinstance(geom.get("coordinates"), list):
                raise ConfigError(f"boundary file {str(path)!r}: a {geom['type']} without a "
                                  "list of coordinates; give its [longitude, latitude] points")
            try:
                geometry = shape(geom)
                bounds = geometry.bounds
            except (ValueError, TypeError, AttributeError, IndexError,
                    shapely.errors.ShapelyError) as exc:
                raise ConfigError(f"boundary file {str(path)!r}: bad geometry: {exc}") from None
            for lon, lat in ((bounds[0], bounds[1]), (bounds[2], bounds[3])):
                check_lonlat(lon, lat, f"boundary file {str(path)!r}")
            geoms.append(geometry)
            names.append(str((feat.get("properties") or {}).get("name", "")))
    if not geoms:
        raise ConfigError(f"boundary file {str(path)!r} holds no LineString or Polygon; draw "
                          "the border as a line or an area")
    from shapely.ops import unary_union

    name = next((n for n in names if n), path.stem)
    return Boundary(name=name, geometry=unary_union(geoms), source_path=str(path))
