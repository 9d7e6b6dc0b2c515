from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, GsdSource, ImageFormat, ingest_files, verify_case
from sitewatch.errors import InputFileError

DATE = dt.date(2014, 6, 11)


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def test_geotiff_reads_georeference_and_gsd(store: CaseStore, tiny_geotiff: Path) -> None:
    (scene,) = ingest_files(store, [tiny_geotiff], site="rostov_a", date=DATE).added
    assert scene.georeferenced
    assert scene.gsd_m == pytest.approx(0.5)
    assert scene.gsd_source is GsdSource.GEOREFERENCE
    assert scene.footprint_lonlat_wkt is not None and "POLYGON" in scene.footprint_lonlat_wkt
    assert (scene.width_px, scene.height_px, scene.band_count) == (64, 64, 3)


def test_original_is_stored_read_only_under_its_hash(store: CaseStore, tiny_png: Path) -> None:
    (scene,) = ingest_files(store, [tiny_png], site="a", date=DATE, gsd_m=0.3).added
    assert scene.path.name.startswith(scene.sha256)
    assert scene.path.read_bytes() == tiny_png.read_bytes()
    assert not os.stat(scene.path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_bytes_twice_is_a_no_op(store: CaseStore, tiny_png: Path, tmp_path: Path) -> None:
    ingest_files(store, [tiny_png], site="a", date=DATE, gsd_m=0.3)
    copy = tmp_path / "copy.png"
    copy.write_bytes(tiny_png.read_bytes())
    result = ingest_files(store, [copy], site="a", date=DATE, gsd_m=0.3)
    assert result.added == () and result.already_stored == ("copy.png",)
    assert len(store.scenes()) == 1


def test_duplicate_is_answered_from_its_hash_before_any_check(
    store: CaseStore, tiny_png: Path, tmp_path: Path
) -> None:
    """Issue 24: a duplicate was fully decoded (and checked for a date and GSD) before 'already
    stored'. Bytes the case holds are answered from the hash alone: no date, no GSD, and an
    estimator that would be called on any decoded file is never called."""
    ingest_files(store, [tiny_png], site="a", date=DATE, gsd_m=0.3)
    copy = tmp_path / "copy.png"
    copy.write_bytes(tiny_png.read_bytes())
    looked: list[Path] = []
    result = ingest_files(store, [copy, copy], site="a", date=None,
                          estimate_gsd=lambda path: looked.append(path))  # type: ignore[func-returns-value]
    assert result.added == () and result.already_stored == ("copy.png", "copy.png")
    assert [kept.date for _, kept in result.already_as] == [DATE, DATE]
    assert looked == []


def test_two_files_same_site_and_date_both_kept(
    store: CaseStore, tiny_png: Path, tiny_jpeg: Path
) -> None:
    ingest_files(store, [tiny_png, tiny_jpeg], site="a", date=DATE, gsd_m=0.3)
    assert len(store.scenes(site="a")) == 2


def test_jpeg_named_tif_is_sniffed(store: CaseStore, tiny_jpeg: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "scene.tif"
    disguised.write_bytes(tiny_jpeg.read_bytes())
    (scene,) = ingest_files(store, [disguised], site="a", date=DATE, gsd_m=0.3).added
    assert scene.image_format is ImageFormat.JPEG
    assert scene.path.suffix == ".jpg"


def test_stac_item_gives_asset_and_date(store: CaseStore, tiny_geotiff: Path) -> None:
    import json

    item = {
        "type": "Feature", "stac_version": "1.0.0", "id": "scene-1",
        "geometry": None, "properties": {"datetime": "2014-05-30T08:00:00Z", "license": "CC-BY-4.0"},
        "links": [], "assets": {"visual": {"href": tiny_geotiff.name, "type": "image/tiff"}},
    }
    path = tiny_geotiff.parent / "item.json"
    path.write_text(json.dumps(item))
    (scene,) = ingest_files(store, [path], site="a", date=None).added
    assert scene.date == dt.date(2014, 5, 30)
    assert scene.licence == "CC-BY-4.0"
    assert scene.source.startswith("STAC item scene-1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text and not an image at all", "not GeoTIFF"),
    ],
)
def test_non_images_are_refused(
    store: CaseStore, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        ingest_files(store, [bad], site="a", date=DATE, gsd_m=0.3)


@pytest.mark.parametrize("fixture", ["tiny_jpeg", "tiny_png", "tiny_geotiff"])
def test_truncated_images_are_refused_and_nothing_is_stored(
    store: CaseStore, tmp_path: Path, request: pytest.FixtureRequest, fixture: str,
    tiny_png: Path,
) -> None:
    ingest_files(store, [tiny_png], site="a", date=DATE, gsd_m=0.3)
    source: Path = request.getfixturevalue(fixture)
    data = source.read_bytes()
    truncated = tmp_path / f"truncated{source.suffix}"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputFileError, match="truncated"):
        ingest_files(store, [truncated], site="a", date=DATE, gsd_m=0.3)
    assert len(store.scenes()) == 1
    assert verify_case(store).ok


def test_batch_with_one_bad_file_stores_nothing(
    store: CaseStore, tiny_png: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputFileError, match=r"bad\.png"):
        ingest_files(store, [tiny_png, bad], site="a", date=DATE, gsd_m=0.3)
    assert store.scenes() == ()
    assert not any(p.is_file() for p in (store.root / "objects").rglob("*"))


def test_missing_gsd_without_georeference(store: CaseStore, tiny_jpeg: Path) -> None:
    with pytest.raises(InputFileError, match="--gsd"):
        ingest_files(store, [tiny_jpeg], site="a", date=DATE)


