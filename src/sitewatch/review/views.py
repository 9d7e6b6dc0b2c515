"""What the review page shows, as JSON-ready data read from the case store.

Each function reads the store afresh, so the page always shows the stored state.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sitewatch.catalog import CaseStore, Scene, summarise
from sitewatch.detect import VehicleClass
from sitewatch.errors import ReviewError, SitewatchError
from sitewatch.label_names import LABEL_COLOURS, label_css, label_name
from sitewatch.review.decisions import review_items
from sitewatch.review.tiles import native_zoom

#: Label colours as CSS, from the one definition the report draws with too.
LABEL_CSS: dict[str, str] = {label: label_css(label) for label in LABEL_COLOURS}


def scene_by_sha(store: CaseStore, sha256: str) -> Scene:
    """The stored scene with this hash.

    Raises:
        ReviewError: no such scene in the case.
    """
    for scene in store.scenes():
        if scene.sha256 == sha256:
            return scene
    raise ReviewError(f"scene {sha256[:12]!r} is not in case '{store.root}'")


def sites_view(store: CaseStore) -> dict[str, Any]:
    """Every site with its dates, the labels and their colours."""
    sites: dict[str, list[Scene]] = {}
    for scene in store.scenes():
        sites.setdefault(scene.site, []).append(scene)
    return {
        "case": store.root.name,
        "labels": [v.value for v in VehicleClass],
        "colours": LABEL_CSS,
        # What the page calls each label, singular and plural (as the report words them).
        "names": {label: [label_name(label, 1), label_name(label, 2)] for label in LABEL_CSS},
        "sites": [
            {
                "name": name,
                "zmax": max(native_zoom(s.width_px, s.height_px) for s in scenes),
                "scenes": [
                    {"sha256": s.sha256, "date": s.date.isoformat(), "name": s.original_name,
                     "width_px": s.width_px, "height_px": s.height_px, "gsd_m": s.gsd_m,
                     "georeferenced": s.georeferenced, "source": s.source,
                     "lonlat_affine": _lonlat_affine(s)}
                    for s in scenes
                ],
            }
            for name, scenes in sorted(sites.items())
        ],
    }


def _lonlat_affine(scene: Scene) -> list[float] | None:
    """Pixel -> (lon, lat) as an affine fitted at three corners, for the cursor read-out.

    Exact for the scene's own affine georeference up to the curvature of the projection,
    which is far below a pixel over one scene; None without a georeference.
    """
    if scene.transform is None or scene.crs_wkt is None:
        return None
    from sitewatch.imagery import pixel_to_lonlat

    w, h = scene.width_px, scene.height_px
    (lon0, lat0), (lon1, lat1), (lon2, lat2) = pixel_to_lonlat(
        scene.transform, scene.crs_wkt, [0, w, 0], [0, 0, h]).tolist()
    return [lon0, (lon1 - lon0) / w, (lon2 - lon0) / h, lat0, (lat1 - lat0) / w, (lat2 - lat0) / h]


def detections_view(store: CaseStore, scene: Scene, *, until_seq: int | None = None) -> dict[str, Any]:
    """The scene's newest run's detections with review states (as of ``until_seq``)."""
    run_id = store.latest_run_id(scene.sha256)
    if run_id is None:
        return {"run_id": None, "items": [], "summary": None}
    records = store.detections(scene.sha256)
    reviews = store.reviews(scene.sha256, run_id=run_id)
    items = review_items(records, reviews, until_seq=until_seq)
    shown = [r for r in reviews if until_seq is None or r.seq <= until_seq]
    summary = summarise(records, shown)
    return {"run_id": run_id, "items": [i.as_json() for i in items],
            "summary": {"detected": summary.detected, "reviewed": summary.reviewed,
                        "accepted": summary.accepted, "corrected": summary.corrected,
                        "rejected": summary.rejected, "added": summary.added},
            "last_seq": max((r.seq for r in reviews), default=None)}


def counts_view(store: CaseStore, site: str) -> list[dict[str, Any]]:
    """Vehicles per date and label after review (no intervals: the report gives those)."""
    out = []
    for scene in store.scenes(site=site):
        records = store.reviewed_detections(scene.sha256)
        run_id = store.latest_run_id(scene.sha256)
        reviews = store.reviews(scene.sha256, run_id=run_id) if run_id else ()
        loaded = sum(1 for i in review_items(store.detections(scene.sha256), reviews)
                     if i.review and i.review.loaded and i.review.status.value != "rejected")
        summary = summarise(store.detections(scene.sha256), reviews)
        out.append({"sha256": scene.sha256, "date": scene.date.isoformat(),
                    "detected": run_id is not None,
                    "by_label": dict(sorted(Counter(r.label for r in records).items())),
                    "total": len(records), "loaded": loaded,
                    "reviewed": summary.reviewed, "of": summary.detected})
    return out


def history_view(store: CaseStore, scene: Scene) -> list[dict[str, Any]]:
    """Every decision on the scene, oldest first: who, when, what."""
    return [{"seq": r.seq, "detection_id": r.detection_id, "action": r.action.value,
             "status": r.status.value, "label": r.label, "loaded": r.loaded,
             "reviewer": r.reviewer, "time_utc": r.time_utc, "run_id": r.run_id}
            for r in store.reviews(scene.sha256)]


def zones_view(store: CaseStore, scene: Scene) -> dict[str, Any]:
    """The case's zones as pixel rings of this scene, with a note when some cannot be shown."""
    from sitewatch.imagery import lonlat_to_pixel
    from sitewatch.track import ZoneFrame, load_zones

    path = store.attached("zones")
    if path is None:
        return {"zones": [], "note": None}
    try:
        zones = load_zones(path)
    except SitewatchError as exc:
        return {"zones": [], "note": f"zones not shown: {exc}"}
    out, skipped = [], 0
    for zone in zones:
        ring = list(zone.exterior)
        if zone.frame is ZoneFrame.LONLAT:
            if scene.transform is None or scene.crs_wkt is None:
                skipped += 1
                continue
            xy = lonlat_to_pixel(scene.transform, scene.crs_wkt, [p[0] for p in ring],
                                 [p[1] for p in ring])
            ring = [(float(x), float(y)) for x, y in xy]
        out.append({"name": zone.name, "ring_px": ring, "frame": zone.frame.value})
    note = (f"{skipped} zones drawn in longitude/latitude cannot be placed on this "
            "non-georeferenced date" if skipped else None)
    return {"zones": out, "note": note}
