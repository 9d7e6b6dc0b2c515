"""Reading rasters: any format GDAL can open, windowed, converted to RGB uint8.

GDAL sniffs the real format from the bytes, so a JPEG named ``.tif`` reads as a JPEG. Reads are
windowed, so rasters larger than memory are fine: only the window asked for is decoded. Pixel
values other than uint8 are stretched to 0..255 with percentiles measured once, on a decimated
read of the whole raster (GDAL uses overviews when the file has them).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError, RasterioIOError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from sitewatch.errors import RasterReadError
from sitewatch.imagery.georef import Affine6, gsd_m_of, outline_lonlat_wkt
from sitewatch.imagery.limits import check_dataset
from sitewatch.imagery.sniff import read_error as _read_error
from sitewatch.imagery.sniff import sniff_driver
from sitewatch.imagery.tiles import Tile

#: Longest side of the decimated read used to measure the stretch percentiles.
STRETCH_SAMPLE_PX = 1024
#: Percentiles mapped to 0 and 255 when pixel values are not uint8.
STRETCH_PERCENTILES = (2.0, 98.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RasterInfo:
    """What sitewatch knows about a raster before reading its pixels.

    Attributes:
        path: The file.
        width_px: Columns.
        height_px: Rows.
        band_count: Bands in the file (1 is read as grey, 3 or more as the first three).
        dtype: Numpy name of the pixel type, e.g. ``"uint8"``.
        driver: GDAL's name for the real format, e.g. ``"JPEG"`` or ``"GTiff"``.
        transform: Affine pixel->map transform in GDAL order (a, b, c, d, e, f), or None.
        crs_wkt: Coordinate reference system as WKT, or None.
        gsd_m: Ground sample distance in metres from the georeference, or None when unknown.
    """

    path: Path
    width_px: int
    height_px: int
    band_count: int
    dtype: str
    driver: str
    transform: Affine6 | None
    crs_wkt: str | None
    gsd_m: float | None

    @property
    def georeferenced(self) -> bool:
        """True when both a transform and a CRS are known."""
        return self.transform is not None and self.crs_wkt is not None

    @property
    def footprint_lonlat_wkt(self) -> str | None:
        """The image outline in WGS84 lon/lat as a WKT polygon, or None without georeference.

        Raises:
            GeoError: the CRS cannot be read.
        """
        if self.transform is None or self.crs_wkt is None:
            return None
        return outline_lonlat_wkt(self.transform, self.crs_wkt, self.width_px, self.height_px)


def dataset_info(path: Path, dataset: DatasetReader) -> RasterInfo:
    """What an open dataset says about itself: size, bands, georeference; no pixel is read.

    The GSD is whatever the georeference gives, even a nonsense one (see :class:`RasterReader`).

    Raises:
        GeoError: the CRS cannot be read.
    """
    ds = dataset
    transform: Affine6 | None = None
    if not ds.transform.is_identity:
        transform = tuple(float(v) for v in ds.transform[:6])  # type: ignore[assignment]
    crs_wkt = ds.crs.to_wkt() if ds.crs is not None else None
    gsd = gsd_m_of(transform, crs_wkt, ds.width, ds.height) if transform and crs_wkt else None
    return RasterInfo(
        path=path,
        width_px=int(ds.width),
        height_px=int(ds.height),
        band_count=int(ds.count),
        dtype=str(ds.dtypes[0]),
        driver=str(ds.driver),
        transform=transform,
        crs_wkt=crs_wkt,
        gsd_m=gsd,
    )


class RasterReader:
    """An open raster, read window by window as RGB uint8.

    The format is sniffed from the bytes (:func:`sitewatch.imagery.sniff.sniff_driver`), whatever
    the file is named.

    Use as a context manager::

        with RasterReader(path) as raster:
            rgb = raster.read_rgb(Tile(x0_px=0, y0_px=0, width_px=512, height_px=512))

    Raises:
        RasterReadError: The file is missing, not an image, corrupt or truncated (also
            raised by :meth:`read_rgb` when damage shows only in a later block).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RasterReadError(
                f"cannot read {str(self.path)!r}: no such file (check the path)",
                path=str(self.path),
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                self._ds = rasterio.open(self.path, driver=sniff_driver(self.path))
        except (RasterioIOError, RasterioError) as exc:
            raise _read_error(self.path, exc) from exc
        try:
            self.info = self._make_info()
            self._stretch = self._measure_stretch()
        except BaseException:
            self._ds.close()
            raise

    def __enter__(self) -> RasterReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._ds.close()

    def _make_info(self) -> RasterInfo:
        ds = self._ds
        if ds.count < 1 or ds.width < 1 or ds.height < 1:
            raise RasterReadError(
                f"cannot read {str(self.path)!r}: it has {ds.count} bands of "
                f"{ds.width}×{ds.height} px (not an image?)",
                path=str(self.path),
            )
        check_dataset(self.path, ds, str(ds.driver))  # before any pixel is decoded
        info = dataset_info(self.path, ds)
        gsd = info.gsd_m
        if gsd is not None and not (math.isfinite(gsd) and gsd > 0):
            info = replace(info, gsd_m=None)  # nonsense georeference (e.g. metres in a degrees CRS)
        return info

    def _bands(self) -> list[int]:
        return [1, 1, 1] if self._ds.count < 3 else [1, 2, 3]

    def _read(self, window: Window, out_shape: tuple[int, int] | None = None) -> np.ndarray:
        bands = sorted(set(self._bands()))
        try:
            if out_shape is None:
                return np.asarray(self._ds.read(bands, window=window))
            shape = (len(bands), *out_shape)
            return np.asarray(self._ds.read(bands, window=window, out_shape=shape))
        except (RasterioIOError, RasterioError) as exc:
            raise _read_error(self.path, exc) from exc

    def _measure_stretch(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.info.dtype == "uint8":
            return None
        w, h = self.info.width_px, self.info.height_px
        factor = max(1.0, max(w, h) / STRETCH_SAMPLE_PX)
        shape = (max(1, math.ceil(h / factor)), max(1, math.ceil(w / factor)))
        sample = self._read(Window(0, 0, w, h), out_shape=shape).astype(np.float64)
        lows, highs = [], []
        nodata = self._ds.nodata
        for band in sample:
            valid = np.isfinite(band)
            if nodata is not None and np.isfinite(nodata):
                valid &= band != nodata  # a no-data border must not set the stretch
            finite = band[valid]
            if finite.size == 0:
                lows.append(0.0)
                highs.append(1.0)
                continue
            lo, hi = np.percentile(finite, STRETCH_PERCENTILES)
            lows.append(float(lo))
            highs.append(float(hi) if hi > lo else float(lo) + 1.0)
        return np.asarray(lows), np.asarray(highs)

    def read_rgb(self, tile: Tile) -> np.ndarray:
        """Read one window as an (H, W, 3) uint8 RGB array.

        Args:
            tile: The window, in the raster's full-resolution pixel grid; it must lie inside it.

        Raises:
            RasterReadError: The window cannot be decoded (damaged file).
        """
        if tile.x0_px + tile.width_px > self.info.width_px or (
            tile.y0_px + tile.height_px > self.info.height_px
        ):
            raise RasterReadError(
                f"window {tile} lies outside {str(self.path)!r} "
                f"({self.info.width_px}×{self.info.height_px} px)",
                path=str(self.path),
            )
        return self._rgb(self._read(Window(tile.x0_px, tile.y0_px, tile.width_px, tile.height_px)))

    def read_rgb_reduced(self, *, max_side_px: int) -> np.ndarray:
        """The whole image as (H, W, 3) uint8 RGB, reduced by GDAL so that its longer side is
        at most ``max_side_px`` (never enlarged); only the reduced pixels are decoded where the
        format has overviews or strips.

        Raises:
            RasterReadError: The image cannot be decoded (damaged file).
        """
        w, h = self.info.width_px, self.info.height_px
        factor = max(1.0, max(w, h) / max_side_px)
        shape = (max(1, round(h / factor)), max(1, round(w / factor)))
        return self._rgb(self._read(Window(0, 0, w, h), out_shape=shape))

    def _rgb(self, data: np.ndarray) -> np.ndarray:
        if self._stretch is not None:
            lo, hi = self._stretch
            scaled = (data.astype(np.float32) - lo[:, None, None].astype(np.float32)) * (
                255.0 / (hi - lo)
            )[:, None, None].astype(np.float32)
            data = np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255).astype(np.uint8)
        if data.shape[0] == 1:
            return np.repeat(data[0][:, :, None], 3, axis=2)
        import cv2  # interleaves the planes several times faster than a numpy transposing copy

        return np.asarray(cv2.merge([np.ascontiguousarray(plane) for plane in data[:3]]))


def read_info(path: str | Path) -> RasterInfo:
    """Open a raster only to learn its size, bands and georeference.

    Raises:
        RasterReadError: The file is missing, not an image, corrupt or truncated.
    """
    with RasterReader(path) as raster:
        return raster.info


#: Rows decoded at a time by :func:`check_decodes` (bounded further to 64 MiB a window).
_CHECK_ROWS = 512
_CHECK_WINDOW_BYTES = 64 * 1024**2


def check_decodes(path: str | Path, *, max_pixels: int | None = None,
                  beyond: str = "") -> RasterInfo:
    """Prove an untrusted raster decodes, within a time and memory budget, before work on it.

    In a child process (:func:`sitewatch.budget.run_bounded`): open the file (its header
    bounds are checked first), then decode every pixel window by window; the time allowed
    grows with the size the header declares. With ``max_pixels``, a raster whose header
    declares more pixels is refused before any pixel is decoded; ``beyond`` ends that message
    with what the user may do instead.

    Raises:
        RasterReadError: not an image, damaged, past the decode bounds or ``max_pixels``, or
            its decoding broke the time or memory budget.
    """
    from functools import partial

    from sitewatch.budget import decode_seconds, run_bounded

    where = Path(path)
    what, error = repr(str(where)), partial(RasterReadError, path=str(where))
    info = run_bounded(read_info, where, what=what, error=error)
    pixels = info.width_px * info.height_px
    if max_pixels is not None and pixels > max_pixels:
        raise RasterReadError(
            f"refusing {str(where)!r}: {info.width_px:,}×{info.height_px:,} px "
            f"({_mpx(pixels)} Mpx) is over the {_mpx(max_pixels)} Mpx allowed here"
            + (f"; {beyond}" if beyond else ""), path=str(where))
    bands = 1 if info.band_count < 3 else 3
    decoded = info.width_px * info.height_px * bands * np.dtype(info.dtype).itemsize
    run_bounded(_decode_every_pixel, where, what=what, error=error, seconds=decode_seconds(decoded))
    return info


def _mpx(pixels: int) -> str:
    """Megapixels to one decimal, without a trailing ``.0``.

    >>> _mpx(51_840_000), _mpx(50_000_000)
    ('51.8', '50')
    """
    return f"{pixels / 1e6:,.1f}".removesuffix(".0")


def _decode_every_pixel(path: Path) -> None:
    # libjpeg only warns when a JPEG's data ends early (and fills the rest with grey)
    with rasterio.Env(GDAL_ERROR_ON_LIBJPEG_WARNING=True), RasterReader(path) as raster:
        w, h = raster.info.width_px, raster.info.height_px
        row_bytes = max(1, w * 3 * np.dtype(raster.info.dtype).itemsize)
        step = max(1, min(_CHECK_ROWS, _CHECK_WINDOW_BYTES // row_bytes))
        for row in range(0, h, step):
            raster.read_rgb(Tile(x0_px=0, y0_px=row, width_px=w, height_px=min(step, h - row)))


def same_pixels(path_a: str | Path, path_b: str | Path) -> bool:
    """Whether two rasters hold the same bands, grid (size and geotransform) and pixel values:
    how ``replay`` compares a derived raster (a mosaic, a rectified picture) made again with the
    stored one."""
    import numpy as np
    import rasterio

    with rasterio.open(path_a) as a, rasterio.open(path_b) as b:
        return (a.shape == b.shape and a.count == b.count
                and tuple(a.transform)[:6] == tuple(b.transform)[:6]
                and bool(np.array_equal(a.read(), b.read())))
