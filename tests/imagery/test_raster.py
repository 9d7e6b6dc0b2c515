from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

from sitewatch.errors import RasterReadError
from sitewatch.imagery import RasterReader, Tile, read_info


def _geotiff(
    path: Path,
    data: np.ndarray,
    *,
    crs: str = "EPSG:32616",
    gsd: float = 0.5,
    origin: tuple[float, float] = (740000.0, 3730000.0),
) -> Path:
    bands, height, width = data.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        compress="deflate",
        width=width,
        height=height,
        count=bands,
        dtype=data.dtype,
        crs=CRS.from_string(crs),
        transform=Affine(gsd, 0.0, origin[0], 0.0, -gsd, origin[1]),
        tiled=True,
        blockxsize=64,
        blockysize=64,
    ) as dst:
        dst.write(data)
    return path


def _rgb(seed: int, height: int = 96, width: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)


def test_uint16_single_band_geotiff_is_stretched_grey(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(300, 1300, size=(1, 200, 150), dtype=np.uint16)
    path = _geotiff(tmp_path / "pan.tif", data)
    with RasterReader(path) as raster:
        assert raster.info.georeferenced and raster.info.gsd_m == pytest.approx(0.5)
        assert (raster.info.width_px, raster.info.height_px, raster.info.band_count) == (
            150,
            200,
            1,
        )
        rgb = raster.read_rgb(Tile(x0_px=10, y0_px=20, width_px=64, height_px=32))
    assert rgb.shape == (32, 64, 3) and rgb.dtype == np.uint8
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
    # A 2-98 percentile stretch of uniform values uses most of the range, brighter stays brighter.
    assert rgb.min() == 0 and rgb.max() == 255
    window = data[0, 20:52, 10:74].astype(int)
    assert np.corrcoef(window.ravel(), rgb[..., 0].astype(int).ravel())[0, 1] > 0.95


def test_window_equals_slice_of_whole_image(tmp_path: Path) -> None:
    rgb = _rgb(2, 300, 260)
    path = _geotiff(tmp_path / "rgb.tif", np.moveaxis(rgb, -1, 0))
    with RasterReader(path) as raster:
        window = raster.read_rgb(Tile(x0_px=70, y0_px=130, width_px=100, height_px=150))
    np.testing.assert_array_equal(window, rgb[130:280, 70:170])


@pytest.mark.parametrize("bands", [1, 3, 4])
def test_every_window_is_the_files_pixels_interleaved(tmp_path: Path, bands: int) -> None:
    """Windows of every shape (one pixel, one row, one column, the image's edges and corners)
    are the file's bands interleaved pixel by pixel, grey repeated, a fourth band left out."""
    rng = np.random.default_rng(bands)
    data = rng.integers(0, 256, size=(bands, 150, 131), dtype=np.uint8)
    path = _geotiff(tmp_path / "w.tif", data)
    planes = data[[0, 0, 0]] if bands == 1 else data[:3]
    with RasterReader(path) as raster:
        for x0, y0, w, h in [(0, 0, 1, 1), (130, 149, 1, 1), (0, 7, 131, 1), (5, 0, 1, 150),
                             (67, 86, 64, 64), (0, 0, 131, 150), (3, 140, 100, 10)]:
            got = raster.read_rgb(Tile(x0_px=x0, y0_px=y0, width_px=w, height_px=h))
            assert got.dtype == np.uint8 and got.flags.c_contiguous
            np.testing.assert_array_equal(got, np.moveaxis(planes[:, y0:y0 + h, x0:x0 + w], 0, -1))


def test_jpeg_named_tif_is_sniffed_and_has_no_georeference(tmp_path: Path) -> None:
    yy, xx = np.mgrid[0:96, 0:128]
    rgb = np.dstack([xx * 2, yy * 2, 255 - xx]).astype(np.uint8)  # smooth: JPEG keeps it
    jpg = tmp_path / "scene.jpg"
    cv2.imwrite(str(jpg), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 100])
    fake = tmp_path / "scene.tif"
    jpg.rename(fake)
    info = read_info(fake)
    assert info.driver == "JPEG" and not info.georeferenced and info.gsd_m is None
    with RasterReader(fake) as raster:
        out = raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=128, height_px=96))
    assert np.abs(out.astype(int) - rgb.astype(int)).mean() < 8  # lossy, but RGB order kept


