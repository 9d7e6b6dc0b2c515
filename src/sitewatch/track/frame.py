"""The reference frame of a site: placing detections, footprints and zones in it."""

from __future__ import annotations

import math
from collections.abc import Sequence

from shapely.geometry import Point, Polygon
from shapely.validation import make_valid

from sitewatch.errors import TrackError
from sitewatch.geo import LonLat
from sitewatch.imagery import Registration, lonlat_to_pixel, pixel_to_lonlat
from sitewatch.track.matching import Placed
from sitewatch.track.types import Observation
from sitewatch.track.zones import Zone, ZoneFrame


def place_detections(
    obs: Observation, reg: Registration, reference_gsd_m: float, *, min_score: float = 0.0
) -> tuple[Placed, ...]:
    """Map each detection of ``obs`` into the reference frame (pixels and metres)."""
    out = []
    for i, det in enumerate(obs.detections):
        if det.score < min_score:
            continue
        box = det.box
        ((x, y),) = reg.to_reference([box.cx_px], [box.cy_px]).tolist()
        long_angle = box.angle_rad if box.width_px >= box.height_px else box.angle_rad + math.pi / 2
        # heading: push the long-axis direction through the local linear part of the map
        tip = reg.to_reference(
            [box.cx_px + math.cos(long_angle)], [box.cy_px + math.sin(long_angle)]
        )[0]
        heading = math.atan2(tip[1] - y, tip[0] - x) % math.pi
        out.append(
            Placed(
                index=i,
                label=det.label.value,
                x_px=x,
                y_px=y,
                x_m=x * reference_gsd_m,
                y_m=y * reference_gsd_m,
                length_m=box.length_px() * obs.gsd_m,
                width_m=min(box.width_px, box.height_px) * obs.gsd_m,
                heading_rad=heading,
                score=det.score,
            )
        )
    return tuple(out)


def footprint(obs: Observation, reg: Registration) -> Polygon:
    """The image's outline in the reference pixel grid."""
    w, h = obs.width_px, obs.height_px
    corners = reg.to_reference([0, w, w, 0], [0, 0, h, h])
    poly = Polygon(corners.tolist())
    return poly if poly.is_valid else make_valid(poly)


def zone_polygon(zone: Zone, reference: Observation) -> Polygon:
    """A zone as a polygon in the reference date's pixel grid.

    Raises:
        TrackError: the zone is in longitude/latitude but the reference date has no
            georeference.
    """
    ring = list(zone.exterior)
    if zone.frame is ZoneFrame.LONLAT:
        if reference.transform is None or reference.crs_wkt is None:
            raise TrackError(
                f"zone {zone.name!r} is drawn in longitude/latitude but the reference date "
                f"{reference.date} of site {reference.site!r} has no georeference; redraw it in "
                "pixel coordinates of that date",
                zone=zone.name,
            )
        px = lonlat_to_pixel(
            reference.transform, reference.crs_wkt, [p[0] for p in ring], [p[1] for p in ring]
        )
        ring = [(float(x), float(y)) for x, y in px]
    poly = Polygon(ring)
    return poly if poly.is_valid else make_valid(poly)


def zone_of(
    x_px: float, y_px: float, zones: Sequence[tuple[str, Polygon]]
) -> str | None:
    """Name of the first zone holding the point, or ``None``."""
    pt = Point(x_px, y_px)
    for name, poly in zones:
        if poly.covers(pt):
            return name
    return None


def lonlat_of(reference: Observation, x_px: float, y_px: float) -> LonLat | None:
    """WGS84 position of a reference-grid pixel, when the reference is georeferenced."""
    if reference.transform is None or reference.crs_wkt is None:
        return None
    ((lon, lat),) = pixel_to_lonlat(reference.transform, reference.crs_wkt, [x_px], [y_px])
    return LonLat(lon_deg=float(lon), lat_deg=float(lat))
