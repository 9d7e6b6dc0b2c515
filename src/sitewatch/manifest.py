"""Run manifests and replay: every derived result traced to inputs, models and parameters.

``derived/manifest.json`` lists the inputs by hash, each detection run (model hash, parameters,
software versions, and a digest of its detections per scene) and a digest of the tracking
results. ``replay`` recomputes all of it from the stored originals and reports any difference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.catalog import CaseStore, DetectionRecord, sha256_file
from sitewatch.detect import DetectOptions, Detector, detect_raster, load_detector
from sitewatch.detect.modelcard import LEGACY_SCORE_THRESHOLD
from sitewatch.detect.registry import MODELS
from sitewatch.errors import ModelError
from sitewatch.pipeline import RUN_SCORE_KEY, software_versions, to_record, track_case
from sitewatch.track import SiteTrack

MANIFEST_NAME = "manifest.json"
#: Detections agree when centres are within this many pixels and scores within this much.
CENTRE_TOLERANCE_PX = 1.0
SCORE_TOLERANCE = 0.02


def canonical_digest(value: Any) -> str:
    """SHA-256 of a value's canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _detections_digest(records: tuple[DetectionRecord, ...]) -> str:
    rows = sorted((r.label, round(r.cx_px, 1), round(r.cy_px, 1), round(r.width_px, 1),
                   round(r.height_px, 1), round(r.angle_rad, 3), round(r.score, 3))
                  for r in records)
    return canonical_digest(rows)


def _tracks_digest(tracks: tuple[SiteTrack, ...]) -> str:
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
            "detections_sha256": {sha: _detections_digest(store.detections(sha)) for sha in scenes},
        })
    return {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "software": software_versions(),
        "inputs": [{"sha256": s.sha256, "name": s.original_name, "site": s.site,
                    "date": s.date.isoformat(), "gsd_m": s.gsd_m} for s in all_scenes],
        "runs": runs,
        "tracks_sha256": _tracks_digest(tracks),
    }


def write_manifest(store: CaseStore, tracks: tuple[SiteTrack, ...]) -> tuple[Path, str]:
    """Write ``derived/manifest.json``; returns its path and SHA-256."""
    path = store.derived_dir / MANIFEST_NAME
    path.write_text(json.dumps(build_manifest(store, tracks), indent=1, sort_keys=True),
                    encoding="utf-8")
    return path, sha256_file(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayReport:
    """What replay recomputed and every difference it found."""

    scenes_recomputed: int
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every recomputed result matches."""
        return not self.differences


def _detector_for(sha256: str, known: Mapping[str, Detector], score: float) -> Detector:
    """The detector whose weights have this hash: a run made on a GPU from a model's ``.pt``
    file is replayed on CPU with the ONNX file exported from it (the same weights)."""
    if sha256 in known:
        return known[sha256]
    for name in MODELS:
        detector = load_detector(name, score_threshold=score)
        if sha256 in (detector.sha256, detector.card.source_sha256):
            return detector
    raise ModelError(f"no installed model has sha256 {sha256[:12]}; install the sitewatch "
                     "version named in the manifest to replay this run")


def _compare(scene: str, stored: tuple[DetectionRecord, ...],
             fresh: tuple[DetectionRecord, ...]) -> list[str]:
    if len(stored) != len(fresh):
        return [f"scene {scene}: {len(stored)} stored detections, {len(fresh)} recomputed"]
    unmatched = list(fresh)
    for record in stored:
        match = next((f for f in unmatched if f.label == record.label
                      and abs(f.cx_px - record.cx_px) <= CENTRE_TOLERANCE_PX
                      and abs(f.cy_px - record.cy_px) <= CENTRE_TOLERANCE_PX
                      and abs(f.score - record.score) <= SCORE_TOLERANCE), None)
        if match is None:
            return [f"scene {scene}: stored {record.label} at ({record.cx_px:.1f}, "
                    f"{record.cy_px:.1f}) was not recomputed"]
        unmatched.remove(match)
    return []


def replay_case(store: CaseStore, *, detectors: Mapping[str, Detector] | None = None) -> ReplayReport:
    """Recompute every detection run and the tracks, and compare with the manifest.

    ``detectors`` maps model hashes to detectors to use besides the installed models.

    Raises:
        CatalogError: no manifest (run ``sitewatch report`` first).
        ModelError: a run's model is not installed.
    """
    from sitewatch.errors import CatalogError

    path = store.derived_dir / MANIFEST_NAME
    if not path.is_file():
        raise CatalogError(f"'{store.root}' has no {MANIFEST_NAME}; run `sitewatch report "
                           f"{store.root}` first")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    differences: list[str] = []
    scenes = {s.sha256: s for s in store.scenes()}
    for entry in manifest["inputs"]:
        scene = scenes.get(entry["sha256"])
        if scene is None or sha256_file(scene.path) != entry["sha256"]:
            differences.append(f"input {entry['name']} ({entry['sha256'][:12]}) is missing or changed")
    recomputed = 0
    for run in manifest["runs"]:
        params = dict(run["params"])
        score = float(params.pop(RUN_SCORE_KEY, LEGACY_SCORE_THRESHOLD))
        detector = _detector_for(run["model_sha256"], detectors or {}, score)
        options = DetectOptions(**params)
        for sha, digest in run["detections_sha256"].items():
            stored = store.detections(sha)
            if _detections_digest(stored) != digest:
                differences.append(f"scene {sha[:12]}: stored detections differ from the manifest")
            fresh = detect_raster(scenes[sha].path, detector, gsd_m=scenes[sha].gsd_m,
                                  options=options)
            differences += _compare(scenes[sha].original_name, stored,
                                    tuple(to_record(d) for d in fresh.detections))
            recomputed += 1
    if _tracks_digest(track_case(store)) != manifest["tracks_sha256"]:
        differences.append("counts and events recomputed from the stored detections differ")
    return ReplayReport(scenes_recomputed=recomputed, differences=tuple(differences))
