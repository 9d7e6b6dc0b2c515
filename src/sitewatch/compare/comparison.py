"""The compare stage end to end: queries and galleries in, ranked results (JSON, panels) out.

Everything is read and computed before anything is written, and files are written to a
temporary name then renamed, so a corrupt input or a crash leaves no half-written output.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch import __version__
from sitewatch.compare.checklist import (
    Checklist,
    FeatureMark,
    VariantVerdict,
)
from sitewatch.compare.gallery import (
    Gallery,
    best_query_crop,
    build_gallery,
    rank_galleries,
    reference_crop,
)
from sitewatch.compare.local_features import match_local_features
from sitewatch.compare.media import read_media
from sitewatch.compare.types import (
    Frame,
    FrameTrace,
    GalleryScore,
    LocalFeatureMatch,
    MediaKind,
    ReferenceMatch,
    VehicleCrop,
)
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.digest import sha256_file
from sitewatch.errors import CompareError

LOCAL_MATCH_REFS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameResult:
    """One analysed photo or keyframe: its crops and the galleries ranked for it."""

    trace: FrameTrace
    crops: tuple[VehicleCrop, ...]
    ranking: tuple[GalleryScore, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryResult:
    """Everything sitewatch found for one query file."""

    path: str
    sha256: str
    kind: MediaKind
    frames: tuple[FrameResult, ...]
    ranking: tuple[GalleryScore, ...]
    best_frame: FrameResult
    best_crop: VehicleCrop
    best_frame_rgb: np.ndarray
    thumbnails: tuple[np.ndarray, ...]
    local_matches: tuple[LocalFeatureMatch, ...]
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary (no pixels)."""
        return {
            "query": self.path,
            "sha256": self.sha256,
            "kind": self.kind.value,
            "seconds": round(self.seconds, 3),
            "ranking": [s.to_dict() for s in self.ranking],
            "best_frame": self.best_frame.trace.to_dict(),
            "best_crop": self.best_crop.to_dict(),
            "local_feature_matches": [
                {"reference": m.reference_path, "ratio_test_matches": m.matches,
                 "ransac_inliers": m.inliers, "spread_fraction": round(m.spread_fraction, 4),
                 "concentrated_possible_logo": m.concentrated}
                for m in self.local_matches
            ],
            "frames": [
                {"trace": f.trace.to_dict(), "crops": [c.to_dict() for c in f.crops],
                 "ranking": [{"gallery": s.name, "similarity": s.similarity} for s in f.ranking]}
                for f in self.frames
            ],
        }


def combine_rankings(per_frame: Sequence[tuple[GalleryScore, ...]]) -> tuple[GalleryScore, ...]:
    """One ranking for a video: each gallery's similarity averaged over keyframes.

    The nearest similarity is the best over keyframes and the best references are merged.
    """
    if len(per_frame) == 1:
        return per_frame[0]
    by_name: dict[str, list[GalleryScore]] = {}
    for ranking in per_frame:
        for score in ranking:
            by_name.setdefault(score.name, []).append(score)
    combined = []
    for name, scores in by_name.items():
        refs: dict[tuple[str, int | None], ReferenceMatch] = {}
        for ref in (r for s in scores for r in s.best):
            key = (ref.path, ref.frame_index)
            if key not in refs or ref.similarity > refs[key].similarity:
                refs[key] = ref
        best = sorted(refs.values(), key=lambda r: -r.similarity)[: len(scores[0].best)]
        combined.append(GalleryScore(
            name=name,
            similarity=round(float(np.mean([s.similarity for s in scores])), 4),
            nearest_similarity=max(s.nearest_similarity for s in scores),
            mean_similarity=round(float(np.mean([s.mean_similarity for s in scores])), 4),
            reference_count=scores[0].reference_count,
            baseline_similarity=round(float(np.mean([s.baseline_similarity for s in scores])), 4),
            best=tuple(best),
        ))
    return tuple(sorted(combined, key=lambda s: -s.similarity))


def rank_frames(
    frame_crops: tuple[tuple[VehicleCrop, ...], ...], galleries: tuple[Gallery, ...]
) -> tuple[tuple[tuple[tuple[VehicleCrop, ...], tuple[GalleryScore, ...]], ...],
           tuple[GalleryScore, ...]]:
    """Each frame's crops with its own ranking, and the query's combined ranking.

    This is the whole ranking of one query (photo: one frame; video: its keyframes), shared by
    :func:`compare_query` and the evaluation so that what is measured is what is shipped.

    Raises:
        CompareError: no frame, or a frame without crops.
    """
    if not frame_crops:
        raise CompareError("comparison needs at least one frame")
    per_frame = tuple((crops, rank_galleries(crops, galleries)) for crops in frame_crops)
    return per_frame, combine_rankings([r for _, r in per_frame])


def compare_query(
    path: Path, galleries: tuple[Gallery, ...], analyser: CropAnalyser, *, max_keyframes: int = 8
) -> QueryResult:
    """Rank ``galleries`` for one query photo or video and match local features.

    Raises:
        CompareError: the query cannot be read.
    """
    started = time.perf_counter()
    frames = read_media(path, max_keyframes=max_keyframes)
    return rank_query(path, frames, galleries, analyser,
                      decoded_s=time.perf_counter() - started)


