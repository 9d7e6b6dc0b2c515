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
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    return total


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
