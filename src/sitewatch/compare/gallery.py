"""Reference galleries and ranking them against a query.

A gallery is a named folder of reference photos (and videos, whose keyframes are used) of one
kind of vehicle. Its similarity to a query is that of its nearest reference: the best cosine
similarity between any query crop and any crop of that reference. Nearest-neighbour, rather
than a gallery average, so that one good reference of the same vehicle from the same angle
counts, as it does for an investigator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.compare.media import media_kind, read_media
from sitewatch.compare.types import GalleryScore, ReferenceMatch, VehicleCrop
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.errors import CompareError, ConfigError


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
    max_keyframes: int = 6,
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
    crop. A gallery scores the mean of its nearest file and of the average over its files:
    the nearest alone favours large galleries with one lucky photo, the average alone
    penalises galleries with varied views.

    Raises:
        CompareError: no query crop or no gallery.
    """
    if not query or not galleries:
        raise CompareError("comparison needs at least one query crop and one gallery")
    centre = np.stack([c.embedding for g in galleries for c in g.crops]).mean(axis=0)
    query_matrix = _centred(np.stack([c.embedding for c in query]), centre)
    scores = []
    for gallery in galleries:
        matrix = _centred(np.stack([c.embedding for c in gallery.crops]), centre)
        per_crop = (matrix @ query_matrix.T).max(axis=1)
        best_per_file: dict[str, ReferenceMatch] = {}
        for crop, similarity in zip(gallery.crops, per_crop, strict=True):
            key = f"{crop.trace.source_path}#{crop.trace.frame_index}"
            if key not in best_per_file or similarity > best_per_file[key].similarity:
                best_per_file[key] = ReferenceMatch(
                    path=crop.trace.source_path,
                    sha256=crop.trace.source_sha256,
                    similarity=round(float(similarity), 4),
                    box=crop.box,
                    frame_index=crop.trace.frame_index,
                )
        ranked = sorted(best_per_file.values(), key=lambda m: -m.similarity)
        nearest = ranked[0].similarity
        mean = float(np.mean([m.similarity for m in ranked]))
        scores.append(GalleryScore(
            name=gallery.name,
            similarity=round(0.5 * (nearest + mean), 4),
            nearest_similarity=nearest,
            mean_similarity=round(mean, 4),
            reference_count=len(ranked),
            best=tuple(ranked[:top_refs]),
        ))
    return tuple(sorted(scores, key=lambda s: -s.similarity))


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
