"""The append-only, hash-chained audit log of a case.

Each line of ``audit.jsonl`` is one JSON entry. An entry's ``hash`` is the SHA-256 of its
canonical JSON without the ``hash`` key, and that JSON includes ``prev``, the previous entry's
hash, so changing, removing or inserting any entry breaks every later link.

Every entry is written as one line ending in a newline, by the store's journal
(:mod:`sitewatch.catalog.journal`, the only writer of this file). A write cut off by a crash or
a power cut leaves a *torn tail*: bytes after the last newline (or a run of NUL bytes the file
system left). Reading reports it precisely (:class:`AuditLog` ``torn_tail``); the next write
sets those bytes aside in ``audit.torn-<seq>.jsonl`` beside the log, records that in an
``audit-repair`` entry, and goes on. A damaged line anywhere else is an
:class:`~sitewatch.errors.IntegrityError`, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.errors import IntegrityError

GENESIS = "0" * 64
_FIELDS: dict[str, type] = {"seq": int, "time_utc": str, "actor": str, "action": str,
                            "details": dict, "prev": str, "hash": str}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One recorded action."""

    seq: int
    time_utc: str
    actor: str
    action: str
    details: dict[str, Any]
    prev: str
    hash: str


def _body(seq: int, time_utc: str, actor: str, action: str, details: dict[str, Any], prev: str) -> str:
    return json.dumps(
        {"seq": seq, "time_utc": time_utc, "actor": actor, "action": action,
         "details": details, "prev": prev},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditLog:
    """The entries of an audit log and the torn tail, if a write was cut off."""

    entries: tuple[AuditEntry, ...]
    torn_tail: bytes = b""

    def torn_problem(self, path: Path) -> str | None:
        """A one-line description of the torn tail, or ``None`` when the log is whole."""
        if not self.torn_tail:
            return None
        return (f"audit log '{path.name}' ends in {len(self.torn_tail)} bytes of an entry whose "
                f"write was cut off (crash or power cut) after entry {len(self.entries) - 1}; "
                "the next command that writes to the case sets them aside and records it")


def read_log(path: Path) -> AuditLog:
    """All entries as written (unverified), with any torn tail kept apart.

    Raises:
        IntegrityError: a line before the tail is not a whole entry (the log was edited or
            damaged).
    """
    if not path.exists():
        return AuditLog(entries=())
    data = path.read_bytes()
    whole, _, tail = data.rpartition(b"\n")
    lines = whole.split(b"\n") if whole else []
    while lines and not lines[-1].strip(b"\x00 \t\r"):  # NULs a power cut left behind
        tail = lines.pop() + b"\n" + tail
    torn = tail if tail.strip(b"\x00 \t\r\n") or b"\x00" in tail else b""
    entries = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            entries.append(parse_line(line, number, path))
    return AuditLog(entries=tuple(entries), torn_tail=torn)


def parse_line(line: bytes, number: int, path: Path) -> AuditEntry:
    try:
        fields = json.loads(line.decode("utf-8"))
        if not isinstance(fields, dict) or set(fields) != set(_FIELDS):
            raise ValueError("not an object with the entry's keys")
        for key, kind in _FIELDS.items():
            if not isinstance(fields[key], kind) or isinstance(fields[key], bool):
                raise ValueError(f"{key!r} is not {kind.__name__}")
        return AuditEntry(**fields)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:80]
        raise IntegrityError(
            f"audit log '{path.name}' line {number} is not a whole entry ({reason}): the log was "
            "edited or damaged; restore audit.jsonl from a copy of the case", line=number,
        ) from None


def read_entries(path: Path) -> tuple[AuditEntry, ...]:
    """All entries, as written (unverified).

    Raises:
        IntegrityError: a line is damaged, or the last write was cut off (torn tail).
    """
    log = read_log(path)
    problem = log.torn_problem(path)
    if problem is not None:
        raise IntegrityError(problem)
    return log.entries


def make_entry(entries: tuple[AuditEntry, ...], action: str, details: dict[str, Any], *,
               actor: str | None) -> tuple[AuditEntry, str]:
    """The entry that would follow ``entries``, and its line as the log holds it (no newline)."""
    prev = entries[-1].hash if entries else GENESIS
    seq = len(entries)
    time_utc = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    who = actor or default_actor()
    digest = hashlib.sha256(_body(seq, time_utc, who, action, details, prev).encode()).hexdigest()
    entry = AuditEntry(
        seq=seq, time_utc=time_utc, actor=who, action=action, details=details, prev=prev,
        hash=digest,
    )
    line = json.dumps(
        {"seq": seq, "time_utc": time_utc, "actor": who, "action": action, "details": details,
         "prev": prev, "hash": digest},
        sort_keys=True,
        ensure_ascii=False,
    )
    return entry, line


def chain_problems(entries: tuple[AuditEntry, ...]) -> list[str]:
    """Every broken link or altered entry, described; empty when the chain holds."""
    problems = []
    prev = GENESIS
    for index, entry in enumerate(entries):
        body = _body(entry.seq, entry.time_utc, entry.actor, entry.action, entry.details, entry.prev)
        if entry.seq != index:
            problems.append(f"audit entry {index} carries sequence number {entry.seq}")
        if entry.prev != prev:
            problems.append(f"audit entry {index} ({entry.action}) does not follow entry {index - 1}")
        if hashlib.sha256(body.encode()).hexdigest() != entry.hash:
            problems.append(f"audit entry {index} ({entry.action}) was altered after it was written")
        prev = entry.hash
    return problems


#: Environment variable naming who acts, when a command is not told (``--reviewer``).
ACTOR_ENV = "SITEWATCH_ACTOR"


def default_actor() -> str:
    """Who acts when nobody is named: ``$SITEWATCH_ACTOR``, else ``"analyst"``.

    Never the OS login: the audit log travels with a published case, and a login names the
    person and the machine (issue 24).
    """
    return os.environ.get(ACTOR_ENV, "").strip()[:100] or "analyst"