def test_missing_file(store: CaseStore, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        ingest_files(store, [tmp_path / "nope.tif"], site="a", date=DATE, gsd_m=0.3)


def test_absurd_size_is_refused(store: CaseStore, tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 2, 0, 0, 0)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    with pytest.raises(InputFileError, match=r"bomb\.png"):
        ingest_files(store, [bomb], site="a", date=DATE, gsd_m=0.3)


def test_truncated_jpeg_refused_even_when_pillow_was_told_to_accept_them(
    store: CaseStore, tmp_path: Path, tiny_jpeg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as WeasyPrint does on import
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(tiny_jpeg.read_bytes()[:-200])
    with pytest.raises(InputFileError, match="truncated"):
        ingest_files(store, [truncated], site="a", date=DATE, gsd_m=0.3)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_a_case_and_a_loose_read_give_one_gsd_for_a_geographic_geotiff(tmp_path: Path) -> None:
    """The catalog used a spherical formula and imagery a geodesic one, so the same file was
    tiled differently in a case and loose; both now use ``imagery.gsd_m_of``."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from sitewatch.catalog.inspect import inspect_raster
    from sitewatch.catalog.scene import ImageFormat
    from sitewatch.imagery import read_info

    path = tmp_path / "north.tif"
    profile = {"driver": "GTiff", "width": 32, "height": 32, "count": 3, "dtype": "uint8",
               "crs": "EPSG:4326", "transform": from_origin(30.0, 65.0, 4e-6, 4e-6)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((3, 32, 32), dtype=np.uint8))
    in_case = inspect_raster(path, ImageFormat.TIFF).gsd_m
    loose = read_info(path).gsd_m
    assert in_case is not None and loose is not None
    assert in_case == pytest.approx(loose, rel=1e-9)
    # 4e-6 degrees at 65 N: about 0.446 m north-south and 0.189 m east-west
    assert in_case == pytest.approx((0.4465 * 0.1891) ** 0.5, rel=0.01)


def _geotiff_with_unknown_epsg(path: Path) -> Path:
    """A GeoTIFF whose ProjectedCSTypeGeoKey names an EPSG code PROJ does not know (fuzz
    corpus file 62 of seed 0 found it; old code: a traceback from PROJ)."""
    import struct

    import numpy as np
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint8",
                       crs="EPSG:32631",
                       transform=rasterio.transform.from_origin(500_000, 5_000_000, 0.3, 0.3)) as dst:
        dst.write(np.full((1, 8, 8), 9, np.uint8))
    data = path.read_bytes()
    key = struct.pack("<HHHH", 3072, 0, 1, 32631)
    assert key in data
    path.write_bytes(data.replace(key, struct.pack("<HHHH", 3072, 0, 1, 65_000)))
    return path


def test_an_unknown_epsg_code_is_one_error_and_stores_nothing(store: CaseStore, tmp_path: Path) -> None:
    bad = _geotiff_with_unknown_epsg(tmp_path / "unknown-epsg.tif")
    with pytest.raises(InputFileError, match=r"unknown-epsg\.tif.*coordinate system") as caught:
        ingest_files(store, [bad], site="a", date=DATE)
    assert "\n" not in str(caught.value)
    assert store.scenes() == () and verify_case(store).ok


def test_an_empty_sparse_tiff_is_refused_before_decoding(store: CaseStore, tmp_path: Path) -> None:
    import time

    from tests.imagery.test_limits import sparse_tiled_tiff

    started = time.monotonic()
    with pytest.raises(InputFileError, match="more than 200:1"):
        ingest_files(store, [sparse_tiled_tiff(tmp_path / "empty.tif")], site="a", date=DATE, gsd_m=0.3)
    assert time.monotonic() - started < 10 and store.scenes() == ()


def test_a_world_file_in_a_local_coordinate_system_is_one_error(store: CaseStore, tiny_png: Path,
                                                                tmp_path: Path) -> None:
    """Fuzz corpus file 82 of seed 0: a .pgw with a LOCAL_CS .prj beside it; old code: a
    pyproj traceback while the footprint was computed."""
    image = tmp_path / "placed.png"
    image.write_bytes(tiny_png.read_bytes())
    image.with_suffix(".pgw").write_text("0.3\n0\n0\n-0.3\n500000\n5000000\n")
    image.with_suffix(".prj").write_text('LOCAL_CS["x"]')
    with pytest.raises(InputFileError, match=r"cannot place '.*placed\.png' by world file: .*longitude"):
        ingest_files(store, [image], site="a", date=DATE)
    assert store.scenes() == () and verify_case(store).ok


def _jpeg_claiming_more_rows(source: Path, target: Path, rows: int = 30_000) -> Path:
    """A real JPEG whose SOF marker claims ``rows`` rows: libjpeg decodes the real ones, finds
    the data ended, warns, and fills the rest with grey (fuzz corpus file 140 of seed 0)."""
    import struct

    data = bytearray(source.read_bytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">H", data, sof + 5, rows)
    target.write_bytes(bytes(data))
    return target


def test_a_jpeg_whose_data_ends_early_is_refused(store: CaseStore, tiny_jpeg: Path,
                                                 tmp_path: Path) -> None:
    """Old code stored it as a 64×30000 scene, 99 % of it made-up grey."""
    bad = _jpeg_claiming_more_rows(tiny_jpeg, tmp_path / "tall.jpg")
    with pytest.raises(InputFileError, match=r"tall\.jpg.*premature end"):
        ingest_files(store, [bad], site="a", date=DATE, gsd_m=0.3)
    assert store.scenes() == () and verify_case(store).ok
    assert ingest_files(store, [tiny_jpeg], site="a", date=DATE, gsd_m=0.3).added
