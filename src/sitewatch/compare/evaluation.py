"""Evaluation of gallery ranking on the real ground photos and videos in ``../shared/data``.

Held-out queries only: a photo query is never in the gallery it is ranked against
(leave-one-out), and the T-72 video is a query only, never a reference. Labels come from the
folder layout, except ``photos/t72_bmp``, which mixes two vehicles and is split by file
(see :data:`T72_BMP_SPLIT`; labelled by looking at the photos).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.compare.comparison import compare_query
from sitewatch.compare.gallery import Gallery
from sitewatch.compare.media import read_media
from sitewatch.compare.types import GalleryScore, VehicleCrop
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.errors import CompareError

#: photos/t72_bmp mixes T-72s and BMPs; by eye: the screen capture and the photo with the Lada
#: show T-72 tanks (B3 type); the backyard photo a BMP-2; the knocked-out photo BMP-type vehicles.
T72_BMP_SPLIT: dict[str, str] = {
    "from_screen_capture.png": "T-72",
    "with_lada.jpg": "T-72",
    "backyard.jpg": "BMP",
    "knocked_out.jpg": "BMP",
}


#: The pair of galleries the issue's targets compare directly.
PAIR = ("T-72", "Leclerc")


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledFile:
    """One file of the evaluation set with its gallery label and role."""

    path: Path
    label: str
    query_type: str | None  # None: reference only


def evaluation_files(data: Path) -> tuple[LabelledFile, ...]:
    """The labelled files of ``data/ground``.

    Raises:
        CompareError: the shared data folder is absent (evaluation needs the real data).
    """
    ground = data / "ground"
    if not ground.is_dir():
        raise CompareError(
            f"evaluation data not found at {str(ground)!r}; it needs ../shared/data/ground "
            "(real photos and videos, not shipped with sitewatch)",
            path=str(ground),
        )
    photos = ground / "photos"
    files = [LabelledFile(path=ground / "video" / "tank2.mp4", label="T-72",
                          query_type="T-72 video keyframe")]
    for name, label in T72_BMP_SPLIT.items():
        files.append(LabelledFile(path=photos / "t72_bmp" / name, label=label,
                                  query_type=f"{label} photo (leave-one-out)"))
    files += [LabelledFile(path=p, label="Leclerc", query_type="Leclerc photo (leave-one-out)")
              for p in sorted((photos / "leclerc").glob("*.JPEG"))]
    files += [LabelledFile(path=p, label="Russian tanks (mixed)", query_type=None)
              for p in sorted((photos / "russian_tanks").glob("*.jpg"))]
    files.append(LabelledFile(path=photos / "afv_column" / "afvs.jpg", label="Wheeled AFV column",
                              query_type=None))
    files.append(LabelledFile(path=ground / "video" / "apc1.mp4", label="APC (video)",
                              query_type=None))
    files.append(LabelledFile(path=ground / "video" / "mev1.mp4",
                              label="Engineering vehicle (video)", query_type=None))
    return tuple(files)


def _galleries(crops: Mapping[Path, tuple[VehicleCrop, ...]], files: tuple[LabelledFile, ...],
               *, leave_out: Path) -> tuple[Gallery, ...]:
    by_label: dict[str, list[VehicleCrop]] = {}
    for item in files:
        if item.path == leave_out or item.query_type == "T-72 video keyframe":
            continue
        by_label.setdefault(item.label, []).extend(crops[item.path])
    return tuple(Gallery(name=label, folder="(evaluation)", crops=tuple(c))
                 for label, c in by_label.items())


def evaluate(data: Path, *, threads: int = 2) -> dict[str, object]:
    """Top-1 / top-3 by query type, T-72-versus-Leclerc order, and seconds per photo.

    Each query runs the full per-query pipeline (:func:`compare_query`: decode, detect, embed,
    rank, SIFT) against galleries built without it; its wall time is the seconds reported.
    """
    files = evaluation_files(data)
    analyser = CropAnalyser(threads=threads)
    crops: dict[Path, tuple[VehicleCrop, ...]] = {}
    started = time.perf_counter()
    for item in files:
        if item.query_type != "T-72 video keyframe":
            crops[item.path] = tuple(c for frame in read_media(item.path, max_keyframes=6)
                                     for c in analyser.crops(frame))
    gallery_s = time.perf_counter() - started
    rows: list[dict[str, object]] = []
    for item in files:
        if item.query_type is None:
            continue
        result = compare_query(item.path, _galleries(crops, files, leave_out=item.path),
                               analyser)
        if item.path.suffix == ".mp4":
            for frame in result.frames:
                rows.append(_row(frame.trace.label, item, frame.ranking, None))
            rows.append(_row(item.path.name, item, result.ranking, None,
                             kind="T-72 video (keyframes averaged)"))
        else:
            rows.append(_row(item.path.name, item, result.ranking, result.seconds))
    return {"rows": rows, "summary": summarise(rows), "gallery_build_seconds": gallery_s,
            "models": analyser.provenance(), "threads": threads}


def _row(name: str, item: LabelledFile, ranking: tuple[GalleryScore, ...],
         seconds: float | None, *, kind: str | None = None) -> dict[str, object]:
    order = [s.name for s in ranking]
    return {
        "query": name,
        "type": kind or item.query_type,
        "truth": item.label,
        "ranking": [[s.name, s.similarity] for s in ranking],
        "top1": order[0] == item.label,
        "top3": item.label in order[:3],
        "pair_correct": _pair_correct(order, item.label),
        "seconds": seconds,
    }


def _pair_correct(order: list[str], truth: str) -> bool | None:
    """For T-72 and Leclerc queries: is the true one of the two galleries ranked above the other?"""
    if truth not in PAIR:
        return None
    other = PAIR[1 - PAIR.index(truth)]
    return order.index(truth) < order.index(other)


def summarise(rows: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per query type: count, top-1, top-3, true-of-T-72/Leclerc-first rate, s per photo."""
    summary: dict[str, dict[str, float]] = {}
    for kind in sorted({str(r["type"]) for r in rows}):
        group = [r for r in rows if r["type"] == kind]
        seconds = [r["seconds"] for r in group if isinstance(r["seconds"], float)]
        summary[kind] = {
            "queries": len(group),
            "top1": float(np.mean([bool(r["top1"]) for r in group])),
            "top3": float(np.mean([bool(r["top3"]) for r in group])),
            "pair_correct": float(np.mean([bool(r["pair_correct"]) for r in group]))
            if group[0]["pair_correct"] is not None else float("nan"),
            "seconds_per_photo": float(np.mean(seconds)) if seconds else float("nan"),
        }
    return summary
