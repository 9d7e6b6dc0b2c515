"""Corrections to a case's scenes: retire or restore one, change its date or its ground sample
distance, always with a reason.

A scene's original never leaves the hash store and its ingest entry is never rewritten. Each
correction is one row of the append-only ``scene_changes`` table and one ``scene-change``
audit entry (who, what, old and new value, why), written together: if the log cannot be
written the row is rolled back. :func:`sitewatch.catalog.verify.verify_case` replays those
entries over the ingest entries, so a corrected catalog still verifies and an edited one does
not.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sitewatch.catalog import audit
from sitewatch.catalog.journal import damaged_catalog
from sitewatch.catalog.scene import GsdSource, Scene, check_acquisition_date, check_vehicle_fits
from sitewatch.catalog.stac import GSD_RANGE_M
from sitewatch.catalog.store import CaseStore
from sitewatch.errors import CatalogError, ConfigError

#: The audit action of a scene correction.
CHANGE_ACTION = "scene-change"
#: The audit action of a mosaic, which retires its sources (:mod:`sitewatch.catalog.mosaic`).
MOSAIC_RETIRES = "mosaic"
#: Fewest hex digits of a hash accepted to name a scene.
MIN_PREFIX = 6


class SceneField(StrEnum):
    """What a correction may change."""

    DATE = "date"
    GSD_M = "gsd_m"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneChange:
    """One recorded correction; ``old`` and ``new`` are the values as JSON text."""

    seq: int
    scene_sha256: str
    field: SceneField
    old: str
    new: str
    reason: str
    actor: str
    time_utc: str
    audit_seq: int


def find_scene(store: CaseStore, ref: str) -> Scene:
    """The scene named by ``ref``: its file name as ingested, or 6+ leading digits of its hash.

    Raises:
        CatalogError: no scene, or several, answer to ``ref`` (the message lists them).
    """
    scenes = store.scenes(include_retired=True)
    by_name = [s for s in scenes if s.original_name == ref]
    by_hash = ([s for s in scenes if s.sha256.startswith(ref.lower())]
               if len(ref) >= MIN_PREFIX and all(c in "0123456789abcdefABCDEF" for c in ref) else [])
    found = by_name or by_hash
    if len(found) == 1:
        return found[0]
    listing = f"list them with `sitewatch scene list {store.root}`"
    if not found:
        raise CatalogError(f"no scene {ref!r} in case '{store.root}': name it by its file name "
                           f"or the first {MIN_PREFIX}+ digits of its hash; {listing}")
    names = ", ".join(f"{s.original_name} ({s.sha256[:12]}, {s.date})" for s in found[:5])
    raise CatalogError(f"{len(found)} scenes answer to {ref!r} in case '{store.root}' ({names}); "
                       "name one by its hash instead")


def retire_scene(store: CaseStore, ref: str, *, reason: str, actor: str | None = None) -> SceneChange:
    """Take a scene out of every job (detect, track, report, export); its original stays stored.

    Raises:
        CatalogError: no such scene, or it is already retired.
        ConfigError: no reason given.
    """
    scene = find_scene(store, ref)
    if scene.retired:
        raise CatalogError(f"scene {scene.original_name} ({scene.sha256[:12]}) is already retired; "
                           f"bring it back with `sitewatch scene restore {store.root} "
                           f"{scene.sha256[:12]} --reason ...`")
    return _apply(store, scene, SceneField.RETIRED, False, True, reason, actor)


def restore_scene(store: CaseStore, ref: str, *, reason: str, actor: str | None = None) -> SceneChange:
    """Bring a retired scene back into use.

    Raises:
        CatalogError: no such scene, or it is not retired.
        ConfigError: no reason given.
    """
    scene = find_scene(store, ref)
    if not scene.retired:
        raise CatalogError(f"scene {scene.original_name} ({scene.sha256[:12]}) is in use, not "
                           "retired; nothing to restore")
    return _apply(store, scene, SceneField.RETIRED, True, False, reason, actor)


def redate_scene(store: CaseStore, ref: str, date: dt.date, *, reason: str,
                 actor: str | None = None) -> SceneChange:
    """Correct the acquisition date of a scene (detections stay valid: the pixels are the same).

    Raises:
        CatalogError: no such scene, or it already has this date.
        ConfigError: no reason given, or the date is in the future or before 1858.
    """
    check_acquisition_date(date)
    scene = find_scene(store, ref)
    if scene.date == date:
        raise CatalogError(f"scene {scene.original_name} ({scene.sha256[:12]}) is already dated "
                           f"{date.isoformat()}; nothing changed")
    return _apply(store, scene, SceneField.DATE, scene.date.isoformat(), date.isoformat(),
                  reason, actor)


def set_scene_gsd(store: CaseStore, ref: str, gsd_m: float, *, reason: str,
                  actor: str | None = None) -> SceneChange:
    """Correct the ground sample distance of a scene; its detections must then be made again
    (``sitewatch detect`` does so for every scene changed since its last run).

    Raises:
        CatalogError: no such scene, or it already has this GSD.
        ConfigError: no reason given, or the GSD is not plausible, or a car would be larger
            than the image at this GSD.
    """
    low, high = GSD_RANGE_M
    if not (math.isfinite(gsd_m) and low <= gsd_m <= high):
        raise ConfigError(f"--gsd {gsd_m} m is not a plausible ground sample distance "
                          f"({low} m to {high} m)")
    scene = find_scene(store, ref)
    check_vehicle_fits(scene.original_name, scene.width_px, scene.height_px, gsd_m)
    if math.isclose(scene.gsd_m, gsd_m, rel_tol=1e-9):
        raise CatalogError(f"scene {scene.original_name} ({scene.sha256[:12]}) already has a GSD "
                           f"of {gsd_m} m; nothing changed")
    return _apply(store, scene, SceneField.GSD_M, scene.gsd_m, gsd_m, reason, actor)


def scene_changes(store: CaseStore, *, scene_sha256: str | None = None) -> tuple[SceneChange, ...]:
    """Every correction (of one scene, if given), oldest first."""
    query = "SELECT * FROM scene_changes"
    args: tuple[str, ...] = ()
    if scene_sha256 is not None:
        query, args = query + " WHERE scene_sha256 = ?", (scene_sha256,)
    with store._db() as db:
        rows = db.execute(query + " ORDER BY seq", args).fetchall()
    try:
        return tuple(SceneChange(seq=r[0], scene_sha256=r[1], field=SceneField(r[2]), old=r[3],
                                 new=r[4], reason=r[5], actor=r[6], time_utc=r[7], audit_seq=r[8])
                     for r in rows)
    except ValueError as exc:
        raise damaged_catalog(store.layout, f"a scene-change row does not decode ({exc})") from None


def change_log_problems(changes: tuple[SceneChange, ...],
                        entries: tuple[audit.AuditEntry, ...]) -> list[str]:
    """Each row of the scene-change history against the audit entry it names (a correction's
    ``scene-change`` entry, or the mosaic entry that retired its sources), and every correction
    the log holds against a row: the table is append-only through SQL, not on disk."""
    problems = []
    matched: set[int] = set()
    for change in changes:
        entry = entries[change.audit_seq] if 0 <= change.audit_seq < len(entries) else None
        if entry is None or not _change_agrees(change, entry):
            problems.append(f"scene change {change.seq} ({change.field.value} of scene "
                            f"{change.scene_sha256[:12]}) differs from audit entry "
                            f"{change.audit_seq}: the catalog was edited")
        elif entry.action == CHANGE_ACTION:
            matched.add(entry.seq)
    problems += [f"audit entry {e.seq} records a change of scene {str(e.details.get('sha256'))[:12]} "
                 "that the catalog's history no longer holds: the catalog was edited"
                 for e in entries if e.action == CHANGE_ACTION and e.seq not in matched]
    return problems


def _change_agrees(change: SceneChange, entry: audit.AuditEntry) -> bool:
    details = entry.details
    try:
        old, new = json.loads(change.old), json.loads(change.new)
    except ValueError:
        return False
    if details.get("changed_utc", change.time_utc) != change.time_utc:  # logged since issue 24
        return False
    if entry.action == MOSAIC_RETIRES:
        return (change.field is SceneField.RETIRED and (old, new) == (False, True)
                and change.scene_sha256 in details.get("retired", [])
                and change.reason.startswith(str(details.get("reason")))
                and change.actor == entry.actor)
    return (entry.action == CHANGE_ACTION and details.get("sha256") == change.scene_sha256
            and details.get("field") == change.field.value and details.get("old") == old
            and details.get("new") == new and details.get("reason") == change.reason
            and change.actor == entry.actor)


def _apply(store: CaseStore, scene: Scene, field: SceneField, old: Any, new: Any, reason: str,
           actor: str | None) -> SceneChange:
    reason = reason.strip()
    if not reason:
        raise ConfigError("say why with --reason TEXT (e.g. --reason 'duplicate tile of the same "
                          "pass'); it is kept in the audit log")
    time_utc = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    column, value = {
        SceneField.RETIRED: ("retired", int(bool(new))),
        SceneField.DATE: ("date", new),
        SceneField.GSD_M: ("gsd_m", new),
    }[field]
    details = {"sha256": scene.sha256, "name": scene.original_name, "field": field.value,
               "old": old, "new": new, "reason": reason, "changed_utc": time_utc}
    made: list[int] = []

    def rows(db: sqlite3.Connection) -> dict[str, Any]:
        # The row and its audit entry are one crash-safe write (the store's journal).
        db.execute(f"UPDATE scenes SET {column} = ? WHERE sha256 = ?", (value, scene.sha256))
        if field is SceneField.GSD_M:
            db.execute("UPDATE scenes SET gsd_source = ? WHERE sha256 = ?",
                       (GsdSource.USER.value, scene.sha256))
        # The entry this row belongs to is the one after the head (the journal appends it in the
        # same transaction); the rows are append-only, so the seq is predicted, not patched.
        head = db.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
        cursor = db.execute(
            "INSERT INTO scene_changes (scene_sha256, field, old, new, reason, actor, time_utc, "
            "audit_seq) VALUES (?,?,?,?,?,?,?,?)",
            (scene.sha256, field.value, json.dumps(old), json.dumps(new), reason,
             actor or audit.default_actor(), time_utc,
             json.loads(head[0])["seq"] + 1 if head else 0),
        )
        made.append(int(cursor.lastrowid or 0))
        return details

    with store.writing() as write:
        entry = store.commit(write, CHANGE_ACTION, rows, actor=actor)
    return SceneChange(seq=made[0], scene_sha256=scene.sha256, field=field,
                       old=json.dumps(old), new=json.dumps(new), reason=reason, actor=entry.actor,
                       time_utc=time_utc, audit_seq=entry.seq)


def logged_changes(entries: tuple[audit.AuditEntry, ...]) -> dict[str, dict[str, Any]]:
    """The value each audited correction last set, per scene hash and field (for verify)."""
    current: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.action == MOSAIC_RETIRES:  # a mosaic retires its sources in its own entry
            for sha in entry.details.get("retired", []):
                if isinstance(sha, str):
                    current.setdefault(sha, {})[SceneField.RETIRED.value] = True
            continue
        if entry.action != CHANGE_ACTION:
            continue
        details = entry.details
        sha, field = details.get("sha256"), details.get("field")
        if isinstance(sha, str) and field in set(SceneField):
            current.setdefault(sha, {})[str(field)] = details.get("new")
    return current
