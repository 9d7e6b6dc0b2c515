"""GSD from the image itself: the packaged model on the demo scene's real pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect import Detection, load_detector
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
def test_a_downsampled_copy_gives_a_proportionally_coarser_gsd(  # type: ignore[no-untyped-def]
    detector, demo_rgb: np.ndarray, factor: float
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


class _SizeTuned:
    """The blob detector of ``tests/detect/fakes.py`` made to see, as a detector trained at
    one scale does, only blobs whose length in its own pixels lies within ``tolerance`` of 16
    px: with a wide tolerance the same blobs are found at several neighbouring trial scales;
    with a narrow one at a single trial, as clutter taken for vehicles at one scale is."""

    def __init__(self, tolerance: float) -> None:
        from tests.detect.fakes import BlobDetector

        self._blob = BlobDetector(gsd_m=0.3, tile_px=256)
        self._near = float(np.log(1 + tolerance))
        self.name, self.sha256 = "size-tuned", "0" * 64
        self.gsd_m, self.tile_px = self._blob.gsd_m, self._blob.tile_px

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        return [tuple(d for d in found if abs(np.log(max(d.box.width_px, d.box.height_px) / 16))
                      <= self._near) for found in self._blob.detect_batch(tiles)]


def _blobs(length_px: int) -> np.ndarray:
    """Six white ``length_px`` × ``length_px // 2`` rectangles on black, 400 px square."""
    img = np.zeros((400, 400, 3), np.uint8)
    for cx, cy in ((80, 80), (250, 90), (90, 220), (300, 240), (150, 330), (320, 340)):
        img[cy - length_px // 4 : cy + length_px // 4, cx - length_px // 2 : cx + length_px // 2] = 255
    return img


def test_a_gsd_confirmed_at_neighbouring_trial_scales_is_estimated() -> None:
    # 39 px blobs look 16 px long to the model at the 0.122 m trial, and within 33 % of that
    # at the trials around it: one GSD, from their length (a little short once thresholded
    # after resampling) and the 3.8-12 m range
    est = estimate_gsd_of_array([_blobs(39)], _SizeTuned(0.33))
    assert est is not None
    assert est.gsd_m == pytest.approx(np.sqrt(3.8 * 12.0) / 39, rel=0.15)
    assert est.low_m <= est.gsd_m <= est.high_m and est.n_vehicles == 6
    assert "confirmed by the trials at" in est.method


def test_a_gsd_seen_at_one_trial_scale_only_is_refused() -> None:
    # the same blobs, found at the 0.122 m trial alone: nothing confirms them
    assert estimate_gsd_of_array([_blobs(39)], _SizeTuned(0.08)) is None
    # unless a single trial is all that is asked for
    one = GsdSearch(min_agreeing_trials=1)
    est = estimate_gsd_of_array([_blobs(39)], _SizeTuned(0.08), search=one)
    assert est is not None and est.gsd_m == pytest.approx(np.sqrt(3.8 * 12.0) / 39, rel=0.15)


def test_a_gsd_at_the_edge_of_the_trials_is_refused() -> None:
    # 39 px blobs look 16 px long at 0.122 m; a ladder starting there has its best trial at
    # its first rung, and the GSD may lie below it
    search = GsdSearch(min_gsd_m=0.122, max_gsd_m=0.65)
    assert estimate_gsd_of_array([_blobs(39)], _SizeTuned(0.33), search=search) is None
    assert estimate_gsd_of_array([_blobs(39)], _SizeTuned(0.33),
                                 search=GsdSearch(min_gsd_m=0.07, max_gsd_m=0.65)) is not None
