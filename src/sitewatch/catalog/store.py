"""The case store: a folder holding one investigation (its paths: :mod:`sitewatch.catalog.layout`)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from sitewatch.catalog import audit
from sitewatch.catalog.journal import CaseJournal, CaseWrite, catalog_connection, damaged_catalog
from sitewatch.catalog.layout import CATALOG_NAME, CaseLayout
from sitewatch.catalog.records import (
    DetectionRecord,
    RunRecord,
    detections_digest,
    records_digest,
    row_digest,
)
from sitewatch.catalog.reviews import (
    BULK_ACTION,
    ReviewAction,
    ReviewRecord,
    ReviewStatus,
    bulk_row,
    reviewed_records,
)
from sitewatch.catalog.scene import GsdSource, ImageFormat, Scene
from sitewatch.digest import sha256_file
from sitewatch.errors import CaseNotFoundError, CatalogError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scenes (
    sha256 TEXT PRIMARY KEY, site TEXT NOT NULL, date TEXT NOT NULL, object TEXT NOT NULL,
    original_name TEXT NOT NULL, format TEXT NOT NULL, width_px INTEGER NOT NULL,
    height_px INTEGER NOT NULL, band_count INTEGER NOT NULL, dtype TEXT NOT NULL,
    gsd_m REAL NOT NULL, gsd_source TEXT NOT NULL, crs_wkt TEXT, transform TEXT,
    footprint_lonlat_wkt TEXT, source TEXT NOT NULL, licence TEXT NOT NULL,
    ingested_utc TEXT NOT NULL, retired INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_utc TEXT NOT NULL,
    model_name TEXT NOT NULL, model_sha256 TEXT NOT NULL, params TEXT NOT NULL,
    software TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS detections (
    run_id TEXT NOT NULL REFERENCES runs(run_id), scene_sha256 TEXT NOT NULL
    REFERENCES scenes(sha256), label TEXT NOT NULL, score REAL NOT NULL, cx_px REAL NOT NULL,
    cy_px REAL NOT NULL, width_px REAL NOT NULL, height_px REAL NOT NULL,
    angle_rad REAL NOT NULL, lon_deg REAL, lat_deg REAL);
CREATE TABLE IF NOT EXISTS scene_runs (
    scene_sha256 TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (scene_sha256, run_id));
"""

#: Analyst reviews: one row per decision, never updated or deleted (the triggers refuse it).
_REVIEW_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scene_sha256 TEXT NOT NULL, run_id TEXT NOT NULL,
    detection_id TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, label TEXT NOT NULL,
    cx_px REAL NOT NULL, cy_px REAL NOT NULL, width_px REAL NOT NULL, height_px REAL NOT NULL,
    angle_rad REAL NOT NULL, loaded INTEGER NOT NULL, reviewer TEXT NOT NULL,
    time_utc TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews
    BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews
    BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
"""
#: Corrections of a scene's metadata (``sitewatch scene``): one row per change, never updated or
#: deleted. The scenes table holds the current values; this table and the audit log the history.
_CHANGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS scene_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, scene_sha256 TEXT NOT NULL REFERENCES scenes(sha256),
    field TEXT NOT NULL, old TEXT NOT NULL, new TEXT NOT NULL, reason TEXT NOT NULL,
    actor TEXT NOT NULL, time_utc TEXT NOT NULL, audit_seq INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS scene_changes_no_update BEFORE UPDATE ON scene_changes
    BEGIN SELECT RAISE(ABORT, 'scene changes are append-only'); END;
CREATE TRIGGER IF NOT EXISTS scene_changes_no_delete BEFORE DELETE ON scene_changes
    BEGIN SELECT RAISE(ABORT, 'scene changes are append-only'); END;
"""
_SCENE_COLUMNS = ("sha256, site, date, object, original_name, format, width_px, height_px, "
                  "band_count, dtype, gsd_m, gsd_source, crs_wkt, transform, "
                  "footprint_lonlat_wkt, source, licence, ingested_utc")
_REVIEW_COLUMNS = ("scene_sha256, run_id, detection_id, action, status, label, cx_px, cy_px, "
                   "width_px, height_px, angle_rad, loaded, reviewer, time_utc")


