"""The run manifest: every derived result traced to inputs, models and parameters.

``derived/manifest.json`` lists the inputs by hash, each detection run (model hash, parameters,
software versions, and a digest of its detections per scene) and a digest of the tracking
results. :mod:`sitewatch.case.replay` recomputes all of it and reports any difference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from sitewatch.case.runs import software_versions
from sitewatch.catalog import CaseStore, detections_digest, sha256_file
from sitewatch.track import SiteTrack


def canonical_digest(value: Any) -> str:
    """SHA-256 of a value's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def tracks_digest(tracks: tuple[SiteTrack, ...]) -> str:
    """Digest of every count, event and registration of the case."""
    return canonical_digest([dataclasses.asdict(t) for t in tracks])


def build_manifest(store: CaseStore, tracks: tuple[SiteTrack, ...]) -> dict[str, Any]:
    """The manifest of the case as it stands."""
    all_scenes = store.scenes()
    latest = {s.sha256: store.latest_run_id(s.sha256) for s in all_scenes}
    runs = []
    for run in store.runs():
        scenes = [sha for sha, run_id in latest.items() if run_id == run.run_id]
        runs.append({
            **dataclasses.asdict(run),
            "detections_sha256": {sha: detections_digest(store.detections(sha)) for sha in scenes},
        })
    return {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": software_versions(),
        "inputs": [{"sha256": s.sha256, "name": s.original_name, "site": s.site,
                    "date": s.date.isoformat(), "gsd_m": s.gsd_m} for s in all_scenes],
        "runs": runs,
        "tracks_sha256": tracks_digest(tracks),
    }


def manifest_json(store: CaseStore, tracks: tuple[SiteTrack, ...]) -> bytes:
    """The manifest of the case as the bytes ``derived/manifest.json`` holds."""
    return json.dumps(build_manifest(store, tracks), indent=1, sort_keys=True).encode("utf-8")


def write_manifest(store: CaseStore, tracks: tuple[SiteTrack, ...]) -> tuple[Path, str]:
    """Write ``derived/manifest.json`` (not logged: :func:`~sitewatch.case.report_case` logs
    the one it writes); returns its path and SHA-256."""
    store.derived_dir.mkdir(exist_ok=True)
    path = store.layout.manifest
    path.write_bytes(manifest_json(store, tracks))
    return path, sha256_file(path)
