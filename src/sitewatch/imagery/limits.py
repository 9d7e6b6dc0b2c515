"""What decoding a raster may cost, checked from its header before any pixel is read.

A file's size says nothing about what it decodes to: a 6 KB sparse float64 TIFF can declare
50,000 × 50,000 px in one strip (18.6 GiB to decode that strip), a 60 KB JPEG with a patched
SOF marker 10 GB, a 4 KB TIFF 65,535 samples per pixel. So the header's width, height, band
count, bytes per sample and block shape are multiplied out and refused past these bounds:

- :data:`MAX_BANDS` samples per pixel (multispectral scenes have up to 16);
- :data:`MAX_DECODED_BYTES` for the whole image when it is read window by window (GeoTIFF);
- :data:`MAX_WHOLE_DECODE_BYTES` for formats decoded in one piece (JPEG, PNG, WebP, ...);
- :data:`MAX_BLOCK_BYTES` for one block (tile or strip) the decoder must hold at once;
- :data:`MAX_RATIO` decoded bytes per byte of file, once an image decodes past
  :data:`RATIO_FLOOR_BYTES` (real imagery compresses 2-50:1; a sparse TIFF or a one-colour
  PNG 1,000:1 or more, and decoding it is all cost and no evidence).

A TIFF must also list exactly one offset and one byte count per block of the grid its width,
height, tile or strip size and planar configuration imply (:func:`check_tiff_blocks`):
libtiff pads a short list with empty blocks, so a 724 px wide tiled TIFF whose width was
patched to 65,535 read as 65,535 × 724 px of mostly nothing.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from sitewatch.errors import RasterReadError

MAX_BANDS = 32
MAX_DECODED_BYTES = 8 * 1024**3
MAX_WHOLE_DECODE_BYTES = 1024**3
MAX_BLOCK_BYTES = 256 * 1024**2
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 256 * 1024**2
#: GDAL formats read window by window without decoding the whole image; others are bounded
#: by :data:`MAX_WHOLE_DECODE_BYTES`.
WINDOWED_DRIVERS = frozenset({"GTiff"})


def check_decoded_size(
    path: Path,
    *,
    width_px: int,
    height_px: int,
    sample_bytes: Sequence[int],
    block_px: tuple[int, int] | None,
    windowed: bool,
) -> int:
    """Refuse a raster whose header asks for more decoding than the bounds allow.

    Args:
        path: the file, for the message.
        width_px, height_px: the declared size.
        sample_bytes: bytes per sample of each band (``len`` is the band count).
        block_px: ``(rows, columns)`` of one block, or ``None`` when unknown.
        windowed: whether the format is read window by window (else decoded whole).

    Returns:
        The bytes the whole image decodes to.

    >>> check_decoded_size(Path("a.tif"), width_px=100, height_px=50, sample_bytes=(1, 1, 1),
    ...                    block_px=(1, 100), windowed=True)
    15000

    Raises:
        RasterReadError: no pixels or bands, too many bands, or the image or one block would
            decode past its bound.
    """
    bands = len(sample_bytes)
    refuse = f"refusing {path.name!r}: {width_px}×{height_px} px × {bands} bands"
    if width_px < 1 or height_px < 1 or bands < 1:
        raise RasterReadError(f"{refuse} has nothing to read (not an image?)", path=str(path))
    if bands > MAX_BANDS:
        raise RasterReadError(f"{refuse}: more than {MAX_BANDS} bands per pixel; keep the "
                              "visible bands (gdal_translate -b 1 -b 2 -b 3)", path=str(path))
    pixel_bytes = sum(sample_bytes)
    total = width_px * height_px * pixel_bytes
    bound = MAX_DECODED_BYTES if windowed else MAX_WHOLE_DECODE_BYTES
    if total > bound:
        raise RasterReadError(
            f"{refuse} decodes to {total / 1024**3:.1f} GiB (at most {bound / 1024**3:.0f} GiB"
            f"{'' if windowed else ' for a format decoded in one piece'}); crop or tile it, or "
            "convert it to a tiled GeoTIFF (gdal_translate -co TILED=YES)", path=str(path))
    if block_px is not None:
        rows, columns = block_px
        block = max(rows, 1) * max(columns, 1) * pixel_bytes
        if block > MAX_BLOCK_BYTES:
            raise RasterReadError(
                f"{refuse} is stored in blocks of {columns}×{rows} px ({block / 1024**2:.0f} MiB "
                f"each, at most {MAX_BLOCK_BYTES / 1024**2:.0f} MiB); re-save it tiled "
                "(gdal_translate -co TILED=YES)", path=str(path))
    return total


def check_dataset(path: Path, dataset: object, driver: str) -> int:
    """:func:`check_decoded_size` for an open rasterio dataset (reads only its header).

    Raises:
        RasterReadError: as :func:`check_decoded_size`.
    """
    import numpy as np

    ds = dataset
    count = int(ds.count)  # type: ignore[attr-defined]
    try:
        file_bytes: int | None = path.stat().st_size
    except OSError:
        file_bytes = None
    # Past MAX_BANDS the per-band types are not even listed (65,535 of them took minutes).
    sample_bytes = ([np.dtype(d).itemsize for d in ds.dtypes]  # type: ignore[attr-defined]
                    if 0 < count <= MAX_BANDS else [1] * count)
    blocks = ds.block_shapes if 0 < count <= MAX_BANDS else None  # type: ignore[attr-defined]
    total = check_decoded_size(
        path, width_px=int(ds.width), height_px=int(ds.height),  # type: ignore[attr-defined]
        sample_bytes=sample_bytes,
        block_px=(int(blocks[0][0]), int(blocks[0][1])) if blocks else None,
        windowed=driver in WINDOWED_DRIVERS,
    )
    check_ratio(path, decoded_bytes=total, file_bytes=file_bytes)
    if driver == "GTiff":
        check_tiff_blocks(path)
    return total


#: First-IFD tags :func:`check_tiff_blocks` reads.
_WIDTH, _HEIGHT, _SAMPLES, _ROWS_PER_STRIP, _PLANAR = 256, 257, 277, 278, 284
_TILE_WIDTH, _TILE_LENGTH = 322, 323
_BLOCK_LISTS = {273: "StripOffsets", 279: "StripByteCounts", 324: "TileOffsets",
                325: "TileByteCounts"}


def _first_ifd(handle: BinaryIO) -> dict[int, tuple[int, int]] | None:
    """``tag -> (count, inline value)`` of the first IFD of a classic or Big TIFF open in
    ``handle`` (wherever in the file the IFD lies), or None when the header or IFD is cut short."""
    header = handle.read(16)
    order = "<" if header[:2] == b"II" else ">"
    if len(header) < 8:
        return None
    version = struct.unpack(order + "H", header[2:4])[0]
    big = version == 43
    if big and len(header) == 16:
        ifd = struct.unpack(order + "Q", header[8:16])[0]
        head, entry, count_fmt = 8, 20, "Q"
    elif version == 42:
        ifd = struct.unpack(order + "I", header[4:8])[0]
        head, entry, count_fmt = 2, 12, "I"
    else:
        return None
    handle.seek(ifd)
    raw = handle.read(head)
    if len(raw) < head:
        return None
    entries = min(struct.unpack(order + ("Q" if big else "H"), raw)[0], 4096)
    table = handle.read(entries * entry)
    if len(table) < entries * entry:
        return None
    tags: dict[int, tuple[int, int]] = {}
    for at in range(0, len(table), entry):
        tag, kind = struct.unpack(order + "HH", table[at:at + 4])
        count = struct.unpack(order + count_fmt, table[at + 4:at + 4 + (8 if big else 4)])[0]
        field = table[at + (12 if big else 8):at + entry]
        value = (struct.unpack(order + "H", field[:2])[0] if kind == 3
                 else struct.unpack(order + "Q", field)[0] if big and kind in (16, 17)
                 else struct.unpack(order + "I", field[:4])[0])
        tags[tag] = (count, value)
    return tags


def check_tiff_blocks(path: Path) -> None:
    """Refuse a TIFF whose first image lists a different number of block offsets or byte counts
    than its grid needs: ⌈width / tile width⌉ × ⌈height / tile length⌉ tiles (or ⌈height / rows
    per strip⌉ strips), times the samples per pixel when the bands are stored in separate
    planes. A header cut short is left to GDAL (which refuses it).

    Raises:
        RasterReadError: naming the file, both counts and what to do.
    """
    with path.open("rb") as handle:
        tags = _first_ifd(handle)
    if tags is None or _WIDTH not in tags or _HEIGHT not in tags:
        return
    width, height = tags[_WIDTH][1], tags[_HEIGHT][1]
    planes = tags.get(_SAMPLES, (1, 1))[1] if tags.get(_PLANAR, (1, 1))[1] == 2 else 1
    refuse = f"refusing {path.name!r}: its header declares {width}×{height} px"
    if _TILE_WIDTH in tags or _TILE_LENGTH in tags:
        tile_w, tile_h = tags.get(_TILE_WIDTH, (0, 0))[1], tags.get(_TILE_LENGTH, (0, 0))[1]
        if tile_w < 1 or tile_h < 1:
            raise RasterReadError(f"{refuse} in tiles of {tile_w}×{tile_h} px (not a tile size); "
                                  "the file is corrupt or altered", path=str(path))
        blocks = math.ceil(width / tile_w) * math.ceil(height / tile_h) * planes
        lists, grid = (324, 325), f"{tile_w}×{tile_h} px tiles"
    else:
        rows = tags.get(_ROWS_PER_STRIP, (1, 2**32 - 1))[1] or 2**32 - 1
        blocks = math.ceil(height / min(rows, max(height, 1))) * planes
        lists, grid = (273, 279), f"strips of {min(rows, height)} rows"
    for tag in lists:
        listed = tags.get(tag, (0, 0))[0]
        if listed != blocks:
            raise RasterReadError(
                f"{refuse} in {grid}{f' × {planes} planes' if planes > 1 else ''}, which needs "
                f"{blocks:,} blocks, but its {_BLOCK_LISTS[tag]} lists {listed:,} (a size field "
                "altered or a damaged file; missing blocks would read as empty image); "
                "re-download it or re-save it with gdal_translate", path=str(path))


def check_ratio(path: Path, *, decoded_bytes: int, file_bytes: int | None) -> None:
    """Refuse a file that decodes past :data:`RATIO_FLOOR_BYTES` at more than
    :data:`MAX_RATIO` bytes per byte stored (a sparse TIFF, a one-colour bomb).

    >>> check_ratio(Path("a.png"), decoded_bytes=300 * 1024**2, file_bytes=100 * 1024**2)

    Raises:
        RasterReadError: naming the file, both sizes and what to do.
    """
    if file_bytes is None or decoded_bytes < RATIO_FLOOR_BYTES:
        return
    if decoded_bytes > max(file_bytes, 1) * MAX_RATIO:
        raise RasterReadError(
            f"refusing {path.name!r}: {file_bytes:,} bytes on disk decode to "
            f"{decoded_bytes / 1024**2:,.0f} MiB (more than {MAX_RATIO}:1; a sparse or "
            "one-colour file, or a decompression bomb); crop it to the imaged area "
            "(gdal_translate -projwin)", path=str(path))
