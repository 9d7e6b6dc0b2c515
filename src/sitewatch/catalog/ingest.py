"""Ingest: hash each file before decoding it, check it fully, store it read-only, catalog it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sitewatch.catalog.georeference import ControlPoint, Georeference, find_georeference
from sitewatch.catalog.inspect import RasterInfo, inspect_raster
from sitewatch.catalog.scene import (
    GsdSource,
    ImageFormat,
    Scene,
    check_acquisition_date,
    check_vehicle_fits,
    parse_site,
)
from sitewatch.catalog.sniff import sniff_format
from sitewatch.catalog.stac import GSD_RANGE_M, read_stac_item
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError, InputFileError

_SUFFIX = {ImageFormat.TIFF: ".tif", ImageFormat.JPEG: ".jpg", ImageFormat.PNG: ".png",
           ImageFormat.WEBP: ".webp"}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestResult:
    """What an ingest added and what it found already stored."""

    added: tuple[Scene, ...]
    already_stored: tuple[str, ...]
    #: How each added scene without embedded georeference was placed, by its hash.
    georeferences: tuple[tuple[str, Georeference], ...] = ()
    #: For each file already stored: the name given, and the stored scene it matched.
    already_as: tuple[tuple[str, Scene], ...] = ()


def ingest_files(
    store: CaseStore,
    paths: Sequence[Path],
    *,
    site: str,
    date: dt.date | None,
    gsd_m: float | None = None,
    source: str = "",
    licence: str = "",
    control_points: Sequence[ControlPoint] = (),
    crs: str | None = None,
    progress: Callable[[Path], object] | None = None,
) -> IngestResult:
    """Add image files (or STAC Item JSON pointing at local images) to the case.

    Every file is hashed, then fully decoded and checked, before anything is written; the
    originals are then copied under their hash, made read-only, and cataloged in one
    transaction. Bytes already in the case are skipped.

    An image without embedded georeference is placed by its sidecar files (world file and
    ``.prj``, ``.aux.xml``; ``crs`` stands in for a missing ``.prj``) or by ``control_points``
    (for a single image); see :mod:`sitewatch.catalog.georeference`. ``progress`` is called
    with each file once it is hashed and checked.

    Raises:
        InputFileError: a file is missing, a folder, empty, corrupt, truncated, of an unknown
            format, without a date, or without georeference and no ``gsd_m`` given, or its
            control points fit no transform. Nothing is stored.
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
    candidates: dict[str, tuple[Scene, Path]] = {}
    placed: dict[str, Georeference] = {}
    already: list[tuple[str, Scene]] = []
    stored = {s.sha256: s for s in store.scenes(include_retired=True)}
    for path in paths:
        scene, source_path, georef = _prepare(
            store, path, site=site, date=date, gsd_m=gsd_m, source=source, licence=licence,
            control_points=control_points, crs=crs)
        kept = stored.get(scene.sha256) or candidates.get(scene.sha256, (None,))[0]
        if kept is not None:
            already.append((path.name, kept))
        else:
            candidates[scene.sha256] = (scene, source_path)
            if georef is not None:
                placed[scene.sha256] = georef
        if progress is not None:
            progress(path)
    written = _store_originals(list(candidates.values()))
    added = tuple(scene for scene, _ in candidates.values())
    if added:
        try:
            store.add_scenes(added)
        except BaseException:
            _remove(written)  # no original stays in the case without its catalog row
            raise
        store.append_audit(
            "ingest",
            {"site": site, "scenes": [_logged(s, placed.get(s.sha256)) for s in added]},
        )
    return IngestResult(added=added, already_stored=tuple(name for name, _ in already),
                        georeferences=tuple(placed.items()), already_as=tuple(already))


def _logged(scene: Scene, georef: Georeference | None) -> dict[str, object]:
    entry: dict[str, object] = {"sha256": scene.sha256, "name": scene.original_name,
                                "date": scene.date.isoformat(), "source": scene.source}
    if georef is not None:
        entry["georeference"] = georef.audit_details()
    return entry


