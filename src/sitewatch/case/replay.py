"""Replay: recompute every detection run and the tracks of a case and compare with its manifest."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sitewatch.case.detections import to_record
from sitewatch.case.jobs import track_case
from sitewatch.case.manifest import detections_digest, tracks_digest
from sitewatch.case.runs import DetectionRun
from sitewatch.catalog import CaseStore, DetectionRecord, sha256_file
from sitewatch.detect import MODELS, Detector, detect_raster, load_detector
from sitewatch.errors import CatalogError, ModelError

#: Detections agree when centres are within this many pixels and scores within this much.
CENTRE_TOLERANCE_PX = 1.0
SCORE_TOLERANCE = 0.02


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


def _coverage(store: CaseStore, manifest: dict[str, object]) -> list[str]:
    """What the catalog holds that the manifest does not cover: an emptied or edited manifest
    must not let replay say REPRODUCED while recomputing nothing."""
    inputs, runs = manifest["inputs"], manifest["runs"]
    assert isinstance(inputs, list) and isinstance(runs, list)
    listed = {i.get("sha256") for i in inputs if isinstance(i, dict)}
    covered = {(r.get("run_id"), sha) for r in runs if isinstance(r, dict)
               for sha in (r.get("detections_sha256") or {})}
    out = [f"input {s.original_name} ({s.sha256[:12]}) is in the catalog but not in the manifest"
           for s in store.scenes() if s.sha256 not in listed]
    for scene in store.scenes():
        run_id = store.latest_run_id(scene.sha256)
        if run_id is not None and (run_id, scene.sha256) not in covered:
            out.append(f"detections of run {run_id} on {scene.original_name} are in the catalog "
                       "but the manifest does not list them, so they were not recomputed")
    return out


def _recompute(store: CaseStore, manifest: dict[str, Any], detectors: Mapping[str, Detector],
               differences: list[str]) -> int:
    scenes = {s.sha256: s for s in store.scenes()}
    for entry in manifest["inputs"]:
        scene = scenes.get(entry["sha256"])
        if scene is None or not scene.path.is_file() or sha256_file(scene.path) != entry["sha256"]:
            differences.append(f"input {entry['name']} ({entry['sha256'][:12]}) is missing or changed")
    # an original that is gone cannot be detected again, nor tracked: say so, recompute the rest
    gone = {s.sha256 for s in scenes.values() if not s.path.is_file()}
    differences += [f"scene {scenes[sha].original_name} ({sha[:12]}): its stored original is "
                    "missing, so nothing of it was recomputed; restore objects/ from a copy of the "
                    "case" for sha in sorted(gone)]
    recomputed = 0
    for run in manifest["runs"]:
        params = DetectionRun.from_json(run["params"])
        detector = _detector_for(run["model_sha256"], detectors, params.kept_score)
        options = params.options
        card = getattr(detector, "card", None)
        now = {} if card is None else {v.value: f for v, f in card.label_score_thresholds}
        if params.kept_floors != now:
            differences.append(
                f"run {run.get('run_id')} applied per-label score floors {params.kept_floors or 'none'}; "
                f"the installed model's card applies {now or 'none'}")
        for sha, digest in run["detections_sha256"].items():
            if sha not in scenes:
                differences.append(f"the manifest names scene {str(sha)[:12]}, not in the catalog")
                continue
            if sha in gone:
                continue
            stored = store.detections(sha)
            if detections_digest(stored) != digest:
                differences.append(f"scene {sha[:12]}: stored detections differ from the manifest")
            fresh = detect_raster(scenes[sha].path, detector, gsd_m=scenes[sha].gsd_m,
                                  options=options)
            differences += _compare(scenes[sha].original_name, stored,
                                    tuple(to_record(d) for d in fresh.detections))
            recomputed += 1
    if gone:
        return recomputed
    if tracks_digest(track_case(store, use_cache=False)) != manifest["tracks_sha256"]:
        differences.append("counts and events recomputed from the stored detections differ")
    return recomputed


def replay_case(store: CaseStore, *, detectors: Mapping[str, Detector] | None = None) -> ReplayReport:
    """Recompute every detection run and the tracks, and compare with the manifest.

    ``detectors`` maps model hashes to detectors to use besides the installed models.

    Raises:
        CatalogError: no manifest (run ``sitewatch report`` first).
        ModelError: a run's model is not installed.
    """
    path = store.layout.manifest
    if not path.is_file():
        raise CatalogError(f"'{store.root}' has no {path.name}; run `sitewatch report "
                           f"{store.root}` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        manifest = None
    if (not isinstance(manifest, dict) or not isinstance(manifest.get("inputs"), list)
            or not isinstance(manifest.get("runs"), list)):
        return ReplayReport(scenes_recomputed=0, differences=(
            f"{path.name} is not a sitewatch manifest (damaged or edited); run `sitewatch "
            f"report {store.root.name}` to write it again, then replay",))
    differences = _coverage(store, manifest)
    try:
        recomputed = _recompute(store, manifest, detectors or {}, differences)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        return ReplayReport(scenes_recomputed=0, differences=(*differences, (
            f"{path.name} does not have the layout sitewatch writes ({type(exc).__name__}: "
            f"{str(exc)[:60]}); run `sitewatch report {store.root.name}` to write it again")))
    from sitewatch.case.where import replay_where_checks
    from sitewatch.catalog import replay_mosaics, replay_rectified

    differences += replay_where_checks(store)
    differences += replay_mosaics(store)  # derived scenes: made again from their sources
    differences += replay_rectified(store)
    return ReplayReport(scenes_recomputed=recomputed, differences=tuple(differences))
