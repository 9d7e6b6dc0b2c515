"""The main job, stage by stage, over a case folder: detect -> track -> report.

This module sits above every stage and below the CLI: each function is the one library call a
CLI command makes. Derived results are recomputed from the stored originals and detections,
never edited in place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from sitewatch import __version__
from sitewatch.catalog import (
    CaseStore,
    DetectionRecord,
    ReviewSummary,
    RunRecord,
    Scene,
    sha256_file,
)
from sitewatch.catalog.reviews import summarise, total
from sitewatch.detect import Detection, DetectOptions, Detector, VehicleClass, detect_raster
from sitewatch.detect.modelcard import LEGACY_SCORE_THRESHOLD
from sitewatch.errors import ConfigError
from sitewatch.geo import LonLat, OrientedBoxPx
from sitewatch.track import Observation, SiteTrack, TrackOptions, track_site
from sitewatch.track.links import Link

log = logging.getLogger(__name__)

_VERSIONED = ("numpy", "onnxruntime", "opencv-python-headless", "rasterio", "shapely", "pyproj",
              "scipy")

#: Key of a detect run's parameters holding the score its detector kept boxes from (runs
#: recorded before it was kept were made at ``LEGACY_SCORE_THRESHOLD``).
RUN_SCORE_KEY = "score_threshold"


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectSummary:
    """What :func:`detect_case` did."""

    run_id: str | None
    scenes_processed: int
    detections: int
    scenes_skipped: int


def software_versions() -> dict[str, str]:
    """Versions of sitewatch, Python and the libraries that shape results."""
    versions = {"sitewatch": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


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


def detect_case(
    store: CaseStore,
    detector: Detector,
    *,
    options: DetectOptions | None = None,
    redo: bool = False,
    progress: Callable[[Scene, int], object] | None = None,
) -> DetectSummary:
    """Run ``detector`` on every scene it has not processed yet (all of them with ``redo``).

    All detections of one call are stored as one run, with the model hash, parameters and
    software versions, and the run is written to the audit log.
    """
    options = options or DetectOptions()
    params = _params(options, detector)
    done_by_model = {
        run.run_id for run in store.runs()
        if run.kind == "detect" and run.model_sha256 == detector.sha256 and run.params == params
    }
    results: dict[str, tuple[DetectionRecord, ...]] = {}
    skipped = 0
    for scene in store.scenes():
        if not redo and store.latest_run_id(scene.sha256) in done_by_model:
            skipped += 1
            continue
        found = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=options)
        results[scene.sha256] = tuple(to_record(d) for d in found.detections)
        if progress:
            progress(scene, len(found.detections))
    if not results:
        return DetectSummary(run_id=None, scenes_processed=0, detections=0, scenes_skipped=skipped)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    run_id = hashlib.sha256(f"{created}{detector.sha256}{sorted(results)}".encode()).hexdigest()[:16]
    run = RunRecord(
        run_id=run_id, kind="detect", created_utc=created, model_name=detector.name,
        model_sha256=detector.sha256, params=params, software=software_versions(),
    )
    store.save_run(run, results)
    total = sum(len(r) for r in results.values())
    store.append_audit("detect", {"run_id": run_id, "model_sha256": detector.sha256,
                                  "scenes": sorted(results), "detections": total})
    return DetectSummary(run_id=run_id, scenes_processed=len(results), detections=total,
                         scenes_skipped=skipped)


def _params(options: DetectOptions, detector: Detector) -> dict[str, object]:
    """The run's parameters: the detect options and the score the detector keeps boxes from
    (:data:`RUN_SCORE_KEY`)."""
    params: dict[str, object] = json.loads(json.dumps(dataclasses.asdict(options), default=str))
    score = getattr(detector, "score_threshold", None)
    return params if score is None else params | {RUN_SCORE_KEY: float(score)}


def scene_detections(store: CaseStore, scene: Scene) -> tuple[Detection, ...]:
    """The scene's newest detections, with the analyst's reviews applied where there are any.

    Rejected detections are dropped, corrected and added ones count as the analyst drew them;
    a box the analyst moved gets its map position from the scene's georeference.
    """
    detections = tuple(from_record(r) for r in store.reviewed_detections(scene.sha256))
    if scene.transform is None or scene.crs_wkt is None:
        return detections
    from sitewatch.geo.frames import pixel_to_lonlat

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


def observation(scene: Scene, detections: tuple[Detection, ...] = ()) -> Observation:
    """One scene as the tracking stage takes it (registration needs no detections)."""
    return Observation(
        scene_id=scene.sha256, site=scene.site, date=scene.date, image_path=scene.path,
        gsd_m=scene.gsd_m, transform=scene.transform, crs_wkt=scene.crs_wkt,
        width_px=scene.width_px, height_px=scene.height_px, detections=detections,
    )


def observations(store: CaseStore, site: str) -> tuple[Observation, ...]:
    """The site's scenes with their newest (reviewed) detections, as the tracking stage takes them."""
    return tuple(observation(scene, scene_detections(store, scene))
                 for scene in store.scenes(site=site))


