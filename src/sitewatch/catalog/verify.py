"""Verify a case: every original re-hashed, the audit chain checked, nothing missing or extra."""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.catalog import audit
from sitewatch.catalog.reviews import review_log_problems
from sitewatch.catalog.scene import Scene
from sitewatch.catalog.store import CaseStore
from sitewatch.digest import sha256_file
from sitewatch.errors import IntegrityError


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """Outcome of :func:`verify_case`."""

    originals_checked: int
    audit_entries_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing changed, went missing or appeared."""
        return not self.problems


def verify_case(store: CaseStore) -> VerifyReport:
    """Re-hash every stored original and check the audit chain against the catalog."""
    problems: list[str] = []
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
                            problems=tuple(problems))
    entries = log.entries
    torn = log.torn_problem(store.audit_path)
    if torn is not None:
        problems.append(torn)
    problems.extend(audit.chain_problems(entries))
    head = store.audit_head()
    if head is not None and (not entries or entries[-1].hash != head["hash"]):
        problems.append(
            f"audit log ends at entry {len(entries) - 1} but the catalog recorded entry "
            f"{head['seq']}: entries were removed or replaced"
        )
    logged = {
        scene["sha256"]
        for entry in entries if entry.action == "ingest"
        for scene in entry.details.get("scenes", [])
        if isinstance(scene, dict) and isinstance(scene.get("sha256"), str)
    }
    for scene in scenes:
        if scene.sha256 not in logged:
            problems.append(f"scene '{scene.original_name}' is in the catalog but was never logged")
    problems.extend(_metadata_problems(scenes, entries))
    for sha in sorted(logged - {scene.sha256 for scene in scenes}):
        problems.append(f"logged original {sha[:12]} is no longer in the catalog")
    problems.extend(review_log_problems(
        [r for scene in scenes for r in store.reviews(scene.sha256)], entries))
    return VerifyReport(
        originals_checked=len(scenes), audit_entries_checked=len(entries),
        problems=tuple(problems),
    )


def _metadata_problems(scenes: tuple[Scene, ...], entries: tuple[audit.AuditEntry, ...]) -> list[str]:
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
        if entry.action != "ingest":
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
        problems.extend(
            f"scene {scene.sha256[:12]} has {key} {value!r} in the catalog but "
            f"{logged[key]!r} in its ingest audit entry {seq}"
            f"{' as corrected by its scene-change entries' if scene.sha256 in changed else ''}: "
            "the catalog was edited"
            for key, value in now.items() if key in logged and logged[key] != value
        )
    return problems
