from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from sitewatch.detect import (
    Detection,
    DetectOptions,
    detect_raster,
    detect_tiles,
    merge_tile_parts,
    plan_tiles,
)
from sitewatch.errors import ConfigError, RasterReadError, ResolutionError
from tests.detect.fakes import BlobDetector, ScaleBoundDetector, planted_scene


def _match(found: np.ndarray, planted: list[tuple[float, float]], tol: float) -> list[int]:
    """How many detections lie within ``tol`` px of each planted centre."""
    return [int((np.hypot(found[:, 0] - x, found[:, 1] - y) < tol).sum()) for x, y in planted]


def _centres(result_detections: tuple) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([[d.box.cx_px, d.box.cy_px] for d in result_detections]).reshape(-1, 2)


def _seam_scene(
    tmp_path: Path, georeferenced: bool = True
) -> tuple[Path, list[tuple[float, float]]]:
    rng = np.random.default_rng(7)
    centres = [(float(x), float(y)) for x, y in rng.integers(30, 970, size=(60, 2))]
    # Plus vehicles placed right on the seams of a 256/67 px grid (steps of 189 px).
    centres += [(189.0 + 40, 250.0), (256.0, 300.0), (378.0, 445.0), (445.0, 189.0), (500.0, 256.0)]
    # Keep planted vehicles apart so each is one blob.
    kept: list[tuple[float, float]] = []
    for c in centres:
        if all(abs(c[0] - k[0]) > 24 or abs(c[1] - k[1]) > 14 for k in kept):
            kept.append(c)
    path = planted_scene(
        tmp_path / "scene.tif", width=1000, height=1000, centres=kept, georeferenced=georeferenced
    )
    return path, kept


def test_every_vehicle_found_once_across_seams(tmp_path: Path) -> None:
    path, planted = _seam_scene(tmp_path)
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    result = detect_raster(path, detector, options=DetectOptions(batch_size=3))
    assert result.gsd_source == "georeference" and result.gsd_m == pytest.approx(0.3)
    assert result.overlap_px == math.ceil(20 / 0.3) and result.tile_px == 256
    assert result.tile_count == 25 and sum(detector.calls) == 25 and max(detector.calls) == 3
    found = _centres(result.detections)
    assert _match(found, planted, tol=1.0) == [1] * len(planted)
    assert len(result.detections) == len(planted)  # no duplicates, no fragments
    to_wgs84 = Transformer.from_crs(32637, 4326, always_xy=True)
    for d in result.detections:
        assert d.box.length_px() == pytest.approx(16, abs=0.01)
        lon, lat = to_wgs84.transform(400000.0 + 0.3 * d.box.cx_px, 5e6 - 0.3 * d.box.cy_px)
        assert d.lonlat is not None
        assert (d.lonlat.lon_deg, d.lonlat.lat_deg) == pytest.approx((lon, lat), abs=1e-9)


def test_resampled_tiles_map_back_to_full_resolution(tmp_path: Path) -> None:
    path, planted = _seam_scene(tmp_path)
    detector = BlobDetector(gsd_m=0.45, tile_px=256)  # tiles are shrunk by 2/3
    result = detect_raster(path, detector)
    assert result.tile_px == round(256 * 0.45 / 0.3)
    found = _centres(result.detections)
    assert _match(found, planted, tol=2.0) == [1] * len(planted)
    assert len(result.detections) == len(planted)
    lengths = [d.box.length_px() for d in result.detections]
    assert np.median(lengths) == pytest.approx(16, abs=1.5)


def test_model_gsd_override(tmp_path: Path) -> None:
    path, planted = _seam_scene(tmp_path)
    result = detect_raster(
        path, BlobDetector(gsd_m=0.15, tile_px=256), options=DetectOptions(model_gsd_m=0.3)
    )
    assert result.model_gsd_m == 0.3 and result.tile_px == 256
    assert len(result.detections) == len(planted)


def test_without_prefetch_thread_same_result(tmp_path: Path) -> None:
    path, _ = _seam_scene(tmp_path)
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    a = detect_raster(path, detector, options=DetectOptions(prefetch_batches=0))
    b = detect_raster(path, detector, options=DetectOptions(prefetch_batches=2, batch_size=8))
    assert a.detections == b.detections


def test_no_georeference_needs_gsd(tmp_path: Path) -> None:
    path, planted = _seam_scene(tmp_path, georeferenced=False)
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    with pytest.raises(ResolutionError, match="--gsd"):
        detect_raster(path, detector)
    result = detect_raster(path, detector, gsd_m=0.3)
    assert result.gsd_source == "given" and len(result.detections) == len(planted)
    assert all(d.lonlat is None for d in result.detections)


