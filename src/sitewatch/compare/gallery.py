"""Reference galleries and ranking them against a query.

A gallery is a named folder of reference photos (and videos, whose keyframes are used) of one
kind of vehicle. Its similarity to a query is that of its nearest reference: the best cosine
similarity between any query crop and any crop of that reference. Nearest-neighbour, rather
than a gallery average, so that one good reference of the same vehicle from the same angle
counts, as it does for an investigator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sitewatch.compare.media import media_kind, read_media
from sitewatch.compare.types import GalleryScore, ReferenceMatch, VehicleCrop
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.errors import CompareError, ConfigError

#: Keyframes read from each reference video (a query video reads its own number, see
#: ``CompareOptions.max_keyframes``).
GALLERY_KEYFRAMES = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class Gallery:
    """The embedded crops of every reference file of one named gallery."""

    name: str
    folder: str
    crops: tuple[VehicleCrop, ...]

    def __post_init__(self) -> None:
        if not self.name or "=" in self.name:
            raise ConfigError(f"gallery name {self.name!r} must be non-empty and without '='")
        if not self.crops:
            raise CompareError(f"gallery {self.name!r} ({self.folder}) holds no usable reference")

    @property
    def files(self) -> tuple[str, ...]:
        """Reference files, in the order their crops appear."""
        return tuple(dict.fromkeys(c.trace.source_path for c in self.crops))


def parse_gallery_spec(spec: str) -> tuple[str, Path]:
    """Split ``NAME=DIR``.

    >>> parse_gallery_spec("T-72=refs/t72")
    ('T-72', PosixPath('refs/t72'))

    Raises:
        ConfigError: no ``=`` or an empty name or folder.
    """
    name, sep, folder = spec.partition("=")
    if not sep or not name.strip() or not folder.strip():
        raise ConfigError(f"gallery {spec!r} must be NAME=DIR, e.g. T-72=refs/t72")
    return name.strip(), Path(folder.strip())


def reference_files(folder: Path, *, exclude: frozenset[Path] = frozenset()) -> tuple[Path, ...]:
    """Photo and video files directly in ``folder``, sorted, minus ``exclude``.

    Raises:
        CompareError: the folder does not exist.
    """
    if not folder.is_dir():
        raise CompareError(f"gallery folder {str(folder)!r} does not exist", path=str(folder))
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.resolve() in exclude:
            continue
        try:
            media_kind(path)
        except CompareError:
            continue
        found.append(path)
    return tuple(found)


def build_gallery(
    name: str,
    folder: Path,
    analyser: CropAnalyser,
    *,
    exclude: frozenset[Path] = frozenset(),
    max_keyframes: int = GALLERY_KEYFRAMES,
) -> Gallery:
    """Read, crop and embed every reference in ``folder``.

    Raises:
        CompareError: the folder is missing, empty, or a reference file is corrupt.
    """
    crops: list[VehicleCrop] = []
    for path in reference_files(folder, exclude=exclude):
        for frame in read_media(path, max_keyframes=max_keyframes):
            crops.extend(analyser.crops(frame))
    return Gallery(name=name, folder=str(folder), crops=tuple(crops))


def rank_galleries(
    query: tuple[VehicleCrop, ...], galleries: tuple[Gallery, ...], *, top_refs: int = 3
) -> tuple[GalleryScore, ...]:
    """Galleries by similarity to the query crops, best first, each with its nearest files.

    Embeddings are first centred on the mean of every reference crop of every gallery given,
    which removes what all references share ("a tank photo") and leaves what tells them
    apart. Each reference file (or video keyframe) scores its best crop against the best query
    crop. A gallery's raw score is the mean of its nearest file and of the average over its
    files: the nearest alone favours large galleries with one lucky photo, the average alone
    penalises galleries with varied views.

    The raw score is then set against the gallery's baseline: its mean raw score for the
    references of the *other* galleries given (each file or keyframe taken as a query). A
    gallery that looks like everything (many varied photos, or the same background as the
    others) has a high baseline and must beat it; ``similarity`` is raw minus the baseline, so
    0 means "no closer than this gallery is to other kinds of vehicle". A negative baseline
    (a gallery unlike all the others) is not subtracted: it would lift that gallery for being
    different, and how different depends on which other galleries happen to be given. With a
    single gallery there is nothing to set it against and the baseline is 0.

    Raises:
        CompareError: no query crop or no gallery.
    """
    if not query or not galleries:
        raise CompareError("comparison needs at least one query crop and one gallery")
    centre = np.stack([c.embedding for g in galleries for c in g.crops]).mean(axis=0)
    query_matrix = _centred(np.stack([c.embedding for c in query]), centre)
    units = [_units(g, centre) for g in galleries]
    scores = []
    for index, gallery in enumerate(galleries):
        matrix = _centred(np.stack([c.embedding for c in gallery.crops]), centre)
        per_crop = (matrix @ query_matrix.T).max(axis=1)
        best_per_file: dict[str, ReferenceMatch] = {}
        for crop, similarity in zip(gallery.crops, per_crop, strict=True):
            key = _unit_key(crop)
            if key not in best_per_file or similarity > best_per_file[key].similarity:
                best_per_file[key] = ReferenceMatch(
                    path=crop.trace.source_path,
                    sha256=crop.trace.source_sha256,
                    similarity=float(similarity),
                    box=crop.box,
                    frame_index=crop.trace.frame_index,
                )
        ranked = sorted(best_per_file.values(), key=lambda m: -m.similarity)
        nearest = ranked[0].similarity
        mean = float(np.mean([m.similarity for m in ranked]))
        others = [m for k, unit in enumerate(units) if k != index for m in unit]
        baseline = (float(np.mean([_raw_score(units[index], m) for m in others]))
                    if others else 0.0)
        scores.append(GalleryScore(
            name=gallery.name,
            similarity=round(0.5 * (nearest + mean) - max(0.0, baseline), 4),
            nearest_similarity=round(nearest, 4),
            mean_similarity=round(mean, 4),
            reference_count=len(ranked),
            best=tuple(replace(m, similarity=round(m.similarity, 4)) for m in ranked[:top_refs]),
            baseline_similarity=round(baseline, 4),
        ))
    return tuple(sorted(scores, key=lambda s: -s.similarity))


def _unit_key(crop: VehicleCrop) -> str:
    return f"{crop.trace.source_path}#{crop.trace.frame_index}"


def _units(gallery: Gallery, centre: np.ndarray) -> list[np.ndarray]:
    """A gallery's references (file, or keyframe of a video), each as its centred crops."""
    grouped: dict[str, list[np.ndarray]] = {}
    for crop in gallery.crops:
        grouped.setdefault(_unit_key(crop), []).append(crop.embedding)
    return [_centred(np.stack(rows), centre) for rows in grouped.values()]


