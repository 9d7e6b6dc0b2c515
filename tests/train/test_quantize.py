from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import BASE_MODEL, card_path_for
from sitewatch.train.quantize import calibration_tiles
from tests.detect.fakes import planted_scene


def test_calibration_tiles_are_model_size_at_model_gsd(tmp_path: Path) -> None:
    card = dataclasses.replace(load_card(card_path_for(BASE_MODEL), verify=False), gsd_m=0.15)
    big = planted_scene(tmp_path / "big.tif", width=1400, height=900, centres=[(100.0, 100.0)])
    small = planted_scene(tmp_path / "small.tif", width=300, height=200, centres=[])
    tiles = calibration_tiles([(big, 0.3), (small, 0.3)], card, per_image=3)
    # 0.3 m -> 0.15 m: a 1024 px model tile covers 512 px of the image; 1400x900 holds 3x2.
    assert len(tiles) == 3 + 1
    assert all(t.shape == (1024, 1024, 3) and t.dtype == np.uint8 for t in tiles)
    # The first tile of the big image holds the vehicle at (100, 100) -> (200, 200) upsampled.
    assert tiles[0][200, 200, 0] > 200 and tiles[0][600, 600, 0] < 50
