"""The before scene drawn in the current scene's frame lines up with the current scene's tiles."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

import sitewatch.review.warp as warp_module
from sitewatch.errors import ReviewError
from sitewatch.review.tiles import SceneTiles, native_zoom
from sitewatch.review.warp import warped_tile_rgb

SHIFT_PX = (17, -9)  # a ground point at current pixel (x, y) lies at before pixel (x + 17, y - 9)
MARGIN_PX = 80


def test_doctests_pass() -> None:
    assert doctest.testmod(warp_module).failed == 0


def _texture(height_px: int, width_px: int, seed: int = 3) -> np.ndarray:
    """Grey noise at three scales: detail at every zoom, nothing periodic."""
    rng = np.random.default_rng(seed)
    out = np.zeros((height_px, width_px), np.float32)
    for sigma, weight in ((1.5, 0.5), (5.0, 1.0), (20.0, 2.0)):
        layer = cv2.GaussianBlur(rng.normal(0, 1, (height_px, width_px)).astype(np.float32), (0, 0), sigma)
        out += weight * layer / layer.std()
    return np.clip(128 + 22 * out, 0, 255).astype(np.uint8)


def _png(path: Path, grey: np.ndarray) -> Path:
    cv2.imwrite(str(path), np.dstack([grey, grey, grey]))
    return path


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def _offset_px(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two tiles' contents lie, in tile pixels (phase correlation)."""
    (dx, dy), _ = cv2.phaseCorrelate(a[..., 0].astype(np.float64), b[..., 0].astype(np.float64))
    return math.hypot(dx, dy)


@pytest.fixture
def shifted(tmp_path: Path) -> tuple[SceneTiles, SceneTiles]:
    """A 2600×400 current scene and its before scene, one texture shifted by :data:`SHIFT_PX`.

    Wider than one overview (factor 2), so coarse tiles come from the overviews.
    """
    h, w, m = 400, 2600, MARGIN_PX
    big = _texture(h + 2 * m, w + 2 * m)
    dx, dy = SHIFT_PX
    current = _png(tmp_path / "current.png", big[m: m + h, m: m + w])
    before = _png(tmp_path / "before.png", big[m - dy: m - dy + h, m - dx: m - dx + w])
    return SceneTiles(before), SceneTiles(current)


@pytest.mark.parametrize("z, x, y", [(4, 3, 0), (3, 2, 0), (2, 1, 0)],
                         ids=["full-resolution", "overview", "overview-shrunk"])
def test_shifted_scene_warps_onto_the_current_tile(
        shifted: tuple[SceneTiles, SceneTiles], z: int, x: int, y: int) -> None:
    before, current = shifted
    zmax = native_zoom(current.width_px, current.height_px)
    to_current = (1.0, 0.0, -SHIFT_PX[0], 0.0, 1.0, -SHIFT_PX[1], 0.0, 0.0, 1.0)
    try:
        target = current.tile_rgb(zmax, z, x, y)
        aligned = warped_tile_rgb(before, to_current, zmax, z, x, y,
                                  current_size_px=(current.width_px, current.height_px))
        unaligned = before.tile_rgb(zmax, z, x, y)
    finally:
        before.close()
        current.close()
    # the tile's rows inside both scenes (the before scene starts 9 px below the current's top)
    rows = slice(math.ceil(12 / 2 ** (zmax - z)), min(256, round(400 / 2 ** (zmax - z))) - 4)
    mae_aligned, mae_unaligned = _mae(aligned[rows], target[rows]), _mae(unaligned[rows], target[rows])
    print(f"z {z}: mean absolute difference aligned {mae_aligned:.2f}, unaligned {mae_unaligned:.2f}")
    assert mae_aligned < 0.2 * mae_unaligned
    assert mae_aligned < 4.0
    assert _offset_px(aligned[rows], target[rows]) < 0.2


def test_rotated_and_scaled_scene_warps_onto_the_current_tile(tmp_path: Path) -> None:
    """A similarity (6°, ×1.08) checks the warp's direction and its pixel-centre convention."""
    h, w, m = 800, 1000, 200
    big = _texture(h + 2 * m, w + 2 * m, seed=5)
    current = _png(tmp_path / "current.png", big[m: m + h, m: m + w])
    a, s = math.radians(6.0), 1.08
    to_current = np.array([[s * math.cos(a), -s * math.sin(a), 30.0],
                           [s * math.sin(a), s * math.cos(a), -45.0], [0.0, 0.0, 1.0]])
    # before pixel index -> continuous -> current continuous -> index in ``big``
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    to_big = np.array([[1, 0, m - 0.5], [0, 1, m - 0.5], [0, 0, 1]]) @ to_current @ half
    before_grey = cv2.warpAffine(big, to_big[:2], (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP)
    before = SceneTiles(_png(tmp_path / "before.png", before_grey))
    scene = SceneTiles(current)
    try:
        target = scene.tile_rgb(2, 2, 1, 1)
        aligned = warped_tile_rgb(before, tuple(to_current.ravel()), 2, 2, 1, 1, current_size_px=(w, h))
        unaligned = before.tile_rgb(2, 2, 1, 1)
    finally:
        before.close()
        scene.close()
    assert _mae(aligned, target) < 0.2 * _mae(unaligned, target)
    assert _offset_px(aligned, target) < 0.2


def test_outside_the_before_scene_is_dark_grey_and_bad_tiles_are_refused(
        shifted: tuple[SceneTiles, SceneTiles]) -> None:
    before, current = shifted
    far = (1.0, 0.0, 5000.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)  # the before scene lies far right
    size = (current.width_px, current.height_px)
    try:
        assert (warped_tile_rgb(before, far, 4, 4, 0, 0, current_size_px=size) == 34).all()
        with pytest.raises(ReviewError, match="outside"):
            warped_tile_rgb(before, far, 4, 4, 11, 0, current_size_px=size)
        with pytest.raises(ReviewError, match="out of range"):
            warped_tile_rgb(before, far, 4, 5, 0, 0, current_size_px=size)
        with pytest.raises(ReviewError, match="inverted"):
            warped_tile_rgb(before, (1, 0, 0, 0, 0, 0, 0, 0, 1), 4, 4, 0, 0, current_size_px=size)
    finally:
        before.close()
        current.close()
