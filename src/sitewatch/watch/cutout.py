"""Reading only the part of a scene that covers a site: windowed reads of (cloud-optimised)
GeoTIFFs, local or over HTTP range requests (GDAL's ``/vsicurl/``).

The window covering the site's polygon plus a margin is cut out and written as a new GeoTIFF
with its own georeference. That file is what the case stores and hashes, so ``verify`` and
``replay`` hold on exactly the pixels that were read; the provenance names the source address,
the window and the source's ETag (remote) or SHA-256 (local).
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitewatch.digest import sha256_file
from sitewatch.errors import SourceError
from sitewatch.imagery import MAX_BANDS, check_decoded_size

#: GDAL settings for remote reads: no directory listing beside the file, a cache of the blocks
#: read, and retries on a flaky link.
_GDAL_REMOTE = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.tiff,.TIF,.TIFF",
    "GDAL_HTTP_MAX_RETRY": "3",
    "GDAL_HTTP_RETRY_DELAY": "1",
    "VSI_CACHE": "TRUE",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PixelWindow:
    """A window of a raster in its own pixel grid."""

    col_off: int
    row_off: int
    width_px: int
    height_px: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Cutout:
    """What was cut from a scene for a site.

    Attributes:
        path: The written GeoTIFF (None when the scene covers too little of the site).
        coverage: Share of the site's polygon that the scene's pixels cover (0-1).
        window: The window read, in the source's pixel grid (None when nothing was read).
        source_width_px, source_height_px: The source raster's size.
        source_crs: The source's CRS as text.
        identity: How the source's bytes are pinned: ``{"etag": ...}``,
            ``{"last_modified": ..., "content_length": ...}`` (remote) or ``{"sha256": ...}``.
    """

    path: Path | None
    coverage: float
    window: PixelWindow | None
    source_width_px: int
    source_height_px: int
    source_crs: str
    identity: dict[str, str]

    def provenance(self) -> dict[str, Any]:
        """JSON-ready record for the audit log."""
        window = self.window
        return {
            "coverage": round(self.coverage, 6),
            "window": None if window is None else {
                "col_off": window.col_off, "row_off": window.row_off,
                "width_px": window.width_px, "height_px": window.height_px},
            "source_size_px": [self.source_width_px, self.source_height_px],
            "source_crs": self.source_crs,
            "source_identity": self.identity,
        }


def is_remote(href: str) -> bool:
    """Whether ``href`` is an http(s) address (read with range requests)."""
    return href.startswith(("http://", "https://"))


def source_identity(href: str) -> dict[str, str]:
    """What pins a source's bytes: its ETag (or Last-Modified and length) from an HTTP HEAD, or
    the SHA-256 of a local file.

    Raises:
        SourceError: the address cannot be reached, or the file cannot be read.
    """
    if not is_remote(href):
        try:
            return {"sha256": sha256_file(Path(href))}
        except OSError as exc:
            raise SourceError(f"cannot read scene '{href}': {exc}; check the source") from None
    request = urllib.request.Request(href, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # http(s) only
            headers = response.headers
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"cannot reach scene {href[:200]}: {exc}; check the address and "
                          "the network") from None
    if headers.get("ETag"):
        return {"etag": str(headers["ETag"])}
    return {"last_modified": str(headers.get("Last-Modified", "")),
            "content_length": str(headers.get("Content-Length", ""))}


def cut_site(href: str, site_lonlat: Any, out: Path, *, margin_m: float,
             min_coverage: float) -> Cutout:
    """Cut the window of ``href`` covering ``site_lonlat`` (a shapely polygon, WGS84) plus
    ``margin_m`` and write it to ``out`` as a GeoTIFF, unless the scene covers less than
    ``min_coverage`` of the site (then nothing is read but the header, and ``path`` is None).

    Raises:
        SourceError: the scene cannot be opened or read, or has no georeference.
    """
    import rasterio
    from rasterio.errors import RasterioError

    path = f"/vsicurl/{href}" if is_remote(href) else href
    try:
        with rasterio.Env(**_GDAL_REMOTE), rasterio.open(path) as src:
            if src.crs is None or src.transform.is_identity:
                raise SourceError(f"scene {href[:200]} has no georeference; a watch needs "
                                  "georeferenced imagery (ingest it by hand with --gsd)")
            window, coverage = _window(src, site_lonlat, margin_m)
            base = {"source_width_px": src.width, "source_height_px": src.height,
                    "source_crs": src.crs.to_string()}
            if window is None or coverage < min_coverage:
                return Cutout(path=None, coverage=coverage, window=None, identity={}, **base)
            _check_window(href, src, window)
            _write(src, window, out)
    except RasterioError as exc:
        raise SourceError(f"cannot read scene {href[:200]}: {str(exc)[:200]}; check the address "
                          "(a remote file must be served with HTTP range support)") from None
    return Cutout(path=out, coverage=coverage, window=window, identity=source_identity(href),
                  **base)


def _check_window(href: str, src: Any, window: PixelWindow) -> None:
    """Bound what the window decodes to before any pixel is read (bands listed only when few)."""
    import numpy as np

    few = 0 < src.count <= MAX_BANDS
    check_decoded_size(
        Path(href.rsplit("/", 1)[-1]), width_px=window.width_px, height_px=window.height_px,
        sample_bytes=[np.dtype(d).itemsize for d in src.dtypes] if few else [1] * src.count,
        block_px=src.block_shapes[0] if few else None, windowed=True)


def _window(src: Any, site_lonlat: Any, margin_m: float) -> tuple[PixelWindow | None, float]:
    """The window covering the site plus margin, and the share of the site the raster covers."""
    from rasterio.warp import transform_geom
    from shapely.geometry import box, shape

    site = shape(transform_geom("EPSG:4326", src.crs, site_lonlat.__geo_interface__))
    footprint = box(*src.bounds)
    coverage = site.intersection(footprint).area / site.area if site.area else 0.0
    if coverage == 0:
        return None, 0.0
    margin = margin_m if not src.crs.is_geographic else margin_m / 111_320.0
    left, bottom, right, top = site.buffer(margin).bounds
    inverse = ~src.transform
    cols, rows = zip(*(inverse * (x, y) for x, y in ((left, bottom), (left, top), (right, bottom),
                                                    (right, top))), strict=True)
    col0, row0 = max(0, math.floor(min(cols))), max(0, math.floor(min(rows)))
    col1, row1 = min(src.width, math.ceil(max(cols))), min(src.height, math.ceil(max(rows)))
    if col1 <= col0 or row1 <= row0:
        return None, 0.0
    return PixelWindow(col_off=col0, row_off=row0, width_px=col1 - col0,
                       height_px=row1 - row0), coverage


def _write(src: Any, window: PixelWindow, out: Path) -> None:
    """Write the window with its georeference; the same pixels always give the same bytes."""
    import rasterio
    from rasterio.windows import Window

    win = Window(window.col_off, window.row_off, window.width_px, window.height_px)
    data = src.read(window=win)
    profile = {
        "driver": "GTiff", "width": window.width_px, "height": window.height_px,
        "count": src.count, "dtype": src.dtypes[0], "crs": src.crs,
        "transform": src.window_transform(win), "nodata": src.nodata,
        "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    if src.count == 3 and src.dtypes[0] == "uint8":
        profile["photometric"] = "RGB"
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".part.tif")
    with rasterio.open(temporary, "w", **profile) as dst:
        dst.write(data)
    temporary.replace(out)
