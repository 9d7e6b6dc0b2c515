"""``tools/cargo_crops.py``: the strip of ground a loaded-transporter classifier sees of a box.

Checked on drawn bars whose size on the ground is known, so a wrong scale, axis or centre
shows; the module's doctests run too.
"""

from __future__ import annotations

import doctest
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import cargo_crops as crops_module  # noqa: E402
from cargo_crops import CROP_H_PX, CROP_W_PX, cargo_crop, cargo_crops  # noqa: E402

from sitewatch.geo import OrientedBoxPx  # noqa: E402


def _bar(gsd: float) -> tuple[np.ndarray, int]:
    """A bright bar 8 m (image y) by 2.4 m (image x) at the centre of 60 m of dark ground."""
    img = np.zeros((round(60 / gsd), round(60 / gsd), 3), np.uint8)
    c, half = round(30 / gsd), round(4 / gsd)
    img[c - half:c + half, c - round(1.2 / gsd):c + round(1.2 / gsd)] = 255
    return img, c


@pytest.mark.parametrize("gsd", [0.05, 0.1, 0.25, 0.4])
def test_a_strip_is_the_same_ground_whatever_the_images_gsd(gsd: float) -> None:
    img, c = _bar(gsd)
    crop = cargo_crop(img, c, c, math.pi / 2, gsd)  # the strip runs down the image
    assert crop.shape == (CROP_H_PX, CROP_W_PX, 3)
    lit = crop[..., 0] > 127
    rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    assert len(cols) == pytest.approx(8 / 0.25, abs=2)  # 8 m along the strip
    assert len(rows) == pytest.approx(2.4 / 0.25, abs=2)  # 2.4 m across it
    assert abs(cols.mean() - (CROP_W_PX - 1) / 2) < 1.5
    assert abs(rows.mean() - (CROP_H_PX - 1) / 2) < 1.5


def test_a_box_gives_its_long_axis_then_the_quarter_turn() -> None:
    img, c = _bar(0.25)
    tall = OrientedBoxPx(cx_px=c, cy_px=c, width_px=9.6, height_px=32, angle_rad=0.0)
    along, across = cargo_crops(img, [tall], 0.25)[0]
    assert (along[..., 0] > 127).any(axis=0).sum() > (across[..., 0] > 127).any(axis=0).sum()


def test_the_modules_doctests_pass() -> None:
    assert doctest.testmod(crops_module).failed == 0
