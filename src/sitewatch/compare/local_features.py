"""Local feature matching: the same markings, damage or fittings in two pictures.

SIFT keypoints, Lowe's ratio test, then RANSAC on a homography, which holds for flat
details (a painted number, a plate, a patch of reactive armour) seen from two angles. Many
inliers between two photos say "the same surface detail is visible in both"; few say nothing
either way (different side, distance or light), which the figure and JSON state.
"""

from __future__ import annotations

import cv2
import numpy as np

from sitewatch.compare.types import LocalFeatureMatch

MAX_EDGE_PX = 800
RATIO = 0.75
RANSAC_PX = 6.0
MIN_FOR_RANSAC = 8


def _gray(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """Grey image shrunk to at most MAX_EDGE_PX and the scale applied."""
    height, width = rgb.shape[:2]
    scale = min(1.0, MAX_EDGE_PX / max(height, width))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(width * scale)), max(1, round(height * scale))),
                          interpolation=cv2.INTER_AREA)
    return gray, scale


def match_local_features(
    query_rgb: np.ndarray, reference_rgb: np.ndarray, *, reference_path: str
) -> LocalFeatureMatch:
    """SIFT + ratio test + RANSAC homography between two RGB crops.

    Points are returned in each crop's own pixel grid (inliers only).
    """
    sift = cv2.SIFT_create(nfeatures=2000)  # type: ignore[attr-defined]
    query_gray, query_scale = _gray(query_rgb)
    ref_gray, ref_scale = _gray(reference_rgb)
    query_kp, query_desc = sift.detectAndCompute(query_gray, None)
    ref_kp, ref_desc = sift.detectAndCompute(ref_gray, None)
    empty = LocalFeatureMatch(reference_path=reference_path, matches=0, inliers=0,
                              query_points_px=(), reference_points_px=())
    if query_desc is None or ref_desc is None or len(query_kp) < 2 or len(ref_kp) < 2:
        return empty
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(query_desc, ref_desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_FOR_RANSAC:
        return LocalFeatureMatch(reference_path=reference_path, matches=len(good), inliers=0,
                                 query_points_px=(), reference_points_px=())
    query_pts = np.array([query_kp[m.queryIdx].pt for m in good], np.float32)
    ref_pts = np.array([ref_kp[m.trainIdx].pt for m in good], np.float32)
    _, mask = cv2.findHomography(query_pts, ref_pts, cv2.RANSAC, RANSAC_PX, maxIters=2000,
                                 confidence=0.995)
    keep = mask.ravel().astype(bool) if mask is not None else np.zeros(len(good), bool)
    # a homography needs 4 points; fewer than MIN_FOR_RANSAC inliers is chance level
    if keep.sum() < MIN_FOR_RANSAC:
        keep[:] = False
    hull_px2 = cv2.contourArea(cv2.convexHull(query_pts[keep])) if keep.sum() >= 3 else 0.0
    return LocalFeatureMatch(
        reference_path=reference_path,
        matches=len(good),
        inliers=int(keep.sum()),
        spread_fraction=float(hull_px2 / max(1, query_gray.shape[0] * query_gray.shape[1])),
        query_points_px=tuple((float(x / query_scale), float(y / query_scale))
                              for x, y in query_pts[keep]),
        reference_points_px=tuple((float(x / ref_scale), float(y / ref_scale))
                                  for x, y in ref_pts[keep]),
    )


def draw_matches(
    query_rgb: np.ndarray, reference_rgb: np.ndarray, match: LocalFeatureMatch, *,
    height_px: int = 360, max_lines: int = 60
) -> np.ndarray:
    """Side-by-side RGB figure, both images at ``height_px``, inlier pairs joined by lines."""
    def fit(rgb: np.ndarray) -> tuple[np.ndarray, float]:
        scale = height_px / rgb.shape[0]
        return cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), height_px),
                          interpolation=cv2.INTER_AREA), scale

    left, left_scale = fit(query_rgb)
    right, right_scale = fit(reference_rgb)
    gap = 12
    canvas = np.full((height_px, left.shape[1] + gap + right.shape[1], 3), 255, np.uint8)
    canvas[:, : left.shape[1]] = left
    canvas[:, left.shape[1] + gap :] = right
    offset = left.shape[1] + gap
    rng = np.random.default_rng(0)
    pairs = list(zip(match.query_points_px, match.reference_points_px, strict=True))
    if len(pairs) > max_lines:
        pairs = [pairs[i] for i in sorted(rng.choice(len(pairs), max_lines, replace=False))]
    for (qx, qy), (rx, ry) in pairs:
        colour = tuple(int(c) for c in rng.integers(60, 255, 3))
        start = (round(qx * left_scale), round(qy * left_scale))
        end = (round(rx * right_scale) + offset, round(ry * right_scale))
        cv2.line(canvas, start, end, colour, 1, cv2.LINE_AA)
        cv2.circle(canvas, start, 3, colour, -1, cv2.LINE_AA)
        cv2.circle(canvas, end, 3, colour, -1, cv2.LINE_AA)
    return canvas