def _prepare(
    store: CaseStore, path: Path, *, site: str, date: dt.date | None, gsd_m: float | None,
    source: str, licence: str, control_points: Sequence[ControlPoint] = (), crs: str | None = None,
) -> tuple[Scene, Path, Georeference | None]:
    if path.is_dir():
        raise InputFileError(f"'{path}' is a folder: pass the image files, e.g. {path}/*.jpg")
    if not path.is_file():
        raise InputFileError(f"cannot ingest '{path}': no such file; check the path")
    image_format = sniff_format(path)
    if image_format is ImageFormat.STAC_JSON:
        item = read_stac_item(path)
        return _prepare(store, item.asset_path, site=site, date=date or item.date, gsd_m=gsd_m or
                        item.gsd_m, source=source or item.source, licence=licence or item.licence,
                        control_points=control_points, crs=crs)
    sha256 = sha256_file(path)
    if date is None:
        raise InputFileError(f"cannot ingest '{path}': no acquisition date; pass --date YYYY-MM-DD")
    try:
        check_acquisition_date(date)
    except ConfigError as exc:
        raise InputFileError(f"cannot ingest '{path}': {exc}") from None
    info = inspect_raster(path, image_format)
    georef = find_georeference(path, control_points=control_points, crs=crs)
    if georef is not None:
        info = _placed(info, georef)
    if gsd_m is not None:
        check_vehicle_fits(path.name, info.width_px, info.height_px, gsd_m)
        gsd, gsd_source = gsd_m, GsdSource.USER
    elif info.gsd_m is not None:
        gsd, gsd_source = info.gsd_m, GsdSource.GEOREFERENCE
    else:
        raise InputFileError(
            f"cannot ingest '{path}': it has no georeference, so its ground sample distance is "
            "unknown; pass --gsd METRES (e.g. --gsd 0.3)"
        )
    low, high = GSD_RANGE_M
    if not low <= gsd <= high:  # also refuses NaN
        raise InputFileError(
            f"cannot ingest '{path}': its georeference gives a ground sample distance of {gsd} m "
            f"(plausible: {low} m to {high} m); pass --gsd METRES"
        )
    return Scene(
        sha256=sha256, site=site, date=date,
        path=store.object_path(sha256, _SUFFIX[image_format]), original_name=path.name,
        image_format=image_format, width_px=info.width_px, height_px=info.height_px,
        band_count=info.band_count, dtype=info.dtype, gsd_m=gsd, gsd_source=gsd_source,
        crs_wkt=info.crs_wkt, transform=info.transform,
        footprint_lonlat_wkt=info.footprint_lonlat_wkt, source=source, licence=licence,
    ), path, georef


def _placed(info: RasterInfo, georef: Georeference) -> RasterInfo:
    """The raster's metadata with the georeference found beside it."""
    from dataclasses import replace

    from sitewatch.imagery.georef import gsd_m_of, outline_lonlat_wkt

    size = (info.width_px, info.height_px)
    return replace(info, transform=georef.transform, crs_wkt=georef.crs_wkt,
                   gsd_m=gsd_m_of(georef.transform, georef.crs_wkt, *size),
                   footprint_lonlat_wkt=outline_lonlat_wkt(georef.transform, georef.crs_wkt, *size))


def _store_originals(pending: Sequence[tuple[Scene, Path]]) -> list[Path]:
    """Copy each original under its hash, read-only; returns the files written."""
    written: list[Path] = []
    try:
        for scene, source_path in pending:
            scene.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = scene.path.with_suffix(scene.path.suffix + ".part")
            shutil.copyfile(source_path, temporary)
            if sha256_file(temporary) != scene.sha256:
                raise InputFileError(
                    f"'{scene.original_name}' changed while it was being ingested; try again"
                )
            os.chmod(temporary, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            temporary.replace(scene.path)
            written.append(scene.path)
    except BaseException:
        _remove(written)
        raise
    return written


def _remove(written: Sequence[Path]) -> None:
    for path in written:
        path.chmod(stat.S_IWUSR | stat.S_IRUSR)
        path.unlink(missing_ok=True)
