"""The append-only, hash-chained audit log of a case.

Each line of ``audit.jsonl`` is one JSON entry. An entry's ``hash`` is the SHA-256 of its
canonical JSON without the ``hash`` key, and that JSON includes ``prev``, the previous entry's
hash, so changing, removing or inserting any entry breaks every later link.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


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


def read_entries(path: Path) -> tuple[AuditEntry, ...]:
    """All entries, as written (unverified)."""
    if not path.exists():
        return ()
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entries.append(AuditEntry(**json.loads(line)))
    return tuple(entries)


def append_entry(
    path: Path, action: str, details: dict[str, Any], *, actor: str | None = None
) -> AuditEntry:
    """Append one entry chained to the last and return it."""
    entries = read_entries(path)
    prev = entries[-1].hash if entries else GENESIS
    seq = len(entries)
    time_utc = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    who = actor or _default_actor()
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
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return entry


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


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
