"""GSD from the image itself: the packaged model on the demo scene's real pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect import load_detector
from sitewatch.detect.gsd import GsdSearch, estimate_gsd, estimate_gsd_of_array, sample_windows
from sitewatch.errors import ConfigError
from sitewatch.imagery import RasterReader, Tile

DEMO = Path(__file__).resolve().parents[2] / "src/sitewatch/demo/data/demo-depot_2014-08-05.tif"
#: The demo's stated GSD (0.12 m) is itself an estimate made from MVRSD box lengths; the
#: vehicles measured by the estimator put these pixels at about 0.08 m, so the tolerance here
#: is the 40 % that covers both (see docs/gsd.md), not the 15 % target.
DEMO_GSD_M = 0.12


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    return load_detector(None, threads=2)


@pytest.fixture(scope="module")
def demo_rgb() -> np.ndarray:
    with RasterReader(DEMO) as reader:
        info = reader.info
        return reader.read_rgb(Tile(x0_px=0, y0_px=0, width_px=info.width_px,
                                    height_px=info.height_px))


def test_demo_scene_gsd_is_found_from_its_vehicles(detector) -> None:  # type: ignore[no-untyped-def]
    est = estimate_gsd(DEMO, detector)
    assert est is not None
    assert abs(est.gsd_m / DEMO_GSD_M - 1) < 0.4
    assert est.low_m <= est.gsd_m <= est.high_m
    assert est.n_vehicles >= 5
    assert detector.name in est.method


@pytest.mark.parametrize("factor", [2.0, 3.0])
def test_a_downsampled_copy_gives_a_proportionally_coarser_gsd(
    detector, demo_rgb: np.ndarray, factor: float  # type: ignore[no-untyped-def]
) -> None:
    full = estimate_gsd_of_array([demo_rgb], detector)
    h, w = demo_rgb.shape[:2]
    small = cv2.resize(demo_rgb, (round(w / factor), round(h / factor)),
                       interpolation=cv2.INTER_AREA)
    coarse = estimate_gsd_of_array([small], detector)
    assert full is not None and coarse is not None
    assert abs(coarse.gsd_m / full.gsd_m / factor - 1) < 0.2


def test_an_image_without_vehicles_gives_no_estimate(detector) -> None:  # type: ignore[no-untyped-def]
    flat = np.full((300, 300, 3), 120, dtype=np.uint8)
    assert estimate_gsd_of_array([flat], detector) is None


def test_large_images_are_sampled_in_bounded_windows() -> None:
    assert sample_windows(800, 600, window_px=640, max_windows=4) == (
        Tile(x0_px=0, y0_px=0, width_px=800, height_px=600),)
    tiles = sample_windows(10_000, 3000, window_px=640, max_windows=4)
    assert len(tiles) == 4
    assert all(t.x1_px <= 10_000 and t.y1_px <= 3000 and t.width_px == 640 for t in tiles)
    assert len({(t.x0_px, t.y0_px) for t in tiles}) == 4


def test_search_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="step_ratio"):
        GsdSearch(step_ratio=1.0)
    ladder = GsdSearch().ladder()
    assert ladder[0] == pytest.approx(0.04) and ladder[-1] <= 0.65
