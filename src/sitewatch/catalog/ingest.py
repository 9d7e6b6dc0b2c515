"""Ingest: hash each file before decoding it, check it fully, store it read-only, catalog it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.catalog.georeference import ControlPoint, Georeference, find_georeference
from sitewatch.catalog.inspect import inspect_raster, sniff_format
from sitewatch.catalog.scene import (
    GsdSource,
    ImageFormat,
    Scene,
    check_acquisition_date,
    check_vehicle_fits,
    parse_site,
)
from sitewatch.catalog.stac import GSD_RANGE_M, read_stac_item
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError, GeoError, InputFileError
from sitewatch.imagery import GsdEstimate, RasterInfo, disagreement

#: Estimates a file's GSD from its own pixels (``sitewatch.detect.estimate_gsd`` with a loaded
#: model); None when no estimate can be trusted (too few vehicles, or none agreeing across
#: trial scales).
GsdEstimator = Callable[[Path], GsdEstimate | None]

_SUFFIX = {ImageFormat.TIFF: ".tif", ImageFormat.JPEG: ".jpg", ImageFormat.PNG: ".png",
           ImageFormat.WEBP: ".webp"}


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestResult:
    """What an ingest added and what it found already stored."""

    added: tuple[Scene, ...]
    already_stored: tuple[str, ...]
    #: How each added scene without embedded georeference was placed, by its hash.
    georeferences: tuple[tuple[str, Georeference], ...] = ()
    #: For each file already stored: the name given, and the stored scene it matched.
    already_as: tuple[tuple[str, Scene], ...] = ()
    gsd_notes: tuple[str, ...] = ()  #: estimated GSDs and disagreements, one line each


@dataclass(frozen=True, slots=True, kw_only=True)
class GsdChoice:
    """The GSD a scene is stored with, where it came from, and what a person should be told.

    Attributes:
        gsd_m: Metres per pixel.
        source: Given (``USER``), read from the georeference or estimated.
        estimate: The vehicles' estimate, when one was made.
        note: A line for the person ingesting ("" when there is nothing to say).
    """

    gsd_m: float
    source: GsdSource
    estimate: GsdEstimate | None = None
    note: str = ""

    def provenance(self) -> dict[str, object]:
        """JSON-ready record of how the GSD was obtained, for the audit log."""
        return {"gsd_m": self.gsd_m, "gsd_source": self.source.value,
                "gsd_estimate": self.estimate.to_dict() if self.estimate else None}


def choose_gsd(
    name: str,
    *,
    given_m: float | None,
    georef_m: float | None,
    auto: bool = False,
    estimator: Callable[[], GsdEstimate | None] | None = None,
) -> GsdChoice:
    """Decide a scene's GSD: given, else georeferenced, else estimated from its vehicles.

    With ``auto`` the estimate is used even when a georeference exists. A given or
    georeferenced GSD is checked against the estimate (when an ``estimator`` is supplied) and a
    disagreement beyond :data:`sitewatch.imagery.scale.DISAGREEMENT_SHARE` is named in the note;
    it is not refused, as the stated value may be right and the vehicles unusual.

    Raises:
        InputFileError: No GSD can be had: no georeference, none given, and no estimate.
    """
    stated = [(given_m, GsdSource.USER, "stated (--gsd)"),
              (georef_m, GsdSource.GEOREFERENCE, "georeferenced")]
    if not auto:
        for value, source, words in stated:
            if value is not None:
                est = estimator() if estimator and value <= MAX_CHECKED_GSD_M else None
                share = disagreement(value, est) if est else None
                note = "" if share is None or est is None else (
                    f"warning: {name}: the {words} GSD {value:.3g} m disagrees with the "
                    f"{est.gsd_m:.3g} m ({est.low_m:.3g}-{est.high_m:.3g} m) its "
                    f"{est.n_vehicles} vehicles measure, by {share:.0%}; check the source, "
                    "or re-ingest with --gsd auto or the right --gsd")
                return GsdChoice(gsd_m=value, source=source, estimate=est, note=note)
    est = estimator() if estimator else None
    if est is None:
        raise InputFileError(
            f"cannot ingest '{name}': it has no "
            + ("vehicles from which its ground sample distance can be estimated (too few "
               "found, or their lengths disagree across trial scales)" if auto else
               "georeference, no --gsd was given, and its ground sample distance cannot be "
               "estimated from its vehicles (too few found, or their lengths disagree across "
               "trial scales)")
            + "; pass --gsd METRES (e.g. --gsd 0.3)"
        )
    why = "--gsd auto" if auto else "no georeference and no --gsd"
    note = (f"note: {name}: {why}: GSD estimated from the image's vehicles as "
            f"{est.describe()}; pass --gsd METRES to override")
    if auto and georef_m is not None and (share := disagreement(georef_m, est)) is not None:
        note += (f"; warning: its georeference says {georef_m:.3g} m, {share:.0%} from the "
                 "estimate")
    return GsdChoice(gsd_m=est.gsd_m, source=GsdSource.ESTIMATED, estimate=est, note=note)


#: A stated GSD coarser than this is not checked against vehicles (they are not resolvable).
MAX_CHECKED_GSD_M = 0.65


def ingest_files(
    store: CaseStore,
    paths: Sequence[Path],
    *,
    site: str,
    date: dt.date | None,
    gsd_m: float | None = None,
    source: str = "",
    licence: str = "",
    estimate_gsd: GsdEstimator | None = None,
    gsd_auto: bool = False,
    control_points: Sequence[ControlPoint] = (),
    gcp_order: int = 1,
    crs: str | None = None,
    progress: Callable[[Path], object] | None = None,
) -> IngestResult:
    """Add image files (or STAC Item JSON pointing at local images) to the case.

    Every file is hashed first: bytes already in the case (or given twice) are answered as
    already stored without decoding a pixel. Every other file is fully decoded and checked
    before anything is written; the
    originals are then copied under their hash, made read-only, and cataloged in one
    transaction. Bytes already in the case are skipped. The GSD is chosen by
    :func:`choose_gsd`: with ``estimate_gsd``, a file with neither georeference nor ``gsd_m``
    gets the vehicles' estimate (and a note), and a stated GSD is checked against it; with
    ``gsd_auto``, the estimate is used for every file. How each GSD was obtained is written to
    the audit entry.

    An image without embedded georeference is placed by its sidecar files (world file and
    ``.prj``, ``.aux.xml``; ``crs`` stands in for a missing ``.prj``) or by ``control_points``
    (for a single image); see :mod:`sitewatch.catalog.georeference`. With ``gcp_order`` 2 or 3
    the control points are fitted by a polynomial of that order and the picture is rectified
    (warped by GDAL) onto a north-up grid: the original is stored and retired, the rectified
    copy is the scene in use, both in one audit entry (:func:`_ingest_rectified`). ``progress``
    is called with each file once it is hashed and checked.

    Raises:
        InputFileError: a file is missing, a folder, empty, corrupt, truncated, of an unknown
            format, without a date, or without georeference, no ``gsd_m`` given and no estimate
            to be had, or its control points fit no transform. Nothing is stored.
        ConfigError: a date in the future or before 1858, or a ``gsd_m`` at which the image
            is smaller than a car.
    """
    parse_site(site)
    low, high = GSD_RANGE_M
    if gsd_m is not None and not low <= gsd_m <= high:
        raise InputFileError(f"--gsd {gsd_m} m is not a plausible ground sample distance "
                             f"({low} m to {high} m)")
    if date is not None:
        check_acquisition_date(date)
    if control_points and len(paths) != 1:
        raise InputFileError(f"ground control points belong to one image, and {len(paths)} were "
                             "given; ingest each georeferenced picture on its own")
    if gcp_order not in (1, 2, 3):
        raise ConfigError(f"--gcp-order {gcp_order}: use 1 (affine), 2 or 3 (polynomial)")
    if gcp_order > 1:
        if not control_points:
            raise ConfigError(f"--gcp-order {gcp_order} fits ground control points; give them "
                              "with --gcp PX,PY,LON,LAT or --gcps FILE.csv")
        result = _ingest_rectified(store, paths[0], site=site, date=date, gsd_m=gsd_m,
                                   source=source, licence=licence, points=tuple(control_points),
                                   order=gcp_order)
        if progress is not None:
            progress(paths[0])
        return result
    candidates: dict[str, tuple[Scene, Path]] = {}
    choices: dict[str, GsdChoice] = {}
    placed: dict[str, Georeference] = {}
    already: list[tuple[str, Scene]] = []
    stored = {s.sha256: s for s in store.scenes(include_retired=True)}

    def known(sha256: str) -> Scene | None:
        return stored.get(sha256) or candidates.get(sha256, (None,))[0]

    for path in paths:
        prepared = _prepare(
            store, path, known=known, site=site, date=date, gsd_m=gsd_m, source=source,
            licence=licence, estimate_gsd=estimate_gsd, gsd_auto=gsd_auto,
            control_points=control_points, crs=crs)
        if isinstance(prepared, Scene):  # the same bytes are kept: answered before decoding
            already.append((path.name, prepared))
        else:
            scene, source_path, choice, georef = prepared
            candidates[scene.sha256] = (scene, source_path)
            choices[scene.sha256] = choice
            if georef is not None:
                placed[scene.sha256] = georef
        if progress is not None:
            progress(path)
    added: list[Scene] = []
    with store.writing() as write:  # the lock: a concurrent ingest of the same bytes waits
        pending = []
        for scene, source_path in candidates.values():
            if store.has_scene(scene.sha256):
                already.append((scene.original_name, scene))
            else:
                pending.append(scene)
                _stage_original(scene, source_path, write.stage(scene.path))
        if pending:
            def rows(db: sqlite3.Connection) -> dict[str, Any]:
                added.extend(store.add_scenes(pending, db))
                return {"site": site, "scenes": [
                    {**_logged(s, choices[s.sha256], placed.get(s.sha256)),
                     "row_sha256": store.scene_row_digest(s.sha256, db)} for s in added]}

            store.commit(write, "ingest", rows)
    new = {s.sha256 for s in added}
    notes = tuple(choices[s].note for s in new if choices[s].note)
    return IngestResult(added=tuple(added), already_stored=tuple(name for name, _ in already),
                        georeferences=tuple((k, g) for k, g in placed.items() if k in new),
                        already_as=tuple(already), gsd_notes=notes)


def _logged(scene: Scene, choice: GsdChoice, georef: Georeference | None) -> dict[str, object]:
    entry: dict[str, object] = {"sha256": scene.sha256, "name": scene.original_name,
                                "date": scene.date.isoformat(), "source": scene.source,
                                **choice.provenance()}
    if georef is not None:
        entry["georeference"] = georef.audit_details()
    return entry


def _prepare(
    store: CaseStore, path: Path, *, known: Callable[[str], Scene | None], site: str,
    date: dt.date | None, gsd_m: float | None, source: str, licence: str,
    estimate_gsd: GsdEstimator | None = None, gsd_auto: bool = False,
    control_points: Sequence[ControlPoint] = (), crs: str | None = None,
) -> Scene | tuple[Scene, Path, GsdChoice, Georeference | None]:
    """The scene a file would be stored as, checked; or, when ``known`` finds its hash, the scene
    already holding those bytes, without decoding a pixel (a duplicate costs one hash)."""
    image_format = _sniff_given_file(path, hint=f"pass the image files, e.g. {path}/*.jpg")
    if image_format is ImageFormat.STAC_JSON:
        item = read_stac_item(path)
        return _prepare(store, item.asset_path, known=known, site=site, date=date or item.date,
                        gsd_m=gsd_m or item.gsd_m, source=source or item.source,
                        licence=licence or item.licence, estimate_gsd=estimate_gsd,
                        gsd_auto=gsd_auto, control_points=control_points, crs=crs)
    sha256 = sha256_file(path)
    if (kept := known(sha256)) is not None:
        return kept
    if date is None:
        raise InputFileError(f"cannot ingest '{path}': no acquisition date; pass --date YYYY-MM-DD")
    try:
        check_acquisition_date(date)
    except ConfigError as exc:
        raise InputFileError(f"cannot ingest '{path}': {exc}") from None
    info = inspect_raster(path, image_format)
    georef = find_georeference(path, control_points=control_points, crs=crs)
    if georef is not None:
        try:
            info = _placed(info, georef)
        except GeoError as exc:
            raise InputFileError(f"cannot place '{path}' by {georef.method}: {exc}") from None
    footprint = _footprint(path, info, georef)
    choice = choose_gsd(
        str(path), given_m=gsd_m, georef_m=info.gsd_m, auto=gsd_auto,
        estimator=(lambda: estimate_gsd(path)) if estimate_gsd else None,
    )
    if choice.source is GsdSource.USER:
        check_vehicle_fits(path.name, info.width_px, info.height_px, choice.gsd_m)
    low, high = GSD_RANGE_M
    if not low <= choice.gsd_m <= high:  # also refuses NaN
        raise InputFileError(
            f"cannot ingest '{path}': its {choice.source.value} ground sample distance is "
            f"{choice.gsd_m} m (plausible: {low} m to {high} m); pass --gsd METRES"
        )
    return Scene(
        sha256=sha256, site=site, date=date,
        path=store.object_path(sha256, _SUFFIX[image_format]), original_name=path.name,
        image_format=image_format, width_px=info.width_px, height_px=info.height_px,
        band_count=info.band_count, dtype=info.dtype, gsd_m=choice.gsd_m,
        gsd_source=choice.source,
        crs_wkt=info.crs_wkt, transform=info.transform,
        footprint_lonlat_wkt=footprint, source=source, licence=licence,
    ), path, choice, georef


def _placed(info: RasterInfo, georef: Georeference) -> RasterInfo:
    """The raster's metadata with the georeference found beside it."""
    from dataclasses import replace

    from sitewatch.imagery import gsd_m_of

    return replace(info, transform=georef.transform, crs_wkt=georef.crs_wkt,
                   gsd_m=gsd_m_of(georef.transform, georef.crs_wkt, info.width_px, info.height_px))


