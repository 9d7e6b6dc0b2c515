"""Verify a case: every original re-hashed, the audit chain checked, nothing missing or extra."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sitewatch.catalog import audit
from sitewatch.catalog.mosaic import MOSAIC_ACTION
from sitewatch.catalog.records import detections_digest, records_digest
from sitewatch.catalog.reviews import review_log_problems
from sitewatch.catalog.scene import Scene
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import CatalogError, IntegrityError

#: Audit actions that add scenes: an ingest (originals) and a mosaic (a derived scene).
SCENE_ACTIONS = frozenset({"ingest", MOSAIC_ACTION})


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """Outcome of :func:`verify_case`."""

    originals_checked: int
    audit_entries_checked: int
    problems: tuple[str, ...]
    files_checked: int = 0
    #: What verify finished of a write a crash had interrupted (not a problem: it was committed).
    recovered: tuple[str, ...] = ()
    #: Entries logged after the published head given to ``verify --head`` (changes since).
    after_head: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing changed, went missing or appeared."""
        return not self.problems


def verify_case(store: CaseStore, *, head: str | None = None) -> VerifyReport:
    """Re-hash every stored original and derived file, and check the audit chain against the
    catalog and the published ``head`` (an entry hash, or a prefix of at least 12 of its
    hex digits), when given.

    A write a crash interrupted after it committed is first finished (the journal of
    :mod:`sitewatch.catalog.journal`); a case on read-only media is checked as it is.
    """
    problems: list[str] = []
    recovered: tuple[str, ...] = ()
    # Read-only media, or a damaged log: the checks below name what is wrong.
    with contextlib.suppress(OSError, CatalogError):
        recovered = store.recover()
    scenes = store.scenes(include_retired=True)
    expected = {scene.path.resolve(): scene for scene in scenes}
    for path, scene in expected.items():
        if not path.is_file():
            problems.append(f"original '{scene.original_name}' ({scene.sha256[:12]}) is missing")
        elif sha256_file(path) != scene.sha256:
            problems.append(f"original '{scene.original_name}' ({scene.sha256[:12]}) changed")
    objects = store.layout.objects
    for path in sorted(p for p in objects.rglob("*") if p.is_file()):
        if path.resolve() not in expected:
            problems.append(f"unexpected file '{path.relative_to(store.root)}' appeared in objects/")
    try:
        log = audit.read_log(store.audit_path)
    except IntegrityError as exc:
        problems.append(str(exc))
        return VerifyReport(originals_checked=len(scenes), audit_entries_checked=0,
                            problems=tuple(problems), recovered=recovered)
    entries = log.entries
    torn = log.torn_problem(store.audit_path)
    if torn is not None:
        problems.append(torn)
    problems.extend(audit.chain_problems(entries))
    problems.extend(catalog_file_problems(store))
    problems.extend(_journal_problems(store, entries))
    recorded = store.audit_head()
    if recorded is not None and (not entries or entries[-1].hash != recorded["hash"]
                                 or entries[-1].seq != recorded["seq"]):
        problems.append(
            f"audit log ends at entry {len(entries) - 1} but the catalog recorded entry "
            f"{recorded['seq']}: entries were removed or replaced"
        )
    logged = {
        scene["sha256"]
        for entry in entries if entry.action in SCENE_ACTIONS
        for scene in entry.details.get("scenes", [])
        if isinstance(scene, dict) and isinstance(scene.get("sha256"), str)
    }
    for scene in scenes:
        if scene.sha256 not in logged:
            problems.append(f"scene '{scene.original_name}' is in the catalog but was never logged")
    problems.extend(_metadata_problems(store, scenes, entries))
    problems.extend(_change_problems(store, entries))
    for sha in sorted(logged - {scene.sha256 for scene in scenes}):
        problems.append(f"logged original {sha[:12]} is no longer in the catalog")
    problems.extend(review_log_problems(
        [r for scene in scenes for r in store.reviews(scene.sha256)], entries))
    problems.extend(_run_problems(store, entries))
    file_problems, files_checked = _file_problems(store, entries)
    problems.extend(file_problems)
    after_head = 0
    if head is not None:
        problem, after_head = _head_problem(entries, head)
        problems.extend([problem] if problem else [])
    return VerifyReport(
        originals_checked=len(scenes), audit_entries_checked=len(entries),
        problems=tuple(problems), files_checked=files_checked, recovered=recovered,
        after_head=after_head,
    )


