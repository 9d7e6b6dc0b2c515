from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.errors import ConfigError
from sitewatch.imagery import tile_grid


@settings(deadline=None, max_examples=60)
@given(
    width=st.integers(1, 3000),
    height=st.integers(1, 3000),
    tile=st.integers(16, 1100),
    overlap_frac=st.floats(0.0, 0.9),
)
def test_tiles_cover_every_pixel_and_stay_inside(
    width: int, height: int, tile: int, overlap_frac: float
) -> None:
    overlap = int(tile * overlap_frac)
    tiles = tile_grid(width, height, tile_px=tile, overlap_px=overlap)
    covered = np.zeros((height, width), dtype=bool)
    for t in tiles:
        assert t.x0_px >= 0 and t.x1_px <= width and t.y0_px >= 0 and t.y1_px <= height
        # Full size unless the image itself is smaller than a tile.
        assert t.width_px == min(tile, width) and t.height_px == min(tile, height)
        covered[t.y0_px : t.y1_px, t.x0_px : t.x1_px] = True
    assert covered.all()


@given(width=st.integers(200, 3000), tile=st.integers(100, 200), overlap=st.integers(0, 99))
def test_neighbours_overlap_at_least_the_requested_amount(
    width: int, tile: int, overlap: int
) -> None:
    xs = sorted({t.x0_px for t in tile_grid(width, 50, tile_px=tile, overlap_px=overlap)})
    for a, b in itertools.pairwise(xs):
        assert a + tile - b >= overlap


def test_exact_fit_has_no_extra_tile() -> None:
    tiles = tile_grid(1024, 1024, tile_px=512, overlap_px=0)
    assert [(t.x0_px, t.y0_px) for t in tiles] == [(0, 0), (512, 0), (0, 512), (512, 512)]


@pytest.mark.parametrize(
    ("width", "height", "tile", "overlap"),
    [(0, 10, 5, 1), (10, 10, 0, 0), (10, 10, 5, 5), (10, 10, 5, -1)],
)
def test_bad_grid_arguments_raise(width: int, height: int, tile: int, overlap: int) -> None:
    with pytest.raises(ConfigError):
        tile_grid(width, height, tile_px=tile, overlap_px=overlap)
