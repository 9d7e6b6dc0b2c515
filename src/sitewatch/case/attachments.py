"""Analyst files attached to a case (zones, alerts, sightings, boundary, comparison results)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from sitewatch.catalog import CaseStore
from sitewatch.errors import ConfigError

#: Analyst files a case can hold, with the loader that checks each before it is attached.
ATTACHMENT_KINDS = ("zones", "alerts", "sightings", "boundary")


def attach_file(store: CaseStore, kind: str, path: Path) -> Path:
    """Check an analyst file by loading it, then store it in the case. Alerts and zones are
    also checked against each other once both are there: every zone an alert watches must exist.

    Raises:
        ConfigError: unknown kind; the loaders raise their own errors for bad files.
    """
    from sitewatch.geo import load_boundary
    from sitewatch.track import check_alert_zones, load_alerts, load_sightings, load_zones

    loaders: dict[str, Callable[[Path], object]] = {
        "zones": load_zones, "alerts": load_alerts, "sightings": load_sightings,
        "boundary": load_boundary,
    }
    if kind not in loaders:
        raise ConfigError(f"unknown attachment {kind!r}; valid: {', '.join(ATTACHMENT_KINDS)}")
    loaders[kind](path)
    if kind in ("zones", "alerts"):  # an alert on a zone no zone file holds would never fire
        alerts_file = path if kind == "alerts" else store.attached("alerts")
        zones_file = path if kind == "zones" else store.attached("zones")
        if alerts_file is not None and zones_file is not None:
            check_alert_zones(load_alerts(alerts_file), load_zones(zones_file), alerts_file)
    return store.attach(kind, path)


def attach_files(
    case_dir: Path,
    files: Sequence[tuple[str, Path]],
    *,
    comparison: Path | None = None,
    keep_gps: bool = False,
    attached: Callable[[str, Path], object] = lambda kind, stored: None,
) -> None:
    """``sitewatch attach``: check and store each ``(kind, file)``, then a comparison result;
    ``attached`` hears each kind and where it was stored, as soon as it is (the earlier ones stay
    stored when a later one is refused).

    Raises:
        CaseNotFoundError: ``case_dir`` is not a case.
        ConfigError: nothing given, or a file is refused (see :func:`attach_file`,
            :func:`attach_comparison`).
    """
    store = CaseStore.open(case_dir)
    if not files and not comparison:
        raise ConfigError("nothing to attach: give --zones, --alerts, --sightings, --boundary "
                          "or --comparison")
    for kind, path in files:
        attached(kind, attach_file(store, kind, path))
    if comparison:
        attached("comparison", attach_comparison(store, comparison, keep_gps=keep_gps))


def attach_comparison(store: CaseStore, path: Path, *, keep_gps: bool = False) -> Path:
    """Store a ``sitewatch compare`` result (JSON) and the panels it names in the case.

    The file is checked by :func:`sitewatch.compare.load_comparison` (schema,
    panels inside its folder, GPS positions dropped unless ``keep_gps``). Panels are
    re-encoded as PNG when stored, so that no camera, device or GPS metadata of the query
    photos travels into reports.

    Raises:
        ConfigError: the file is not a compare result, or a panel it names is refused.
    """
    from sitewatch.compare import load_comparison, read_panel

    checked = load_comparison(path, keep_gps=keep_gps)
    encoded = [None if p is None else read_panel(p, source=path) for p in checked.panels]
    folder = store.layout.comparison
    queries = checked.document["queries"]
    assert isinstance(queries, list)
    writers: dict[Path, Callable[[Path], object]] = {}
    for index, (query, png) in enumerate(zip(queries, encoded, strict=True)):
        if png is not None:
            stored = folder / f"panel-{index:03d}.png"
            writers[stored] = functools.partial(_write_bytes, png)
            query["panel"] = stored.name
    target = store.layout.comparison_file
    text = json.dumps(checked.document, indent=1).encode("utf-8")
    writers[target] = lambda staged: staged.write_bytes(text)
    store.write_files("attach", writers, {
        "kind": "comparison", "name": path.name, "sha256": hashlib.sha256(text).hexdigest(),
        "queries": [q.get("sha256") for q in queries]})
    return target


def _write_bytes(data: bytes, path: Path) -> int:
    return path.write_bytes(data)


def comparisons(store: CaseStore) -> tuple[dict[str, object], ...]:
    """Attached comparison results, each query with its stored panel's path."""
    from sitewatch.compare import attached_comparisons

    return attached_comparisons(store.layout.comparison)