def _head_problem(entries: tuple[audit.AuditEntry, ...], head: str) -> tuple[str | None, int]:
    """Whether the published head is an entry of this (valid) chain; entries logged since."""
    wanted = head.strip().lower()
    if len(wanted) < 12 or any(c not in "0123456789abcdef" for c in wanted):
        return (f"--head {head[:70]!r} is not an audit entry hash (64 hex digits, or at least "
                "the first 12); copy it from the report's 'Audit log head'"), 0
    for entry in entries:
        if entry.hash.startswith(wanted):
            return None, len(entries) - 1 - entry.seq
    return (f"the published audit head {wanted[:12]} is not in this case's log: the log was "
            "rewritten since it was published, or this is another case"), 0


def _run_problems(store: CaseStore, entries: tuple[audit.AuditEntry, ...]) -> list[str]:
    """Every (run, scene) the catalog holds detections for against the entry that logged it.

    Each scene's detections are logged with their digest since issue 24; a run logged before
    that is checked for its presence only.
    """
    logged: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    run_rows: dict[str, str | None] = {}
    for entry in entries:
        run_id = entry.details.get("run_id")
        if not isinstance(run_id, str) or "scenes" not in entry.details:
            continue
        row = entry.details.get("run_sha256")
        run_rows[run_id] = row if isinstance(row, str) else run_rows.get(run_id)
        digests, exact = entry.details.get("detections_sha256"), entry.details.get("records_sha256")
        for sha in entry.details.get("scenes", []):
            if isinstance(sha, str):
                logged[(run_id, sha)] = (_text_at(digests, sha), _text_at(exact, sha))
    problems = []
    for run in store.runs():
        if run.run_id not in run_rows:
            problems.append(f"run {run.run_id} is in the catalog but was never logged")
        elif run_rows[run.run_id] not in (None, store.run_row_digest(run.run_id)):
            problems.append(f"run {run.run_id} (its model, parameters or software) differs from "
                            "the digest its audit entry recorded: the catalog was edited")
    for run_id, scene_sha in store.scene_runs():
        if (run_id, scene_sha) not in logged:
            problems.append(f"detections of run {run_id} on scene {scene_sha[:12]} are in the "
                            "catalog but were never logged")
            continue
        digest, exact = logged.pop((run_id, scene_sha))
        stored = store.run_detections(run_id, scene_sha)
        if ((digest is not None and detections_digest(stored) != digest)
                or (exact is not None and records_digest(stored) != exact)):
            problems.append(f"detections of run {run_id} on scene {scene_sha[:12]} differ from "
                            "the digest their audit entry recorded: the catalog was edited")
    problems += [f"logged detections of run {run_id} on scene {sha[:12]} are missing from the "
                 "catalog" for run_id, sha in sorted(logged)]
    return problems


def _text_at(mapping: object, key: str) -> str | None:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) else None


def _journal_problems(store: CaseStore, entries: tuple[audit.AuditEntry, ...]) -> list[str]:
    """The catalog's journal of the last write against the log: after recovery, each line it
    holds is the log's entry of that number (an edited journal is an edited catalog)."""
    from sitewatch.catalog.journal import CaseJournal

    lines, _ = CaseJournal(store.layout).journal()
    problems = []
    for line in lines:
        entry = audit.parse_line(line.encode("utf-8"), 0, store.layout.catalog)
        if entry.seq >= len(entries) or entries[entry.seq].hash != entry.hash:
            problems.append(f"the catalog journals audit entry {entry.seq} ({entry.action}), which "
                            "the log does not hold as journaled: the catalog or the log was edited")
    return problems


def _change_problems(store: CaseStore, entries: tuple[audit.AuditEntry, ...]) -> list[str]:
    """Each row of the scene-change history against the audit entry it names."""
    from sitewatch.catalog.changes import change_log_problems, scene_changes

    return change_log_problems(scene_changes(store), entries)