def rank_query(
    path: Path, frames: tuple[Frame, ...], galleries: tuple[Gallery, ...], analyser: CropAnalyser,
    *, decoded_s: float = 0.0,
) -> QueryResult:
    """Rank ``galleries`` for the decoded ``frames`` of the query ``path``.

    ``decoded_s`` (the seconds it took to decode them) is counted in the result's seconds.
    """
    started = time.perf_counter()
    pixels = {frame.trace.frame_sha256: frame.rgb for frame in frames}
    per_frame, ranking = rank_frames(tuple(analyser.crops(frame) for frame in frames), galleries)
    results = [FrameResult(trace=frame.trace, crops=crops, ranking=frame_ranking)
               for frame, (crops, frame_ranking) in zip(frames, per_frame, strict=True)]
    top = ranking[0]
    best_frame = max(results, key=lambda r: _score_of(r.ranking, top.name))
    gallery = next(g for g in galleries if g.name == top.name)
    crop = best_query_crop(best_frame.crops, gallery)
    matches = tuple(
        match_local_features(crop.rgb, reference_crop(gallery, ref).rgb, reference_path=ref.path)
        for ref in _frame_best(best_frame, top.name)[:LOCAL_MATCH_REFS]
    )
    return QueryResult(
        path=str(path),
        sha256=frames[0].trace.source_sha256,
        kind=frames[0].trace.kind,
        frames=tuple(results),
        ranking=ranking,
        best_frame=best_frame,
        best_crop=crop,
        best_frame_rgb=pixels[best_frame.trace.frame_sha256],
        thumbnails=tuple(_thumbnail(frame.rgb) for frame in frames),
        local_matches=tuple(sorted(matches, key=lambda m: -m.inliers)),
        seconds=decoded_s + time.perf_counter() - started,
    )


def _thumbnail(rgb: np.ndarray, width_px: int = 320) -> np.ndarray:
    import cv2

    scale = width_px / rgb.shape[1]
    size = (width_px, max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _score_of(ranking: tuple[GalleryScore, ...], name: str) -> float:
    return next(s.similarity for s in ranking if s.name == name)


def _frame_best(frame: FrameResult, name: str) -> tuple[ReferenceMatch, ...]:
    return next(s.best for s in frame.ranking if s.name == name)


def build_galleries(
    specs: Mapping[str, Path], analyser: CropAnalyser, *, exclude: frozenset[Path] = frozenset(),
    progress: Callable[[int, str], None] | None = None,
) -> tuple[Gallery, ...]:
    """Build every named gallery, leaving out files in ``exclude`` (held-out queries);
    ``progress`` hears how many are built and the last one's name."""
    if not specs:
        raise CompareError("comparison needs at least one --gallery NAME=DIR")
    built = []
    for done, (name, folder) in enumerate(specs.items(), start=1):
        built.append(build_gallery(name, folder, analyser, exclude=exclude))
        if progress is not None:
            progress(done, name)
    return tuple(built)


def checklist_dict(checklist: Checklist, marks: Mapping[str, FeatureMark],
                   verdicts: tuple[VariantVerdict, ...]) -> dict[str, object]:
    """The checklist part of the output JSON."""
    return {
        "marks": {k: v.value for k, v in marks.items()},
        "features": {k: checklist.feature(k).name for k in marks},
        "consistent_variants": [v.to_dict(checklist) for v in verdicts if v.consistent],
        "excluded_variants": [
            {"variant": v.variant.name, "conflicts": list(v.conflicts)}
            for v in verdicts if not v.consistent
        ],
        "note": "Feature tables written from the cited reference works without re-checking "
        "them online; confirm 'medium' and 'low' confidence entries before publication.",
    }


def write_json_atomic(path: Path, payload: Mapping[str, object]) -> None:
    """Write JSON to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, ensure_ascii=False)
            stream.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def output_document(
    results: Sequence[QueryResult],
    galleries: tuple[Gallery, ...],
    analyser: CropAnalyser,
    *,
    checklist: Mapping[str, object] | None,
    panels: Mapping[str, str],
) -> dict[str, object]:
    """The whole output JSON: provenance, galleries, per-query results."""
    return {
        "sitewatch_version": __version__,
        "stage": "compare",
        "models": analyser.provenance(),
        "method": "EfficientNet-Lite0 embeddings (block-5 + head, mirrored, gallery-centred "
        "cosine) of whole-vehicle crops (COCO-YOLO26n boxes, nested boxes joined, grown to "
        "the GrabCut foreground so the gun and turret are inside; crop and background-blanked "
        "crop averaged); gallery score = mean of nearest-reference and mean-reference "
        "similarity minus the gallery's mean score for the other galleries' references (when "
        "positive); "
        "SIFT + RANSAC homography for local features. "
        "Similarities rank galleries; they are not probabilities.",
        "galleries": [
            {"name": g.name, "folder": g.folder,
             "files": [{"path": p, "sha256": sha256_file(Path(p))} for p in g.files]}
            for g in galleries
        ],
        "checklist": checklist,
        "queries": [{**r.to_dict(), "panel": panels.get(r.path)} for r in results],
    }
