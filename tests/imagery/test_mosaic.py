"""Mosaicking georeferenced images: placed by their georeferences, overlaps checked, seams kept."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from rasterio.crs import CRS

from sitewatch.errors import NotGeoreferencedError, RasterReadError, RegistrationError
from sitewatch.imagery import MosaicSource, mosaic_images

UTM = CRS.from_epsg(32637).to_wkt()
GSD_M = 0.5


def _ground() -> np.ndarray:
    return cv2.GaussianBlur(np.random.default_rng(5).integers(0, 200, (200, 300), dtype=np.uint8),
                            (7, 7), 0)


def _write(path: Path, data: np.ndarray) -> Path:
    import rasterio

    bands = data if data.ndim == 3 else data[None]
    with rasterio.open(path, "w", driver="GTiff", width=bands.shape[2], height=bands.shape[1],
                       count=bands.shape[0], dtype=str(bands.dtype)) as dst:
        dst.write(bands)
    return path


def _source(path: Path, col0: int, col1: int, *, bands: int = 1) -> MosaicSource:
    data = np.ascontiguousarray(np.repeat(_ground()[None, :, col0:col1], bands, axis=0))
    return MosaicSource(path=_write(path, data), name=path.name,
                        transform=(GSD_M, 0.0, 408000.0 + col0 * GSD_M, 0.0, -GSD_M, 5236000.0),
                        crs_wkt=UTM)


def test_tiles_give_back_the_ground_and_the_seams(tmp_path: Path) -> None:
    import rasterio

    west, east = _source(tmp_path / "w.tif", 0, 180), _source(tmp_path / "e.tif", 120, 300)
    result = mosaic_images([west, east], tmp_path / "m.tif")
    assert (result.width_px, result.height_px) == (300, 200)
    assert [p.pixels_used for p in result.parts] == [180 * 200, 120 * 200]
    assert result.parts[1].outline_px == ((120.0, 0.0), (300.0, 0.0), (300.0, 200.0), (120.0, 200.0))
    (overlap,) = result.overlaps
    assert overlap.correlation is not None and overlap.correlation > 0.99
    with rasterio.open(tmp_path / "m.tif") as dataset:
        assert np.array_equal(dataset.read(1), _ground())
        assert dataset.dataset_mask().all()


def test_a_gap_between_tiles_is_masked_not_black_ground(tmp_path: Path) -> None:
    import rasterio

    west, east = _source(tmp_path / "w.tif", 0, 100), _source(tmp_path / "e.tif", 200, 300)
    result = mosaic_images([west, east], tmp_path / "m.tif")
    assert result.overlaps == ()
    with rasterio.open(tmp_path / "m.tif") as dataset:
        mask = dataset.dataset_mask()
    assert not mask[:, 100:200].any() and mask[:, :100].all() and mask[:, 200:].all()


def test_a_tile_in_another_crs_is_warped_into_the_first(tmp_path: Path) -> None:
    from pyproj import Transformer

    west = _source(tmp_path / "w.tif", 0, 180)
    east = _source(tmp_path / "e.tif", 120, 300)
    # The same east tile described in lon/lat: its corners, to first order, as an affine.
    to_lonlat = Transformer.from_crs(32637, 4326, always_xy=True)
    x0, y0 = 408000.0 + 120 * GSD_M, 5236000.0
    (lon0, lon1, lon2), (lat0, lat1, lat2) = to_lonlat.transform(
        [x0, x0 + 180 * GSD_M, x0], [y0, y0, y0 - 200 * GSD_M])
    geographic = MosaicSource(
        path=east.path, name="e_lonlat.tif", crs_wkt=CRS.from_epsg(4326).to_wkt(),
        transform=((lon1 - lon0) / 180, (lon2 - lon0) / 200, lon0,
                   (lat1 - lat0) / 180, (lat2 - lat0) / 200, lat0))
    result = mosaic_images([west, geographic], tmp_path / "m.tif")
    (overlap,) = result.overlaps
    assert overlap.correlation is not None and overlap.correlation > 0.9
    assert result.width_px == pytest.approx(300, abs=2) and result.height_px == pytest.approx(200, abs=2)


def test_refusals(tmp_path: Path) -> None:
    west = _source(tmp_path / "w.tif", 0, 180)
    east = _source(tmp_path / "e.tif", 120, 300)
    moved = MosaicSource(path=east.path, name="moved.tif", crs_wkt=UTM,
                         transform=(GSD_M, 0.0, 408000.0 + 132 * GSD_M, 0.0, -GSD_M, 5236000.0))
    with pytest.raises(RegistrationError, match=re.escape("'w.tif' and 'moved.tif' overlap")):
        mosaic_images([west, moved], tmp_path / "m.tif")
    bare = MosaicSource(path=east.path, name="bare.png", transform=None, crs_wkt=None)
    with pytest.raises(NotGeoreferencedError, match=re.escape("'bare.png' has no georeference")):
        mosaic_images([west, bare], tmp_path / "m.tif")
    rgb = _source(tmp_path / "rgb.tif", 120, 300, bands=3)
    with pytest.raises(RasterReadError, match=re.escape("1 bands of uint8, rgb.tif: 3 bands")):
        mosaic_images([west, rgb], tmp_path / "m.tif")
    assert not (tmp_path / "m.tif").exists()


def test_same_pixels_tells_a_raster_made_again_from_a_changed_one(tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    from sitewatch.imagery import same_pixels

    def write(path: Path, data: np.ndarray, x0: float = 500_000.0) -> Path:
        with rasterio.open(path, "w", driver="GTiff", width=8, height=6, count=1, dtype="uint8",
                           crs="EPSG:32636", transform=from_origin(x0, 5_500_000.0, 0.5, 0.5)) as dst:
            dst.write(data[None])
        return path

    pixels = np.arange(48, dtype=np.uint8).reshape(6, 8)
    stored = write(tmp_path / "stored.tif", pixels)
    assert same_pixels(write(tmp_path / "again.tif", pixels), stored)
    flipped = pixels.copy()
    flipped[3, 4] ^= 1
    assert not same_pixels(write(tmp_path / "one_pixel.tif", flipped), stored)
    assert not same_pixels(write(tmp_path / "moved.tif", pixels, x0=500_000.5), stored)
