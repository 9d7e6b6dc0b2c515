"""What a file is, what a raster says about itself, and proof every pixel decodes, before it is
stored. Both build on ``imagery``: its sniffer (:func:`sitewatch.imagery.sniff_bytes`) and its
:class:`~sitewatch.imagery.RasterInfo`; the catalog only narrows them to what a case stores."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sitewatch.catalog.scene import ImageFormat
from sitewatch.errors import InputFileError, RasterReadError
from sitewatch.imagery import MAX_WHOLE_DECODE_BYTES, RasterInfo, check_dataset, dataset_info, sniff_bytes

if TYPE_CHECKING:
    from rasterio.io import DatasetReader

#: Largest image accepted, in pixels (a 50,000 × 50,000 scene); larger is refused as absurd.
MAX_PIXELS = 2_500_000_000
_ROWS_PER_CHECK = 512
_WINDOW_BYTES = 64 * 1024**2
#: GDAL's block cache while a file is checked (MB); its default is 5 % of the machine's memory.
_GDAL_CACHE_MB = 256


#: The GDAL drivers whose files a case stores, as the catalog names them.
_STORED: dict[str, ImageFormat] = {"GTiff": ImageFormat.TIFF, "JPEG": ImageFormat.JPEG,
                                   "PNG": ImageFormat.PNG, "WEBP": ImageFormat.WEBP}


def sniff_format(path: Path) -> ImageFormat:
    """The format of ``path`` as told by its content (imagery's sniffer, narrowed to what a case
    stores), or a STAC Item JSON.

    Raises:
        InputFileError: the file is empty or in no format sitewatch ingests.
    """
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head:
        raise InputFileError(f"cannot ingest '{path}': the file is empty (0 bytes); re-copy it")
    stored = _STORED.get(sniff_bytes(head) or "")
    if stored is not None:
        return stored
    if head.lstrip()[:1] == b"{":
        return ImageFormat.STAC_JSON
    raise InputFileError(
        f"cannot ingest '{path}': its content is not GeoTIFF/TIFF, JPEG, PNG, WebP or STAC JSON "
        f"(first bytes {head[:8]!r}); convert it to GeoTIFF or PNG"
    )


def inspect_raster(path: Path, image_format: ImageFormat) -> RasterInfo:
    """Read georeference and size, and decode every pixel to prove the file is whole.

    The file comes from outside, so both steps run under :mod:`sitewatch.budget`: the header
    (which bounds the decoded size) within the base time, then the full decode within a time
    scaled by that size, each with a capped address space.

    Raises:
        InputFileError: the file is corrupt, truncated, absurdly large or not a raster, or its
            decoding broke the time or memory budget.
    """
    from sitewatch.budget import decode_seconds, run_bounded

    what = f"'{path}'"
    decoded = run_bounded(_declared_bytes, path, image_format, what=what, error=InputFileError)
    return run_bounded(_inspect, path, image_format, what=what, error=InputFileError,
                       seconds=decode_seconds(decoded))


def _declared_bytes(path: Path, image_format: ImageFormat) -> int:
    """The bytes the file's header says it decodes to, refused past the bounds."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    if image_format in (ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP):
        _check_with_pillow(path, load=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_MB), rasterio.open(path) as dataset:
                _check_size(path, dataset.width, dataset.height)
                return check_dataset(path, dataset, str(dataset.driver))
    except RasterReadError as exc:
        raise InputFileError(f"cannot ingest '{path}': {exc}") from None
    except RasterioError as exc:
        raise _unreadable(path, image_format, exc) from None


def _unreadable(path: Path, image_format: ImageFormat, exc: Exception) -> InputFileError:
    reason = (str(exc.__cause__ or exc).strip().splitlines() or ["unreadable"])[0]
    return InputFileError(f"cannot read '{path}' as {image_format.value}: {reason} (corrupt or "
                          "truncated file? re-download or re-export it)")


