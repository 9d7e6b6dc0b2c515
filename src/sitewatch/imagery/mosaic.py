"""Mosaic several georeferenced images of one site and date into one north-up GeoTIFF.

Each source is warped by GDAL (``rasterio.warp.reproject``, bilinear) onto one grid in the
first source's CRS, at the finest of the sources' pixel sizes, covering all of them. Where
sources overlap, the one listed first is kept. Before anything is written, every overlap of
two sources is checked: the same ground seen twice must look alike (Pearson correlation of the
grey values, which ignores a change of brightness or contrast between passes). Two images whose
georeferences put different ground in the same place fail that check and are refused, as is a
source without georeference: mosaicking them would make a picture no camera took.

What is recorded of each source (:class:`MosaicPart`) is its outline in the mosaic's pixels
and how many of the mosaic's pixels came from it: the seams.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitewatch.errors import NotGeoreferencedError, RasterReadError, RegistrationError
from sitewatch.imagery.georef import Affine6, lonlat_to_map, map_to_lonlat, pixel_to_map, same_crs
from sitewatch.imagery.limits import MAX_WHOLE_DECODE_BYTES

#: Overlaps smaller than this many pixels are too small to check (and are reported unchecked).
MIN_CHECKED_OVERLAP_PX = 256
#: The same ground seen twice correlates far above this; ground shifted by a few metres, near 0.
MIN_OVERLAP_CORRELATION = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class MosaicSource:
    """One image to mosaic: its stored file, the name the user knows it by, and its
    georeference (from the catalog: a world file or control points are not in the file)."""

    path: Path
    name: str
    transform: Affine6 | None
    crs_wkt: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MosaicPart:
    """Where one source lies in the mosaic.

    Attributes:
        name: the source's name.
        outline_px: its four corners in the mosaic's pixels (x right, y down), clockwise from
            its own top-left.
        pixels_used: mosaic pixels whose value came from it (sources listed earlier win
            overlaps, so a source covered by earlier ones may give none).
    """

    name: str
    outline_px: tuple[tuple[float, float], ...]
    pixels_used: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OverlapCheck:
    """How well two sources agree where they overlap; ``correlation`` is None when the overlap
    was too small or too uniform to check."""

    first: str
    second: str
    overlap_px: int
    correlation: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MosaicResult:
    """The mosaic written: its grid and what each source contributed."""

    transform: Affine6
    crs_wkt: str
    width_px: int
    height_px: int
    band_count: int
    dtype: str
    parts: tuple[MosaicPart, ...]
    overlaps: tuple[OverlapCheck, ...]


def mosaic_images(sources: Sequence[MosaicSource], out: Path) -> MosaicResult:
    """Warp ``sources`` onto one grid, check their overlaps agree, and write ``out`` (GeoTIFF).

    Raises:
        NotGeoreferencedError: fewer than two sources, or a source without georeference.
        RasterReadError: sources with different band counts or sample types, or a mosaic too
            large to build in memory.
        RegistrationError: two sources overlap but show different ground there.
    """
    import rasterio
    from rasterio.crs import CRS
    from rasterio.warp import Resampling, reproject

    if len(sources) < 2:
        raise NotGeoreferencedError("a mosaic needs two or more images of one site and date")
    for source in sources:
        if source.transform is None or source.crs_wkt is None:
            raise NotGeoreferencedError(
                f"'{source.name}' has no georeference, so where it lies beside the others is "
                "unknown; ingest it again with its world file (.jgw/.pgw/.tfw and .prj) or "
                "--gcp points, or leave it out of the mosaic")
    crs_wkt = str(sources[0].crs_wkt)
    bands, dtype = _common_layout(sources)
    corners = [_corners_in(s, crs_wkt) for s in sources]
    res = min(_pixel_size(c, s) for c, s in zip(corners, sources, strict=True))
    xs = np.concatenate([c[:, 0] for c in corners])
    ys = np.concatenate([c[:, 1] for c in corners])
    left, top = float(xs.min()), float(ys.max())
    width = max(1, math.ceil((float(xs.max()) - left) / res - 1e-6))
    height = max(1, math.ceil((top - float(ys.min())) / res - 1e-6))
    itemsize = np.dtype(dtype).itemsize
    if width * height * bands * itemsize * (len(sources) + 1) > MAX_WHOLE_DECODE_BYTES:
        raise RasterReadError(
            f"a mosaic of {len(sources)} images would be {width} x {height} px, more than "
            "sitewatch builds in memory; keep one image per date with `sitewatch scene keep`")
    transform: Affine6 = (res, 0.0, left, 0.0, -res, top)
    dst_crs = CRS.from_wkt(crs_wkt)
    warped: list[np.ndarray] = []
    covered: list[np.ndarray] = []
    for source in sources:
        with rasterio.open(source.path) as dataset:
            data = dataset.read()
        grid = np.zeros((bands, height, width), dtype=dtype)
        mask = np.zeros((height, width), dtype=np.uint8)
        common = {"src_transform": rasterio.Affine(*source.transform),  # type: ignore[misc]
                  "src_crs": CRS.from_wkt(str(source.crs_wkt)),
                  "dst_transform": rasterio.Affine(*transform), "dst_crs": dst_crs}
        reproject(data, grid, resampling=Resampling.bilinear, **common)
        reproject(np.ones(data.shape[1:], np.uint8), mask, resampling=Resampling.nearest,
                  dst_nodata=0, **common)
        warped.append(grid)
        covered.append(mask.astype(bool))
    overlaps = _check_overlaps(sources, warped, covered)
    mosaic = np.zeros((bands, height, width), dtype=dtype)
    taken = np.zeros((height, width), dtype=bool)
    parts = []
    for source, grid, mask, outline in zip(sources, warped, covered, corners, strict=True):
        new = mask & ~taken
        mosaic[:, new] = grid[:, new]
        taken |= new
        px = (outline[:, 0] - left) / res, (top - outline[:, 1]) / res
        parts.append(MosaicPart(
            name=source.name, pixels_used=int(new.sum()),
            outline_px=tuple((round(float(x), 3), round(float(y), 3)) for x, y in zip(*px, strict=True))))
    profile = {"driver": "GTiff", "width": width, "height": height, "count": bands,
               "dtype": dtype, "crs": dst_crs, "transform": rasterio.Affine(*transform),
               "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256}
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(out, "w", **profile) as dst:
        dst.write(mosaic)
        dst.write_mask(taken.astype(np.uint8) * 255)
    return MosaicResult(transform=transform, crs_wkt=crs_wkt, width_px=width, height_px=height,
                        band_count=bands, dtype=dtype, parts=tuple(parts), overlaps=overlaps)


def _common_layout(sources: Sequence[MosaicSource]) -> tuple[int, str]:
    import rasterio

    layouts = {}
    for source in sources:
        with rasterio.open(source.path) as dataset:
            layouts[source.name] = (dataset.count, str(dataset.dtypes[0]))
    if len(set(layouts.values())) > 1:
        listed = ", ".join(f"{n}: {b} bands of {t}" for n, (b, t) in layouts.items())
        raise RasterReadError(f"these images cannot be mosaicked, their pixels differ ({listed}); "
                              "keep one image per date with `sitewatch scene keep`")
    return next(iter(layouts.values()))


def _corners_in(source: MosaicSource, crs_wkt: str) -> np.ndarray:
    """The source's four pixel corners in ``crs_wkt``; ``(4, 2)``."""
    import rasterio

    with rasterio.open(source.path) as dataset:
        w, h = dataset.width, dataset.height
    assert source.transform is not None and source.crs_wkt is not None
    xy = pixel_to_map(source.transform, [0, w, w, 0], [0, 0, h, h])
    if same_crs(source.crs_wkt, crs_wkt):
        return xy
    lonlat = map_to_lonlat(source.crs_wkt, xy[:, 0], xy[:, 1])
    return lonlat_to_map(crs_wkt, lonlat[:, 0], lonlat[:, 1])


