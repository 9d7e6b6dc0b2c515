"""Analyst files attached to a case (zones, alerts, sightings, boundary, comparison results)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sitewatch.catalog import CaseStore, sha256_file
from sitewatch.errors import ConfigError

#: Analyst files a case can hold, with the loader that checks each before it is attached.
ATTACHMENT_KINDS = ("zones", "alerts", "sightings", "boundary")


def attach_file(store: CaseStore, kind: str, path: Path) -> Path:
    """Check an analyst file by loading it, then store it in the case.

    Raises:
        ConfigError: unknown kind; the loaders raise their own errors for bad files.
    """
    from sitewatch.geo.boundary import load_boundary
    from sitewatch.track import load_alerts, load_zones
    from sitewatch.track.links import load_sightings

    loaders: dict[str, Callable[[Path], object]] = {
        "zones": load_zones, "alerts": load_alerts, "sightings": load_sightings,
        "boundary": load_boundary,
    }
    if kind not in loaders:
        raise ConfigError(f"unknown attachment {kind!r}; valid: {', '.join(ATTACHMENT_KINDS)}")
    loaders[kind](path)
    return store.attach(kind, path)


def attach_comparison(store: CaseStore, path: Path) -> Path:
    """Store a ``sitewatch compare`` result (JSON) and the panels it names in the case.

    Panels are re-encoded as PNG when stored, so that no camera, device or GPS metadata of the
    query photos travels into reports.

    Raises:
        ConfigError: the file is not a compare result, or a panel it names is missing.
    """
    import cv2

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        queries = document["queries"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"'{path}' is not the JSON written by `sitewatch compare --out`") from None
    folder = store.layout.comparison
    folder.mkdir(parents=True, exist_ok=True)
    for index, query in enumerate(queries):
        if not query.get("panel"):
            continue
        panel = Path(query["panel"])
        image = cv2.imread(str(panel if panel.is_absolute() else path.parent / panel))
        if image is None:
            raise ConfigError(f"panel '{panel}' named in '{path}' cannot be read; run "
                              "`sitewatch compare --panel DIR` again")
        stored = folder / f"panel-{index:03d}.png"
        cv2.imwrite(str(stored), image)
        query["panel"] = stored.name
    target = store.layout.comparison_file
    target.write_text(json.dumps(document, indent=1), encoding="utf-8")
    store.append_audit("attach", {"kind": "comparison", "name": path.name,
                                  "sha256": sha256_file(target),
                                  "queries": [q.get("sha256") for q in queries]})
    return target


def comparisons(store: CaseStore) -> tuple[dict[str, object], ...]:
    """Attached comparison results, each query with its stored panel's path."""
    target = store.layout.comparison_file
    if not target.is_file():
        return ()
    queries = json.loads(target.read_text(encoding="utf-8"))["queries"]
    for query in queries:
        if query.get("panel"):
            query["panel_path"] = target.parent / query["panel"]
    return tuple(queries)