def catalog_file_problems(store: CaseStore) -> list[str]:
    """The catalog file as SQLite reads it: its integrity check, the columns and triggers of
    every table sitewatch made, and the counters of its append-only tables."""
    from sitewatch.catalog.store import expected_schema

    name = store.layout.catalog.name
    problems = []
    with store._db() as db:
        check = [str(r[0]) for r in db.execute("PRAGMA integrity_check(20)")]
        if check != ["ok"]:
            problems.append(f"catalog '{name}' fails SQLite's integrity check ({'; '.join(check)[:200]}):"
                            " the file was damaged or edited; restore it from a copy of the case")
        problems += [f"catalog '{name}': {p}" for p in expected_schema(db)]
        pages = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
        size = store.layout.catalog.stat().st_size
        if size != pages:
            problems.append(f"catalog '{name}' is {size} bytes but its pages make {pages}: bytes "
                            "were added to or cut from the file")
        has_counters = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone()
        counters = db.execute("SELECT name, seq FROM sqlite_sequence").fetchall() if has_counters else []
        for table, counter in counters:
            if table in ("reviews", "scene_changes"):
                top = db.execute(f'SELECT MAX(seq) FROM "{table}"').fetchone()[0] or 0
                if counter != top:
                    problems.append(f"catalog '{name}': table {table} counted {counter} rows "
                                    f"but its last row is {top}: rows were removed or the file "
                                    "was edited")
    return problems


def _file_problems(store: CaseStore, entries: tuple[audit.AuditEntry, ...]) -> tuple[list[str], int]:
    """Every file inside the case that an entry logged, against the last sha256 logged for it.

    A file written again later has a later entry, which is the one that counts.
    """
    latest: dict[str, tuple[int, str]] = {}
    for entry in entries:
        files = entry.details.get("files")
        if not isinstance(files, list):
            continue
        for logged in files:
            if (isinstance(logged, dict) and isinstance(logged.get("path"), str)
                    and isinstance(logged.get("sha256"), str)):
                latest[logged["path"]] = (entry.seq, logged["sha256"])
    problems = []
    root = store.root.resolve()
    for relative, (seq, digest) in sorted(latest.items()):
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            problems.append(f"audit entry {seq} names '{relative}', outside the case")
        elif not path.is_file():
            problems.append(f"'{relative}' (logged by audit entry {seq}) is missing")
        elif sha256_file(path) != digest:
            problems.append(f"'{relative}' differs from the sha256 audit entry {seq} recorded: "
                            "it was edited after sitewatch wrote it (write it again with the "
                            "command that made it, or restore it)")
    return problems, len(latest)


def _metadata_problems(store: CaseStore, scenes: tuple[Scene, ...],
                       entries: tuple[audit.AuditEntry, ...]) -> list[str]:
    """Each scene's site, date, name and source against the ingest entry that recorded them,
    and its date, GSD and retired state against the audited corrections made since
    (:mod:`sitewatch.catalog.changes`).

    The catalog is a SQLite file anyone can edit; the audit entry is hash-chained. Entries
    written before ``source`` was recorded are compared on what they hold.
    """
    from sitewatch.catalog.changes import logged_changes

    changed = logged_changes(entries)
    recorded: dict[str, tuple[int, dict[str, object]]] = {}
    for entry in entries:
        if entry.action not in SCENE_ACTIONS:
            continue
        for logged in entry.details.get("scenes", []):
            if isinstance(logged, dict) and isinstance(logged.get("sha256"), str):
                fields = {"site": entry.details.get("site"), **logged}
                recorded.setdefault(logged["sha256"], (entry.seq, fields))
    problems: list[str] = []
    for scene in scenes:
        if scene.sha256 not in recorded:
            continue
        seq, logged = recorded[scene.sha256]
        logged = {"retired": False, **logged, **changed.get(scene.sha256, {})}
        now = {"site": scene.site, "date": scene.date.isoformat(), "name": scene.original_name,
               "source": scene.source, "retired": scene.retired, "gsd_m": scene.gsd_m}
        digest = logged.get("row_sha256")
        if isinstance(digest, str) and store.scene_row_digest(scene.sha256) != digest:
            problems.append(f"scene {scene.sha256[:12]}'s catalog row differs from the digest its "
                            f"audit entry {seq} recorded (its licence, georeference, footprint, "
                            "size or another fixed field): the catalog was edited")
        problems.extend(
            f"scene {scene.sha256[:12]} has {key} {value!r} in the catalog but "
            f"{logged[key]!r} in its ingest audit entry {seq}"
            f"{' as corrected by its scene-change entries' if scene.sha256 in changed else ''}: "
            "the catalog was edited"
            for key, value in now.items() if key in logged and logged[key] != value
        )
    return problems
