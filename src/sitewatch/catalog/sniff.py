"""Recognise a file's real format from its first bytes, never from its name."""

from __future__ import annotations

from pathlib import Path

from sitewatch.catalog.scene import ImageFormat
from sitewatch.errors import InputFileError

_MAGIC: tuple[tuple[bytes, ImageFormat], ...] = (
    (b"\xff\xd8\xff", ImageFormat.JPEG),
    (b"\x89PNG\r\n\x1a\n", ImageFormat.PNG),
    (b"II*\x00", ImageFormat.TIFF),
    (b"MM\x00*", ImageFormat.TIFF),
    (b"II+\x00", ImageFormat.TIFF),
    (b"MM\x00+", ImageFormat.TIFF),
)


def sniff_format(path: Path) -> ImageFormat:
    """The format of ``path`` as told by its content.

    Raises:
        InputFileError: the file is empty or in no format sitewatch reads.
    """
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise InputFileError(f"cannot ingest '{path}': the file is empty (0 bytes); re-copy it")
    for magic, image_format in _MAGIC:
        if head.startswith(magic):
            return image_format
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageFormat.WEBP
    if head.lstrip()[:1] == b"{":
        return ImageFormat.STAC_JSON
    raise InputFileError(
        f"cannot ingest '{path}': its content is not GeoTIFF/TIFF, JPEG, PNG, WebP or STAC JSON "
        f"(first bytes {head[:8]!r}); convert it to GeoTIFF or PNG"
    )
