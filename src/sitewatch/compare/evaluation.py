"""Leave-one-out evaluation of gallery ranking on the real ground photos and videos.

Every labelled file of ``../shared/data/ground`` (photos and videos) is a reference of the
gallery of its vehicle type. Each file of a type that has at least two files is in turn the
query, ranked against galleries built from every *other* file (leave-one-out; a near-duplicate
of the query is left out with it, see :data:`NEAR_DUPLICATES`). Types with a single file
(the wheeled column photo, the APC and engineering-vehicle videos) cannot be queried this way
and stay in as distractor galleries.

Labels come from the folder layout, except ``photos/t72_bmp``, which mixes two vehicles and is
split by file (:data:`T72_BMP_SPLIT`, labelled by looking at the photos), and the T-72 video,
which joins the T-72 photos. ``photos/russian_tanks`` is one gallery of mixed Soviet and
Russian tanks, as its source labels it.

A query is ranked exactly as ``sitewatch compare`` ranks it (:func:`rank_frames`): crops per
frame, galleries per frame, keyframes combined. Reported per query: the ranking, whether the
true gallery is first (top-1), in the first three, and the margin (true gallery's similarity
minus the best other gallery's; positive when it is first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.compare.comparison import rank_frames
from sitewatch.compare.gallery import GALLERY_KEYFRAMES, Gallery
from sitewatch.compare.media import media_kind, read_media
from sitewatch.compare.types import GalleryScore, MediaKind, VehicleCrop
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

#: Files that show the same picture (re-encoded or slightly re-cropped): when one is the query
#: the others are left out of the galleries too, or the query would find itself.
NEAR_DUPLICATES: tuple[frozenset[str], ...] = (
    frozenset({"russian_tanks/russian_16.jpg", "russian_tanks/russian_17.jpg"}),
)

#: The one query the issue names: the T-72 video must rank the T-72 gallery first.
T72_VIDEO = "video/tank2.mp4"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledFile:
    """One file of the evaluation set: its path, its name under ``ground/`` and its type."""

    path: Path
    name: str
    label: str


def evaluation_files(data: Path) -> tuple[LabelledFile, ...]:
    """The labelled files of ``data/ground``, photos then videos.

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
    named: list[tuple[str, str]] = [(f"t72_bmp/{n}", label) for n, label in T72_BMP_SPLIT.items()]
    named += [(f"leclerc/{p.name}", "Leclerc") for p in sorted((photos / "leclerc").glob("*.JPEG"))]
    named += [(f"russian_tanks/{p.name}", "Russian tanks (mixed)")
              for p in sorted((photos / "russian_tanks").glob("*.jpg"))]
    named.append(("afv_column/afvs.jpg", "Wheeled AFV column"))
    files = [LabelledFile(path=photos / name, name=name, label=label) for name, label in named]
    files += [
        LabelledFile(path=ground / T72_VIDEO, name=T72_VIDEO, label="T-72"),
        LabelledFile(path=ground / "video/apc1.mp4", name="video/apc1.mp4", label="APC (video)"),
        LabelledFile(path=ground / "video/mev1.mp4", name="video/mev1.mp4",
                     label="Engineering vehicle (video)"),
    ]
    missing = [f.name for f in files if not f.path.is_file()]
    if missing:
        raise CompareError(f"evaluation files missing under {str(ground)!r}: {', '.join(missing)}",
                           path=str(ground))
    return tuple(files)


def left_out_with(name: str) -> frozenset[str]:
    """The files left out of the galleries when ``name`` is the query: itself and its
    near-duplicates.

    >>> sorted(left_out_with("russian_tanks/russian_16.jpg"))
    ['russian_tanks/russian_16.jpg', 'russian_tanks/russian_17.jpg']
    >>> sorted(left_out_with("leclerc/a.JPEG"))
    ['leclerc/a.JPEG']
    """
    group = next((g for g in NEAR_DUPLICATES if name in g), frozenset())
    return group | {name}


def queryable(files: tuple[LabelledFile, ...]) -> tuple[LabelledFile, ...]:
    """Files whose type keeps at least one other file once they are left out."""
    result = []
    for item in files:
        left = left_out_with(item.name)
        if any(o.label == item.label and o.name not in left for o in files):
            result.append(item)
    return tuple(result)


