"""Ingest: hash each file before decoding it, check it fully, store it read-only, catalog it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.catalog.inspect import inspect_raster
from sitewatch.catalog.scene import GsdSource, ImageFormat, Scene, parse_site
from sitewatch.catalog.sniff import sniff_format
from sitewatch.catalog.stac import GSD_RANGE_M, read_stac_item
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import InputFileError

_SUFFIX = {ImageFormat.TIFF: ".tif", ImageFormat.JPEG: ".jpg", ImageFormat.PNG: ".png",
           ImageFormat.WEBP: ".webp"}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestResult:
    """What an ingest added and what it found already stored."""

    added: tuple[Scene, ...]
    already_stored: tuple[str, ...]


def ingest_files(
    store: CaseStore,
    paths: Sequence[Path],
    *,
    site: str,
    date: dt.date | None,
    gsd_m: float | None = None,
    source: str = "",
    licence: str = "",
) -> IngestResult:
    """Add image files (or STAC Item JSON pointing at local images) to the case.

    Every file is hashed, then fully decoded and checked, before anything is written; the
    originals are then copied under their hash, made read-only, and cataloged in one
    transaction. Bytes already in the case are skipped.

    Raises:
        InputFileError: a file is missing, empty, corrupt, truncated, of an unknown format,
            without a date, or without georeference and no ``gsd_m`` given. Nothing is stored.
    """
    parse_site(site)
    low, high = GSD_RANGE_M
    if gsd_m is not None and not low <= gsd_m <= high:
        raise InputFileError(f"--gsd {gsd_m} m is not a plausible ground sample distance "
                             f"({low} m to {high} m)")
    candidates: dict[str, tuple[Scene, Path]] = {}
    already: list[str] = []
    for path in paths:
        scene, source_path = _prepare(store, path, site=site, date=date, gsd_m=gsd_m,
                                      source=source, licence=licence)
        if scene.sha256 in candidates:
            already.append(scene.original_name)
        else:
            candidates[scene.sha256] = (scene, source_path)
    added: list[Scene] = []
    with store.writing() as write:  # the lock: a concurrent ingest of the same bytes waits
        pending = []
        for scene, source_path in candidates.values():
            if store.has_scene(scene.sha256):
                already.append(scene.original_name)
            else:
                pending.append(scene)
                _stage_original(scene, source_path, write.stage(scene.path))
        if pending:
            def rows(db: sqlite3.Connection) -> dict[str, Any]:
                added.extend(store.add_scenes(pending, db))
                return {"site": site, "scenes": [
                    {"sha256": s.sha256, "name": s.original_name, "date": s.date.isoformat(),
                     "source": s.source} for s in added]}

            store.commit(write, "ingest", rows)
    return IngestResult(added=tuple(added), already_stored=tuple(already))


def _prepare(
    store: CaseStore, path: Path, *, site: str, date: dt.date | None, gsd_m: float | None,
    source: str, licence: str,
) -> tuple[Scene, Path]:
    if not path.is_file():
        raise InputFileError(f"cannot ingest '{path}': no such file; check the path")
    image_format = sniff_format(path)
    if image_format is ImageFormat.STAC_JSON:
        item = read_stac_item(path)
        return _prepare(store, item.asset_path, site=site, date=date or item.date, gsd_m=gsd_m or
                        item.gsd_m, source=source or item.source, licence=licence or item.licence)
    sha256 = sha256_file(path)
    if date is None:
        raise InputFileError(f"cannot ingest '{path}': no acquisition date; pass --date YYYY-MM-DD")
    info = inspect_raster(path, image_format)
    if gsd_m is not None:
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
    ), path


def _stage_original(scene: Scene, source_path: Path, staged: Path) -> None:
    """Copy an original to its staging path, check its hash again, make it read-only."""
    shutil.copyfile(source_path, staged)
    if sha256_file(staged) != scene.sha256:
        raise InputFileError(
            f"'{scene.original_name}' changed while it was being ingested; try again"
        )
    os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
