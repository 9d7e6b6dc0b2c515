"""Read what a raster says about itself, and prove every pixel decodes, before it is stored."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from sitewatch.catalog.scene import ImageFormat
from sitewatch.errors import InputFileError
from sitewatch.imagery.georef import gsd_m_of

#: Largest image accepted, in pixels (a 50,000 × 50,000 scene); larger is refused as absurd.
MAX_PIXELS = 2_500_000_000
_ROWS_PER_CHECK = 512


@dataclass(frozen=True, slots=True, kw_only=True)
class RasterInfo:
    """Metadata read from a raster file."""

    width_px: int
    height_px: int
    band_count: int
    dtype: str
    crs_wkt: str | None
    transform: tuple[float, float, float, float, float, float] | None
    gsd_m: float | None
    footprint_lonlat_wkt: str | None


def inspect_raster(path: Path, image_format: ImageFormat) -> RasterInfo:
    """Read georeference and size, and decode every pixel to prove the file is whole.

    Raises:
        InputFileError: the file is corrupt, truncated, absurdly large or not a raster.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioError

    if image_format in (ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP):
        _check_with_pillow(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as dataset:
                _check_size(path, dataset.width, dataset.height)
                if image_format is ImageFormat.TIFF:
                    _decode_all(dataset)
                return _info(dataset)
    except RasterioError as exc:
        reason = str(exc.__cause__ or exc).strip().splitlines()[0]
        raise InputFileError(
            f"cannot read '{path}' as {image_format.value}: {reason} (corrupt or truncated file? "
            "re-download or re-export it)"
        ) from None


def _check_size(path: Path, width_px: int, height_px: int) -> None:
    if width_px <= 0 or height_px <= 0 or width_px * height_px > MAX_PIXELS:
        raise InputFileError(
            f"refusing '{path}': {width_px}×{height_px} px is outside 1 px to {MAX_PIXELS:,} px "
            "(crop or tile the scene first)"
        )


def _check_with_pillow(path: Path) -> None:
    from PIL import Image, ImageFile

    # Other libraries (WeasyPrint, for one) switch Pillow to accept truncated images for the
    # whole process; this check must refuse them whatever was set before, and leave it as it was.
    saved = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = False, MAX_PIXELS
    try:
        with Image.open(path) as image:
            _check_size(path, *image.size)
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputFileError(
            f"cannot decode '{path}': {exc} (corrupt or truncated file? re-download or re-export it)"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = saved


def _decode_all(dataset: object) -> None:
    from rasterio.windows import Window

    height = dataset.height  # type: ignore[attr-defined]
    for row in range(0, height, _ROWS_PER_CHECK):
        rows = min(_ROWS_PER_CHECK, height - row)
        dataset.read(window=Window(0, row, dataset.width, rows))  # type: ignore[attr-defined]


def _info(dataset: object) -> RasterInfo:
    from rasterio.warp import transform_geom

    ds = dataset
    crs = ds.crs  # type: ignore[attr-defined]
    affine = ds.transform  # type: ignore[attr-defined]
    width, height = ds.width, ds.height  # type: ignore[attr-defined]
    georeferenced = crs is not None and not affine.is_identity
    transform = tuple(float(v) for v in affine[:6]) if georeferenced else None
    gsd_m = footprint = crs_wkt = None
    if georeferenced:
        crs_wkt = crs.to_wkt()
        corners = [affine @ (c, r) for c, r in ((0, 0), (width, 0), (width, height), (0, height))]
        ring = [*corners, corners[0]]
        geom = transform_geom(crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]})
        coords = geom["coordinates"][0]
        footprint = "POLYGON ((" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in coords) + "))"
        gsd_m = gsd_m_of(tuple(affine[:6]), crs_wkt, width, height)
    return RasterInfo(
        width_px=width,
        height_px=height,
        band_count=ds.count,  # type: ignore[attr-defined]
        dtype=str(ds.dtypes[0]),  # type: ignore[attr-defined]
        crs_wkt=crs_wkt,
        transform=transform,  # type: ignore[arg-type]
        gsd_m=gsd_m,
        footprint_lonlat_wkt=footprint,
    )

