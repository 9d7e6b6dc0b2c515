"""The jobs run over a case folder, each implemented once: detect, track, events, link, report,
export. Each writes its outputs and one audit entry; the CLI makes one call here per command.

Derived results are recomputed from the stored originals and detections, never edited in place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.case.attachments import comparisons
from sitewatch.case.detections import observations, review_summary, scene_detections, sites, to_record
from sitewatch.case.runs import DetectionRun, software_versions
from sitewatch.catalog import CaseStore, DetectionRecord, RunRecord, Scene, crash_point
from sitewatch.detect import DetectOptions, Detector, detect_raster
from sitewatch.errors import ConfigError, NotGeoreferencedError
from sitewatch.track import Link, Sighting, SiteTrack, TrackOptions, track_site

if TYPE_CHECKING:
    from sitewatch.detect import ModelCard
    from sitewatch.geo import Boundary
    from sitewatch.report import ExportFormat


#: Detects a batch of scenes and returns each one's records by scene hash (for example on a Dask
#: cluster: :mod:`sitewatch.watch`); every scene given must have an entry.
SceneRunner = Callable[[Sequence[Scene]], Mapping[str, tuple[DetectionRecord, ...]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectSummary:
    """What :func:`detect_case` did."""

    run_id: str | None
    scenes_processed: int
    detections: int
    scenes_skipped: int
    #: Scenes that could not be processed (too coarse, unreadable), each with the reason.
    unprocessed: tuple[tuple[Scene, str], ...] = ()


def scenes_to_detect(
    store: CaseStore, detector: Detector, *, options: DetectOptions | None = None,
    redo: bool = False,
) -> tuple[Scene, ...]:
    """The scenes :func:`detect_case` would run ``detector`` on: those whose newest run was not
    made by this model with these options, or whose ground sample distance was corrected after
    it (every scene with ``redo``)."""
    from sitewatch.catalog import SceneField, scene_changes

    params = DetectionRun.of(options or DetectOptions(), detector).to_json()
    made = {run.run_id: run.created_utc for run in store.runs()}
    done_by_model = {
        run.run_id for run in store.runs()
        if run.kind == "detect" and run.model_sha256 == detector.sha256 and run.params == params
    }
    gsd_changed = {c.scene_sha256: c.time_utc for c in scene_changes(store)
                   if c.field is SceneField.GSD_M}

    def done(scene: Scene) -> bool:
        latest = store.latest_run_id(scene.sha256)
        stale = latest is not None and gsd_changed.get(scene.sha256, "") > made[latest]
        return latest in done_by_model and not stale

    return tuple(scene for scene in store.scenes() if redo or not done(scene))


def detect_case(
    store: CaseStore,
    detector: Detector,
    *,
    options: DetectOptions | None = None,
    redo: bool = False,
    progress: Callable[[Scene, int], object] | None = None,
    tile_progress: Callable[[int, int], object] | None = None,
    runner: SceneRunner | None = None,
) -> DetectSummary:
    """Run ``detector`` on every scene it has not processed yet (all of them with ``redo``).

    A scene whose ground sample distance was corrected after its last run counts as not
    processed. A scene that cannot be processed (too coarse for vehicles, unreadable) is left
    out with its reason (logged in a ``detect-unprocessed`` audit entry) and the others go on.
    All detections of one call belong to one run, with the model hash, parameters and
    software versions. Each scene's detections are stored with their own audit entry as soon
    as the scene is done, so a detect killed midway keeps its finished scenes and the next
    call resumes with the rest. ``progress`` is called with each scene done and its number of
    detections, ``tile_progress`` with (tiles done, tiles in all) within a scene. ``runner``,
    when given, computes the scenes' detections elsewhere (it must run ``detector`` with
    ``options``, as :func:`sitewatch.detect.detect_raster` does); this process stays the only
    writer of the case.
    """
    from sitewatch.errors import ImageryError, ResolutionError

    options = options or DetectOptions()
    params = DetectionRun.of(options, detector).to_json()
    todo = scenes_to_detect(store, detector, options=options, redo=redo)
    skipped = len(store.scenes()) - len(todo)
    if not todo:
        return DetectSummary(run_id=None, scenes_processed=0, detections=0, scenes_skipped=skipped)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    run_id = hashlib.sha256(
        f"{created}{detector.sha256}{sorted(s.sha256 for s in todo)}".encode()).hexdigest()[:16]
    run = RunRecord(
        run_id=run_id, kind="detect", created_utc=created, model_name=detector.name,
        model_sha256=detector.sha256, params=params, software=software_versions(),
    )
    computed = runner(todo) if runner is not None else None
    total = processed = 0
    unprocessed: list[tuple[Scene, str]] = []
    for scene in todo:
        if computed is not None:
            records = tuple(computed[scene.sha256])
        else:
            try:
                found = detect_raster(scene.path, detector, gsd_m=scene.gsd_m, options=options,
                                      progress=tile_progress)
            except (ResolutionError, ImageryError) as exc:
                reason = str(exc).replace(repr(str(scene.path)), repr(scene.original_name))
                unprocessed.append((scene, reason))
                continue
            records = tuple(to_record(d) for d in found.detections)
        store.save_scene_detections(run, scene.sha256, records)
        crash_point("detect-scene")
        total += len(records)
        processed += 1
        if progress:
            progress(scene, len(records))
    if unprocessed:
        store.append_audit("detect-unprocessed", {
            "model_sha256": detector.sha256,
            "scenes": [{"sha256": s.sha256, "reason": r} for s, r in unprocessed]})
    return DetectSummary(run_id=run_id if processed else None, scenes_processed=processed,
                         detections=total, scenes_skipped=skipped, unprocessed=tuple(unprocessed))


#: Precision and recall a model's loaded-transporter figures must reach, measured (its training
#: record's ``loaded_transporters``), for loaded counts to carry an estimate and an interval:
#: issue 19's target. Below it, or unmeasured, a loaded count is the analyst's marks alone.
LOADED_RATE_BAR = 0.8


def _with_loaded(options: TrackOptions, card: ModelCard | None, model: str, *, tta: bool,
                 score: float) -> tuple[TrackOptions, str | None]:
    """``options`` with loaded transporters counted at their measured rates, when the model's
    record gives rates at or above :data:`LOADED_RATE_BAR` for how it ran (with a sentence for
    the rates note saying where they were measured), else said to be not measurable by the
    detector, with the figure measured (and no sentence: each loaded count says it)."""
    from sitewatch.detect import measured_loaded
    from sitewatch.track import LOADED_TRANSPORTER

    loaded = measured_loaded(card) if card is not None else None
    if loaded is None:
        return dataclasses.replace(options, loaded_unmeasured=(
            f"not measurable by the detector: model {model} was never measured finding them; "
            "analyst marks only")), None
    ran = []
    if loaded.tta != tta:
        ran.append("with TTA" if loaded.tta else "without TTA")
    if abs(loaded.score_threshold - score) > 1e-9:
        ran.append(f"at score {loaded.score_threshold:g}")
    how = f" ({', '.join(ran)}, not as this case ran)" if ran else ""
    measured = f"the loading rule with model {model}{how} {loaded.figure} on {loaded.source}"
    precision = loaded.precision
    if not ran and precision is not None and min(precision, loaded.recall) >= LOADED_RATE_BAR:
        return (dataclasses.replace(options, rates_by_label=(
            *options.rates_by_label, (LOADED_TRANSPORTER, precision, loaded.recall))),
            f"loaded transporters: precision {precision:.2f} and recall {loaded.recall:.2f}, "
            f"{measured}")
    return dataclasses.replace(options, loaded_unmeasured=(
        f"not measurable by the detector: {measured} (a count needs precision and recall of at "
        f"least {LOADED_RATE_BAR:g}); analyst marks only")), None


def _floors_text(floors: Mapping[str, float]) -> str:
    """Per-label score floors as a phrase ('none' without any)."""
    return ", ".join(f"{label} >= {floor:g}" for label, floor in sorted(floors.items())) or "none"


def interval_options(store: CaseStore) -> tuple[TrackOptions, str]:
    """Tracking options whose count intervals use the measured precision and recall of the
    model that made the case's latest detections, and a phrase for the report saying where the
    intervals come from.

    The rates are the model's cross-validation figures (its training record, found through the
    package's model registry by the run's ONNX sha256, with or without TTA as the run was).
    A model without them (the DOTA checkpoints, a model loaded from a path) leaves
    :class:`TrackOptions`' placeholders, and the sentence says so. Loaded transporters are
    counted at the loading rule's own measured rates (the record's ``loaded_transporters``)
    when those reach :data:`LOADED_RATE_BAR`; otherwise their counts are the analyst's marks
    alone (:attr:`TrackOptions.loaded_unmeasured`), and the sentence gives the figure measured.
    """
    from sitewatch.detect import (
        MODELS,
        card_path_for,
        load_card,
        measured_on_this_file,
        measured_rates,
        training_record,
    )

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
    made = DetectionRun.from_json(run.params)
    tta, score, floors = bool(made.options.tta_views), made.kept_score, made.kept_floors
    rates = (measured_rates(card, tta=tta, score_threshold=score, label_floors=floors)
             if card else None)
    if rates is None:
        loaded_only, loaded_note = _with_loaded(default, card, run.model_name, tta=tta,
                                                score=score)
        why = "has no measured rates"
        if card and not measured_on_this_file(card, training_record(card) or {}):
            why = ("has no measured rates of its own (those of its training record were "
                   "measured on the float model's file; run that model for measured intervals)")
        elif card and measured_rates(card, tta=tta) is not None:
            card_floors = {v.value: f for v, f in card.label_score_thresholds}
            ran, measured = [], []
            if abs(score - card.score_threshold) > 1e-9:
                ran.append(f"at score {score:g}")
                measured.append(f"at {card.score_threshold:g}")
            if floors != card_floors:
                ran.append(f"with per-label floors {_floors_text(floors)}")
                measured.append(f"with {_floors_text(card_floors)}")
            why = (f"ran {' and '.join(ran)}, and its rates were measured {' and '.join(measured)} "
                   "(run `sitewatch detect` again)")
        return loaded_only, placeholder + f"model {run.model_name} {why}" + (
            f"; {loaded_note}" if loaded_note else "")
    options, loaded_note = _with_loaded(dataclasses.replace(
        default, detector_precision=rates.precision, detector_recall=rates.recall,
        rates_by_label=rates.by_label), card, run.model_name, tta=tta, score=score)
    return options, (f"{level}precision {rates.precision:.2f} and recall {rates.recall:.2f} of model "
                     f"{run.model_name}{' with TTA' if tta else ''} (class-aware per label where "
                     f"measured), from {rates.source}" + (f"; {loaded_note}" if loaded_note else ""))


def track_case(
    store: CaseStore,
    options: TrackOptions | None = None,
    *,
    zones_file: Path | None = None,
    alerts_file: Path | None = None,
    use_cache: bool = True,
) -> tuple[SiteTrack, ...]:
    """Counts and events for every site of the case, with its zones and alerts.

    Count intervals use the detector's measured rates: ``options`` from
    :func:`interval_options`, which is called when they are not given. ``zones_file`` and
    ``alerts_file`` replace the files attached to the case for this call.

    The tracks are computed once per case state and kept in ``derived/tracks.json`` under
    the digest of their inputs (:mod:`sitewatch.case.trackcache`); ``use_cache=False``
    recomputes them regardless (``sitewatch replay``), and stores the result.
    """
    from sitewatch.case.trackcache import load_tracks, save_tracks, tracks_key
    from sitewatch.track import check_alert_zones, load_alerts, load_zones

    zones_file = zones_file or store.attached("zones")
    alerts_file = alerts_file or store.attached("alerts")
    zones = load_zones(zones_file) if zones_file else ()
    alerts = load_alerts(alerts_file) if alerts_file else ()
    if alerts_file:
        check_alert_zones(alerts, zones, alerts_file)
    if options is None:
        options, _ = interval_options(store)
    per_site = [(site, observations(store, site)) for site in sites(store)]
    key = tracks_key(per_site, options, zones_file=zones_file, alerts_file=alerts_file)
    cached = load_tracks(store.layout.tracks, key) if use_cache else None
    if cached is not None:
        return cached
    tracks = tuple(track_site(obs, zones=zones, alerts=alerts, options=options)
                   for _, obs in per_site)
    save_tracks(store.layout.tracks, key, tracks)
    return tracks


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackedCase:
    """What :func:`track_and_log` computed: the tracks, the options their count intervals used,
    the sentence saying where those rates come from, and the counts written (when asked)."""

    tracks: tuple[SiteTrack, ...]
    options: TrackOptions
    intervals_note: str
    counts_written: int | None = None
    interval_meaning: str = ""  #: what the intervals mean, in one line


def track_and_log(store: CaseStore, *, counts_out: Path | None = None) -> TrackedCase:
    """``sitewatch track``: the case's tracks with their count intervals, every count written as
    CSV to ``counts_out`` when given; the run is written to the audit log."""
    from sitewatch.track import interval_meaning, write_counts_csv

    options, intervals_note = interval_options(store)
    tracks = track_case(store, options)
    writers: dict[Path, Callable[[Path], object]] = {}
    if counts_out is not None:
        writers[counts_out] = lambda staged: write_counts_csv(tracks, staged,
                                                              rates_source=intervals_note)
    _, returned = store.write_files("track", writers, {
        "sites": [t.site for t in tracks], "events": sum(len(t.events) for t in tracks)})
    written = returned.get(counts_out) if counts_out is not None else None
    assert written is None or isinstance(written, int)
    return TrackedCase(tracks=tracks, options=options, intervals_note=intervals_note,
                       counts_written=written,
                       interval_meaning=interval_meaning(options.interval_level))


def write_events(
    store: CaseStore, out: Path, *, zones_file: Path | None = None, alerts_file: Path | None = None
) -> tuple[tuple[SiteTrack, ...], int]:
    """``sitewatch events``: every event of the case as CSV at ``out``; returns the tracks and
    the number of rows written, and logs the file."""
    from sitewatch.track import write_events_csv

    tracks = track_case(store, zones_file=zones_file, alerts_file=alerts_file)
    _, written = store.write_files("events", {out: lambda staged: write_events_csv(tracks, staged)},
                                   {"sites": [t.site for t in tracks]})
    rows = written[out]
    assert isinstance(rows, int)
    return tracks, rows


#: A long job's progress callback: ``done`` of ``total`` steps finished, ``label`` the last.
Progress = Callable[[int, int, str], None]


def report_case(store: CaseStore, *, out: Path | None = None, pdf: bool = False,
                progress: Progress | None = None) -> Path:
    """Write the HTML report of the whole case (and a PDF beside it) and log it.

    ``progress`` hears of each step: tracking, each site's figures, writing, the PDF.

    Returns:
        The path of the HTML report.
    """
    from sitewatch.assess import ach_table, load_assessment
    from sitewatch.case.manifest import manifest_json
    from sitewatch.report import SiteEvidence, render_report, write_pdf, write_report
    from sitewatch.track import load_zones

    options, intervals_note = interval_options(store)
    tracks = track_case(store, options)
    manifest_path, manifest_bytes = store.layout.manifest, manifest_json(store, tracks)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    total = 2 + len(tracks) + (1 if pdf else 0)
    say: Progress = progress or (lambda done, total, label: None)
    say(1, total, "tracked")
    evidence = []
    for site, track in zip(sites(store), tracks, strict=True):
        scenes = tuple(
            (scene, scene_detections(store, scene)) for scene in store.scenes(site=site)
        )
        evidence.append(SiteEvidence(site=site, scenes=scenes, track=track))
    zones_file = store.attached("zones")
    assessment_file = store.layout.assessment
    head = store.audit_head()
    html = render_report(
        store.root.name, evidence, [r for r in store.runs() if r.kind == "detect"],
        links=link_case(store, tracks),
        comparisons=comparisons(store),
        zones=load_zones(zones_file) if zones_file else (),
        assessment=ach_table(load_assessment(assessment_file)) if assessment_file.exists() else None,
        software=software_versions(), audit_head=head["hash"] if head else None,
        manifest_sha256=manifest_sha256, review=review_summary(store),
        intervals_note=intervals_note, where_when=_where_when(store),
        progress=lambda done, site: say(1 + done, total, site),
    )
    store.derived_dir.mkdir(exist_ok=True)
    path = out or store.layout.report
    writers: dict[Path, Callable[[Path], object]] = {
        manifest_path: lambda staged: staged.write_bytes(manifest_bytes),
        path: lambda staged: write_report(html, staged),
    }
    if pdf:
        writers[path.with_suffix(".pdf")] = lambda staged: write_pdf(html, staged)
    store.write_files("report", writers, {"manifest_sha256": manifest_sha256})
    say(total, total, "written")
    return path


#: The file suffixes each export format may be written under.
EXPORT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "geojson": (".geojson", ".json"), "kml": (".kml",), "kmz": (".kmz",), "csv": (".csv",),
    "coco": (".json",), "gpkg": (".gpkg",), "counts-csv": (".csv",),
    "counts-geojson": (".geojson", ".json"),
}


def check_export_path(export_format: str, out: Path) -> None:
    """Refuse, before any work, an ``out`` whose suffix disagrees with the format or whose
    folder does not exist.

    Raises:
        ConfigError: the suffix is not one the format is written under, or no such folder.
    """
    allowed = EXPORT_SUFFIXES.get(export_format, ())
    if out.suffix.lower() not in allowed:
        raise ConfigError(f"--out '{out}' does not match --format {export_format}: name it "
                          f"{out.with_suffix(allowed[0]).name if allowed else '...'} "
                          f"(a {export_format} file ends in {' or '.join(allowed)})")
    if out.is_dir():
        raise ConfigError(f"--out '{out}' is a folder; give a file name inside it, e.g. "
                          f"{out / ('export' + allowed[0])}")
    if not out.parent.is_dir():
        raise ConfigError(f"cannot write '{out}': folder '{out.parent}' does not exist; create "
                          "it first")


def export_format_of(out: Path) -> str:
    """The export format an ``--out`` file name implies (``.json`` means GeoJSON).

    Raises:
        ConfigError: the suffix names no export format.
    """
    suffix = out.suffix.lower()
    for name, suffixes in EXPORT_SUFFIXES.items():
        if suffix in suffixes:
            return name
    known = ", ".join(sorted({s for group in EXPORT_SUFFIXES.values() for s in group}))
    raise ConfigError(f"--out '{out}': cannot tell the format from '{suffix or 'no suffix'}'; "
                      f"end it in one of {known}, or pass --format")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportResult:
    """What :func:`export_case` wrote: features (counts for the counts formats), images laid as
    ground overlays (KMZ), and why any image was left out."""

    features: int
    overlays: int = 0
    notes: tuple[str, ...] = ()
    layers: tuple[tuple[str, int], ...] = ()  #: GeoPackage layers beside the features, and rows
    export_format: str = ""  #: the format written (set by :func:`export_case_folder`)


def export_case(store: CaseStore, export_format: str, out: Path) -> ExportResult:
    """Export the case's detections and events, or its counts with their intervals.

    KMZ carries each analysed, georeferenced image as a dated ground overlay; GeoPackage holds
    one layer per kind (detections, events, counts, zones, footprints).

    Raises:
        ConfigError: an unknown format, or an ``out`` that disagrees with it (checked first).
    """
    from sitewatch.report import ExportFormat

    try:
        chosen = ExportFormat(export_format)
    except ValueError:
        valid = ", ".join(f.value for f in ExportFormat)
        raise ConfigError(f"unknown export format {export_format!r}; valid: {valid}") from None
    check_export_path(chosen.value, out)
    _check_placeable(store, chosen, out)
    details: dict[str, object] = {"format": chosen.value}

    def write(staged: Path) -> ExportResult:
        if chosen in (ExportFormat.COUNTS_CSV, ExportFormat.COUNTS_GEOJSON):
            result = _export_counts(store, chosen, staged)
        else:
            result = _export_features(store, chosen, staged)
        # read when the entry is committed, after the file is written
        details.update({"features": result.features, "overlays": result.overlays,
                        "notes": list(result.notes)})
        return result

    _, returned = store.write_files("export", {out: write}, details)
    result = returned[out]
    assert isinstance(result, ExportResult)
    return result


def export_case_folder(case_dir: Path, out: Path, export_format: str | None = None) -> ExportResult:
    """``sitewatch export``: :func:`export_case` of the case at ``case_dir``, the format from
    ``out``'s suffix when not given; ``out`` is checked before the case is opened.

    Raises:
        ConfigError: the suffix names no format, or disagrees with the one given.
        CaseNotFoundError: ``case_dir`` is not a case.
    """
    export_format = export_format or export_format_of(out)
    check_export_path(export_format, out)
    result = export_case(CaseStore.open(case_dir), export_format, out)
    return dataclasses.replace(result, export_format=export_format)


def _check_placeable(store: CaseStore, chosen: ExportFormat, out: Path) -> None:
    """Refuse a map export of a case none of whose analysed images is georeferenced, before
    any tracks are computed or anything is written.

    Raises:
        NotGeoreferencedError: a map format, analysed images, none of them georeferenced.
    """
    from sitewatch.report import ExportFormat

    if chosen not in (ExportFormat.GEOJSON, ExportFormat.KML, ExportFormat.KMZ, ExportFormat.GPKG):
        return
    scenes = store.scenes()
    analysed = [s for s in scenes if store.latest_run_id(s.sha256) is not None]
    if analysed and not any(s.georeferenced for s in scenes):
        which = ("the case's one analysed image is not georeferenced" if len(analysed) == 1
                 else f"none of the case's {len(analysed)} analysed images is georeferenced")
        raise NotGeoreferencedError(
            f"{which}, so nothing can be placed on a map in '{out}'; export --format csv or coco "
            "instead (pixel coordinates), or georeference the images (world file or control "
            "points at ingest)")


def _export_counts(store: CaseStore, chosen: ExportFormat, out: Path) -> ExportResult:
    from sitewatch.report import ExportFormat, ExportLayers, count_features, write_export
    from sitewatch.track import load_zones, write_counts_csv

    options, rates_source = interval_options(store)
    tracks = track_case(store, options=options)
    if chosen is ExportFormat.COUNTS_CSV:
        return ExportResult(features=write_counts_csv(tracks, out, rates_source=rates_source))
    zones_file = store.attached("zones")
    zones = load_zones(zones_file) if zones_file else ()
    counts = count_features(tracks, store.scenes(), zones, rates_source=rates_source)
    return ExportResult(features=write_export((), chosen, out,
                                              layers=ExportLayers(counts=counts)))


def _export_features(store: CaseStore, chosen: ExportFormat, out: Path) -> ExportResult:
    from sitewatch.report import (
        ExportFormat,
        ExportLayers,
        count_features,
        detection_features,
        event_features,
        footprint_features,
        image_overlays,
        write_export,
        zone_features,
    )
    from sitewatch.track import load_zones

    scenes = store.scenes()
    # A box lasts until its site's next analysed date, as its image does on the KMZ time slider.
    analysed = [s for s in scenes if store.latest_run_id(s.sha256) is not None]
    features = detection_features([(scene, scene_detections(store, scene)) for scene in analysed])
    if chosen is ExportFormat.COCO:
        return ExportResult(features=write_export(features, chosen, out))
    layers = ExportLayers()
    tracks: tuple[SiteTrack, ...] = ()
    if chosen is ExportFormat.GPKG:
        options, rates_source = interval_options(store)
        tracks = track_case(store, options=options)
        zones_file = store.attached("zones")
        zones = load_zones(zones_file) if zones_file else ()
        layers = ExportLayers(
            counts=count_features(tracks, scenes, zones, rates_source=rates_source),
            zones=zone_features(zones, tracks, scenes), footprints=footprint_features(scenes))
    elif chosen is ExportFormat.KMZ:
        overlays, notes = image_overlays(analysed)
        layers = ExportLayers(overlays=overlays, notes=notes)
    features = features + event_features(tracks or track_case(store))
    written = write_export(features, chosen, out, layers=layers)
    notes = layers.notes
    if chosen is not ExportFormat.CSV and written < len(features):
        notes += (f"{len(features) - written} of {len(features)} detections and events lie on "
                  "images without georeference and are left out (export --format csv keeps "
                  "them, in pixels)",)
    if chosen is ExportFormat.KML:
        notes += ("a .kml file cannot carry images: export --format kmz to show each analysed "
                  "image under its boxes",)
    rows = (("counts", len(layers.counts)), ("zones", len(layers.zones)),
            ("footprints", len(layers.footprints)))
    return ExportResult(features=written, overlays=len(layers.overlays), notes=notes,
                        layers=rows if chosen is ExportFormat.GPKG else ())


def link_case(store: CaseStore, tracks: tuple[SiteTrack, ...] | None = None) -> tuple[Link, ...]:
    """Links between the case's departures and its attached sightings (empty without them)."""
    from sitewatch.track import load_sightings

    sightings_file = store.attached("sightings")
    if sightings_file is None:
        return ()
    return _links(store, load_sightings(sightings_file), _boundary(store.attached("boundary")),
                  tracks)


