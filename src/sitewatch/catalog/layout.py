"""Every path inside a case folder, named once.

Layout::

    CASE/
      catalog.sqlite         scenes, runs, detections and reviews (SQLite, embedded)
      objects/AB/ABCD….ext   originals, content-addressed by SHA-256, read-only
      audit.jsonl            append-only, hash-chained log of every change
      assessment.toml        competing hypotheses, evidence and judgments (``sitewatch assess``)
      config/KIND.ext        analyst files attached to the case: zones, alerts, sightings, boundary
      config/comparison/     an attached ``sitewatch compare`` result and its panels (PNG)
      config/where/ID.json   where/when checks (``sitewatch shadow``, ``sitewatch media``) and maps
      derived/               report, manifest and exports, reproducible from the rest
      case.lock              held by the one process writing to the case (``catalog.journal``)
      staging/               files of a write not yet committed (emptied by the next write)

The layout lives in the catalog, the lowest stage that reads a case folder, so that the store and
:mod:`sitewatch.case` above it name the same paths; ``sitewatch.case`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CATALOG_NAME = "catalog.sqlite"
AUDIT_NAME = "audit.jsonl"
OBJECTS_NAME = "objects"


@dataclass(frozen=True, slots=True)
class CaseLayout:
    """The paths of the case folder at ``root``; nothing here touches the disk.

    >>> CaseLayout(Path("case")).manifest.as_posix()
    'case/derived/manifest.json'
    """

    root: Path

    @property
    def catalog(self) -> Path:
        """The SQLite catalog; its presence makes a folder a case."""
        return self.root / CATALOG_NAME

    @property
    def audit(self) -> Path:
        """The hash-chained audit log."""
        return self.root / AUDIT_NAME

    @property
    def lock(self) -> Path:
        """The lock file writers hold, one at a time."""
        return self.root / "case.lock"

    @property
    def staging(self) -> Path:
        """Files of a write in progress, moved into place once the catalog commits it."""
        return self.root / "staging"

    @property
    def objects(self) -> Path:
        """Folder of the stored originals."""
        return self.root / OBJECTS_NAME

    def object(self, sha256: str, suffix: str) -> Path:
        """Where an original with this hash and file suffix is stored."""
        return self.objects / sha256[:2] / f"{sha256}{suffix}"

    @property
    def assessment(self) -> Path:
        """The case's assessment file (:func:`sitewatch.assess.assessment_path` names the same)."""
        return self.root / "assessment.toml"

    @property
    def config(self) -> Path:
        """Folder of the attached analyst files."""
        return self.root / "config"

    def attachment(self, kind: str, suffix: str) -> Path:
        """Where an attached analyst file of this kind is kept (one per kind)."""
        return self.config / f"{kind}{suffix.lower()}"

    @property
    def comparison(self) -> Path:
        """Folder of the attached comparison result and its panels."""
        return self.config / "comparison"

    @property
    def comparison_file(self) -> Path:
        """The attached comparison result."""
        return self.comparison / "comparison.json"

    @property
    def where(self) -> Path:
        """Folder of the recorded where/when checks (one JSON each) and their maps."""
        return self.config / "where"

    @property
    def derived(self) -> Path:
        """Folder of the report, the manifest and default exports."""
        return self.root / "derived"

    @property
    def report(self) -> Path:
        """The HTML report (the PDF sits beside it)."""
        return self.derived / "report.html"

    @property
    def tracks(self) -> Path:
        """The case's tracks, kept with the digest of their inputs (``sitewatch.case``)."""
        return self.derived / "tracks.json"

    @property
    def manifest(self) -> Path:
        """The run manifest that ``sitewatch replay`` checks."""
        return self.derived / "manifest.json"
