"""Measure how fast the review app cuts map tiles, on a real scene and a large generated one.

    python tools/bench_review_tiles.py [--data DIR] [--side 12000] [--work DIR]

Prints, per scene, the time to build its overview (once, at start-up, in the background) and
the time per tile at every zoom. The real scene (``overhead/scenes/AUAU040001_depot.tif``)
needs the shared data folder (``--data``, else ``$SITEWATCH_DATA``, else ``../shared/data``);
without it only the generated scene is measured, and the tool says so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.imagery import read_info
from sitewatch.review import TILE_PX, TileCache, native_zoom
from sitewatch.shared_data import shared_data_root

SCENE = "overhead/scenes/AUAU040001_depot.tif"


def _generated(folder: Path, side_px: int) -> Path:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    path = folder / f"generated_{side_px}.tif"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    with rasterio.open(path, "w", driver="GTiff", width=side_px, height=side_px, count=3,
                       dtype="uint8", crs="EPSG:32637", transform=from_origin(408000, 5236000, 0.3, 0.3),
                       tiled=True, blockxsize=512, blockysize=512, compress="jpeg") as dst:
        for y in range(0, side_px, 1024):
            h = min(1024, side_px - y)
            dst.write(rng.integers(60, 140, (3, h, side_px), dtype=np.uint8),
                      window=Window(0, y, side_px, h))
    return path


def _measure(path: Path) -> str:
    info = read_info(path)
    zmax = native_zoom(info.width_px, info.height_px)
    cache = TileCache()
    start = time.perf_counter()
    cache.warm([("scene", path)]).join()
    overview_s = time.perf_counter() - start
    per_zoom = []
    for z in range(zmax + 1):
        span = TILE_PX * 2 ** (zmax - z)
        tiles = [(x, y) for x in range(3) for y in range(3)
                 if x * span < info.width_px and y * span < info.height_px]
        start = time.perf_counter()
        for x, y in tiles:
            cache.jpeg("scene", path, zmax, z, x, y)
        per_zoom.append(f"z{z} {1000 * (time.perf_counter() - start) / len(tiles):.0f} ms")
    cache.close()
    return (f"{path.name}: {info.width_px}×{info.height_px} px, overview {overview_s:.1f} s, "
            f"per tile: {', '.join(per_zoom)}")


def main() -> int:
    """Run the measurements and print one line per scene."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None,
                        help="the shared data folder (default: $SITEWATCH_DATA, else ../shared/data)")
    parser.add_argument("--side", type=int, default=12000, help="side of the generated scene, px")
    parser.add_argument("--work", type=Path, default=None, help="folder for the generated scene")
    args = parser.parse_args()
    try:
        data = args.data or shared_data_root(needs=SCENE)
    except ConfigError as error:
        print(f"bench_review_tiles: {error}", file=sys.stderr)
        return 2
    real = None if data is None else data / SCENE
    if real is not None and real.is_file():
        print(_measure(real))
    else:
        print(f"{real or SCENE} not found: the real scene is not measured (needs the shared data "
              "folder: --data, $SITEWATCH_DATA or ../shared/data)")
    with tempfile.TemporaryDirectory() as tmp:
        print(_measure(_generated(args.work or Path(tmp), args.side)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