def test_too_coarse_imagery_is_refused(tmp_path: Path) -> None:
    path, _ = _seam_scene(tmp_path)
    with pytest.raises(ResolutionError, match=r"4\.5 m car would be 4\.1 px"):
        detect_raster(path, BlobDetector(gsd_m=0.3, tile_px=256), gsd_m=1.1)
    with pytest.raises(ConfigError):
        detect_raster(path, BlobDetector(gsd_m=0.3, tile_px=256), gsd_m=-1.0)


def test_detector_error_propagates_and_reader_thread_stops(tmp_path: Path) -> None:
    path, _ = _seam_scene(tmp_path)

    class Boom(BlobDetector):
        def detect_batch(self, tiles: list[np.ndarray]) -> list:  # type: ignore[type-arg]
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        detect_raster(path, Boom(gsd_m=0.3, tile_px=256))


def test_damaged_raster_raises_read_error(tmp_path: Path) -> None:
    path, _ = _seam_scene(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(RasterReadError, match=r"scene\.tif"):
        detect_raster(path, BlobDetector(gsd_m=0.3, tile_px=256))


def test_image_smaller_than_a_tile(tmp_path: Path) -> None:
    path = planted_scene(tmp_path / "tiny.tif", width=100, height=60, centres=[(50.0, 30.0)])
    result = detect_raster(path, BlobDetector(gsd_m=0.3, tile_px=256))
    assert result.tile_count == 1 and len(result.detections) == 1
    assert result.detections[0].box.cx_px == pytest.approx(50.0, abs=0.6)


@pytest.mark.parametrize(
    "bad", [{"batch_size": 0}, {"merge_iou": 0.0}, {"overlap_m": -1.0}, {"model_gsd_m": 0.0}]
)
def test_bad_options(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=next(iter(bad))):
        DetectOptions(**bad)


@pytest.mark.parametrize("cuts", [(0, 7, 13, 25), (0, 1, 2, 24, 25), (0, 12, 25)])
def test_pieces_merge_exactly_like_the_whole_raster(tmp_path: Path, cuts: tuple[int, ...]) -> None:
    path, planted = _seam_scene(tmp_path)
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    options = DetectOptions(batch_size=3, prefetch_batches=0)
    whole = detect_raster(path, detector, options=options)
    plan = plan_tiles(path, detector, options=options)
    assert len(plan.tiles) == 25
    pieces = [detect_tiles([(plan, a, b)], detector, options=options)[0]
              for a, b in itertools.pairwise(cuts)]
    merged = merge_tile_parts(plan, pieces[::-1], detector, options=options)  # any order
    assert merged.detections == whole.detections
    assert merged.params() == whole.params()
    # Every vehicle once, the ones on the pieces' seams included.
    assert _match(_centres(merged.detections), planted, tol=1.0) == [1] * len(planted)
    # Pieces that are split along the way carry boxes that only the merge removes.
    assert sum(len(p.boxes) for p in pieces) > len(merged.detections)


def test_merge_refuses_pieces_that_miss_or_repeat_a_tile(tmp_path: Path) -> None:
    path, _ = _seam_scene(tmp_path)
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    plan = plan_tiles(path, detector)
    first, second, again = detect_tiles([(plan, 0, 10), (plan, 11, 25), (plan, 9, 11)], detector)
    with pytest.raises(ConfigError, match="exactly once"):
        merge_tile_parts(plan, [first, second], detector)
    with pytest.raises(ConfigError, match="exactly once"):
        merge_tile_parts(plan, [first, second, again], detector)
    with pytest.raises(ConfigError, match="outside"):
        detect_tiles([(plan, 20, 26)], detector)


def test_tiles_of_several_rasters_share_batches(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    paths = []
    for k, side in enumerate((150, 200, 420, 90)):
        centres = [(float(x), float(y)) for x, y in rng.integers(15, side - 15, size=(3, 2))]
        paths.append(planted_scene(tmp_path / f"w{k}.tif", width=side, height=side,
                                   centres=centres[:1] if side < 100 else centres))
    detector = BlobDetector(gsd_m=0.3, tile_px=256)
    options = DetectOptions(batch_size=4)
    alone = [detect_raster(p, detector, options=options) for p in paths]
    per_window_calls = list(detector.calls)
    detector.calls.clear()
    plans = [plan_tiles(p, detector, options=options) for p in paths]
    parts = detect_tiles([(plan, 0, len(plan.tiles)) for plan in plans], detector, options=options)
    pooled = [merge_tile_parts(plan, [part], detector, options=options)
              for plan, part in zip(plans, parts, strict=True)]
    tiles = sum(len(plan.tiles) for plan in plans)
    assert tiles == 7 and per_window_calls == [1, 1, 4, 1]  # the 420 px window has 4 tiles
    assert detector.calls == [4, 3]  # tiles of different windows in one batch
    assert [r.detections for r in pooled] == [r.detections for r in alone]
    assert [r.params() for r in pooled] == [r.params() for r in alone]


# A wrong GSD and second boxes on one vehicle (issue 19 items 3 and 5). The scene's vehicles
# are 16 px long at 0.3 m; the ScaleBoundDetector sees 14-18 px vehicles, misses smaller ones
# and boxes larger ones as two parts. Told 0.225 m (25 % low) they look 12 px long to it; told
# 0.375 m (25 % high), 20 px.

def _scale_scene(tmp_path: Path) -> tuple[Path, list[tuple[float, float]]]:
    centres = [(float(x), float(y)) for x in range(40, 600, 70) for y in range(30, 600, 45)]
    return planted_scene(tmp_path / "rows.tif", width=620, height=620, centres=centres,
                         georeferenced=False), centres


def _count_once(found: tuple[Detection, ...], planted: list[tuple[float, float]]) -> bool:
    return len(found) == len(planted) and _match(_centres(found), planted, tol=2.5) == [1] * len(planted)


@pytest.mark.parametrize("told", [0.225, 0.3, 0.375])
def test_several_scales_find_each_vehicle_once_when_the_gsd_is_off_by_a_quarter(
        tmp_path: Path, told: float) -> None:
    path, planted = _scale_scene(tmp_path)
    detector = ScaleBoundDetector(gsd_m=0.3, tile_px=256)
    one = detect_raster(path, detector, gsd_m=told)
    if told == 0.225:
        assert len(one.detections) == 0            # every vehicle too small for the model
    elif told == 0.375:
        assert len(one.detections) == 2 * len(planted)  # every vehicle boxed as two parts
    else:
        assert _count_once(one.detections, planted)
    options = DetectOptions(gsd_factors=(0.8, 1.25), fragment_inside=0.5)
    several = detect_raster(path, detector, gsd_m=told, options=options)
    assert _count_once(several.detections, planted)
    assert several.gsd_m == told and several.gsd_source == "given"
    tiles = [len(plan_tiles(path, detector, gsd_m=told * f).tiles) for f in (1, 0.8, 1.25)]
    assert several.tile_count == sum(tiles)
    assert several.params()["options"]["gsd_factors"] == (0.8, 1.25)
    assert several.params()["options"]["fragment_inside"] == 0.5


def test_several_scales_without_folding_keep_the_parts(tmp_path: Path) -> None:
    path, planted = _scale_scene(tmp_path)
    detector = ScaleBoundDetector(gsd_m=0.3, tile_px=256)
    found = detect_raster(path, detector, gsd_m=0.3, options=DetectOptions(gsd_factors=(0.8, 1.25)))
    # the 1.25 run sees 20 px vehicles and boxes their parts; NMS keeps them beside the whole
    assert len(found.detections) == 3 * len(planted)


def test_folding_drops_a_second_box_on_one_vehicle(tmp_path: Path) -> None:
    path, planted = _scale_scene(tmp_path)
    detector = ScaleBoundDetector(gsd_m=0.3, tile_px=256, cab=True)
    assert len(detect_raster(path, detector, gsd_m=0.3).detections) == 2 * len(planted)
    folded = detect_raster(path, detector, gsd_m=0.3, options=DetectOptions(fragment_inside=0.5))
    assert _count_once(folded.detections, planted)
    # the same rule when the raster is detected in pieces and merged
    options = DetectOptions(fragment_inside=0.5)
    plan = plan_tiles(path, detector, gsd_m=0.3, options=options)
    pieces = detect_tiles([(plan, 0, 3), (plan, 3, len(plan.tiles))], detector, options=options)
    assert merge_tile_parts(plan, pieces, detector, options=options).detections == folded.detections
    # a cap on the whole box's length below the vehicles' 4.8 m folds nothing
    capped = DetectOptions(fragment_inside=0.5, fragment_max_length_m=4.0)
    assert len(detect_raster(path, detector, gsd_m=0.3, options=capped).detections) == 2 * len(planted)


def test_pieces_refuse_several_scales(tmp_path: Path) -> None:
    path, _ = _scale_scene(tmp_path)
    detector = ScaleBoundDetector(gsd_m=0.3, tile_px=256)
    options = DetectOptions(gsd_factors=(0.8, 1.25))
    plan = plan_tiles(path, detector, gsd_m=0.3, options=options)
    parts = detect_tiles([(plan, 0, len(plan.tiles))], detector, options=options)
    with pytest.raises(ConfigError, match="gsd_factors"):
        merge_tile_parts(plan, parts, detector, options=options)


@pytest.mark.parametrize("bad", [{"gsd_factors": (1.0,)}, {"gsd_factors": (0.8, 0.8)},
                                 {"gsd_factors": (0.1,)}, {"fragment_inside": 0.0},
                                 {"fragment_area": 1.5}, {"fragment_max_length_m": 0.0}])
def test_bad_scale_and_fragment_options(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(bad))):
        DetectOptions(**bad)