def galleries_without(files: tuple[LabelledFile, ...],
                      crops: dict[str, tuple[tuple[VehicleCrop, ...], ...]],
                      left_out: frozenset[str]) -> tuple[Gallery, ...]:
    """One gallery per type from every file not in ``left_out``, in first-seen order."""
    by_label: dict[str, list[VehicleCrop]] = {}
    for item in files:
        if item.name not in left_out:
            by_label.setdefault(item.label, []).extend(c for frame in crops[item.name] for c in frame)
    return tuple(Gallery(name=label, folder="(evaluation)", crops=tuple(c))
                 for label, c in by_label.items())


def evaluate(data: Path, *, threads: int = 2, max_keyframes: int = 8) -> dict[str, object]:
    """Leave-one-out top-1, top-3 and margins per type, and seconds per file.

    Every file is read, cropped and embedded once as a reference (a video's keyframes capped
    as :func:`build_gallery` caps them) and once more as a query where a video query reads
    more keyframes (``max_keyframes``, as ``sitewatch compare`` does); each query is then
    ranked against galleries without it.

    Raises:
        CompareError: the shared data is absent or a file cannot be read.
    """
    files = evaluation_files(data)
    analyser = CropAnalyser(threads=threads)
    references: dict[str, tuple[tuple[VehicleCrop, ...], ...]] = {}
    queries: dict[str, tuple[tuple[VehicleCrop, ...], ...]] = {}
    seconds: dict[str, float] = {}
    asked = {item.name for item in queryable(files)}
    for item in files:
        started = time.perf_counter()
        references[item.name] = _read_crops(item.path, analyser, GALLERY_KEYFRAMES)
        seconds[item.name] = time.perf_counter() - started
        if item.name in asked:
            queries[item.name] = (_read_crops(item.path, analyser, max_keyframes)
                                  if media_kind(item.path) is MediaKind.VIDEO
                                  else references[item.name])
    rows = []
    for item in queryable(files):
        galleries = galleries_without(files, references, left_out_with(item.name))
        _, ranking = rank_frames(queries[item.name], galleries)
        rows.append(score_row(item.name, item.label, ranking, seconds[item.name]))
    distractors = sorted({f.label for f in files} - {f.label for f in queryable(files)})
    return {
        "protocol": "leave-one-out over every labelled file of ground/photos and ground/video; "
        "types with one file are distractor galleries only",
        "rows": rows,
        "summary": summarise(rows),
        "t72_video": next((r for r in rows if r["query"] == T72_VIDEO), None),
        "distractor_only": distractors,
        "models": analyser.provenance(),
        "threads": threads,
        "max_keyframes": max_keyframes,
        "gallery_keyframes": GALLERY_KEYFRAMES,
    }


def _read_crops(path: Path, analyser: CropAnalyser,
                max_keyframes: int) -> tuple[tuple[VehicleCrop, ...], ...]:
    return tuple(analyser.crops(frame) for frame in read_media(path, max_keyframes=max_keyframes))


def score_row(query: str, truth: str, ranking: tuple[GalleryScore, ...],
              seconds: float | None) -> dict[str, object]:
    """One query's outcome: ranking, top-1, top-3 and the margin of the true gallery.

    >>> from sitewatch.compare.types import GalleryScore
    >>> def s(n, v):
    ...     return GalleryScore(name=n, similarity=v, nearest_similarity=v, mean_similarity=v,
    ...                         reference_count=1, best=())
    >>> row = score_row("q.jpg", "B", (s("A", 0.5), s("B", 0.4)), None)
    >>> row["top1"], row["margin"]
    (False, -0.1)
    """
    order = [s.name for s in ranking]
    if truth not in order:
        raise CompareError(f"query {query!r}: its gallery {truth!r} is not in the ranking")
    own = ranking[order.index(truth)].similarity
    other = max(s.similarity for s in ranking if s.name != truth)
    return {
        "query": query,
        "truth": truth,
        "ranking": [[s.name, s.similarity] for s in ranking],
        "top1": order[0] == truth,
        "top3": truth in order[:3],
        "margin": round(own - other, 4),
        "seconds": seconds,
    }


def summarise(rows: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    """Per true type and over all queries: count, top-1, top-3, mean and lowest margin."""
    groups: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(str(row["truth"]), []).append(row)
    if rows:
        groups["all"] = rows
    summary: dict[str, dict[str, float]] = {}
    for name, group in groups.items():
        margins = [float(str(r["margin"])) for r in group]
        summary[name] = {
            "queries": len(group),
            "top1": float(np.mean([bool(r["top1"]) for r in group])),
            "top3": float(np.mean([bool(r["top3"]) for r in group])),
            "mean_margin": round(float(np.mean(margins)), 4),
            "min_margin": round(float(np.min(margins)), 4),
        }
    return summary
