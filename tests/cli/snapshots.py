"""What a refused command must leave unchanged: every file under a folder, by its hash."""

from __future__ import annotations

from pathlib import Path

from sitewatch.digest import sha256_file


def snapshot(folder: Path) -> dict[str, str]:
    """Each file under ``folder`` (relative path) with its SHA-256."""
    return {str(p.relative_to(folder)): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}
