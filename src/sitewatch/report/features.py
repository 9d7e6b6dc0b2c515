"""A case's detections and events as plain features, the common input of every export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from sitewatch.catalog import Scene
from sitewatch.detect import Detection
from sitewatch.imagery import pixel_to_lonlat
from sitewatch.track import SiteTrack


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportFeature:
    """One detection or event, with its place in pixels and, when georeferenced, in WGS84.

    ``ring_lonlat`` is the oriented box as a closed, counter-clockwise ring (RFC 7946 order)
    for detections; events are points (``point_lonlat``).
    """

    kind: str
    site: str
    date_from: dt.date
    date_to: dt.date
    label: str
    score: float
    image: str
    scene_sha256: str
    x_px: float
    y_px: float
    ring_px: tuple[tuple[float, float], ...]
    point_lonlat: tuple[float, float] | None
    ring_lonlat: tuple[tuple[float, float], ...] | None


def _next_dates(scenes: Sequence[Scene]) -> dict[tuple[str, dt.date], dt.date]:
    """For each (site, date), the site's next date; the last date lasts one day."""
    out: dict[tuple[str, dt.date], dt.date] = {}
    by_site: dict[str, list[dt.date]] = {}
    for scene in scenes:
        by_site.setdefault(scene.site, []).append(scene.date)
    for site, dates in by_site.items():
        ordered = sorted(set(dates))
        for here, after in zip(ordered, [*ordered[1:], None], strict=True):
            out[(site, here)] = after or here + dt.timedelta(days=1)
    return out


def detection_features(
    scenes_with_detections: Sequence[tuple[Scene, Sequence[Detection]]],
) -> tuple[ExportFeature, ...]:
    """Every detection, valid from its scene's date until the site's next date."""
    next_date = _next_dates([scene for scene, _ in scenes_with_detections])
    features = []
    for scene, detections in scenes_with_detections:
        for det in detections:
            ring_px = (*det.box.corners_px(), det.box.corners_px()[0])
            ring_lonlat = point = None
            if scene.transform is not None and scene.crs_wkt is not None:
                xs = np.array([p[0] for p in ring_px] + [det.box.cx_px])
                ys = np.array([p[1] for p in ring_px] + [det.box.cy_px])
                lons, lats = pixel_to_lonlat(scene.transform, scene.crs_wkt, xs, ys).T
                ring = [(round(float(lo), 7), round(float(la), 7))
                        for lo, la in zip(lons[:-1], lats[:-1], strict=True)]
                ring_lonlat = tuple(ring if _ccw(ring) else ring[::-1])
                point = (round(float(lons[-1]), 7), round(float(lats[-1]), 7))
            features.append(ExportFeature(
                kind="detection", site=scene.site, date_from=scene.date,
                date_to=next_date[(scene.site, scene.date)], label=det.label.value,
                score=det.score, image=scene.original_name, scene_sha256=scene.sha256,
                x_px=det.box.cx_px, y_px=det.box.cy_px, ring_px=ring_px, point_lonlat=point,
                ring_lonlat=ring_lonlat,
            ))
    return tuple(features)


def event_features(tracks: Sequence[SiteTrack]) -> tuple[ExportFeature, ...]:
    """Every change between dates (stays left out), placed in the reference date's frame."""
    return tuple(
        ExportFeature(
            kind=event.kind.value, site=event.site, date_from=event.date_from,
            date_to=event.date_to, label=event.label, score=event.confidence, image="",
            scene_sha256="", x_px=event.x_px, y_px=event.y_px, ring_px=(),
            point_lonlat=(event.lonlat.lon_deg, event.lonlat.lat_deg) if event.lonlat else None,
            ring_lonlat=None,
        )
        for track in tracks for event in track.events if event.kind.value != "stayed"
    )


def _ccw(ring: list[tuple[float, float]]) -> bool:
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
    return area > 0