def sites(store: CaseStore) -> tuple[str, ...]:
    """Site names in the case, sorted."""
    return tuple(sorted({scene.site for scene in store.scenes()}))


#: Analyst files a case can hold, with the loader that checks each before it is attached.
ATTACHMENT_KINDS = ("zones", "alerts", "sightings", "boundary")


def attach_file(store: CaseStore, kind: str, path: Path) -> Path:
    """Check an analyst file by loading it, then store it in the case.

    Raises:
        ConfigError: unknown kind; the loaders raise their own errors for bad files.
    """
    from sitewatch.geo.boundary import load_boundary
    from sitewatch.track import load_alerts, load_zones
    from sitewatch.track.links import load_sightings

    loaders: dict[str, Callable[[Path], object]] = {
        "zones": load_zones, "alerts": load_alerts, "sightings": load_sightings,
        "boundary": load_boundary,
    }
    if kind not in loaders:
        raise ConfigError(f"unknown attachment {kind!r}; valid: {', '.join(ATTACHMENT_KINDS)}")
    loaders[kind](path)
    return store.attach(kind, path)


def attach_comparison(store: CaseStore, path: Path, *, keep_gps: bool = False) -> Path:
    """Store a ``sitewatch compare`` result (JSON) and the panels it names in the case.

    The file is checked by :func:`sitewatch.compare.resultfile.load_comparison` (schema,
    panels inside its folder, GPS positions dropped unless ``keep_gps``). Panels are
    re-encoded as PNG when stored, so that no camera, device or GPS metadata of the query
    photos travels into reports.

    Raises:
        ConfigError: the file is not a compare result, or a panel it names is refused.
    """
    from sitewatch.compare.resultfile import load_comparison, read_panel

    checked = load_comparison(path, keep_gps=keep_gps)
    encoded = [None if p is None else read_panel(p, source=path) for p in checked.panels]
    folder = store.root / "config" / "comparison"
    folder.mkdir(parents=True, exist_ok=True)
    queries = checked.document["queries"]
    assert isinstance(queries, list)
    for index, (query, png) in enumerate(zip(queries, encoded, strict=True)):
        if png is not None:
            stored = folder / f"panel-{index:03d}.png"
            stored.write_bytes(png)
            query["panel"] = stored.name
    target = folder / "comparison.json"
    target.write_text(json.dumps(checked.document, indent=1), encoding="utf-8")
    store.append_audit("attach", {"kind": "comparison", "name": path.name,
                                  "sha256": sha256_file(target),
                                  "queries": [q.get("sha256") for q in queries]})
    return target


def comparisons(store: CaseStore) -> tuple[dict[str, object], ...]:
    """Attached comparison results, each query with its stored panel's path."""
    from sitewatch.compare.resultfile import attached_comparisons

    return attached_comparisons(store.root / "config" / "comparison")


def interval_options(store: CaseStore) -> tuple[TrackOptions, str]:
    """Tracking options whose count intervals use the measured precision and recall of the
    model that made the case's latest detections, and a phrase for the report saying where the
    intervals come from.

    The rates are the model's cross-validation figures (its training record, found through the
    package's model registry by the run's ONNX sha256, with or without TTA as the run was).
    A model without them (the DOTA checkpoints, a model loaded from a path) leaves
    :class:`TrackOptions`' placeholders, and the sentence says so.
    """
    from sitewatch.detect.evaluation import measured_rates
    from sitewatch.detect.modelcard import load_card
    from sitewatch.detect.registry import MODELS, card_path_for

    default = TrackOptions()
    runs = [r for r in store.runs() if r.kind == "detect"]
    level = f"{default.interval_level:.0%} interval from "
    placeholder = (f"{level}placeholder rates (precision {default.detector_precision}, recall "
                   f"{default.detector_recall}): ")
    if not runs:
        return default, placeholder + "nothing has been detected"
    run = runs[-1]
    cards = (load_card(card_path_for(name), verify=False) for name in MODELS)
    card = next((c for c in cards if c.onnx_sha256 == run.model_sha256), None)
    tta = bool(run.params.get("tta_views"))
    score = float(run.params.get(RUN_SCORE_KEY, LEGACY_SCORE_THRESHOLD))
    rates = measured_rates(card, tta=tta, score_threshold=score) if card else None
    if rates is None:
        why = "has no measured rates"
        if card and measured_rates(card, tta=tta) is not None:
            why = (f"ran at score {score:g}, and its rates were measured at "
                   f"{card.score_threshold:g} (run `sitewatch detect` again)")
        return default, placeholder + f"model {run.model_name} {why}"
    options = dataclasses.replace(default, detector_precision=rates.precision,
                                  detector_recall=rates.recall, rates_by_label=rates.by_label)
    return options, (f"{level}precision {rates.precision:.2f} and recall {rates.recall:.2f} of model "
                     f"{run.model_name}{' with TTA' if tta else ''} (class-aware per label where "
                     f"measured), from {rates.source}")