def test_png_with_alpha_reads_first_three_bands(tmp_path: Path) -> None:
    rgba = np.dstack([_rgb(4), np.full((96, 128), 7, dtype=np.uint8)])
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), rgba[..., [2, 1, 0, 3]])
    with RasterReader(path) as raster:
        assert raster.info.band_count == 4
        out = raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=128, height_px=96))
    np.testing.assert_array_equal(out, rgba[..., :3])


def test_float_raster_with_nan_is_stretched(tmp_path: Path) -> None:
    data = np.linspace(0.0, 1.0, 3 * 64 * 64, dtype=np.float32).reshape(3, 64, 64)
    data[:, 0, 0] = np.nan
    path = _geotiff(tmp_path / "f.tif", data)
    with RasterReader(path) as raster:
        out = raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=64, height_px=64))
    assert out.dtype == np.uint8 and out[0, 0, 0] == 0 and out[-1, -1, 0] == 255


def test_geographic_crs_gsd_in_metres(tmp_path: Path) -> None:
    data = np.zeros((3, 32, 32), dtype=np.uint8)
    path = _geotiff(tmp_path / "geo.tif", data, crs="EPSG:4326", gsd=5e-6, origin=(10.0, 50.0))
    info = read_info(path)
    assert info.gsd_m is not None and 0.3 < info.gsd_m < 0.6


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is not an image\n" * 10, b"\xff\xd8\xff\xe0" + b"\x00" * 40],
    ids=["empty", "text", "jpeg-header-only"],
)
def test_non_images_raise_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.tif"
    path.write_bytes(content)
    with pytest.raises(RasterReadError, match=r"bad\.tif"), RasterReader(path) as raster:
        raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=1, height_px=1))


def test_truncated_geotiff_raises_on_read(tmp_path: Path) -> None:
    data = np.moveaxis(_rgb(5, 512, 512), -1, 0)
    path = _geotiff(tmp_path / "cut.tif", data)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RasterReadError, match=r"cut\.tif.*truncated"), RasterReader(path) as raster:
        raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=512, height_px=512))


def test_missing_file_and_window_outside(tmp_path: Path) -> None:
    with pytest.raises(RasterReadError, match="no such file"):
        RasterReader(tmp_path / "nope.tif")
    path = _geotiff(tmp_path / "small.tif", np.zeros((3, 10, 10), dtype=np.uint8))
    with RasterReader(path) as raster, pytest.raises(RasterReadError, match="outside"):
        raster.read_rgb(Tile(x0_px=5, y0_px=5, width_px=10, height_px=10))


def test_vrt_pointing_at_another_file_is_refused(tmp_path: Path) -> None:
    secret = _geotiff(tmp_path / "secret.tif", np.full((1, 8, 8), 42, dtype=np.uint16))
    vrt = tmp_path / "innocent.tif"
    vrt.write_text(
        f'<VRTDataset rasterXSize="8" rasterYSize="8"><VRTRasterBand dataType="UInt16" band="1">'
        f"<SimpleSource><SourceFilename>{secret}</SourceFilename><SourceBand>1</SourceBand>"
        f"</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    with pytest.raises(RasterReadError, match=r"innocent\.tif"):
        RasterReader(vrt)


def test_nodata_border_does_not_set_the_stretch(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    data = rng.integers(1000, 2000, size=(1, 100, 100), dtype=np.uint16)
    data[:, :, :60] = 0  # a wide no-data border
    path = tmp_path / "nd.tif"
    _geotiff(path, data)
    with rasterio.open(path, "r+") as dst:
        dst.nodata = 0
    with RasterReader(path) as raster:
        out = raster.read_rgb(Tile(x0_px=60, y0_px=0, width_px=40, height_px=100))
    # Stretched over 1000..2000, not 0..2000: the valid pixels use the full range.
    assert out.min() == 0 and out.max() == 255 and 100 < out.mean() < 155
