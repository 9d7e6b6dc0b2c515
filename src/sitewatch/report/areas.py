"""Polygons a map reader wants beside the boxes: zones, image footprints, and counts placed on
the zone or the site footprint they were made over, each count with its interval.

Every value is an :class:`AreaFeature`: a ring in WGS84 (or None where the place cannot be known,
e.g. an image without georeference) and ordered properties, so one writer serves GeoJSON and
GeoPackage alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sitewatch.catalog import Scene
from sitewatch.imagery import pixel_to_lonlat
from sitewatch.track import Count, SiteTrack, Zone, ZoneFrame, interval_meaning

Ring = tuple[tuple[float, float], ...]
Value = str | int | float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaFeature:
    """A zone, a footprint or a count: a closed counter-clockwise WGS84 ring (None where not
    known) and its properties in column order."""

    kind: str
    ring_lonlat: Ring | None
    properties: tuple[tuple[str, Value], ...]


def _closed_ccw(points: Sequence[tuple[float, float]]) -> Ring:
    ring = [(round(float(x), 8), round(float(y), 8)) for x, y in points]
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]],
                                                                 strict=True))
    if area < 0:
        ring.reverse()
    return (*ring, ring[0])


def footprint_ring(scene: Scene) -> Ring | None:
    """The scene's outline in WGS84, or None without georeference."""
    if scene.transform is None or scene.crs_wkt is None:
        return None
    w, h = scene.width_px, scene.height_px
    corners = pixel_to_lonlat(scene.transform, scene.crs_wkt, [0, w, w, 0], [0, 0, h, h])
    return _closed_ccw([(float(x), float(y)) for x, y in corners])


def footprint_features(scenes: Sequence[Scene]) -> tuple[AreaFeature, ...]:
    """Each scene's outline, with what the image is and how fine its pixels are."""
    return tuple(
        AreaFeature(kind="footprint", ring_lonlat=footprint_ring(s), properties=(
            ("site", s.site), ("date", s.date.isoformat()), ("image", s.original_name),
            ("scene_sha256", s.sha256), ("gsd_m", round(s.gsd_m, 4)),
            ("gsd_source", s.gsd_source.value), ("width_px", s.width_px),
            ("height_px", s.height_px)))
        for s in scenes
    )


def zone_rings(zones: Sequence[Zone], tracks: Sequence[SiteTrack],
               scenes: Sequence[Scene]) -> dict[tuple[str, str], Ring]:
    """Each zone of each site in WGS84; a zone drawn in pixels is placed through the site's
    reference (earliest) scene, and left out when that scene has no georeference."""
    out: dict[tuple[str, str], Ring] = {}
    for track in tracks:
        reference = next((s for s in scenes if s.site == track.site
                          and s.date == track.reference_date), None)
        for zone in zones:
            if zone.frame is ZoneFrame.LONLAT:
                out[(track.site, zone.name)] = _closed_ccw(zone.exterior)
            elif reference is not None and reference.transform and reference.crs_wkt:
                xs = [p[0] for p in zone.exterior]
                ys = [p[1] for p in zone.exterior]
                lonlat = pixel_to_lonlat(reference.transform, reference.crs_wkt, xs, ys)
                out[(track.site, zone.name)] = _closed_ccw([(float(x), float(y))
                                                            for x, y in lonlat])
    return out


def zone_features(zones: Sequence[Zone], tracks: Sequence[SiteTrack],
                  scenes: Sequence[Scene]) -> tuple[AreaFeature, ...]:
    """Each zone of each site that can be placed on the ground."""
    rings = zone_rings(zones, tracks, scenes)
    frames = {zone.name: zone.frame.value for zone in zones}
    return tuple(AreaFeature(kind="zone", ring_lonlat=ring, properties=(
        ("site", site), ("zone", name), ("drawn_in", frames[name])))
        for (site, name), ring in sorted(rings.items()))


def count_properties(c: Count, *, rates_source: str) -> tuple[tuple[str, Value], ...]:
    """A count's figures as typed properties (numbers stay numbers, unknowns are None)."""
    return (
        ("site", c.site), ("date", c.date.isoformat()), ("zone", c.zone or ""),
        ("label", c.label), ("observable", c.observable), ("detected", c.n),
        ("estimate", None if c.estimate is None else round(c.estimate, 2)),
        ("interval_lo", c.interval_lo), ("interval_hi", c.interval_hi),
        ("interval_level", c.interval_level), ("precision", c.precision), ("recall", c.recall),
        ("interval_meaning", "" if c.interval_level is None else interval_meaning(c.interval_level)),
        ("rates_source", c.unmeasured or (rates_source if c.observable else "")),
        ("reason", c.reason),
        ("coverage", None if c.coverage is None else round(c.coverage, 3)),
    )


def count_features(tracks: Sequence[SiteTrack], scenes: Sequence[Scene], zones: Sequence[Zone],
                   *, rates_source: str) -> tuple[AreaFeature, ...]:
    """One feature per site or zone × date × label, over the zone's polygon or, for the whole
    site, the footprint of that date's image (None where neither can be placed)."""
    rings = zone_rings(zones, tracks, scenes)
    footprints: dict[tuple[str, dt.date], Ring | None] = {
        (s.site, s.date): footprint_ring(s) for s in scenes}
    return tuple(
        AreaFeature(
            kind="count",
            ring_lonlat=(rings.get((c.site, c.zone)) if c.zone is not None
                         else footprints.get((c.site, c.date))),
            properties=count_properties(c, rates_source=rates_source))
        for track in tracks for c in track.counts
    )