def _raw_score(references: list[np.ndarray], query: np.ndarray) -> float:
    """A gallery's raw score (mean of nearest and average reference) for centred query crops."""
    per_file = [float((m @ query.T).max()) for m in references]
    return 0.5 * (max(per_file) + float(np.mean(per_file)))


def _centred(rows: np.ndarray, centre: np.ndarray) -> np.ndarray:
    shifted = rows - centre
    return shifted / (np.linalg.norm(shifted, axis=1, keepdims=True) + 1e-12)


def best_query_crop(query: tuple[VehicleCrop, ...], gallery: Gallery) -> VehicleCrop:
    """The query crop closest to ``gallery`` (the one shown in the panel)."""
    matrix = np.stack([c.embedding for c in gallery.crops])
    per_query = (np.stack([c.embedding for c in query]) @ matrix.T).max(axis=1)
    return query[int(np.argmax(per_query))]


def reference_crop(gallery: Gallery, match: ReferenceMatch) -> VehicleCrop:
    """The gallery crop a :class:`ReferenceMatch` points to."""
    for crop in gallery.crops:
        if (crop.trace.source_path == match.path and crop.box == match.box
                and crop.trace.frame_index == match.frame_index):
            return crop
    raise CompareError(f"reference {match.path!r} is not in gallery {gallery.name!r}")
