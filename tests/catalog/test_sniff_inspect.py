"""The catalog builds on imagery: one sniffer (narrowed to what a case stores), one RasterInfo."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.catalog import ImageFormat
from sitewatch.catalog.inspect import inspect_raster, sniff_format
from sitewatch.errors import InputFileError
from sitewatch.imagery import RasterInfo, read_info, sniff_bytes

REFUSED = "its content is not GeoTIFF/TIFF, JPEG, PNG, WebP or STAC JSON"


@pytest.mark.parametrize(
    ("head", "image_format"),
    [
        (b"II*\x00", ImageFormat.TIFF),
        (b"MM\x00+", ImageFormat.TIFF),  # BigTIFF
        (b"\xff\xd8\xff\xe0", ImageFormat.JPEG),
        (b"\x89PNG\r\n\x1a\n", ImageFormat.PNG),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ImageFormat.WEBP),
        (b'  {"type": "Feature"}', ImageFormat.STAC_JSON),
    ],
)
def test_stored_formats_are_told_by_their_bytes(
    tmp_path: Path, head: bytes, image_format: ImageFormat
) -> None:
    path = tmp_path / "any.name"
    path.write_bytes(head + bytes(40))
    assert sniff_format(path) is image_format


@pytest.mark.parametrize(
    "head", [b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"BM6\x00\x00\x00", b"GIF89a", b"<VRTDataset>"],
    ids=["jpeg2000", "bmp", "gif", "vrt"],
)
def test_formats_a_case_does_not_store_are_refused_by_name(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "scene.tif"
    path.write_bytes(head + bytes(40))
    with pytest.raises(InputFileError, match=rf"cannot ingest '.*scene\.tif': {REFUSED} \(first bytes "):
        sniff_format(path)


def test_jpeg2000_bmp_and_gif_are_readable_loose_but_not_stored() -> None:
    """The two format sets differ on purpose, and only in these three."""
    read = {sniff_bytes(h) for h in (b"\x00\x00\x00\x0cjP  ", b"BM", b"GIF8")}
    assert read == {"JP2OpenJPEG", "BMP", "GIF"}


def test_inspect_gives_imagerys_raster_info(tiny_geotiff: Path, tiny_png: Path) -> None:
    info = inspect_raster(tiny_geotiff, ImageFormat.TIFF)
    assert isinstance(info, RasterInfo)
    loose = read_info(tiny_geotiff)
    assert (info.width_px, info.height_px, info.band_count, info.dtype, info.driver) == (
        loose.width_px, loose.height_px, loose.band_count, loose.dtype, loose.driver)
    assert (info.transform, info.crs_wkt, info.gsd_m) == (loose.transform, loose.crs_wkt, loose.gsd_m)
    assert info.footprint_lonlat_wkt is not None and info.footprint_lonlat_wkt.startswith("POLYGON ((")
    plain = inspect_raster(tiny_png, ImageFormat.PNG)
    assert (plain.transform, plain.crs_wkt, plain.gsd_m, plain.footprint_lonlat_wkt) == (None,) * 4


def test_a_transform_without_a_crs_is_no_georeference_in_a_case(tmp_path: Path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import Affine

    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                       transform=Affine(0.5, 0, 300000, 0, -0.5, 7000000)) as out:
        out.write(np.zeros((1, 8, 8), np.uint8))
    assert read_info(path).transform is not None  # a loose read keeps what the file says
    info = inspect_raster(path, ImageFormat.TIFF)
    assert (info.transform, info.crs_wkt, info.gsd_m, info.georeferenced) == (None, None, None, False)


def test_a_georeference_that_puts_the_image_nowhere_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    """UTM coordinates far outside the zone: PROJ gives no lon/lat for the corners, and the scene
    must not be stored with an ``inf`` outline (the GSD alone, 0.3 m, looks fine)."""
    import datetime as dt

    import numpy as np
    import rasterio
    from rasterio.transform import Affine

    from sitewatch.catalog import CaseStore, ingest_files, verify_case

    path = tmp_path / "far.tif"
    with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=1, dtype="uint8",
                       crs="EPSG:32637", transform=Affine(0.3, 0, 9e7, 0, -0.3, 9e7)) as out:
        out.write(np.zeros((1, 16, 16), np.uint8))
    store = CaseStore.init(tmp_path / "case")
    with pytest.raises(InputFileError, match=r"cannot place '.*far\.tif': .*nowhere on the globe.*--gsd"):
        ingest_files(store, [path], site="a", date=dt.date(2014, 6, 11))
    assert store.scenes() == () and verify_case(store).ok