def _boundary(path: Path | None) -> Boundary | None:
    from sitewatch.geo import load_boundary

    return load_boundary(path) if path else None


def _links(store: CaseStore, sightings: Sequence[Sighting], boundary: Boundary | None,
           tracks: tuple[SiteTrack, ...] | None = None) -> tuple[Link, ...]:
    from sitewatch.track import departures, link_sightings

    groups = [d for track in (tracks or track_case(store)) for d in departures(track)]
    return tuple(link_sightings(sightings, groups, boundary=boundary))


@dataclass(frozen=True, slots=True, kw_only=True)
class SightingLinks:
    """What :func:`link_and_log` found: the sightings read, the links, and the border used."""

    sightings: tuple[Sighting, ...]
    links: tuple[Link, ...]
    boundary: Boundary | None


def link_and_log(
    store: CaseStore, sightings_file: Path, *, boundary_file: Path | None = None,
    out: Path | None = None,
) -> SightingLinks:
    """``sitewatch link``: which departures of the case could have reached each sighting in
    ``sightings_file`` (``boundary_file`` replaces the attached border); writes the links as CSV
    to ``out`` when given, and logs the run."""
    from sitewatch.track import load_sightings, write_links_csv

    sightings = tuple(load_sightings(sightings_file))
    boundary_file = boundary_file or store.attached("boundary")
    boundary = _boundary(boundary_file)
    links = _links(store, sightings, boundary)
    writers: dict[Path, Callable[[Path], object]] = {}
    if out is not None:
        writers[out] = lambda staged: write_links_csv(links, staged)
    store.write_files("link", writers, {
        "sightings": sightings_file.name, "links": len(links),
        "boundary": boundary_file.name if boundary_file else None})
    return SightingLinks(sightings=sightings, links=links, boundary=boundary)


def _where_when(store: CaseStore) -> tuple[object, ...]:
    """Rows of the report's where-when section (recorded media and shadow checks)."""
    from sitewatch.case.where import where_checks
    from sitewatch.where import where_when_rows

    return where_when_rows(where_checks(store))
