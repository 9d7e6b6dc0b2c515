"""Where/when checks recorded in a case: stored, audited, citable and replayed.

Each check is one JSON file under ``config/where/`` (``CaseLayout.where``) written with one
``where.check`` audit entry naming its id, kind, finding and the file's sha256. A media check
also stores the photo or video itself among the case's originals (content-addressed, read-only)
so that replay can read it again. Optionally the check is added to the assessment as evidence
(kind ``where``, ref ``where:<id>``) through the audited assessment change.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from sitewatch.catalog import CaseStore, sha256_file
from sitewatch.errors import CatalogError, ConfigError
from sitewatch.where import CheckKind, MediaMetadata, WhereCheck, canonical, read_media_metadata, run_check


def record_where_check(store: CaseStore, check: WhereCheck, *, cite_as: str | None = None) -> Path:
    """Store a check in the case (replacing one with the same id) and audit it.

    ``cite_as`` adds it to the assessment as evidence with that id.

    Raises:
        AssessError: ``cite_as`` is not a valid evidence id.
    """
    folder = store.layout.where
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{check.check_id}.json"
    replaced = sha256_file(target) if target.exists() else None
    target.write_text(json.dumps(check.to_json(), indent=1, ensure_ascii=False), encoding="utf-8")
    store.append_audit("where.check", {"id": check.check_id, "kind": check.kind.value, "fits": check.fits,
                                       "finding": check.finding, "library": check.library,
                                       "file": target.name, "sha256": sha256_file(target),
                                       "replaced_sha256": replaced})
    if cite_as is not None:
        from sitewatch.assess import Evidence, EvidenceKind
        from sitewatch.case.assessment import change_assessment

        evidence = Evidence(id=cite_as, kind=EvidenceKind.WHERE, description=check.finding[:500],
                            source=(f"sitewatch {check.kind.value} ({check.library}); "
                                    f"{check.uncertainty}")[:500],
                            ref=check.ref)
        change_assessment(store, "assess.add-evidence", lambda a: a.with_evidence(evidence))
    return target


def where_checks(store: CaseStore) -> tuple[WhereCheck, ...]:
    """Every recorded check, by id.

    Raises:
        ConfigError: a stored check is malformed.
    """
    folder = store.layout.where
    if not folder.is_dir():
        return ()
    return tuple(WhereCheck.from_json(json.loads(p.read_text(encoding="utf-8")), source=p.name)
                 for p in sorted(folder.glob("*.json")))


def media_check(store: CaseStore, path: Path, *,
                check_id: str | None = None) -> tuple[WhereCheck, MediaMetadata]:
    """Read a photo or video's metadata, keep the file among the case's originals, record the check.

    Raises:
        CatalogError: the file is missing.
    """
    if not path.is_file():
        raise CatalogError(f"cannot read {str(path)!r}: no such file; give the path of a photo or video")
    meta = read_media_metadata(path)
    if meta.sha256 is not None:
        stored = store.layout.object(meta.sha256, path.suffix.lower())
        if not stored.exists():
            stored.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, stored)
            stored.chmod(0o444)
    check = _media_to_check(meta, check_id or f"media-{(meta.sha256 or 'refused')[:12]}", path.suffix.lower())
    record_where_check(store, check)
    return check, meta


def _media_to_check(meta: MediaMetadata, check_id: str, suffix: str) -> WhereCheck:
    place = ("no position" if meta.gps is None
             else f"position ({meta.gps.lat_deg:.5f}, {meta.gps.lon_deg:.5f})")
    when = meta.capture_local or (meta.container_time_utc.isoformat() if meta.container_time_utc else None)
    finding = (f"{meta.name}: refused ({meta.refused})" if meta.refused else
               f"{meta.name}: {place}, " + (f"taken {when}" if when else "no capture time")
               + (f" {meta.utc_offset}" if meta.utc_offset else "")
               + (f"; {len(meta.editing_signs)} sign(s) of editing" if meta.editing_signs else ""))
    result = meta.to_json()
    return WhereCheck(check_id=check_id, kind=CheckKind.MEDIA,
                      inputs_json=canonical({"sha256": meta.sha256, "suffix": suffix, "name": meta.name}),
                      result_json=canonical(result), finding=finding,
                      fits=None,
                      uncertainty="metadata is written by the device or anyone who edited the file",
                      library=meta.reader or "sitewatch")


def replay_where_checks(store: CaseStore) -> tuple[str, ...]:
    """Recompute every recorded check from its stored inputs; one line per difference."""
    differences = []
    for check in where_checks(store):
        inputs = json.loads(check.inputs_json)
        try:
            if check.kind is CheckKind.MEDIA:
                sha = inputs.get("sha256")
                if sha is None:
                    continue
                original = store.layout.object(sha, inputs["suffix"])
                if not original.is_file() or sha256_file(original) != sha:
                    differences.append(f"where check {check.check_id}: stored original {sha[:12]} is missing "
                                       "or changed")
                    continue
                fresh = _media_to_check(read_media_metadata(original), check.check_id, inputs["suffix"])
                fresh_result = json.loads(fresh.result_json)
                fresh_result["name"] = json.loads(check.result_json).get("name")
                same = canonical(fresh_result) == check.result_json
            elif check.kind is CheckKind.OVERHEAD_SUN:
                from sitewatch.where import rerun_overhead_check

                same = rerun_overhead_check(check).result_json == check.result_json
            else:
                same = run_check(check.check_id, check.kind, inputs).result_json == check.result_json
        except ConfigError as exc:
            differences.append(f"where check {check.check_id}: cannot be recomputed ({exc})")
            continue
        if not same:
            differences.append(f"where check {check.check_id}: recomputed result differs from the stored one")
    return tuple(differences)


def shadow_check(store: CaseStore | None, check_id: str, kind: CheckKind, inputs: dict[str, object], *,
                 outputs: Path | None = None, cite_as: str | None = None) -> WhereCheck:
    """Run a shadow check; in a case, write its maps under ``config/where/`` and record it.

    Raises:
        ConfigError: inputs missing or malformed.
    """
    if store is not None:
        outputs = store.layout.where
    check = run_check(check_id, kind, dict(inputs), outputs=outputs)
    if store is not None:
        record_where_check(store, check, cite_as=cite_as)
    return check


def media_inventory(store: CaseStore, paths: tuple[Path, ...] = ()) -> tuple[WhereCheck, ...]:
    """Record the metadata of ``paths`` and of the attached comparison's query files that are still
    where the comparison found them (same hash); return every media check of the case.

    Raises:
        CatalogError: a given path does not exist.
    """
    from sitewatch.case.attachments import comparisons

    known = {json.loads(c.inputs_json).get("sha256") for c in where_checks(store)
             if c.kind is CheckKind.MEDIA}
    for path in paths:
        media_check(store, path)
    for document in comparisons(store):
        for query in document.get("queries", []) or []:  # type: ignore[attr-defined]
            source = Path(str(query.get("query", "")))
            if query.get("sha256") in known or not source.is_file():
                continue
            if sha256_file(source) == query.get("sha256"):
                media_check(store, source)
    return tuple(c for c in where_checks(store) if c.kind is CheckKind.MEDIA)


Georef = tuple[tuple[float, float, float, float, float, float], str]


def _overhead_image(store: CaseStore | None, image: Path | None, scene: str | None
                    ) -> tuple[str, dt.date | None, Georef | None]:
    """(description, catalog date, (transform, CRS)) of the image an overhead check is made on."""
    from sitewatch.catalog import find_scene
    from sitewatch.imagery import read_info

    if scene is not None:
        if store is None:
            raise ConfigError("--scene needs a case folder; give an image file instead")
        found = find_scene(store, scene)
        georef = (None if found.transform is None or found.crs_wkt is None
                  else (found.transform, found.crs_wkt))
        return f"scene {found.original_name} ({found.sha256[:12]})", found.date, georef
    if image is not None:
        info = read_info(image)
        georef = (None if info.transform is None or info.crs_wkt is None
                  else (info.transform, info.crs_wkt))
        return f"image {image.name}", None, georef
    raise ConfigError("name the image: a scene of the case (--scene) or an image file")


def overhead_shadow_check(store: CaseStore | None, check_id: str, marks_px: list[list[float]], *,
                          image: Path | None = None, scene: str | None = None,
                          date: dt.date | None = None, time_utc: dt.datetime | None = None,
                          place: tuple[float, float] | None = None, north_image_deg: float | None = None,
                          cite_as: str | None = None) -> WhereCheck:
    """Check a stated date (and time) against shadows the analyst marked on an overhead image.

    ``marks_px`` holds one ``[base_x, base_y, tip_x, tip_y]`` per shadow, in pixels of the image
    (x right, y down): the foot of an upright object and the tip of its shadow on the ground. The
    image is a scene of the case (``scene``: file name or hash prefix; its catalog date is the
    stated date unless ``date`` or ``time_utc`` is given) or an image file (``image``). The site
    is where the marks are when the image is georeferenced, else ``place`` (lat, lon); true north
    in the image comes from the georeference, else ``north_image_deg`` (0: north-up). In a case
    the check is recorded (and cited as ``cite_as``); nothing is stored when it fails.

    Raises:
        ConfigError: no date, fewer than two marks, no place or north for an image without
            georeference, shadows that disagree, or a time off the date.
        CatalogError: no such scene.
        RasterReadError: the image cannot be read.
    """
    from sitewatch.imagery import pixel_to_lonlat
    from sitewatch.where import marked_shadow_bearings, north_in_image_deg, overhead_check

    if len(marks_px) < 2 or any(len(mark) != 4 for mark in marks_px):
        raise ConfigError(f"{len(marks_px)} shadow mark(s); mark at least two shadows as "
                          "--mark BASE_X,BASE_Y:TIP_X,TIP_Y")
    source, catalog_date, georef = _overhead_image(store, image, scene)
    cx = sum(float(m[0]) for m in marks_px) / len(marks_px)
    cy = sum(float(m[1]) for m in marks_px) / len(marks_px)
    if place is not None:
        lat_deg, lon_deg = place
    elif georef is not None:
        lon_deg, lat_deg = (float(v) for v in pixel_to_lonlat(georef[0], georef[1], [cx], [cy])[0])
    else:
        raise ConfigError(f"{source} has no georeference; give the site as --place LAT,LON")
    if north_image_deg is None:
        if georef is None:
            raise ConfigError(f"{source} has no georeference; say where north is with --north-deg "
                              "(0 for a north-up image)")
        north_image_deg = north_in_image_deg(georef[0], georef[1], cx, cy)
    if date is None and time_utc is not None:
        # The date at the site by local mean solar time, which the check's day runs on.
        date = (time_utc.astimezone(dt.UTC) + dt.timedelta(hours=lon_deg / 15.0)).date()
    date = date or catalog_date
    if date is None:
        raise ConfigError(f"no stated date for {source}; give --date YYYY-MM-DD or --time")
    bearings = marked_shadow_bearings([((m[0], m[1]), (m[2], m[3])) for m in marks_px],
                                      north_image_deg=north_image_deg)
    check = overhead_check(check_id, [float(b) for b in bearings], lon_deg=round(lon_deg, 6),
                           lat_deg=round(lat_deg, 6), date=date, source=source, time_utc=time_utc,
                           marks_px=[[float(v) for v in m] for m in marks_px],
                           north_image_deg=north_image_deg)
    if store is not None:
        record_where_check(store, check, cite_as=cite_as)
    return check
