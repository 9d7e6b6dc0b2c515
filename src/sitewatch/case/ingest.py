"""Scenes into a case: a new case, the analyst's ingest, and scenes a watch offers, each audited.

These are the calls every other stage and the CLI make to create a case or add imagery to it;
the catalog stores what they decide (:func:`sitewatch.catalog.ingest_files`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitewatch.catalog import (
    CaseStore,
    IngestResult,
    ingest_files,
    parse_control_point,
    read_control_points,
    read_entries,
)
from sitewatch.digest import sha256_file

if TYPE_CHECKING:
    from sitewatch.detect import Detector
    from sitewatch.imagery import GsdEstimate

#: Audit actions of the scenes a watch offered: cut and ingested, or skipped.
OFFERED_INGEST_ACTION = "watch-ingest"
OFFERED_SKIP_ACTION = "watch-skip"


def init_case(root: Path) -> CaseStore:
    """Create a new, empty case at ``root`` (its first audit entry is ``case-init``).

    Raises:
        CatalogError: ``root`` is a non-empty folder or a file.
    """
    return CaseStore.init(root)


def ingest_images(
    case_dir: Path,
    files: Sequence[Path],
    *,
    site: str,
    date: dt.date | None,
    gsd: float | str | None,
    control_points: Sequence[str] = (),
    control_points_file: Path | None = None,
    gcp_order: int = 1,
    crs: str | None = None,
    source: str = "",
    licence: str = "",
    progress: Callable[[Path], object] | None = None,
) -> IngestResult:
    """What ``sitewatch ingest`` does: read the control points given, open the case and ingest.

    ``gsd`` is metres per pixel, ``"auto"`` (estimate it from the vehicles in every file) or
    ``None`` (from the georeference; estimated, with a note, where there is none). The default
    model is loaded only if a GSD has to be estimated. ``gcp_order`` 1 fits the control points
    by an affine transform, 2 or 3 by a polynomial (the picture is then rectified).

    Raises:
        ConfigError: a control point or the control-point file cannot be read.
        CaseNotFoundError: ``case_dir`` is not a case.
        IngestError, RasterReadError, ...: as :func:`sitewatch.catalog.ingest_files`; nothing
            is stored then.
    """
    points = [parse_control_point(text) for text in control_points]
    if control_points_file is not None:
        points += read_control_points(control_points_file)
    store = CaseStore.open(case_dir)
    detector: Detector | None = None

    def estimator(path: Path) -> GsdEstimate | None:  # the model loads only when needed
        from sitewatch.detect import estimate_gsd, load_detector

        nonlocal detector
        detector = detector or load_detector(None)
        return estimate_gsd(path, detector)

    return ingest_files(
        store, files, site=site, date=date,
        gsd_m=None if isinstance(gsd, str) else gsd, gsd_auto=gsd == "auto",
        estimate_gsd=estimator, source=source, licence=licence,
        control_points=points, gcp_order=gcp_order, crs=crs, progress=progress,
    )


def offered_keys(store: CaseStore) -> set[str]:
    """The keys of every scene a watch offered this case before (ingested or skipped)."""
    return {str(e.details.get("key")) for e in read_entries(store.audit_path)
            if e.action in (OFFERED_INGEST_ACTION, OFFERED_SKIP_ACTION)}


def take_offered_scene(
    store: CaseStore,
    path: Path | None,
    details: Mapping[str, Any],
    *,
    skip_reason: str,
    site: str,
    date: dt.date,
    source: str,
    licence: str,
) -> bool:
    """Ingest a scene a watch cut for this case, or record why it was skipped (``path`` None).

    Either way one ``watch-ingest`` or ``watch-skip`` entry records ``details`` (they must hold
    the offer's ``key``, see :func:`offered_keys`); the ingest's own entry comes before it.
    Returns whether the scene was new to the case.
    """
    if path is None:
        store.append_audit(OFFERED_SKIP_ACTION, {**details, "reason": skip_reason})
        return False
    result = ingest_files(store, [path], site=site, date=date, source=source, licence=licence)
    sha = result.added[0].sha256 if result.added else sha256_file(path)
    store.append_audit(OFFERED_INGEST_ACTION, {**details, "sha256": sha,
                                               "already_stored": not result.added})
    return bool(result.added)
