"""Shared fixtures: tiny images made here from a fixed seed, never downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# No test is timed (speed is the benchmarks' job): Hypothesis' per-example deadline of 200 ms
# failed on a loaded 2-core machine.
settings.register_profile("sitewatch", deadline=None)
settings.load_profile("sitewatch")


def pytest_configure(config: pytest.Config) -> None:
    """A ``$SITEWATCH_DATA`` that is not a folder stops the run with one line, before the
    real-data tests would be skipped as if the data were absent."""
    from sitewatch.errors import ConfigError
    from sitewatch.shared_data import shared_data_root

    try:
        shared_data_root()
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None


def _pixels(seed: int, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, size=(size, size, 3), dtype=np.uint8)


@pytest.fixture
def tiny_jpeg(tmp_path: Path) -> Path:
    """A 64×64 JPEG without georeference."""
    import cv2

    path = tmp_path / "tiny.jpg"
    cv2.imwrite(str(path), _pixels(1))
    return path


@pytest.fixture
def tiny_png(tmp_path: Path) -> Path:
    """A 64×64 PNG without georeference."""
    import cv2

    path = tmp_path / "tiny.png"
    cv2.imwrite(str(path), _pixels(2))
    return path


@pytest.fixture
def tiny_geotiff(tmp_path: Path) -> Path:
    """A 64×64 RGB GeoTIFF at 0.5 m in UTM zone 37N (near Rostov-on-Don)."""
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "tiny_geo.tif"
    data = np.moveaxis(_pixels(3), -1, 0)
    with rasterio.open(
        path, "w", driver="GTiff", width=64, height=64, count=3, dtype="uint8",
        crs="EPSG:32637", transform=from_origin(408000.0, 5236000.0, 0.5, 0.5),
    ) as dst:
        dst.write(data)
    return path
