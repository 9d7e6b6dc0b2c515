from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from sitewatch.detect import DetectOptions, detect_raster
from sitewatch.errors import ConfigError, RasterReadError, ResolutionError
from tests.detect.fakes import BlobDetector, planted_scene


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