#: Scene columns no audited correction changes (``scene retire/restore/redate/set-gsd`` change
#: ``retired``, ``date``, ``gsd_m`` and ``gsd_source``) and the entry that added the scene does
#: not hold one by one (as it does site, name and source): it records their digest, and
#: ``verify`` compares (issue 24: an edited licence or footprint passed).
FIXED_SCENE_COLUMNS = ("sha256", "object", "format", "width_px", "height_px", "band_count", "dtype",
                       "crs_wkt", "transform", "footprint_lonlat_wkt", "licence", "ingested_utc")


class CaseStore:
    """Access to one case folder. Opening does not change it; every change is audited."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.layout = CaseLayout(root)

    @classmethod
    def init(cls, root: Path) -> CaseStore:
        """Create a new, empty case at ``root`` (an absent or empty folder).

        Raises:
            CatalogError: ``root`` is a non-empty folder or a file.
        """
        layout = CaseLayout(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            if layout.catalog.exists():
                raise CatalogError(f"'{root}' is already a sitewatch case; ingest into it")
            raise CatalogError(f"cannot create a case in '{root}': not an empty folder")
        layout.objects.mkdir(parents=True, exist_ok=True)
        layout.derived.mkdir(exist_ok=True)
        store = cls(root)
        with store._db() as db:
            db.executescript(_SCHEMA + _CHANGE_SCHEMA)
        store.append_audit("case-init", {"root_name": root.name})
        return store

    @classmethod
    def open(cls, root: Path) -> CaseStore:
        """Open an existing case, bringing a catalog written by an older sitewatch up to date.

        The upgrade only adds what later versions keep (the ``retired`` column, the
        ``scene_changes`` table); no stored value changes.

        Raises:
            CaseNotFoundError: ``root`` is not a sitewatch case folder (or does not exist).
        """
        if not CaseLayout(root).catalog.is_file():
            if not root.exists():
                raise CaseNotFoundError(
                    f"no case at '{root}' (not a sitewatch case: no such folder); check the "
                    f"name, or create one with: sitewatch case init {root}"
                )
            raise CaseNotFoundError(
                f"'{root}' is not a sitewatch case (no {CATALOG_NAME}); "
                f"create one with: sitewatch case init {root}"
            )
        store = cls(root)
        store._migrate()
        return store

    def _migrate(self) -> None:
        with self._db() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(scenes)")}
            if "retired" not in columns:
                db.execute("ALTER TABLE scenes ADD COLUMN retired INTEGER NOT NULL DEFAULT 0")
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'scene_changes'").fetchone() is None:
                db.executescript(_CHANGE_SCHEMA)

    @property
    def audit_path(self) -> Path:
        """The hash-chained log."""
        return self.layout.audit

    @property
    def derived_dir(self) -> Path:
        """Folder for reports and exports."""
        path = self.layout.derived
        path.mkdir(exist_ok=True)
        return path

    def attach(self, kind: str, source: Path) -> Path:
        """Copy an analyst file (zones, alerts, sightings, boundary) into the case and log it.

        A later file of the same kind replaces the earlier one; the log keeps both hashes.
        The copy, its log entry and the removal of the earlier file are one crash-safe write.
        """
        import shutil

        target = self.layout.attachment(kind, source.suffix)
        with self.writing() as write:
            staged = write.stage(target)
            shutil.copyfile(source, staged)
            digest = sha256_file(staged)

            def rows(db: sqlite3.Connection) -> dict[str, Any]:
                return {"kind": kind, "name": source.name, "sha256": digest,
                        "files": [{**self.file_label(target), "sha256": digest}]}

            self.commit(write, "attach", rows)
            for old in self.layout.config.glob(f"{kind}.*"):
                if old != target:
                    old.unlink()
        return target

    def attached(self, kind: str) -> Path | None:
        """The analyst file of this kind attached to the case, if any."""
        found = sorted(self.layout.config.glob(f"{kind}.*"))
        return found[0] if found else None

    def object_path(self, sha256: str, suffix: str) -> Path:
        """Where an original with this hash is stored."""
        return self.layout.object(sha256, suffix)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return catalog_connection(self.layout)

    @contextmanager
    def writing(self) -> Iterator[CaseWrite]:
        """Hold the case's write lock, finish any interrupted write, and yield a new write.

        Stage files with :meth:`CaseWrite.stage` and make it true with :meth:`commit`; a write
        left uncommitted (an exception, a kill) leaves the case as it was.
        """
        journal = CaseJournal(self.layout)
        with journal.locked():
            journal.recover()
            write = CaseWrite(layout=self.layout)
            try:
                yield write
            finally:
                for staged in write.moves.values():  # never committed
                    if staged.exists():
                        staged.chmod(0o600)
                        staged.unlink()

    def commit(
        self, write: CaseWrite, action: str,
        rows: Callable[[sqlite3.Connection], dict[str, Any]], *, actor: str | None = None,
    ) -> audit.AuditEntry:
        """Commit ``write``: catalog rows (``rows`` writes them and returns the audit details),
        staged files, the audit entry and the head, all or nothing (see :mod:`.journal`).

        ``actor`` names who acted; by default :func:`~sitewatch.catalog.audit.default_actor`.
        """
        return CaseJournal(self.layout).commit(write, action, rows, actor=actor)

    def recover(self) -> tuple[str, ...]:
        """Finish a write a crash interrupted (under the lock); what was finished, one line each."""
        journal = CaseJournal(self.layout)
        with journal.locked():
            return tuple(journal.recover())

    def append_audit(
        self, action: str, details: dict[str, Any], *, actor: str | None = None
    ) -> audit.AuditEntry:
        """Record an action in the audit log and the chain's head in the catalog, crash-safely.

        ``actor`` names who acted (the analyst's name in a review); by default
        ``$SITEWATCH_ACTOR`` or "analyst", never the OS login.
        """
        with self.writing() as write:
            return self.commit(write, action, lambda db: details, actor=actor)

    def write_files(
        self, action: str, writers: Mapping[Path, Callable[[Path], object]],
        details: dict[str, Any], *, actor: str | None = None,
    ) -> tuple[audit.AuditEntry, dict[Path, object]]:
        """Write derived files and log them with their sha256, as one crash-safe write.

        Each writer is called with the staged path to write its target's content to; what it
        returns comes back by target. The entry's ``files`` lists each file: its path relative
        to the case when inside it (``verify`` re-hashes those), else only its name (no local
        path leaks into the log).
        """
        returned: dict[Path, object] = {}
        with self.writing() as write:
            files = []
            for target, writer in writers.items():
                staged = write.stage(target)
                returned[target] = writer(staged)
                files.append({**self.file_label(target), "sha256": sha256_file(staged)})
            entry = self.commit(write, action, lambda db: {**details, "files": files},
                                actor=actor)
        return entry, returned

    def file_label(self, path: Path) -> dict[str, Any]:
        """How the audit log names a file: ``{"path": relative}`` inside the case, else
        ``{"name": name, "outside_case": True}``."""
        try:
            relative = path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return {"name": path.name, "outside_case": True}
        return {"path": relative.as_posix()}

    def audit_head(self) -> dict[str, Any] | None:
        """The last audit entry the catalog knows of, as {seq, hash}."""
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
        if row is None:
            return None
        try:
            head = json.loads(row[0])
            if not (isinstance(head, dict) and isinstance(head.get("hash"), str)
                    and isinstance(head.get("seq"), int)):
                raise ValueError("not {seq, hash}")
        except (ValueError, TypeError, RecursionError) as exc:
            raise damaged_catalog(self.layout, f"its audit head does not decode ({str(exc)[:60]})") from None
        return head

    def scene_row_digest(self, sha256: str, db: sqlite3.Connection | None = None) -> str | None:
        """Digest of a scene's :data:`FIXED_SCENE_COLUMNS` as stored (``None``: no such row);
        inside ``db``'s transaction when given."""
        query = f"SELECT {', '.join(FIXED_SCENE_COLUMNS)} FROM scenes WHERE sha256 = ?"
        return self._row_digest(query, sha256, db)

    def run_row_digest(self, run_id: str, db: sqlite3.Connection | None = None) -> str | None:
        """Digest of a run's row as stored (``None``: no such run)."""
        query = ("SELECT run_id, kind, created_utc, model_name, model_sha256, params, software "
                 "FROM runs WHERE run_id = ?")
        return self._row_digest(query, run_id, db)

    def _row_digest(self, query: str, key: str, db: sqlite3.Connection | None) -> str | None:
        if db is None:
            with self._db() as own:
                row = own.execute(query, (key,)).fetchone()
        else:
            row = db.execute(query, (key,)).fetchone()
        return None if row is None else row_digest(row)

    def has_scene(self, sha256: str) -> bool:
        """Whether these bytes are already in the case."""
        with self._db() as db:
            return db.execute("SELECT 1 FROM scenes WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def add_scenes(self, scenes: Sequence[Scene], db: sqlite3.Connection) -> list[Scene]:
        """Insert scenes whose originals are staged, inside ``db``'s transaction; returns the
        scenes that were new (another writer may have added the same bytes meanwhile)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        added = []
        for s in scenes:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO scenes ({_SCENE_COLUMNS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (s.sha256, s.site, s.date.isoformat(), str(s.path.relative_to(self.root)),
                 s.original_name, s.image_format.value, s.width_px, s.height_px, s.band_count,
                 s.dtype, s.gsd_m, s.gsd_source.value, s.crs_wkt,
                 json.dumps(s.transform) if s.transform else None, s.footprint_lonlat_wkt,
                 s.source, s.licence, now),
            )
            if cursor.rowcount:
                added.append(s)
        return added

    def scenes(self, *, site: str | None = None, include_retired: bool = False) -> tuple[Scene, ...]:
        """Stored scenes ordered by site, date and hash.

        Retired scenes (``sitewatch scene retire``) are left out unless ``include_retired``:
        every job works on the scenes in use; verification and ``scene list`` see them all.
        """
        with self._db() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM scenes ORDER BY site, date, sha256").fetchall()
        found = (self._scene(row) for row in rows)
        return tuple(s for s in found
                     if (site is None or s.site == site) and (include_retired or not s.retired))

    def _scene(self, row: sqlite3.Row) -> Scene:
        try:
            return self._decode_scene(row)
        except (ValueError, TypeError, KeyError, IndexError, CatalogError) as exc:
            name = str(row["sha256"])[:12] if "sha256" in row.keys() else "?"  # noqa: SIM118
            raise damaged_catalog(self.layout, f"scene row {name!r} does not decode "
                                  f"({str(exc)[:80]})") from None

    def _decode_scene(self, row: sqlite3.Row) -> Scene:
        return Scene(
            sha256=row["sha256"], site=row["site"], date=dt.date.fromisoformat(row["date"]),
            path=self.root / row["object"], original_name=row["original_name"],
            image_format=ImageFormat(row["format"]), width_px=row["width_px"],
            height_px=row["height_px"], band_count=row["band_count"], dtype=row["dtype"],
            gsd_m=row["gsd_m"], gsd_source=GsdSource(row["gsd_source"]), crs_wkt=row["crs_wkt"],
            transform=tuple(json.loads(row["transform"])) if row["transform"] else None,
            footprint_lonlat_wkt=row["footprint_lonlat_wkt"], source=row["source"],
            licence=row["licence"],
            retired=bool(row["retired"]) if "retired" in row.keys() else False,  # noqa: SIM118
        )

    def save_run(
        self, run: RunRecord, detections: Mapping[str, Sequence[DetectionRecord]]
    ) -> audit.AuditEntry:
        """Store a detection run, its detections per scene hash and its audit entry, as one
        crash-safe write."""
        def rows(db: sqlite3.Connection) -> dict[str, Any]:
            db.execute(
                "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?)",
                (run.run_id, run.kind, run.created_utc, run.model_name, run.model_sha256,
                 json.dumps(run.params, sort_keys=True), json.dumps(run.software, sort_keys=True)),
            )
            for scene_sha, records in detections.items():
                db.execute("INSERT INTO scene_runs VALUES (?, ?)", (scene_sha, run.run_id))
                db.executemany(
                    "INSERT INTO detections VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(run.run_id, scene_sha, r.label, r.score, r.cx_px, r.cy_px, r.width_px,
                      r.height_px, r.angle_rad, r.lon_deg, r.lat_deg) for r in records],
                )
            return {"run_id": run.run_id, "model_sha256": run.model_sha256,
                    "run_sha256": self.run_row_digest(run.run_id, db),
                    "scenes": sorted(detections),
                    "detections": sum(len(r) for r in detections.values()),
                    "detections_sha256": {sha: detections_digest(records)
                                          for sha, records in sorted(detections.items())},
                    "records_sha256": {sha: records_digest(records)
                                       for sha, records in sorted(detections.items())}}

        with self.writing() as write:
            return self.commit(write, "detect" if run.kind == "detect" else run.kind, rows)

    def save_scene_detections(
        self, run: RunRecord, scene_sha256: str, records: Sequence[DetectionRecord]
    ) -> audit.AuditEntry:
        """Store one scene's detections of ``run`` with their audit entry, as one crash-safe
        write: a detect killed later keeps every scene finished before (issue 24)."""
        return self.save_run(run, {scene_sha256: records})

    def scene_runs(self) -> tuple[tuple[str, str], ...]:
        """Every (run id, scene hash) the catalog holds detections for."""
        with self._db() as db:
            rows = db.execute("SELECT run_id, scene_sha256 FROM scene_runs "
                              "ORDER BY run_id, scene_sha256").fetchall()
        return tuple((r[0], r[1]) for r in rows)

    def run_detections(self, run_id: str, scene_sha256: str) -> tuple[DetectionRecord, ...]:
        """The detections one run stored for one scene (reviews not applied)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT label, score, cx_px, cy_px, width_px, height_px, angle_rad, lon_deg, "
                "lat_deg FROM detections WHERE run_id = ? AND scene_sha256 = ? ORDER BY rowid",
                (run_id, scene_sha256),
            ).fetchall()
        return tuple(
            DetectionRecord(label=r[0], score=r[1], cx_px=r[2], cy_px=r[3], width_px=r[4],
                            height_px=r[5], angle_rad=r[6], lon_deg=r[7], lat_deg=r[8])
            for r in rows
        )

    def runs(self) -> tuple[RunRecord, ...]:
        """Every stored run, oldest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created_utc, run_id").fetchall()
        try:
            return tuple(
                RunRecord(run_id=r[0], kind=r[1], created_utc=r[2], model_name=r[3],
                          model_sha256=r[4], params=json.loads(r[5]), software=json.loads(r[6]))
                for r in rows
            )
        except (ValueError, TypeError, RecursionError) as exc:
            raise damaged_catalog(self.layout, f"a run row does not decode ({str(exc)[:80]})") from None

    def latest_run_id(self, scene_sha256: str) -> str | None:
        """The newest detection run that covered this scene."""
        with self._db() as db:
            row = db.execute(
                "SELECT r.run_id FROM scene_runs s JOIN runs r ON r.run_id = s.run_id "
                "WHERE s.scene_sha256 = ? ORDER BY r.created_utc DESC, r.rowid DESC LIMIT 1",
                (scene_sha256,),
            ).fetchone()
        return row[0] if row else None

    def detections(self, scene_sha256: str) -> tuple[DetectionRecord, ...]:
        """The detections of the newest run on this scene (empty if never detected)."""
        run_id = self.latest_run_id(scene_sha256)
        return () if run_id is None else self.run_detections(run_id, scene_sha256)

    def append_review(self, review: ReviewRecord) -> ReviewRecord:
        """Store one review decision as a new row and log it, under the reviewer's name.

        The row and its audit entry are one crash-safe write. Returns the record with its
        sequence number.
        """
        with self._db() as db:
            db.executescript(_REVIEW_SCHEMA)
        stored: list[ReviewRecord] = []

        def rows(db: sqlite3.Connection) -> dict[str, Any]:
            r = review
            cursor = db.execute(
                f"INSERT INTO reviews ({_REVIEW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (r.scene_sha256, r.run_id, r.detection_id, r.action.value, r.status.value, r.label,
                 r.cx_px, r.cy_px, r.width_px, r.height_px, r.angle_rad, int(r.loaded),
                 r.reviewer, r.time_utc),
            )
            stored.append(replace(review, seq=int(cursor.lastrowid or 0)))
            return {k: v for k, v in asdict(stored[0]).items() if k not in ("reviewer", "time_utc")}

        with self.writing() as write:
            self.commit(write, "review", rows, actor=review.reviewer)
        return stored[0]

    def append_reviews(
        self, reviews: Sequence[ReviewRecord], *, selection: Mapping[str, Any],
    ) -> tuple[ReviewRecord, ...]:
        """Store one bulk decision: many rows, one audit entry (``review-bulk``), all or nothing.

        Every record must be of one scene, run, action and reviewer. The entry carries
        ``selection`` (what the analyst chose, e.g. a label and score band) and each row's full
        state, so that ``verify`` compares the rows with it as it does single decisions.
        Returns the records with their sequence numbers.

        Raises:
            CatalogError: no records, or records of more than one scene, run, action or reviewer.
        """
        if not reviews:
            raise CatalogError("a bulk review needs at least one decision")
        common = {(r.scene_sha256, r.run_id, r.action, r.reviewer) for r in reviews}
        if len(common) != 1:
            raise CatalogError("a bulk review is one action by one reviewer on one scene's run")
        ((scene_sha256, run_id, action, reviewer),) = common
        with self._db() as db:
            db.executescript(_REVIEW_SCHEMA)
        stored: list[ReviewRecord] = []

        def rows(db: sqlite3.Connection) -> dict[str, Any]:
            stored.clear()
            for r in reviews:
                cursor = db.execute(
                    f"INSERT INTO reviews ({_REVIEW_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (r.scene_sha256, r.run_id, r.detection_id, r.action.value, r.status.value,
                     r.label, r.cx_px, r.cy_px, r.width_px, r.height_px, r.angle_rad,
                     int(r.loaded), r.reviewer, r.time_utc),
                )
                stored.append(replace(r, seq=int(cursor.lastrowid or 0)))
            return {"scene_sha256": scene_sha256, "run_id": run_id, "action": action.value,
                    "selection": dict(selection), "count": len(stored),
                    "reviews": [bulk_row(r) for r in stored]}

        with self.writing() as write:
            self.commit(write, BULK_ACTION, rows, actor=reviewer)
        return tuple(stored)

    def reviews(self, scene_sha256: str, *, run_id: str | None = None) -> tuple[ReviewRecord, ...]:
        """Every review decision on this scene (of one run, if given), oldest first."""
        with self._db() as db:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'reviews'").fetchone() is None:
                return ()
            query = f"SELECT seq, {_REVIEW_COLUMNS} FROM reviews WHERE scene_sha256 = ?"
            args: tuple[str, ...] = (scene_sha256,)
            if run_id is not None:
                query, args = query + " AND run_id = ?", (scene_sha256, run_id)
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        try:
            return self._decode_reviews(rows)
        except (ValueError, TypeError, IndexError) as exc:
            raise damaged_catalog(self.layout, f"a review row does not decode ({str(exc)[:80]})") from None

    @staticmethod
    def _decode_reviews(rows: Sequence[Any]) -> tuple[ReviewRecord, ...]:
        return tuple(
            ReviewRecord(seq=r[0], scene_sha256=r[1], run_id=r[2], detection_id=r[3],
                         action=ReviewAction(r[4]), status=ReviewStatus(r[5]), label=r[6],
                         cx_px=r[7], cy_px=r[8], width_px=r[9], height_px=r[10], angle_rad=r[11],
                         loaded=bool(r[12]), reviewer=r[13], time_utc=r[14])
            for r in rows
        )

    def reviewed_detections(self, scene_sha256: str) -> tuple[DetectionRecord, ...]:
        """The newest run's detections on this scene with the analyst's reviews applied."""
        run_id = self.latest_run_id(scene_sha256)
        if run_id is None:
            return ()
        return reviewed_records(self.detections(scene_sha256),
                                self.reviews(scene_sha256, run_id=run_id))


#: Objects a catalog holds only once the first review was made.
_LATER_OBJECTS = frozenset({("table", "reviews"), ("trigger", "reviews_no_update"),
                            ("trigger", "reviews_no_delete")})


def _schema_of(db: sqlite3.Connection) -> dict[tuple[str, str], object]:
    """Each table by its columns, each trigger and index by its SQL (spaces collapsed)."""
    found: dict[tuple[str, str], object] = {}
    for kind, name, table, sql in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"):
        shape: object = " ".join(str(sql).split()) if sql else table
        if kind == "table":
            shape = tuple(db.execute(f'PRAGMA table_info("{name}")').fetchall())
        found[(str(kind), str(name))] = shape
    return found


def expected_schema(db: sqlite3.Connection) -> list[str]:
    """How the catalog's tables, triggers and indexes differ from those sitewatch makes: an
    edited type, a dropped append-only trigger, an added object (empty when they agree)."""
    reference = sqlite3.connect(":memory:")
    try:
        reference.executescript(_SCHEMA + _CHANGE_SCHEMA + _REVIEW_SCHEMA)
        want = _schema_of(reference)
    finally:
        reference.close()
    have = _schema_of(db)
    problems = [f"{kind} {name!r} is not one sitewatch makes"
                for kind, name in sorted(have.keys() - want.keys())]
    problems += [f"{kind} {name!r} is not as sitewatch made it"
                 for kind, name in sorted(have.keys() & want.keys())
                 if have[(kind, name)] != want[(kind, name)]]
    problems += [f"{kind} {name!r} is missing" for kind, name in sorted(want.keys() - have.keys())
                 if (kind, name) not in _LATER_OBJECTS]
    return problems


def run_record_as_dict(run: RunRecord) -> dict[str, Any]:
    """A run as plain JSON-ready data (for provenance)."""
    return asdict(run)