def track_case(store: CaseStore, options: TrackOptions | None = None) -> tuple[SiteTrack, ...]:
    """Counts and events for every site of the case, with its attached zones and alerts.

    Count intervals use the detector's measured rates: ``options`` from
    :func:`interval_options`, which is called when they are not given.
    """
    from sitewatch.track import load_alerts, load_zones

    zones_file, alerts_file = store.attached("zones"), store.attached("alerts")
    zones = load_zones(zones_file) if zones_file else ()
    alerts = load_alerts(alerts_file) if alerts_file else ()
    if options is None:
        options, _ = interval_options(store)
    return tuple(track_site(observations(store, site), zones=zones, alerts=alerts, options=options)
                 for site in sites(store))


def report_case(store: CaseStore, *, out: Path | None = None, pdf: bool = False) -> Path:
    """Write the HTML report of the whole case (and a PDF beside it) and log it.

    Returns:
        The path of the HTML report.
    """
    from sitewatch.assess import ach_table, assessment_path, load_assessment
    from sitewatch.manifest import write_manifest
    from sitewatch.report import SiteEvidence, render_report, write_report
    from sitewatch.report.html import write_pdf
    from sitewatch.track import load_zones

    options, intervals_note = interval_options(store)
    tracks = track_case(store, options)
    _, manifest_sha256 = write_manifest(store, tracks)
    evidence = []
    for site, track in zip(sites(store), tracks, strict=True):
        scenes = tuple(
            (scene, scene_detections(store, scene)) for scene in store.scenes(site=site)
        )
        evidence.append(SiteEvidence(site=site, scenes=scenes, track=track))
    zones_file = store.attached("zones")
    assessment_file = assessment_path(store.root)
    head = store.audit_head()
    html = render_report(
        store.root.name, evidence, [r for r in store.runs() if r.kind == "detect"],
        links=link_case(store, tracks),
        comparisons=comparisons(store),
        zones=load_zones(zones_file) if zones_file else (),
        assessment=ach_table(load_assessment(assessment_file)) if assessment_file.exists() else None,
        software=software_versions(), audit_head=head["hash"] if head else None,
        manifest_sha256=manifest_sha256, review=review_summary(store),
        intervals_note=intervals_note,
    )
    path = out or store.derived_dir / "report.html"
    details = {"path": str(path), "sha256": write_report(html, path),
               "manifest_sha256": manifest_sha256}
    if pdf:
        pdf_path = path.with_suffix(".pdf")
        details |= {"pdf_path": str(pdf_path), "pdf_sha256": write_pdf(html, pdf_path)}
    store.append_audit("report", details)
    return path


def export_case(store: CaseStore, export_format: str, out: Path) -> int:
    """Export the case's detections and events; returns how many features were written."""
    from sitewatch.report.features import detection_features, event_features
    from sitewatch.report.formats import ExportFormat, write_export

    try:
        chosen = ExportFormat(export_format)
    except ValueError:
        valid = ", ".join(f.value for f in ExportFormat)
        raise ConfigError(f"unknown export format {export_format!r}; valid: {valid}") from None
    scenes = [(scene, scene_detections(store, scene)) for scene in store.scenes()]
    features = detection_features(scenes)
    if chosen is not ExportFormat.COCO:
        features = features + event_features(track_case(store))
    written = write_export(features, chosen, out)
    store.append_audit("export", {"format": chosen.value, "path": str(out),
                                  "features": written, "sha256": sha256_file(out)})
    return written


def link_case(store: CaseStore, tracks: tuple[SiteTrack, ...] | None = None) -> tuple[Link, ...]:
    """Links between the case's departures and its attached sightings (empty without them)."""
    from sitewatch.geo.boundary import load_boundary
    from sitewatch.track.links import departures, link_sightings, load_sightings

    sightings_file, boundary_file = store.attached("sightings"), store.attached("boundary")
    if sightings_file is None:
        return ()
    groups = [d for track in (tracks or track_case(store)) for d in departures(track)]
    boundary = load_boundary(boundary_file) if boundary_file else None
    return tuple(link_sightings(load_sightings(sightings_file), groups, boundary=boundary))
