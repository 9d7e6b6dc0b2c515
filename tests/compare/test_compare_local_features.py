from __future__ import annotations

import cv2
import numpy as np

from sitewatch.compare.local_features import draw_matches, match_local_features
from tests.compare.compare_fixtures import vehicle_scene


def _textured(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = vehicle_scene(seed, kind="tracked", size=(300, 400))
    for _ in range(40):  # 'markings': small high-contrast glyphs
        x, y = int(rng.integers(10, 380)), int(rng.integers(10, 280))
        cv2.putText(image, str(int(rng.integers(0, 99))), (x, y), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, (255, 255, 255), 1)
    return image


def test_same_markings_seen_from_another_angle_match() -> None:
    query = _textured(1)
    homography = np.array([[0.9, 0.08, 20], [-0.05, 0.95, 10], [1e-4, 0, 1]], np.float64)
    reference = cv2.warpPerspective(query, homography, (400, 300))
    match = match_local_features(query, reference, reference_path="ref.jpg")
    assert match.inliers >= 30
    assert len(match.query_points_px) == match.inliers == len(match.reference_points_px)
    # inliers obey the homography used to make the reference
    points = np.array(match.query_points_px, np.float64).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(points, homography).reshape(-1, 2)
    error = np.linalg.norm(mapped - np.array(match.reference_points_px), axis=1)
    assert np.median(error) < 3.0


def test_unrelated_pictures_find_no_inliers() -> None:
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    match = match_local_features(_textured(2), noise, reference_path="noise.png")
    assert match.inliers == 0


def test_flat_images_have_no_features() -> None:
    flat = np.full((50, 50, 3), 128, np.uint8)
    match = match_local_features(flat, flat, reference_path="flat.png")
    assert match.matches == 0 and match.inliers == 0


def test_side_by_side_figure() -> None:
    query = _textured(3)
    reference = cv2.resize(query, (200, 150))
    match = match_local_features(query, reference, reference_path="small.png")
    figure = draw_matches(query, reference, match, height_px=120)
    assert figure.shape[0] == 120 and figure.shape[2] == 3
    assert figure.shape[1] == 160 + 12 + 160


def test_a_shared_logo_is_flagged_as_concentrated() -> None:
    rng = np.random.default_rng(9)
    first = np.asarray(cv2.GaussianBlur(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8),
                                        (0, 0), 4))
    second = np.asarray(cv2.GaussianBlur(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8),
                                         (0, 0), 4))
    logo = cv2.resize(_textured(4)[60:160, 60:200], (70, 50))
    first[10:60, 10:80] = logo  # the same 'broadcaster logo' burnt into both frames
    second[10:60, 10:80] = logo
    match = match_local_features(first, second, reference_path="other_frame.png")
    assert match.inliers >= 8 and match.concentrated
    spread = match_local_features(_textured(1), _textured(1), reference_path="same.png")
    assert spread.inliers > 30 and not spread.concentrated and spread.spread_fraction > 0.2


def test_a_long_thin_crop_is_shrunk_without_an_empty_side() -> None:
    """A 2×4000 crop shrinks to 1×800, not 0×800 (OpenCV's resize asserted)."""
    rng = np.random.default_rng(3)
    thin = rng.integers(0, 255, (2, 4000, 3), dtype=np.uint8)
    match = match_local_features(thin, thin.copy(), reference_path="ref.png")
    assert match.reference_path == "ref.png"
