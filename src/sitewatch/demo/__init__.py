"""The sample case shipped with sitewatch, and the one call that runs the whole job on it.

``data/case.json`` lists the sample scenes (file, site, date, ground sample distance, source,
licence); ``data/README.md`` gives their provenance and licence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from sitewatch.catalog import parse_date
from sitewatch.errors import CatalogError

__all__ = ["run_demo", "sample_data_dir"]


def sample_data_dir() -> Path:
    """Folder of the sample files inside the installed package."""
    return Path(str(resources.files("sitewatch.demo") / "data"))


def run_demo(out_dir: Path | None = None, *,
             progress: Callable[[str], object] = lambda _: None) -> Path:
    """Build the sample case in ``out_dir`` and run ingest -> detect -> track -> report.

    Without ``out_dir``, the case goes to ``./sitewatch-demo``, or the first of
    ``sitewatch-demo-2``, ``-3``... that is absent or empty.

    Returns:
        The path of the HTML report.

    Raises:
        CatalogError: ``out_dir`` is a file or a folder that is not empty.
    """
    from sitewatch.case import (
        attach_file,
        detect_case,
        import_assessment,
        ingest_files,
        init_case,
        report_case,
    )
    from sitewatch.detect import load_detector

    if out_dir is None:
        out_dir = _free_folder(Path("sitewatch-demo"))
    elif out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise CatalogError(f"'{out_dir}' is not empty (a demo run before?); open its report at "
                           f"{out_dir / 'derived' / 'report.html'}, or pick a new folder with --out")
    data = sample_data_dir()
    manifest = json.loads((data / "case.json").read_text(encoding="utf-8"))
    store = init_case(out_dir)
    progress(f"case {out_dir}")
    for scene in manifest["scenes"]:
        result = ingest_files(
            store, [data / scene["file"]], site=scene["site"], date=parse_date(scene["date"]),
            gsd_m=scene.get("gsd_m"), source=scene.get("source", ""),
            licence=scene.get("licence", ""),
        )
        for added in result.added:
            progress(f"ingested {added.site} {added.date} {added.original_name}")
    for kind, name in manifest.get("attachments", {}).items():
        attach_file(store, kind, data / name)
        progress(f"attached {kind} {name}")
    if manifest.get("assessment_sample"):
        from sitewatch.assess import load_sample

        name = manifest["assessment_sample"]
        import_assessment(store, load_sample(name), origin=f"sample:{name}")
        progress(f"imported the illustrative assessment {manifest['assessment_sample']!r}")
    detector = load_detector()
    summary = detect_case(
        store, detector,
        progress=lambda scene, n: progress(f"detected {n} vehicles in {scene.site} {scene.date}"),
    )
    progress(f"model {detector.name} sha256 {detector.sha256[:12]}: {summary.detections} "
             f"detections in {summary.scenes_processed} scenes")
    return report_case(store)


def _free_folder(base: Path) -> Path:
    """``base``, or the first of ``base-2``, ``base-3``... that is absent or empty."""
    candidate, number = base, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate
