"""Value types of the compare stage: traced frames, vehicle crops and ranked galleries.

Every value that leaves this stage names where its pixels came from (file, file sha256, frame
index and time in a video, sha256 of the decoded frame) so a figure in a report can be traced
back to the exact frame and recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.geo import LonLat

PHOTO_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".webp"})
VIDEO_SUFFIXES: frozenset[str] = frozenset({".mp4", ".mov", ".webm"})


class MediaKind(StrEnum):
    """Whether a query or reference file is a still photo or a video."""

    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameTrace:
    """Where one analysed image came from.

    For photos, ``exif_datetime_local`` is the camera clock as written (EXIF has no time zone
    unless ``exif_utc_offset`` is present, in which case ``exif_time_utc`` is filled in too).
    For MP4/MOV videos, ``container_time_utc`` and ``container_lonlat`` come from the file's
    ``mvhd`` and ``©xyz`` atoms (see :mod:`sitewatch.compare.quicktime`). All are clues that a
    file's author can edit; none is required.
    """

    source_path: str
    source_sha256: str
    kind: MediaKind
    frame_sha256: str
    width_px: int
    height_px: int
    frame_index: int | None = None
    timestamp_s: float | None = None
    exif_datetime_local: str | None = None
    exif_utc_offset: str | None = None
    exif_time_utc: datetime | None = None
    exif_lonlat: LonLat | None = None
    container_time_utc: datetime | None = None
    container_lonlat: LonLat | None = None
    sharpness: float | None = None

    def __post_init__(self) -> None:
        if len(self.source_sha256) != 64 or len(self.frame_sha256) != 64:
            raise ConfigError(f"frame trace of {self.source_path!r} needs hex sha256 digests")
        if self.kind is MediaKind.VIDEO and (self.frame_index is None or self.timestamp_s is None):
            raise ConfigError(f"video frame of {self.source_path!r} needs frame_index and time")
        for moment in (self.exif_time_utc, self.container_time_utc):
            if moment is not None and moment.utcoffset() is None:
                raise ConfigError("metadata times must be timezone-aware")

    @property
    def label(self) -> str:
        """Short human label: the file name, plus the time in the video for a frame."""
        name = self.source_path.replace("\\", "/").rsplit("/", 1)[-1]
        if self.timestamp_s is None:
            return name
        return f"{name} @ {self.timestamp_s:.2f} s (frame {self.frame_index})"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {
            "source_path": self.source_path,
            "source_sha256": self.source_sha256,
            "kind": self.kind.value,
            "frame_sha256": self.frame_sha256,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "frame_index": self.frame_index,
            "timestamp_s": self.timestamp_s,
            "exif_datetime_local": self.exif_datetime_local,
            "exif_utc_offset": self.exif_utc_offset,
            "exif_time_utc": None if self.exif_time_utc is None else self.exif_time_utc.isoformat(),
            "exif_lonlat": None
            if self.exif_lonlat is None
            else [self.exif_lonlat.lon_deg, self.exif_lonlat.lat_deg],
            "container_time_utc": None
            if self.container_time_utc is None
            else self.container_time_utc.isoformat(),
            "container_lonlat": None
            if self.container_lonlat is None
            else [self.container_lonlat.lon_deg, self.container_lonlat.lat_deg],
            "sharpness": self.sharpness,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """Decoded RGB pixels (uint8, H×W×3) with their trace."""

    trace: FrameTrace
    rgb: np.ndarray

    def __post_init__(self) -> None:
        if self.rgb.dtype != np.uint8 or self.rgb.ndim != 3 or self.rgb.shape[2] != 3:
            raise ConfigError(f"frame of {self.trace.source_path!r} must be uint8 H×W×3 RGB")


@dataclass(frozen=True, slots=True, kw_only=True)
class BoxPx:
    """Axis-aligned box in a frame's pixel grid, ``x1``/``y1`` exclusive."""

    x0_px: int
    y0_px: int
    x1_px: int
    y1_px: int

    def __post_init__(self) -> None:
        if self.x1_px <= self.x0_px or self.y1_px <= self.y0_px:
            raise ConfigError(f"empty box {self}")

    @property
    def area_px(self) -> int:
        """Area in square pixels."""
        return (self.x1_px - self.x0_px) * (self.y1_px - self.y0_px)

    def as_list(self) -> list[int]:
        """``[x0, y0, x1, y1]``."""
        return [self.x0_px, self.y0_px, self.x1_px, self.y1_px]


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleCrop:
    """One vehicle cut out of one frame.

    ``detector_label`` is the COCO class the detector proposed (tanks often come back as
    "truck", "boat" or "train"), or ``"whole_frame"`` when nothing was found and the whole
    frame stands in. ``armour_probability`` is the ImageNet classifier's summed probability for
    tank, half-track, amphibious vehicle and cannon on this crop: a hint, not a verdict.
    """

    trace: FrameTrace
    box: BoxPx
    detector_label: str
    detector_score: float
    armour_probability: float
    rgb: np.ndarray
    embedding: np.ndarray

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (no pixels, no embedding)."""
        return {
            "frame": self.trace.label,
            "frame_sha256": self.trace.frame_sha256,
            "box_px": self.box.as_list(),
            "detector_label": self.detector_label,
            "detector_score": round(self.detector_score, 3),
            "armour_probability": round(self.armour_probability, 3),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceMatch:
    """How close one reference crop is to the query."""

    path: str
    sha256: str
    similarity: float
    box: BoxPx
    frame_index: int | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "frame_index": self.frame_index,
            "similarity": self.similarity,
            "box_px": self.box.as_list(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class GalleryScore:
    """One gallery's similarity to a query, with its nearest references, best first.

    ``nearest_similarity`` (best reference) and ``mean_similarity`` (average over the
    gallery's references) are cosines of centred EfficientNet-Lite0 embeddings, in [-1, 1].
    ``baseline_similarity`` is the mean of those two that the gallery reaches for references
    of the *other* galleries compared: how alike it finds other kinds of vehicle.
    ``similarity`` (used to rank) is the mean of nearest and mean minus the baseline where the
    baseline is positive: around 0 is "no closer than this gallery is to other kinds of
    vehicle", higher is closer. For a video, ``similarity`` and ``baseline_similarity`` are
    averaged over keyframes. They rank; they are not probabilities.
    """

    name: str
    similarity: float
    nearest_similarity: float
    mean_similarity: float
    reference_count: int
    best: tuple[ReferenceMatch, ...]
    baseline_similarity: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {
            "gallery": self.name,
            "similarity": self.similarity,
            "nearest_similarity": self.nearest_similarity,
            "mean_similarity": self.mean_similarity,
            "baseline_similarity": self.baseline_similarity,
            "reference_count": self.reference_count,
            "best_references": [m.to_dict() for m in self.best],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalFeatureMatch:
    """SIFT correspondences between a query crop and one reference, kept by RANSAC.

    ``spread_fraction`` is the area of the convex hull of the query-side inliers over the query
    crop's area: how much of the vehicle the shared details cover.
    """

    reference_path: str
    matches: int
    inliers: int
    query_points_px: tuple[tuple[float, float], ...]
    reference_points_px: tuple[tuple[float, float], ...]
    spread_fraction: float = 0.0

    @property
    def concentrated(self) -> bool:
        """Inliers bunched in one small patch (< 3 % of the query crop): either one marking on
        the vehicle or a logo / watermark burnt into both pictures; a person must check."""
        return self.inliers > 0 and self.spread_fraction < 0.03
