"""Tamper benchmark: tamper with a finished case every way :mod:`.tampering` knows, then run
``verify`` and ``replay`` as a user would, and look for local paths in what is published.

:func:`build_case` makes a real case with the sample data (``run_demo``: ingest, attachments,
assessment, detect, report), then, through the ``sitewatch`` commands: a ground photo compared
with a gallery (``compare --out`` with a panel) and attached, the report with its PDF, every
export format plus events, links and counts written into ``derived/exports/``, a scene redated
(an audited correction), and the report and exports written again (so each has an older
version to put back). It is built under a folder with a distinctive name, for
:func:`~sitewatch.case.leaks.find_leaks`.

:func:`run_tamper_benchmark` applies each tampering to a fresh copy of that case and runs
``verify`` then ``replay`` (each the real CLI entry, forked as the fuzz benchmark does;
``replay`` after every tampering of the :data:`REPLAY_ALWAYS` families, after the others only
when ``verify`` passed; after a catalog flip that ``verify`` passed and that left every row,
the schema and the integrity check as they were, not at all: it would read the same rows).
Outcomes: *caught* (either command exits non-zero, without a traceback), *repaired* (both pass
and the case is byte for byte the one built: ``verify`` finished the journaled write the
tampering undid), *unchanged content* (a catalog flip after which both pass and every row,
the schema and SQLite's integrity check read as before: the flip hit bytes that hold nothing),
or *missed*. Any traceback, any exit code other than 0, 1 or 2, or a command killed after
:data:`~sitewatch.case.fuzzing.KILL_AFTER_S` is a crash.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sitewatch.case.fuzzing import Entry, run_command, snapshot
from sitewatch.case.leaks import find_leaks, leak_markers
from sitewatch.case.tampering import CaseFiles, Tamper, page_kinds, tampers

#: Parent folder of the built case: distinctive, so that any absolute path is found.
BUILD_FOLDER = "sitewatch-leak-probe-Zq7Kx3"
#: Export formats written into the case (``sitewatch export --format``), with their file names.
EXPORTS = (("geojson", "detections.geojson"), ("kml", "detections.kml"), ("kmz", "detections.kmz"),
           ("csv", "detections.csv"), ("coco", "coco.json"), ("gpkg", "case.gpkg"),
           ("counts-csv", "counts.csv"), ("counts-geojson", "counts.geojson"))

#: Families after which ``replay`` runs even when ``verify`` caught the tampering (to see it
#: does not crash either); after a derived or attached file edit or a catalog flip, ``replay``
#: runs only when ``verify`` passed (it recomputes every detection: 10 s a case on 2 cores).
REPLAY_ALWAYS = frozenset({"catalog row", "manifest", "audit log", "stored original", "catalog file"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TamperRecord:
    """What ``verify`` and ``replay`` made of one tampering."""

    name: str
    family: str
    outcome: str  # caught, repaired, unchanged content, missed, not applied (the edit failed)
    crash: bool
    verify_exit: int
    replay_exit: int
    verify_said: str
    replay_said: str
    region: str = ""


@dataclass(slots=True, kw_only=True)
class TamperSummary:
    """Counts over every tampering; ``missed`` and ``crashes`` name each one."""

    cases: int = 0
    caught: int = 0
    repaired: int = 0
    unchanged_content: int = 0
    missed: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    artefacts_scanned: list[str] = field(default_factory=list)
    flips_by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    records: list[TamperRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every tampering was caught (or left no trace), nothing crashed, and no
        published file names the machine."""
        return not (self.missed or self.crashes or self.leaks or self.not_applied)

    def add(self, record: TamperRecord) -> None:
        """Count one tampering's record."""
        self.records.append(record)
        self.cases += 1
        self.caught += record.outcome == "caught"
        self.repaired += record.outcome == "repaired"
        self.unchanged_content += record.outcome == "unchanged content"
        if record.outcome == "not applied":
            self.not_applied.append(f"{record.name}: {record.verify_said}")
        if record.outcome == "missed":
            self.missed.append(f"{record.name}: verify said {record.verify_said!r}, replay said "
                               f"{record.replay_said!r}")
        if record.crash:
            self.crashes.append(f"{record.name}: verify exit {record.verify_exit} "
                                f"{record.verify_said!r}, replay exit {record.replay_exit} "
                                f"{record.replay_said!r}")
        if record.region:
            counts = self.flips_by_region.setdefault(record.region, {})
            counts[record.outcome] = counts.get(record.outcome, 0) + 1

    def to_json(self, *, records: bool = True) -> dict[str, object]:
        """The summary as the benchmark writes it."""
        data = asdict(self)
        data["families"] = dict(Counter(r.family for r in self.records))
        if not records:
            del data["records"]
        return {**data, "missed_count": len(self.missed), "crash_count": len(self.crashes),
                "ok": self.ok}


