"""The case's stored detections as the stages take them: per scene, reviewed, per site."""

from __future__ import annotations

import dataclasses

from sitewatch.catalog import CaseStore, DetectionRecord, ReviewSummary, Scene, summarise, total
from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo import LonLat, OrientedBoxPx
from sitewatch.track import Observation


def to_record(detection: Detection) -> DetectionRecord:
    """A detection as the catalog stores it."""
    box = detection.box
    return DetectionRecord(
        label=detection.label.value, score=detection.score, cx_px=box.cx_px, cy_px=box.cy_px,
        width_px=box.width_px, height_px=box.height_px, angle_rad=box.angle_rad,
        lon_deg=detection.lonlat.lon_deg if detection.lonlat else None,
        lat_deg=detection.lonlat.lat_deg if detection.lonlat else None,
    )


def from_record(record: DetectionRecord) -> Detection:
    """A stored detection as the detection stage's value type."""
    lonlat = None
    if record.lon_deg is not None and record.lat_deg is not None:
        lonlat = LonLat(lon_deg=record.lon_deg, lat_deg=record.lat_deg)
    return Detection(
        box=OrientedBoxPx(cx_px=record.cx_px, cy_px=record.cy_px, width_px=record.width_px,
                          height_px=record.height_px, angle_rad=record.angle_rad),
        label=VehicleClass(record.label), score=record.score, lonlat=lonlat,
        marked_loaded=record.marked_loaded,
    )


def scene_detections(store: CaseStore, scene: Scene) -> tuple[Detection, ...]:
    """The scene's newest detections, with the analyst's reviews applied where there are any.

    Rejected detections are dropped, corrected and added ones count as the analyst drew them;
    a box the analyst moved gets its map position from the scene's georeference.
    """
    detections = tuple(from_record(r) for r in store.reviewed_detections(scene.sha256))
    if scene.transform is None or scene.crs_wkt is None:
        return detections
    from sitewatch.imagery import pixel_to_lonlat

    out = []
    for det in detections:
        if det.lonlat is None:
            ((lon, lat),) = pixel_to_lonlat(scene.transform, scene.crs_wkt, [det.box.cx_px],
                                            [det.box.cy_px]).tolist()
            det = dataclasses.replace(det, lonlat=LonLat(lon_deg=lon, lat_deg=lat))
        out.append(det)
    return tuple(out)


def review_summary(store: CaseStore) -> ReviewSummary:
    """How many of the case's newest detections an analyst reviewed, over all scenes."""
    per_scene = []
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        if run_id is not None:
            per_scene.append(summarise(store.detections(scene.sha256),
                                       store.reviews(scene.sha256, run_id=run_id)))
    return total(per_scene)


def observations(store: CaseStore, site: str) -> tuple[Observation, ...]:
    """The site's scenes with their newest (reviewed) detections, as the tracking stage takes them.

    Raises:
        TrackError: the site has several scenes on one date; the message names them and the
            command that keeps one.
    """
    scenes = store.scenes(site=site)
    check_one_scene_per_date(store, scenes)
    return tuple(Observation.of_scene(scene, scene_detections(store, scene)) for scene in scenes)


def check_one_scene_per_date(store: CaseStore, scenes: tuple[Scene, ...]) -> None:
    """Refuse several scenes of one site on one date, naming them and the fix.

    Tracking compares one image per date; whether several tiles are mosaicked into one
    (``sitewatch scene mosaic``) or one is kept (``sitewatch scene keep``, ``scene retire``) is
    the analyst's choice (retired images are not deleted).
    """
    from sitewatch.errors import TrackError

    by_day: dict[tuple[str, object], list[Scene]] = {}
    for scene in scenes:
        by_day.setdefault((scene.site, scene.date), []).append(scene)
    for (site, date), group in by_day.items():
        if len(group) > 1:
            names = ", ".join(f"{s.original_name} ({s.sha256[:12]})" for s in group[:6])
            more = f" and {len(group) - 6} more" if len(group) > 6 else ""
            hashes = " ".join(s.sha256[:12] for s in group)
            raise TrackError(
                f"site {site!r} has {len(group)} images on {date}: {names}{more}; tracking needs "
                f"one image per date: mosaic georeferenced tiles into one scene with `sitewatch "
                f"scene mosaic {store.root} {hashes} --reason TEXT`, or keep one with `sitewatch "
                f"scene keep {store.root} {group[0].sha256[:12]} --reason TEXT`, or take one out "
                f"with `sitewatch scene retire {store.root} HASH --reason TEXT` (retired images "
                "stay stored), or correct a wrong date with `sitewatch scene redate`", site=site,
            )


def sites(store: CaseStore) -> tuple[str, ...]:
    """Site names in the case, sorted."""
    return tuple(sorted({scene.site for scene in store.scenes()}))
