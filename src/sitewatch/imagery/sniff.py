"""The one format sniffer: a file's real raster format from its first bytes, never its name.

The answer is the only GDAL driver allowed to open the file. Formats that point at other files
or URLs (VRT and GDAL's other XML formats) are not on the list, so a hostile file named ``.tif``
cannot make GDAL read other local files or reach the network. The catalog stores a subset of
these formats (:func:`sitewatch.catalog.inspect.sniff_format`); reading takes them all.
"""

from __future__ import annotations

from pathlib import Path

from sitewatch.errors import RasterReadError

#: Leading bytes -> the GDAL driver for the file.
MAGIC_DRIVERS: tuple[tuple[bytes, str], ...] = (
    (b"II*\x00", "GTiff"),
    (b"MM\x00*", "GTiff"),
    (b"II+\x00", "GTiff"),  # BigTIFF
    (b"MM\x00+", "GTiff"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\x00\x00\x00\x0cjP  ", "JP2OpenJPEG"),
    (b"\xffO\xffQ", "JP2OpenJPEG"),  # raw JPEG 2000 codestream
    (b"BM", "BMP"),
    (b"GIF8", "GIF"),
)
SUPPORTED = "GeoTIFF/COG, JPEG, PNG, JPEG 2000, BMP, GIF"
#: Bytes :func:`sniff_bytes` needs to tell every format apart.
HEAD_BYTES = 16


def read_error(path: Path, exc: BaseException) -> RasterReadError:
    """The error for a raster that cannot be opened or decoded: names the file and what to do."""
    # rasterio's "Read failed. See previous exception" keeps GDAL's reason as its cause
    reason = (str(exc.__cause__ or exc).strip().splitlines() or [""])[0]
    return RasterReadError(
        f"cannot read {str(path)!r}: {reason} (corrupt, truncated or not an image? "
        "re-download it or convert it to GeoTIFF with gdal_translate)",
        path=str(path),
    )


def sniff_bytes(head: bytes) -> str | None:
    """The GDAL driver for a file that starts with ``head``, or None for no supported format.

    >>> sniff_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)), sniff_bytes(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    ('PNG', 'WEBP')
    >>> sniff_bytes(b'<VRTDataset rasterXSize="8">') is None
    True
    """
    for magic, driver in MAGIC_DRIVERS:
        if head.startswith(magic):
            return driver
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def sniff_driver(path: Path) -> str:
    """The GDAL driver for a file, from its first bytes.

    Raises:
        RasterReadError: Unreadable, or not one of the supported formats.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise read_error(path, exc) from exc
    driver = sniff_bytes(head)
    if driver is None:
        raise RasterReadError(
            f"cannot read {str(path)!r}: its bytes are not a supported image format ({SUPPORTED}); "
            "convert it to GeoTIFF (e.g. with gdal_translate)",
            path=str(path),
        )
    return driver