def _pixel_size(corners: np.ndarray, source: MosaicSource) -> float:
    """The source's pixel size in the mosaic's CRS units (mean of its two sides)."""
    import rasterio

    with rasterio.open(source.path) as dataset:
        w, h = dataset.width, dataset.height
    across = float(np.hypot(*(corners[1] - corners[0]))) / w
    down = float(np.hypot(*(corners[3] - corners[0]))) / h
    return (across + down) / 2.0


def _check_overlaps(sources: Sequence[MosaicSource], warped: list[np.ndarray],
                    covered: list[np.ndarray]) -> tuple[OverlapCheck, ...]:
    checks = []
    for i in range(len(sources)):
        for j in range(i + 1, len(sources)):
            both = covered[i] & covered[j]
            # One pixel in from the edge of either: bilinear edges blend in the fill value.
            inner = both & _eroded(covered[i]) & _eroded(covered[j])
            count = int(inner.sum())
            if count == 0:
                continue
            correlation = None
            if count >= MIN_CHECKED_OVERLAP_PX:
                a = warped[i][:, inner].astype(np.float64).mean(axis=0)
                b = warped[j][:, inner].astype(np.float64).mean(axis=0)
                if a.std() > 0 and b.std() > 0:
                    correlation = float(np.corrcoef(a, b)[0, 1])
            check = OverlapCheck(first=sources[i].name, second=sources[j].name, overlap_px=count,
                                 correlation=correlation)
            if correlation is not None and correlation < MIN_OVERLAP_CORRELATION:
                raise RegistrationError(
                    f"'{check.first}' and '{check.second}' overlap by {count} px but show different "
                    f"ground there (correlation {correlation:.2f}, same ground gives more than "
                    f"{MIN_OVERLAP_CORRELATION}): one of their georeferences is off; georeference "
                    "it again (world file or --gcp) or keep one with `sitewatch scene keep`")
            checks.append(check)
    return tuple(checks)


def _eroded(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:, :] &= mask[:-1, :]
    out[:-1, :] &= mask[1:, :]
    out[:, 1:] &= mask[:, :-1]
    out[:, :-1] &= mask[:, 1:]
    return out
