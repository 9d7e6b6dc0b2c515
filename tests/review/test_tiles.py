"""Tiles of a scene: coarse ones from the overview agree with the pixels they summarise."""

from __future__ import annotations

import doctest
from pathlib import Path

import cv2
import numpy as np
import pytest

import sitewatch.review.tiles as tiles_module
from sitewatch.errors import ReviewError
from sitewatch.review.tiles import SceneTiles, TileCache, native_zoom, overview_factor


def test_doctests_pass() -> None:
    assert doctest.testmod(tiles_module).failed == 0


@pytest.fixture
def wide_png(tmp_path: Path) -> Path:
    """A 2600×300 gradient: wider than one overview, so coarse tiles come from the overview."""
    x = np.linspace(0, 255, 2600, dtype=np.float64)
    grey = np.tile(x, (300, 1)).astype(np.uint8)
    path = tmp_path / "wide.png"
    cv2.imwrite(str(path), np.dstack([grey, grey, grey]))
    return path


def test_overview_tiles_match_windowed_reads(wide_png: Path) -> None:
    assert overview_factor(2600, 300) == 2 and native_zoom(2600, 300) == 4
    scene = SceneTiles(wide_png)
    try:
        coarse = scene.tile_rgb(4, 3, 0, 0)  # 2 px per tile px: from the overview
        fine = scene.tile_rgb(4, 4, 1, 0)  # full resolution, x 256..511
        whole = scene.tile_rgb(4, 0, 0, 0)
    finally:
        scene.close()
    assert coarse.shape == fine.shape == whole.shape == (256, 256, 3)
    # coarse column 128..255 covers full-res x 256..511, the fine tile's span
    assert abs(float(coarse[0, 128:256, 0].mean()) - float(fine[0, :, 0].mean())) < 1.5
    assert whole[0, 0, 0] < 5 and whole[0, 161, 0] > 240 and whole[40, 0, 0] == 34  # padding


def test_warm_builds_overviews_and_bad_tiles_are_refused(wide_png: Path) -> None:
    cache = TileCache()
    cache.warm([("w" * 64, wide_png)]).join(timeout=30)
    assert cache.jpeg("w" * 64, wide_png, 4, 0, 0, 0)[:2] == b"\xff\xd8"
    with pytest.raises(ReviewError, match="outside"):
        cache.jpeg("w" * 64, wide_png, 4, 4, 11, 0)
    with pytest.raises(ReviewError, match="out of range"):
        cache.jpeg("w" * 64, wide_png, 4, 5, 0, 0)
    cache.close()