def _footprint(path: Path, info: RasterInfo, georef: Georeference | None) -> str | None:
    """The outline in lon/lat, or a refusal naming the file when its georeference (embedded, or
    ``georef`` found beside it) puts the image nowhere on the globe."""
    try:
        return info.footprint_lonlat_wkt
    except GeoError as exc:
        how = f" by {georef.method}" if georef is not None else ""
        raise InputFileError(f"cannot place '{path}'{how}: {exc}; fix its coordinate system, or "
                             "ingest a copy without it and pass --gsd") from None


def _stage_original(scene: Scene, source_path: Path, staged: Path) -> None:
    """Copy an original to its staging path, check its hash again, make it read-only."""
    shutil.copyfile(source_path, staged)
    if sha256_file(staged) != scene.sha256:
        raise InputFileError(
            f"'{scene.original_name}' changed while it was being ingested; try again"
        )
    os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _ingest_rectified(
    store: CaseStore, path: Path, *, site: str, date: dt.date | None, gsd_m: float | None,
    source: str, licence: str, points: tuple[ControlPoint, ...], order: int,
) -> IngestResult:
    """Store a picture and its copy rectified by a polynomial of its control points.

    The original is hashed, checked and stored as any other, then retired (it has no affine
    georeference); the rectified GeoTIFF is a derived scene named ``<stem>.rectified.tif`` whose
    ingest entry names the original, the points, the order and each point's residual.

    Raises:
        InputFileError: the file is missing, a folder, unreadable, without a date, or too few
            (or degenerate) points for the order: the message names the user's file.
    """
    import tempfile

    from sitewatch.imagery import gsd_m_of, outline_lonlat_wkt, rectify_by_gcps

    image_format = _sniff_given_file(path, hint=f"pass the image file, e.g. {path}/photo.jpg")
    if image_format is ImageFormat.STAC_JSON:
        raise InputFileError(f"'{path}' is a STAC Item, which carries its own georeference; "
                             "ingest it without --gcp-order")
    if date is None:
        raise InputFileError(f"cannot ingest '{path}': no acquisition date; pass --date YYYY-MM-DD")
    sha256 = sha256_file(path)
    info = inspect_raster(path, image_format)
    kept = {s.sha256: s for s in store.scenes(include_retired=True)}.get(sha256)
    if kept is not None:
        return IngestResult(added=(), already_stored=(path.name,), already_as=((path.name, kept),))
    with tempfile.TemporaryDirectory(prefix="sitewatch-rectify-") as scratch:
        built = Path(scratch) / "rectified.tif"
        try:
            rect = rectify_by_gcps(path, built, [p.x_px for p in points], [p.y_px for p in points],
                                   [p.lon_deg for p in points], [p.lat_deg for p in points],
                                   order=order)
        except GeoError as exc:
            raise InputFileError(f"cannot georeference '{path}' by {len(points)} ground control "
                                 f"points: {exc}") from None
        georef = Georeference(transform=rect.transform, crs_wkt=rect.crs_wkt,
                              method="ground control points", residuals_m=rect.residuals_m,
                              points=points, order=order)
        rect_gsd = gsd_m_of(rect.transform, rect.crs_wkt, rect.width_px, rect.height_px)
        choice = choose_gsd(str(path), given_m=gsd_m, georef_m=rect_gsd)
        low, high = GSD_RANGE_M
        if not low <= choice.gsd_m <= high:
            raise InputFileError(f"cannot ingest '{path}': its control points give a ground "
                                 f"sample distance of {choice.gsd_m:.3g} m (plausible: {low} m to "
                                 f"{high} m); check that each pairs the right pixel and lon/lat")
        rsha = sha256_file(built)
        rectified = Scene(
            sha256=rsha, site=site, date=date, path=store.object_path(rsha, ".tif"),
            original_name=f"{path.stem}.rectified.tif", image_format=ImageFormat.TIFF,
            width_px=rect.width_px, height_px=rect.height_px, band_count=info.band_count,
            dtype=info.dtype, gsd_m=choice.gsd_m, gsd_source=choice.source,
            crs_wkt=rect.crs_wkt, transform=rect.transform,
            footprint_lonlat_wkt=outline_lonlat_wkt(rect.transform, rect.crs_wkt,
                                                    rect.width_px, rect.height_px),
            source=source, licence=licence)
        # The original's own pixels are as large as the ground it covers allows.
        original_gsd = rect_gsd * (rect.valid_px / (info.width_px * info.height_px)) ** 0.5
        original = Scene(
            sha256=sha256, site=site, date=date,
            path=store.object_path(sha256, _SUFFIX[image_format]), original_name=path.name,
            image_format=image_format, width_px=info.width_px, height_px=info.height_px,
            band_count=info.band_count, dtype=info.dtype,
            gsd_m=min(max(original_gsd, low), high), gsd_source=GsdSource.GEOREFERENCE,
            source=source, licence=licence, retired=True)
        with store.writing() as write:
            _stage_original(original, path, write.stage(original.path))
            staged = write.stage(rectified.path)
            shutil.copyfile(built, staged)
            os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            chosen = GsdChoice(gsd_m=original.gsd_m, source=GsdSource.GEOREFERENCE)

            def rows(db: sqlite3.Connection) -> dict[str, Any]:
                store.add_scenes([original, rectified], db)
                db.execute("UPDATE scenes SET retired = 1 WHERE sha256 = ?", (sha256,))
                return {"site": site, "scenes": [
                    {**_logged(original, chosen, None), "retired": True, "rectified_as": rsha,
                     "row_sha256": store.scene_row_digest(original.sha256, db)},
                    {**_logged(rectified, choice, georef), "derived_from": sha256,
                     "row_sha256": store.scene_row_digest(rectified.sha256, db)}]}

            store.commit(write, "ingest", rows)
    return IngestResult(added=(rectified,), already_stored=(),
                        georeferences=((rsha, georef),),
                        gsd_notes=(f"note: {path.name} is stored as it was (retired) and as "
                                   f"{rectified.original_name}, rectified by a polynomial of "
                                   f"order {order} (GDAL), which is the scene in use",))


