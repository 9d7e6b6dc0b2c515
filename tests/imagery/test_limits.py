"""Hostile headers are refused from the header alone: no pixel is decoded, no memory asked for.

Each file here is a few hundred bytes that declares gigabytes: a sparse float64 TIFF, a JPEG
whose SOF marker was patched, a TIFF with 65,535 samples per pixel.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.errors import RasterReadError
from sitewatch.imagery import RasterReader
from sitewatch.imagery.limits import MAX_BLOCK_BYTES, check_decoded_size


def sparse_float64_tiff(path: Path, side_px: int = 50_000) -> Path:
    """A TIFF of ``side_px``² float64 pixels with no strip written (a few hundred bytes)."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=side_px, height=side_px, count=1,
                           dtype="float64", blockysize=side_px, SPARSE_OK="TRUE"):
            pass
    return path


def patched_sof_jpeg(path: Path, side_px: int) -> Path:
    """A real 16×16 JPEG whose start-of-frame marker claims ``side_px``² pixels."""
    ok, encoded = cv2.imencode(".jpg", np.full((16, 16, 3), 100, dtype=np.uint8))
    assert ok
    data = bytearray(encoded.tobytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", side_px, side_px)
    path.write_bytes(bytes(data))
    return path


def many_samples_tiff(path: Path, samples: int = 65_535) -> Path:
    """A 64×64 TIFF header declaring ``samples`` samples per pixel, no pixel data."""
    entries = [(256, 4, 64), (257, 4, 64), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0),
               (277, 3, samples), (278, 4, 64), (279, 4, 0), (284, 3, 1)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        ifd += struct.pack("<HHI", tag, kind, 1)
        ifd += struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0))
    return path


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    return {
        "sparse": sparse_float64_tiff(tmp_path / "sparse.tif"),
        "sof": patched_sof_jpeg(tmp_path / "sof.jpg", 45_000),
        "samples": many_samples_tiff(tmp_path / "samples.tif"),
    }


def test_hostile_files_are_tiny(hostile: dict[str, Path]) -> None:
    assert all(p.stat().st_size < 6_000 for p in hostile.values())


@pytest.mark.parametrize(("name", "complaint"), [
    ("sparse", "decodes to 18.6 GiB"), ("sof", "decodes to 5.7 GiB"),
    ("samples", "more than 32 bands"),
])
def test_loose_reading_refuses_before_decoding(hostile: dict[str, Path], name: str,
                                               complaint: str) -> None:
    with pytest.raises(RasterReadError, match=complaint) as caught:
        RasterReader(hostile[name])
    assert hostile[name].name in str(caught.value) and "\n" not in str(caught.value)


def test_block_bound_is_checked() -> None:
    with pytest.raises(RasterReadError, match="blocks of 20000×20000 px"):
        check_decoded_size(Path("strip.tif"), width_px=20_000, height_px=20_000,
                           sample_bytes=(1,), block_px=(20_000, 20_000), windowed=True)
    assert MAX_BLOCK_BYTES < 20_000 * 20_000
    assert check_decoded_size(Path("tiled.tif"), width_px=20_000, height_px=20_000,
                              sample_bytes=(1, 1, 1), block_px=(512, 512), windowed=True) \
        == 1_200_000_000


_INGEST = """
import datetime as dt, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from sitewatch.catalog import CaseStore, ingest_files, verify_case
from sitewatch.errors import InputFileError
store = CaseStore.init(Path(sys.argv[1]))
for name in sys.argv[2:]:
    try:
        ingest_files(store, [Path(name)], site="a", date=dt.date(2020, 1, 1), gsd_m=0.3)
    except InputFileError as exc:
        print("refused", exc)
print("scenes", len(store.scenes()), "verify", verify_case(store).ok)
"""


def test_ingest_refuses_them_within_a_small_memory_budget(hostile: dict[str, Path],
                                                          tmp_path: Path) -> None:
    """Under a 3 GiB address-space limit, an attempt to allocate any of them would fail."""
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", _INGEST, str(tmp_path / "case"), *map(str, hostile.values())],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(src), "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("refused") == 3
    assert done.stdout.strip().endswith("scenes 0 verify True")
    assert "Traceback" not in done.stderr


def test_a_real_scene_still_reads(tmp_path: Path) -> None:
    import rasterio

    path = tmp_path / "ok.tif"
    with rasterio.open(path, "w", driver="GTiff", width=300, height=200, count=3, dtype="uint16",
                       crs="EPSG:32637", transform=rasterio.transform.from_origin(0, 0, 0.3, 0.3),
                       ) as dst:
        dst.write(np.ones((3, 200, 300), dtype=np.uint16))
    with RasterReader(path) as reader:
        assert (reader.info.width_px, reader.info.height_px) == (300, 200)


