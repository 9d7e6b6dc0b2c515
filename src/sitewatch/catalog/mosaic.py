"""A mosaic scene: several georeferenced images of one site and date made into one.

The mosaic is a derived scene. Its pixels are written by :func:`sitewatch.imagery.mosaic_images`
and stored in the hash store like an original; its sources stay stored and are retired (taken
out of every job, not deleted) in the same crash-safe write. One ``mosaic`` audit entry records
the new scene, its sources by hash, the reason, who asked, and the seams (each source's outline
in the mosaic); the seams are also written as GeoJSON under ``derived/mosaics/`` and logged with
their sha256, so ``verify`` re-hashes them. Each retirement is also a row of the append-only
``scene_changes`` table, as ``sitewatch scene retire`` makes, so ``scene list`` counts it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.catalog import audit
from sitewatch.catalog.changes import MOSAIC_RETIRES, SceneField, find_scene
from sitewatch.catalog.scene import GsdSource, ImageFormat, Scene
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import CatalogError, ConfigError, ImageryError
from sitewatch.imagery import (
    MosaicResult,
    MosaicSource,
    gsd_m_of,
    mosaic_images,
    outline_lonlat_wkt,
    same_pixels,
)

#: The audit action that adds a mosaic scene.
MOSAIC_ACTION = MOSAIC_RETIRES


@dataclass(frozen=True, slots=True, kw_only=True)
class MosaicAdded:
    """What ``sitewatch scene mosaic`` made: the new scene, its sources (now retired), the
    seams file and the grid details."""

    scene: Scene
    sources: tuple[Scene, ...]
    seams_path: Path
    result: MosaicResult
    audit_seq: int


def seams_path(store: CaseStore, sha256: str) -> Path:
    """Where a mosaic's seams (GeoJSON) are kept in the case."""
    return store.layout.derived / "mosaics" / f"{sha256[:16]}.seams.geojson"


def add_mosaic(store: CaseStore, refs: Sequence[str], *, reason: str,
               actor: str | None = None) -> MosaicAdded:
    """Mosaic the scenes named by ``refs`` (file names or hash prefixes) into one new scene.

    Raises:
        CatalogError: fewer than two scenes, a scene named twice or retired, or scenes of
            different sites or dates.
        ConfigError: no reason given.
        ImageryError: a source without georeference, sources whose overlaps disagree, or with
            different bands (the message names the source and the fix). Nothing is stored.
    """
    reason = reason.strip()
    if not reason:
        raise ConfigError("say why with --reason TEXT (e.g. --reason 'four tiles of one pass'); "
                          "it is kept in the audit log")
    sources = tuple(find_scene(store, ref) for ref in refs)
    _check_sources(store, sources)
    with tempfile.TemporaryDirectory(prefix="sitewatch-mosaic-") as scratch:
        built = Path(scratch) / "mosaic.tif"
        try:
            result = mosaic_images([MosaicSource(path=s.path, name=s.original_name,
                                                 transform=s.transform, crs_wkt=s.crs_wkt)
                                    for s in sources], built)
        except ImageryError as exc:
            raise type(exc)(f"cannot mosaic {len(sources)} scenes of site {sources[0].site!r} on "
                            f"{sources[0].date}: {exc}") from None
        scene = _mosaic_scene(store, sources, result, sha256_file(built))
        if store.has_scene(scene.sha256):
            raise CatalogError(f"this mosaic is already scene {scene.sha256[:12]} of case "
                               f"'{store.root}'; nothing changed")
        seams = seams_path(store, scene.sha256)
        geojson = seams_geojson(scene, sources, result)
        with store.writing() as write:
            staged = write.stage(scene.path)
            shutil.copyfile(built, staged)
            os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            staged_seams = write.stage(seams)
            staged_seams.write_text(json.dumps(geojson, indent=1) + "\n", encoding="utf-8")
            details = _details(store, scene, sources, result, reason, seams, sha256_file(staged_seams))

            def rows(db: sqlite3.Connection) -> dict[str, Any]:
                store.add_scenes([scene], db)
                details["scenes"][0]["row_sha256"] = store.scene_row_digest(scene.sha256, db)
                head = db.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
                seq = json.loads(head[0])["seq"] + 1 if head else 0
                now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
                details["changed_utc"] = now
                because = f"{reason} (mosaicked into {scene.original_name} {scene.sha256[:12]})"
                for source in sources:
                    db.execute("UPDATE scenes SET retired = 1 WHERE sha256 = ?", (source.sha256,))
                    db.execute(
                        "INSERT INTO scene_changes (scene_sha256, field, old, new, reason, actor, "
                        "time_utc, audit_seq) VALUES (?,?,?,?,?,?,?,?)",
                        (source.sha256, SceneField.RETIRED.value, "false", "true", because,
                         actor or audit.default_actor(), now, seq))
                return details

            entry = store.commit(write, MOSAIC_ACTION, rows, actor=actor)
    return MosaicAdded(scene=scene, sources=sources, seams_path=seams, result=result,
                       audit_seq=entry.seq)