def _inspect(path: Path, image_format: ImageFormat) -> RasterInfo:
    """Decode every pixel: PNG and WebP with Pillow, TIFF and JPEG with GDAL, which is told to
    treat libjpeg's warnings as errors (libjpeg fills a JPEG whose data ends early with grey and
    only warns: a 128×96 JPEG whose SOF claimed 30,000 rows was stored as 128×30000)."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    if image_format in (ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP):
        _check_with_pillow(path, load=image_format is not ImageFormat.JPEG)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_MB, GDAL_ERROR_ON_LIBJPEG_WARNING=True), \
                    rasterio.open(path) as dataset:
                _check_size(path, dataset.width, dataset.height)
                check_dataset(path, dataset, str(dataset.driver))  # before any pixel is read
                if image_format in (ImageFormat.TIFF, ImageFormat.JPEG):
                    _decode_all(dataset)
                return _info(dataset)
    except RasterReadError as exc:
        raise InputFileError(f"cannot ingest '{path}': {exc}") from None
    except RasterioError as exc:
        raise _unreadable(path, image_format, exc) from None


def _check_size(path: Path, width_px: int, height_px: int) -> None:
    if width_px <= 0 or height_px <= 0 or width_px * height_px > MAX_PIXELS:
        raise InputFileError(
            f"refusing '{path}': {width_px}×{height_px} px is outside 1 px to {MAX_PIXELS:,} px "
            "(crop or tile the scene first)"
        )


def _check_with_pillow(path: Path, *, load: bool = True) -> None:
    from PIL import Image, ImageFile

    # Other libraries (WeasyPrint, for one) switch Pillow to accept truncated images for the
    # whole process; this check must refuse them whatever was set before, and leave it as it was.
    saved = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = MAX_WHOLE_DECODE_BYTES  # pixels: above any image accepted below
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:  # reads the header only
                _check_size(path, *image.size)
                _check_whole_decode(path, image)
                if load:
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputFileError(f"refusing '{path}': {exc}; crop it or convert it to a tiled "
                             "GeoTIFF (gdal_translate -co TILED=YES)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(
            f"cannot decode '{path}': {exc} (corrupt or truncated file? re-download or re-export it)"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = saved


def _check_whole_decode(path: Path, image: object) -> None:
    """Refuse an image Pillow would decode in one piece past ``MAX_WHOLE_DECODE_BYTES``."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    width, height = image.size
    band_bytes = {"I;16": 2, "I;16B": 2, "I;16L": 2, "I": 4, "F": 4}.get(image.mode, 1)
    decoded = width * height * len(image.getbands()) * band_bytes
    if decoded > MAX_WHOLE_DECODE_BYTES:
        raise InputFileError(
            f"refusing '{path}': {width}×{height} px {image.mode} decodes to "
            f"{decoded / 1024**3:.1f} GiB in one piece (at most "
            f"{MAX_WHOLE_DECODE_BYTES / 1024**3:.0f} GiB); crop it or convert it to a tiled "
            "GeoTIFF (gdal_translate -co TILED=YES)"
        )


def _decode_all(dataset: object) -> None:
    """Decode every pixel, in windows of at most ``_WINDOW_BYTES``."""
    import numpy as np
    from rasterio.windows import Window

    height = dataset.height  # type: ignore[attr-defined]
    row_bytes = dataset.width * sum(np.dtype(d).itemsize for d in dataset.dtypes)  # type: ignore[attr-defined]
    step = max(1, min(_ROWS_PER_CHECK, _WINDOW_BYTES // row_bytes))
    for row in range(0, height, step):
        rows = min(step, height - row)
        dataset.read(window=Window(0, row, dataset.width, rows))  # type: ignore[attr-defined]


def _info(dataset: DatasetReader) -> RasterInfo:
    """Imagery's :class:`~sitewatch.imagery.RasterInfo` of the dataset, its georeference kept only
    whole (a transform and a CRS), with the GSD it gives, even a nonsense one: ingest refuses that
    GSD unless one is given, where a loose read drops it."""
    info = dataset_info(Path(dataset.name), dataset)
    return info if info.georeferenced else replace(info, transform=None, crs_wkt=None)