def _run(entry: Entry, argv: list[str], log: Path) -> tuple[int, str, bool]:
    """``(exit code, last line, crashed)`` of one command."""
    ran = run_command(entry, argv, log)
    text = log.read_text(encoding="utf-8", errors="replace")
    crashed = "Traceback (most recent call last)" in text or ran.killed or ran.code not in (0, 1, 2)
    return ran.code, (text.strip().splitlines() or [""])[-1][-300:], crashed


def _must(entry: Entry, argv: list[str], log: Path) -> None:
    code, last, crashed = _run(entry, argv, log)
    if code != 0 or crashed:
        raise RuntimeError(f"building the tamper case: `sitewatch {' '.join(argv[:2])}` exited "
                           f"{code}: {last}")


def _publish(entry: Entry, case: Path, log: Path) -> None:
    """The report with its PDF, every export, events, links and counts."""
    exports = case / "derived" / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    _must(entry, ["report", str(case), "--pdf", "-q"], log)
    for export_format, name in EXPORTS:
        _must(entry, ["export", str(case), "--format", export_format, "--out", str(exports / name)], log)
    _must(entry, ["events", str(case), "--out", str(exports / "events.csv")], log)
    _must(entry, ["track", str(case), "--counts", str(exports / "track-counts.csv")], log)
    _must(entry, ["link", str(case), str(case / "config" / "sightings.csv"), "--boundary",
                  str(case / "config" / "boundary.geojson"), "--out", str(exports / "links.csv")], log)


def build_case(folder: Path, entry: Entry, *, full: bool = True) -> tuple[Path, CaseFiles, dict[str, Path]]:
    """Build the benchmark's case in ``folder`` (absent or empty; see the module docstring);
    ``full=False`` stops after the demo and one scene correction (the fast subset of the tests).

    Returns the case, what :mod:`.tampering` may edit, and the files meant for publishing or
    sharing (name → path) for the leak check.
    """
    from sitewatch.case.crash import make_images

    folder.mkdir(parents=True, exist_ok=True)
    case, log, share = folder / "case", folder / "build.log", folder / "share"
    _must(entry, ["demo", "--out", str(case)], log)
    if full:
        gallery = make_images(folder / "photos" / "gallery", seed=1, count=2)
        query = make_images(folder / "photos" / "query", seed=2, count=1)
        _must(entry, ["compare", str(query[0]), "--gallery", f"ref={gallery[0].parent}", "--out",
                      str(share / "compare.json"), "--panel", str(share / "panels"), "-q"], log)
        _must(entry, ["attach", str(case), "--comparison", str(share / "compare.json")], log)
        _publish(entry, case, log)
    older = folder / "older"
    shutil.copytree(case / "derived", older / "derived")
    shutil.copyfile(case / "audit.jsonl", older / "audit.jsonl")
    shutil.copyfile(case / "catalog.sqlite", older / "catalog.sqlite")
    first = _first_scene_name(case)
    _must(entry, ["scene", "redate", str(case), first, "2014-07-21", "--reason",
                  "date read again from the provider's metadata"], log)
    if full:
        _publish(entry, case, log)
    else:
        _must(entry, ["report", str(case), "-q"], log)
    derived = tuple(sorted(p.relative_to(case).as_posix() for p in (case / "derived").rglob("*")
                           if p.is_file() and p.name != "tracks.json"))
    attached = (*sorted(p.relative_to(case).as_posix() for p in (case / "config").rglob("*")
                        if p.is_file()), "assessment.toml")
    versions = tuple((relative, older / relative) for relative in derived
                     if (older / relative).is_file()
                     and (older / relative).read_bytes() != (case / relative).read_bytes())
    files = CaseFiles(derived=derived, attached=attached, older=versions,
                      older_audit=older / "audit.jsonl", older_catalog=older / "catalog.sqlite")
    published = {relative: case / relative for relative in derived}
    published |= {f"share/{p.relative_to(share).as_posix()}": p
                  for p in sorted(share.rglob("*")) if p.is_file()}
    published |= {relative: case / relative for relative in attached if "comparison" in relative}
    published["audit.jsonl"] = case / "audit.jsonl"
    return case, files, published


def _first_scene_name(case: Path) -> str:
    with closing(sqlite3.connect(case / "catalog.sqlite")) as db:
        return str(db.execute("SELECT original_name FROM scenes ORDER BY date LIMIT 1").fetchone()[0])


def published_head(report: Path) -> str:
    """The audit head a report publishes ("Audit log head ... <code>HASH</code>")."""
    match = re.search(r"Audit log head[^<]*<code>([0-9a-f]{64})</code>",
                      report.read_text(encoding="utf-8"))
    if match is None:
        raise RuntimeError(f"'{report.name}' publishes no audit head")
    return match.group(1)


