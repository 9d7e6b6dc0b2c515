"""Crash-safe case writes: one lock, one SQLite transaction, a journal the next write finishes.

A change to a case touches up to four things: files (a stored original, an attached file, a
report), catalog rows, the audit log and the audit head. Only the catalog is transactional,
so the catalog is where a write becomes true:

1. Under the case lock (``case.lock``, ``fcntl.flock``: concurrent writers queue, so the
   chain cannot fork), new files are written to ``staging/`` (or beside their target when it
   lies outside the case) and fsynced.
2. One SQLite transaction holds the catalog rows, the new head, and a journal: the audit
   lines to append and the staged files to move into place.
3. After the commit the journal is applied: files renamed into place, lines appended to
   ``audit.jsonl`` and fsynced.

A kill before step 2 commits leaves only staged files, which the next write discards: the
write did not happen, and nothing in the case says it did. A kill after it leaves a journal
that :meth:`CaseJournal.recover` (run by every write and by ``verify``) finishes; applying it
twice changes nothing. So no state reachable by a crash is one ``verify`` calls tampering.

Why not the log inside SQLite only: the JSONL log is what a reader without sitewatch checks
by hand, and it is the file a published head refers to; keeping it whole after every
finished write is what the journal buys.

For crash tests, ``SITEWATCH_CRASH_AT=<step>`` kills the process with SIGKILL at a named
step (``SITEWATCH_CRASH_SKIP=N`` lets N passes go first); see :data:`CRASH_STEPS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitewatch.catalog import audit
from sitewatch.catalog.layout import CaseLayout
from sitewatch.errors import CatalogError, IntegrityError

#: Named points where a crash test may kill a writer (``SITEWATCH_CRASH_AT``).
CRASH_STEPS = ("staged", "committed", "moved", "torn-append", "detect-scene")
_JOURNAL_KEY = "audit_journal"


def crash_point(step: str) -> None:
    """Kill this process with SIGKILL here when ``SITEWATCH_CRASH_AT`` names ``step``.

    The crash harness and the crash tests use it; it does nothing otherwise.
    """
    if os.environ.get("SITEWATCH_CRASH_AT") != step:
        return
    skip = int(os.environ.get("SITEWATCH_CRASH_SKIP", "0") or 0)
    if skip > 0:
        os.environ["SITEWATCH_CRASH_SKIP"] = str(skip - 1)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(slots=True)
class CaseWrite:
    """One write to a case in progress, under the lock: files staged so far (target → staged)."""

    layout: CaseLayout
    moves: dict[Path, Path] = field(default_factory=dict)

    def stage(self, target: Path) -> Path:
        """A fresh path to write ``target``'s new content to; it is moved into place on commit.

        Inside the case the staged file lies in ``staging/``; outside, beside the target (a
        rename must not cross file systems).
        """
        if target in self.moves:
            return self.moves[target]
        if _inside(target, self.layout.root):
            self.layout.staging.mkdir(exist_ok=True)
            staged = self.layout.staging / f"{len(self.moves):04d}-{target.name}"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(f".sitewatch-staged-{target.name}")
        staged.unlink(missing_ok=True)
        self.moves[target] = staged
        return staged


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def damaged_catalog(layout: CaseLayout, what: str) -> IntegrityError:
    """The error of a catalog that cannot be read as sitewatch wrote it: one line naming the file."""
    return IntegrityError(f"catalog '{layout.catalog}' is damaged: {what}; it was edited or "
                          "corrupted, restore catalog.sqlite from a copy of the case",
                          path=str(layout.catalog))


@contextmanager
def catalog_connection(layout: CaseLayout) -> Iterator[sqlite3.Connection]:
    """One transaction on the case's catalog: committed when the block ends, rolled back when it
    raises; waits up to a minute for another writer's transaction.

    Raises:
        IntegrityError: SQLite cannot read the file (corrupt pages, an edited schema), named.
    """
    connection = sqlite3.connect(layout.catalog, timeout=60)
    try:
        with connection:
            yield connection
    except sqlite3.IntegrityError:
        raise  # a constraint or an append-only trigger said no: the caller's error
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise CatalogError(f"catalog '{layout.catalog.name}' of case '{layout.root.name}' is "
                               "locked by another sitewatch command; try again when it is done") from None
        raise damaged_catalog(layout, str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise damaged_catalog(layout, str(exc)) from None
    except UnicodeDecodeError as exc:  # sqlite3 decodes TEXT as it fetches it
        raise damaged_catalog(layout, f"a text is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    finally:
        connection.close()


class CaseJournal:
    """The lock, the journaled commit and the recovery of one case folder."""

    def __init__(self, layout: CaseLayout) -> None:
        self.layout = layout

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the case's write lock (blocks until other writers are done)."""
        import fcntl

        try:
            handle = self.layout.lock.open("a+b")
        except OSError as exc:
            raise CatalogError(f"cannot lock case '{self.layout.root.name}' for writing: "
                               f"{exc.strerror}; check the folder is writable") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            handle.close()  # closing releases the lock

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return catalog_connection(self.layout)

    def commit(
        self,
        write: CaseWrite,
        action: str,
        rows: Callable[[sqlite3.Connection], dict[str, Any]],
        *,
        actor: str | None,
    ) -> audit.AuditEntry:
        """Commit one audited change; the caller holds the lock and has staged ``write``'s files.

        ``rows`` runs inside the transaction, writes the catalog rows and returns the audit
        entry's details. Raises what ``rows`` raises, with nothing committed.
        """
        for staged in write.moves.values():
            if staged.exists():
                _fsync_file(staged)
        crash_point("staged")
        log = audit.read_log(self.layout.audit)
        lines: list[str] = []
        entries = log.entries
        if log.torn_tail:
            kept = self.layout.audit.with_name(f"audit.torn-{len(entries)}.jsonl")
            kept.write_bytes(log.torn_tail)
            _fsync_file(kept)
            repair, line = audit.make_entry(entries, "audit-repair", {
                "torn_bytes": len(log.torn_tail),
                "torn_sha256": hashlib.sha256(log.torn_tail).hexdigest(), "kept_as": kept.name,
            }, actor=actor)
            entries, lines = (*entries, repair), [line]
        with self._db() as db:
            details = rows(db)
            entry, line = audit.make_entry(entries, action, details, actor=actor)
            lines.append(line)
            journal = {"lines": lines,
                       "moves": [[self._name(staged), self._name(target)]
                                 for target, staged in write.moves.items()]}
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       (_JOURNAL_KEY, json.dumps(journal)))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)",
                       (json.dumps({"seq": entry.seq, "hash": entry.hash}),))
        write.moves.clear()
        crash_point("committed")
        self.recover()
        return entry

    def _name(self, path: Path) -> str:
        """A path as the journal keeps it: relative to the case inside it, absolute outside."""
        if _inside(path, self.layout.root):
            return path.resolve().relative_to(self.layout.root.resolve()).as_posix()
        return str(path.resolve())

    def _path(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else self.layout.root / path

    def recover(self) -> list[str]:
        """Finish the last committed write and discard uncommitted staged files (lock held).

        Idempotent. Returns one line per thing it finished or discarded.

        Raises:
            IntegrityError: the audit log is damaged before its tail (``verify`` says where).
        """
        notes: list[str] = []
        lines, moves = self.journal()
        for staged, target in moves:
            if staged.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
                _fsync_dir(target.parent)
                notes.append(f"moved '{target.name}' into place")
        crash_point("moved")
        notes += self._append_pending(lines)
        staging = self.layout.staging
        if staging.exists():
            for leftover in sorted(staging.iterdir()):
                notes.append(f"discarded '{leftover.name}' of a write that never committed")
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.chmod(0o600)
                    leftover.unlink()
        return notes

    def journal(self) -> tuple[list[str], list[tuple[Path, Path]]]:
        """The last committed write as the catalog journaled it: its audit lines and its moves
        (staged file, target).

        Raises:
            IntegrityError: the journal does not decode, or names a move sitewatch never stages
                (the catalog was edited: a move out of the case's ``staging/`` or a
                ``.sitewatch-staged-`` file beside its target could rename any file).
        """
        with self._db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (_JOURNAL_KEY,)).fetchone()
        try:
            journal = json.loads(row[0]) if row else {"lines": [], "moves": []}
            lines = [line for line in journal["lines"] if isinstance(line, str)]
            moves = [(self._path(str(a)), self._path(str(b))) for a, b in journal["moves"]]
            if len(lines) != len(journal["lines"]):
                raise ValueError("a journaled audit line is not text")
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise damaged_catalog(self.layout,
                                  f"its write journal does not decode ({str(exc)[:60]})") from None
        for staged, target in moves:
            inside = _inside(target, self.layout.root)
            if (staged.parent != self.layout.staging if inside
                    else staged != target.with_name(f".sitewatch-staged-{target.name}")):
                raise damaged_catalog(self.layout, f"its write journal moves '{staged.name}', which "
                                      "sitewatch never stages")
        return lines, moves

    def _append_pending(self, lines: list[str]) -> list[str]:
        path = self.layout.audit
        log = audit.read_log(path)
        have = len(log.entries)
        missing = []
        for line in lines:
            entry = audit.parse_line(line.encode("utf-8"), 0, path)
            if entry.seq >= have:
                missing.append((entry, line))
        if not missing:
            return []
        first, _ = missing[0]
        last_hash = log.entries[-1].hash if log.entries else audit.GENESIS
        if first.seq != have or first.prev != last_hash:
            return []  # the log no longer leads to this write; verify names the break
        tail = log.torn_tail
        repaired = {str(e.details.get("torn_sha256")) for e, _ in missing if e.action == "audit-repair"}
        if tail and not (missing[0][1].encode("utf-8").startswith(tail.rstrip(b"\x00"))
                         or hashlib.sha256(tail).hexdigest() in repaired):
            raise IntegrityError(
                f"audit log '{path.name}' ends in {len(tail)} bytes that are not the write the "
                "catalog journaled; restore audit.jsonl from a copy of the case", path=path.name)
        with path.open("a+b") as handle:  # O_APPEND: every write lands at the (new) end
            handle.truncate(handle.seek(0, os.SEEK_END) - len(tail))
            for number, (_, line) in enumerate(missing):
                data = (line + "\n").encode("utf-8")
                if number == len(missing) - 1 and os.environ.get("SITEWATCH_CRASH_AT") == "torn-append":
                    half = len(data) // 2
                    handle.write(data[:half])
                    handle.flush()
                    os.fsync(handle.fileno())
                    crash_point("torn-append")
                    data = data[half:]
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return [f"appended {len(missing)} audit entr{'y' if len(missing) == 1 else 'ies'} "
                "of an interrupted write"]