def _check_sources(store: CaseStore, sources: tuple[Scene, ...]) -> None:
    if len(sources) < 2:
        raise CatalogError("name two or more scenes of one site and date to mosaic; list them "
                           f"with `sitewatch scene list {store.root}`")
    if len({s.sha256 for s in sources}) < len(sources):
        raise CatalogError("a scene is named twice; name each scene to mosaic once")
    for s in sources:
        if s.retired:
            raise CatalogError(f"scene {s.original_name} ({s.sha256[:12]}) is retired; restore it "
                               f"first with `sitewatch scene restore {store.root} {s.sha256[:12]} "
                               "--reason TEXT`")
    days = {(s.site, s.date) for s in sources}
    if len(days) > 1:
        listed = ", ".join(f"{s.original_name} ({s.site}, {s.date})" for s in sources)
        raise CatalogError(f"a mosaic is of one site on one date, and these are not: {listed}; "
                           "correct a wrong date first with `sitewatch scene redate`")


def _mosaic_scene(store: CaseStore, sources: tuple[Scene, ...], result: MosaicResult,
                  sha256: str) -> Scene:
    first = sources[0]
    name = f"mosaic_{first.site}_{first.date.isoformat()}_{sha256[:8]}.tif"
    return Scene(
        sha256=sha256, site=first.site, date=first.date, path=store.object_path(sha256, ".tif"),
        original_name=name, image_format=ImageFormat.TIFF, width_px=result.width_px,
        height_px=result.height_px, band_count=result.band_count, dtype=result.dtype,
        gsd_m=gsd_m_of(result.transform, result.crs_wkt, result.width_px, result.height_px),
        gsd_source=GsdSource.GEOREFERENCE, crs_wkt=result.crs_wkt, transform=result.transform,
        footprint_lonlat_wkt=outline_lonlat_wkt(result.transform, result.crs_wkt,
                                                result.width_px, result.height_px),
        source="mosaic of " + ", ".join(s.original_name for s in sources),
        licence="; ".join(dict.fromkeys(s.licence for s in sources if s.licence)),
    )


def seams_geojson(scene: Scene, sources: tuple[Scene, ...], result: MosaicResult) -> dict[str, Any]:
    """The seams as a GeoJSON FeatureCollection: one feature per source, its outline in lon/lat,
    its outline in the mosaic's pixels, the pixels taken from it and its place in the order."""
    features = []
    for order, (source, part) in enumerate(zip(sources, result.parts, strict=True)):
        assert source.transform is not None and source.crs_wkt is not None
        ring = outline_lonlat_wkt(source.transform, source.crs_wkt, source.width_px,
                                  source.height_px)
        coords = [[float(v) for v in pair.split()]
                  for pair in ring.removeprefix("POLYGON ((").removesuffix("))").split(", ")]
        features.append({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [coords]},
            "properties": {"source": source.original_name, "sha256": source.sha256,
                           "order": order, "pixels_used": part.pixels_used,
                           "outline_px": [list(p) for p in part.outline_px]},
        })
    return {"type": "FeatureCollection", "mosaic": scene.original_name,
            "mosaic_sha256": scene.sha256, "features": features}