def replay_rectified(store: CaseStore) -> tuple[str, ...]:
    """Rectify every picture ingested with ``--gcp-order 2|3`` again, from its stored original
    and the control points its ingest entry recorded, and compare the pixels and grid with the
    stored rectified scene. One line per difference."""
    import tempfile

    from sitewatch.catalog.audit import read_entries
    from sitewatch.imagery import rectify_by_gcps, same_pixels

    scenes = {s.sha256: s for s in store.scenes(include_retired=True)}
    differences = []
    for entry in read_entries(store.audit_path):
        if entry.action != "ingest":
            continue
        for logged in entry.details.get("scenes", []):
            if not (isinstance(logged, dict) and isinstance(logged.get("derived_from"), str)):
                continue
            georef = logged.get("georeference") or {}
            rectified, original = scenes.get(logged.get("sha256", "")), scenes.get(logged["derived_from"])
            if rectified is None or original is None or not georef.get("points"):
                differences.append(f"rectified scene {str(logged.get('name'))!r}: it, its original "
                                   "or its control points are missing")
                continue
            x, y, lon, lat = (list(column) for column in zip(*georef["points"], strict=True))
            with tempfile.TemporaryDirectory(prefix="sitewatch-rectify-") as scratch:
                again = Path(scratch) / "rectified.tif"
                rectify_by_gcps(original.path, again, x, y, lon, lat, order=int(georef["order"]))
                same = same_pixels(again, rectified.path)
            if not same:
                differences.append(f"{rectified.original_name} ({rectified.sha256[:12]}) rectified "
                                   f"again from {original.original_name} differs from the stored one")
    return tuple(differences)


def _sniff_given_file(path: Path, *, hint: str) -> ImageFormat:
    """The format of a file the user named, refusing a folder or a missing file in one line."""
    if path.is_dir():
        raise InputFileError(f"'{path}' is a folder: {hint}")
    if not path.is_file():
        raise InputFileError(f"cannot ingest '{path}': no such file; check the path")
    return sniff_format(path)
