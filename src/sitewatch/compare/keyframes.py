"""Keyframe selection for videos: one sharp frame per scene, not every frame.

A video is cut into scenes where the picture changes: either abruptly between two samples
(a cut) or gradually away from the scene's first sample (a pan or a passing column). In each
scene the sharpest sample (variance of the Laplacian) is kept; when there are more scenes than
wanted, the longest scenes win. All functions here are pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sitewatch.errors import ConfigError

CUT_DISTANCE = 0.35
DRIFT_DISTANCE = 0.45


def sharpness_of(gray: np.ndarray) -> float:
    """Variance of the Laplacian of a grey image: higher is sharper.

    >>> flat = np.zeros((32, 32), np.uint8)
    >>> sharpness_of(flat)
    0.0
    """
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameSample:
    """What keyframe selection needs to know about one decoded frame."""

    frame_index: int
    sharpness: float
    histogram: np.ndarray
    thumbnail: np.ndarray

    @classmethod
    def from_bgr(cls, frame_index: int, bgr: np.ndarray, *, edge_px: int = 96) -> FrameSample:
        """Summarise a BGR frame: hue-saturation histogram, small grey thumbnail, sharpness."""
        height, width = bgr.shape[:2]
        scale = edge_px / max(height, width)
        small = cv2.resize(bgr, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        histogram = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256]).ravel()
        histogram = (histogram / max(float(histogram.sum()), 1.0)).astype(np.float32)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        work = cv2.resize(gray, (max(1, width // 2), max(1, height // 2)),
                          interpolation=cv2.INTER_AREA) if max(height, width) > 960 else gray
        return cls(
            frame_index=frame_index,
            sharpness=sharpness_of(work),
            histogram=histogram,
            thumbnail=cv2.cvtColor(small, cv2.COLOR_BGR2GRAY),
        )


def scene_distance(a: FrameSample, b: FrameSample) -> float:
    """How different two samples look, from 0 (same) to about 1 (unrelated).

    The mean of the Bhattacharyya distance of colour histograms and the mean absolute grey
    difference of the thumbnails (scaled so that 64 grey levels count as 1).
    """
    colour = float(cv2.compareHist(a.histogram, b.histogram, cv2.HISTCMP_BHATTACHARYYA))
    if a.thumbnail.shape == b.thumbnail.shape:
        diff = np.abs(a.thumbnail.astype(np.float32) - b.thumbnail.astype(np.float32))
        layout = min(1.0, float(diff.mean()) / 64.0)
    else:
        layout = 1.0
    return 0.5 * (colour + layout)


def starts_new_scene(first: FrameSample, previous: FrameSample, current: FrameSample) -> bool:
    """True when ``current`` is a cut from ``previous`` or has drifted away from ``first``."""
    return (
        scene_distance(previous, current) > CUT_DISTANCE
        or scene_distance(first, current) > DRIFT_DISTANCE
    )


def split_scenes(samples: list[FrameSample]) -> list[list[FrameSample]]:
    """Group consecutive samples into scenes (see :func:`starts_new_scene`)."""
    scenes: list[list[FrameSample]] = []
    for sample in samples:
        if scenes and not starts_new_scene(scenes[-1][0], scenes[-1][-1], sample):
            scenes[-1].append(sample)
        else:
            scenes.append([sample])
    return scenes


def select_keyframes(samples: list[FrameSample], *, max_keyframes: int) -> tuple[FrameSample, ...]:
    """The sharpest sample of each scene, longest scenes first when capped, in time order.

    Raises:
        ConfigError: ``max_keyframes`` is below 1.
    """
    if max_keyframes < 1:
        raise ConfigError(f"max_keyframes must be at least 1, got {max_keyframes}")
    scenes = split_scenes(sorted(samples, key=lambda s: s.frame_index))
    ranked = sorted(scenes, key=lambda scene: -len(scene))[:max_keyframes]
    best = [max(scene, key=lambda s: s.sharpness) for scene in ranked]
    return tuple(sorted(best, key=lambda s: s.frame_index))