def catalog_content(path: Path) -> object:
    """Everything a SQLite file holds for a reader: the integrity check, the schema, every row
    of every table (sorted); ``None`` when it cannot be read."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            check = db.execute("PRAGMA integrity_check").fetchall()
            schema = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                "ORDER BY type, name").fetchall()
            rows = [(name, sorted(map(repr, db.execute(f'SELECT * FROM "{name}"'))))
                    for kind, name, _, _ in schema if kind == "table"]
        return check, schema, rows
    except sqlite3.DatabaseError as exc:
        return f"unreadable: {exc}"


def try_tamper(tamper: Tamper, base: Path, work: Path, entry: Entry, *, head: str,
               base_state: str, base_content: object, region: str = "") -> TamperRecord:
    """Apply one tampering to a fresh copy of ``base`` and run ``verify`` and ``replay``."""
    trial_root = work / "trial"
    shutil.rmtree(trial_root, ignore_errors=True)
    trial = trial_root / base.name
    shutil.copytree(base, trial, symlinks=True)
    try:
        tamper.edit(trial)
    except Exception as exc:  # the benchmark's own edit failed: say so, go on
        return TamperRecord(name=tamper.name, family=tamper.family, outcome="not applied",
                            crash=False, verify_exit=0, replay_exit=0,
                            verify_said=f"{type(exc).__name__}: {exc}"[:300], replay_said="")
    verify = ["verify", str(trial), *(["--head", head] if tamper.with_head else [])]
    v_code, v_said, v_crash = _run(entry, verify, work / "verify.log")
    r_code, r_said, r_crash = 0, "(not run: verify caught it)", False
    unchanged = (v_code == 0 and tamper.flip_offset is not None
                 and catalog_content(trial / "catalog.sqlite") == base_content)
    if unchanged:  # replay reads the catalog through SQLite only: it would read the same rows
        r_said = "(not run: the flip changed no row, no schema entry and no integrity check result)"
    elif v_code == 0 or tamper.family in REPLAY_ALWAYS:
        r_code, r_said, r_crash = _run(entry, ["replay", str(trial)], work / "replay.log")
    if v_code != 0 or r_code != 0:
        outcome = "caught"
    elif snapshot(trial) == base_state:
        outcome = "repaired"
    elif unchanged:
        outcome = "unchanged content"
    else:
        outcome = "missed"
    return TamperRecord(name=tamper.name, family=tamper.family, outcome=outcome,
                        crash=v_crash or r_crash, verify_exit=v_code, replay_exit=r_code,
                        verify_said=v_said, replay_said=r_said, region=region)


def run_tamper_benchmark(work: Path, entry: Entry, *, flips: int = 200, seed: int = 0, full: bool = True,
                         only: Callable[[Tamper], bool] | None = None,
                         progress: Callable[[str], object] | None = None,
                         checkpoint: Callable[[TamperSummary], object] | None = None) -> TamperSummary:
    """Build the case under ``work`` and try every tampering (those ``only`` keeps) on a fresh
    copy; ``flips`` single-byte flips of the catalog at offsets from ``seed``; ``full``: see
    :func:`build_case`. ``checkpoint``
    hears the summary after the leak check and after every tampering.

    Raises:
        RuntimeError: the case could not be built, or the built case does not pass ``verify``
            and ``replay`` (then no tampering result would mean anything).
    """
    from sitewatch.case.fuzzing import _warm_up

    _warm_up()
    folder = work / BUILD_FOLDER
    base, files, published = build_case(folder, entry, full=full)
    for argv in (["verify", str(base)], ["replay", str(base)]):
        code, said, crashed = _run(entry, argv, work / "baseline.log")
        if code != 0 or crashed:
            raise RuntimeError(f"the untampered case fails `sitewatch {argv[0]}`: {said}")
    summary = TamperSummary(artefacts_scanned=sorted(published))
    summary.leaks = [str(leak) for leak in find_leaks(published, leak_markers(folder))]
    if checkpoint is not None:
        checkpoint(summary)
    head = published_head(base / "derived" / "report.html")
    base_state, base_content = snapshot(base), catalog_content(base / "catalog.sqlite")
    regions = page_kinds(base / "catalog.sqlite")
    page_size = int.from_bytes((base / "catalog.sqlite").read_bytes()[16:18], "big") or 65536
    for tamper in tampers(files, base / "catalog.sqlite", flips=flips, seed=seed):
        if only is not None and not only(tamper):
            continue
        region = ""
        if tamper.flip_offset is not None:
            region = ("file header" if tamper.flip_offset < 100
                      else regions.get(tamper.flip_offset // page_size + 1, "beyond the pages"))
        record = try_tamper(tamper, base, work, entry, head=head, base_state=base_state,
                            base_content=base_content, region=region)
        summary.add(record)
        if progress is not None:
            progress(f"tamper {summary.cases}: {record.outcome}{' (CRASH)' if record.crash else ''}: "
                     f"{tamper.name}")
        if checkpoint is not None:
            checkpoint(summary)
    return summary