def _details(store: CaseStore, scene: Scene, sources: tuple[Scene, ...], result: MosaicResult,
             reason: str, seams: Path, seams_sha256: str) -> dict[str, Any]:
    return {
        "site": scene.site,
        "scenes": [{"sha256": scene.sha256, "name": scene.original_name,
                    "date": scene.date.isoformat(), "source": scene.source, "gsd_m": scene.gsd_m,
                    "gsd_source": scene.gsd_source.value}],
        "mosaic_of": [{"sha256": s.sha256, "name": s.original_name} for s in sources],
        "retired": [s.sha256 for s in sources],
        "reason": reason,
        "seams": [{"source": p.name, "outline_px": [list(q) for q in p.outline_px],
                   "pixels_used": p.pixels_used} for p in result.parts],
        "overlaps": [{"first": o.first, "second": o.second, "overlap_px": o.overlap_px,
                      "correlation": None if o.correlation is None else round(o.correlation, 4)}
                     for o in result.overlaps],
        "files": [{**store.file_label(seams), "sha256": seams_sha256}],
    }


def mosaic_sources(entries: Sequence[audit.AuditEntry]) -> dict[str, tuple[str, ...]]:
    """Each mosaic scene's sources (hashes, in order), from the audit log."""
    found: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if entry.action != MOSAIC_ACTION:
            continue
        for scene in entry.details.get("scenes", []):
            if isinstance(scene, dict) and isinstance(scene.get("sha256"), str):
                found[scene["sha256"]] = tuple(
                    str(s.get("sha256")) for s in entry.details.get("mosaic_of", [])
                    if isinstance(s, dict))
    return found


def read_seams(store: CaseStore, ref: str) -> tuple[Scene, dict[str, Any]]:
    """A mosaic scene and its seams GeoJSON.

    Raises:
        CatalogError: no such scene, it is not a mosaic, or its seams file is missing.
    """
    scene = find_scene(store, ref)
    path = seams_path(store, scene.sha256)
    if not path.is_file():
        raise CatalogError(f"scene {scene.original_name} ({scene.sha256[:12]}) is not a mosaic "
                           f"(no seams at '{path.relative_to(store.root)}'); make one with "
                           f"`sitewatch scene mosaic {store.root} SCENE SCENE ... --reason TEXT`")
    return scene, json.loads(path.read_text(encoding="utf-8"))


def replay_mosaics(store: CaseStore) -> tuple[str, ...]:
    """Build every mosaic scene again from its stored sources and compare the pixels.

    A mosaic is derived: its sources (by hash, in the audit log) and the code make it. Returns
    one line per mosaic whose pixels or grid differ, or whose sources are gone.
    """
    from sitewatch.catalog.audit import read_entries

    scenes = {s.sha256: s for s in store.scenes(include_retired=True)}
    differences = []
    for sha, source_shas in mosaic_sources(read_entries(store.audit_path)).items():
        mosaic = scenes.get(sha)
        sources = [scenes.get(s) for s in source_shas]
        if mosaic is None or any(s is None for s in sources) or not sources:
            differences.append(f"mosaic {sha[:12]}: it or one of its sources is not in the catalog")
            continue
        with tempfile.TemporaryDirectory(prefix="sitewatch-mosaic-") as scratch:
            again = Path(scratch) / "mosaic.tif"
            mosaic_images([MosaicSource(path=s.path, name=s.original_name, transform=s.transform,
                                        crs_wkt=s.crs_wkt) for s in sources if s is not None], again)
            same = same_pixels(again, mosaic.path)
        if not same:
            differences.append(f"mosaic {mosaic.original_name} ({sha[:12]}) built again from its "
                               f"{len(sources)} sources differs from the stored one")
    return tuple(differences)
