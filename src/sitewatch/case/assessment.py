"""Audited changes to a case's assessment file.

Every change rewrites ``assessment.toml`` atomically and appends one audit entry
(``assess.add-hypothesis``, ``assess.add-evidence``, ``assess.rate``, ``assess.judge``,
``assess.import``) naming what was added or replaced and the new file's sha256. If the file was
edited by hand since the last audited change (its hash differs from the one logged), an
``assess.edited-outside-sitewatch`` entry with both hashes is appended first, so hand edits reach
the log at the next change.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitewatch.assess import AchTable, Assessment, ach_table, dumps_assessment, load_assessment, load_sample
from sitewatch.catalog import CaseStore, read_entries, sha256_file
from sitewatch.errors import ConfigError


def change_assessment(
    store: CaseStore, action: str, change: Callable[[Assessment], Assessment]
) -> tuple[Assessment, Assessment]:
    """Load (or start) the assessment, apply ``change``, save it, audit it; return old, new."""
    path = store.layout.assessment
    old = load_assessment(path) if path.exists() else Assessment()
    new = change(old)
    _audit_outside_edits(store)
    data = dumps_assessment(new).encode("utf-8")
    details = _diff(old, new)
    details["file"] = path.name
    details["sha256"] = hashlib.sha256(data).hexdigest()
    store.write_files(action, {path: lambda staged: staged.write_bytes(data)}, details)
    return old, new


def assessment_table(store: CaseStore) -> AchTable:
    """The ACH table of the case's assessment (``sitewatch assess show``).

    Raises:
        AssessError: the case has no assessment file, or it cannot be read.
    """
    return ach_table(load_assessment(store.layout.assessment))


def import_assessment_from(store: CaseStore, *, sample: str | None = None, file: Path | None = None,
                           replace: bool = False) -> tuple[Assessment, str]:
    """Import a packaged sample (by name) or an assessment file; returns it and its origin.

    Raises:
        AssessError: the file or sample cannot be read.
        ConfigError: the case already has an assessment and ``replace`` is false.
    """
    if sample is not None:
        imported, origin = load_sample(sample), f"sample:{sample}"
    elif file is not None:
        imported, origin = load_assessment(file), str(file)
    else:
        raise ConfigError("give a sample name or an assessment file to import")
    import_assessment(store, imported, origin=origin, replace=replace)
    return imported, origin


def import_assessment(store: CaseStore, imported: Assessment, *, origin: str,
                      replace: bool = False) -> None:
    """Make ``imported`` the case's assessment (``origin`` says where it came from).

    Raises:
        ConfigError: the case already has an assessment and ``replace`` is false.
    """
    path = store.layout.assessment
    if path.exists() and not replace:
        raise ConfigError(
            f"case '{store.root}' already has an assessment; add --replace to overwrite it "
            "(the old file's hash stays in the audit log)"
        )
    # The old file is not parsed: replacing must work on a broken one too.
    _audit_outside_edits(store)
    replaced = sha256_file(path) if path.exists() else None
    data = dumps_assessment(imported).encode("utf-8")
    store.write_files("assess.import", {path: lambda staged: staged.write_bytes(data)},
                      {"origin": origin, "file": path.name, "replaced_sha256": replaced,
                       "sha256": hashlib.sha256(data).hexdigest()})


def _audit_outside_edits(store: CaseStore) -> None:
    """Log a hand edit of the file: its hash differs from the last one an assess entry logged."""
    path = store.layout.assessment
    logged = None
    for entry in read_entries(store.audit_path):
        if entry.action.startswith("assess.") and entry.details.get("file") == path.name:
            logged = entry.details.get("sha256")
    current = sha256_file(path) if path.exists() else None
    if current != logged:
        store.append_audit(
            "assess.edited-outside-sitewatch",
            {"file": path.name, "logged_sha256": logged, "sha256": current},
        )


def _diff(old: Assessment, new: Assessment) -> dict[str, Any]:
    """What the change added or replaced, as JSON-ready values for the audit entry."""
    details: dict[str, Any] = {}
    if old.illustrative != new.illustrative:
        details["illustrative"] = new.illustrative
    for name in ("hypotheses", "evidence", "ratings", "judgments"):
        before = getattr(old, name)
        added = [item for item in getattr(new, name) if item not in before]
        if added:
            details[name] = [_plain(item) for item in added]
    return details


def _plain(item: Any) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in dataclasses.asdict(item).items()
    }