def sparse_tiled_tiff(path: Path, side_px: int = 20_000) -> Path:
    """A tiled uint8 RGB TIFF of ``side_px``² with no tile written: within the size bounds,
    but a few KB that decode to about a gigabyte (fuzz corpus, issue 24)."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=side_px, height=side_px, count=3,
                           dtype="uint8", tiled=True, SPARSE_OK="TRUE"):
            pass
    return path


def test_a_file_that_decodes_past_200_to_1_is_refused_from_its_header(tmp_path: Path) -> None:
    """Old code decoded all 1.1 GiB of an empty tiled TIFF before ingest (or detect) could
    start: tens of seconds for nothing."""
    path = sparse_tiled_tiff(tmp_path / "empty.tif")
    assert path.stat().st_size < 100_000
    with pytest.raises(RasterReadError, match=r"'empty\.tif': .* decode to 1,144 MiB \(more than 200:1"):
        RasterReader(path)


def test_check_decodes_proves_a_real_image_and_refuses_a_broken_one(tmp_path: Path) -> None:
    from sitewatch.imagery import check_decodes

    good = tmp_path / "good.png"
    cv2.imwrite(str(good), np.full((300, 500, 3), 90, np.uint8))
    assert (check_decodes(good).width_px, check_decodes(good).height_px) == (500, 300)
    import rasterio

    whole = tmp_path / "whole.tif"
    with rasterio.open(whole, "w", driver="GTiff", width=256, height=256, count=3, dtype="uint8",
                       tiled=True, compress="deflate") as dst:
        dst.write(np.random.default_rng(1).integers(0, 255, (3, 256, 256), dtype=np.uint8))
    broken = tmp_path / "broken.tif"
    broken.write_bytes(whole.read_bytes()[:whole.stat().st_size * 2 // 3])  # the header is whole
    with RasterReader(broken):
        pass  # opens: the damage is in the pixels, which only a full decode finds
    with pytest.raises(RasterReadError, match=r"broken\.tif") as caught:
        check_decodes(broken)
    assert "\n" not in str(caught.value)


def test_check_decodes_refuses_a_jpeg_whose_data_ends_early(tmp_path: Path) -> None:
    """Loose detect's check: libjpeg's 'premature end' is a warning GDAL is told to raise."""
    from sitewatch.imagery import check_decodes

    good = tmp_path / "good.jpg"
    cv2.imwrite(str(good), np.random.default_rng(2).integers(0, 255, (96, 128, 3), dtype=np.uint8))
    assert check_decodes(good).height_px == 96
    data = bytearray(good.read_bytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 7] = struct.pack(">H", 30_000)
    tall = tmp_path / "tall.jpg"
    tall.write_bytes(bytes(data))
    with pytest.raises(RasterReadError, match=r"tall\.jpg.*premature end"):
        check_decodes(tall)


def _tiff(path: Path, side_px: int, **profile: object) -> Path:
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    pixels = np.random.default_rng(0).integers(0, 255, (3, side_px, side_px), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=side_px, height=side_px, count=3,
                           dtype="uint8", **profile) as dst:
            dst.write(pixels)
    return path


def _patched(path: Path, tag: int, value: int) -> Path:
    from sitewatch.case.hostile_images import tiff_entries

    data = bytearray(path.read_bytes())
    order, entries = tiff_entries(bytes(data))
    (at, _, kind, _, _), = [e for e in entries if e[1] == tag]
    struct.pack_into(order + ("H" if kind == 3 else "I"), data, at + 8, value)
    out = path.with_name("patched-" + path.name)
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize(("profile", "tag", "listed"), [
    ({"tiled": True, "blockxsize": 256, "blockysize": 256}, 256, "TileOffsets lists 9"),
    ({"blockysize": 64}, 257, "StripOffsets lists 12"),
    ({"tiled": True, "blockxsize": 256, "blockysize": 256, "interleave": "band"}, 256,
     "TileOffsets lists 27"),
])
def test_a_tiff_whose_size_does_not_match_its_block_lists_is_refused(
        tmp_path: Path, profile: dict[str, object], tag: int, listed: str) -> None:
    """Issue 24: a tiled TIFF with its width patched to 65,535 was read as 65,535 × 724 px, the
    tiles it does not list read as empty. The untouched file still reads."""
    whole = _tiff(tmp_path / "scene.tif", 724, **profile)
    assert RasterReader(whole).info.width_px == 724
    with pytest.raises(RasterReadError, match=listed) as caught:
        RasterReader(_patched(whole, tag, 65_535))
    assert "patched-scene.tif" in str(caught.value) and "\n" not in str(caught.value)


def test_a_tiff_whose_header_lies_after_its_pixels_is_checked_too(tmp_path: Path) -> None:
    """libtiff (here through OpenCV) writes the IFD after the pixel data, 4.3 MB into this file."""
    whole = tmp_path / "scene.tif"
    pixels = np.random.default_rng(0).integers(0, 255, (1200, 1200, 3), dtype=np.uint8)
    cv2.imwrite(str(whole), pixels, [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    assert struct.unpack("<I", whole.read_bytes()[4:8])[0] > 4_000_000
    assert RasterReader(whole).info.height_px == 1200
    with pytest.raises(RasterReadError, match="StripOffsets lists 600"):
        RasterReader(_patched(whole, 257, 2_400))
