"""Fixtures of the watch tests: cloud-optimised GeoTIFFs made in a temporary folder from the
real GeoTIFF in ``../shared/data`` (never committed), and a site covering 5 % of them."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.shared_data import shared_path_or_skip

#: Real 0.5 m WorldView scene of Atlanta (SpaceNet via solaris, CC BY-SA 4.0), 900×900 px.
REAL_GEOTIFF = "overhead/geotiff/sample_geotiff.tif"
DATES = ("2014-05-30", "2014-06-11")


@dataclass(frozen=True)
class Scenes:
    folder: Path
    files: tuple[Path, ...]
    ring_lonlat: tuple[tuple[float, float], ...]  #: the site: 5 % of each scene's area
    far_ring_lonlat: tuple[tuple[float, float], ...]  #: a site half outside the scenes


def write_watch_config(folder: Path, ring_lonlat: Sequence[Sequence[float]], sources: str) -> Path:
    """``folder/watch.toml``: one site "depot" of this ring, the year 2014, and ``sources``
    (TOML ``[[sources]]`` tables)."""
    path = folder / "watch.toml"
    path.write_text(f"""
[watch]
folder = "out"
start = "2014-01-01"
end = "2014-12-31"
margin_m = 10.0
min_coverage = 0.9

[[sites]]
name = "depot"
polygon = {json.dumps([list(p) for p in ring_lonlat])}

{sources}
""", encoding="utf-8")
    return path


def make_cog(source: np.ndarray, profile: dict, out: Path) -> Path:
    """A COG (64-px blocks, deflate, overviews) of these pixels, through a plain GeoTIFF."""
    import rasterio
    from rasterio.shutil import copy

    plain = out.with_suffix(".plain.tif")
    with rasterio.open(plain, "w", **profile) as dst:
        dst.write(source)
    copy(plain, out, driver="COG", blocksize=64, compress="deflate")
    plain.unlink()
    return out


def _ring(crs: object, x0: float, y0: float, x1: float, y1: float) -> tuple:
    from rasterio.warp import transform_geom
    from shapely.geometry import box, shape

    geom = shape(transform_geom(crs, "EPSG:4326", box(x0, y0, x1, y1).__geo_interface__))
    return tuple(geom.exterior.coords)[:-1]


@pytest.fixture(scope="session")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Scenes:
    """Two dates of the real scene as COGs; on the second, a block of the ground (with its
    cars) is copied elsewhere: a known change between the dates."""
    import rasterio

    real_geotiff = shared_path_or_skip(REAL_GEOTIFF)
    folder = tmp_path_factory.mktemp("cogs")
    with rasterio.open(real_geotiff) as src:
        data, profile = src.read(), src.profile
        left, bottom, right, top = src.bounds
        crs = src.crs
    profile.update(driver="GTiff")
    later = data.copy()
    later[:, 440:500, 300:400] = data[:, 100:160, 600:700]
    files = tuple(make_cog(pixels, profile, folder / f"depot_{date}.tif")
                  for pixels, date in zip((data, later), DATES, strict=True))
    width, height = right - left, top - bottom
    side = math.sqrt(0.05)
    ring = _ring(crs, left + 0.3 * width, bottom + 0.3 * height,
                 left + (0.3 + side) * width, bottom + (0.3 + side) * height)
    far = _ring(crs, right - 0.1 * width, bottom + 0.3 * height, right + 0.1 * width,
                bottom + 0.5 * height)
    return Scenes(folder=folder, files=files, ring_lonlat=ring, far_ring_lonlat=far)
