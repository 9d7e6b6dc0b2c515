"""A many-scene watch list to time `sitewatch watch` phase by phase.

    PYTHONPATH=src nice -n 15 python tools/make_many_scene_watch.py OUT_DIR [--sites 9] [--dates 8]
    PYTHONPATH=src nice -n 15 python -m sitewatch.cli.main watch OUT_DIR/watch.toml

Writes ``--dates`` GeoTIFFs made from the real 0.5 m WorldView scene
(``overhead/geotiff/sample_geotiff.tif`` in ``../shared/data``, 900 x 900 px, CC BY-SA 4.0),
each with its own seeded noise of ±2 grey levels so that every date's windows have their own
content hash, into ``OUT_DIR/imagery`` (a folder source), and a watch list of ``--sites``
sites of 100 m x 100 m on a grid over the scene. With the defaults the watch cuts, ingests and
detects 72 windows (one model tile each) of 9 sites and then tracks and reports 9 cases; the
watch prints the wall time and the client's CPU time of each phase. Used for docs/watch.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path

from sitewatch.errors import ConfigError
from sitewatch.shared_data import given_or_shared_file

SCENE = "overhead/geotiff/sample_geotiff.tif"


def main() -> None:
    import numpy as np
    import rasterio
    from rasterio.warp import transform_geom

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sites", type=int, default=9)
    parser.add_argument("--dates", type=int, default=8)
    parser.add_argument("--scene", type=Path, default=None,
                        help=f"default: {SCENE} of $SITEWATCH_DATA, else of ../shared/data")
    args = parser.parse_args()
    try:
        args.scene = given_or_shared_file(args.scene, SCENE, what="the scene")
    except ConfigError as error:
        print(f"make_many_scene_watch: {error}; pass --scene FILE", file=sys.stderr)
        sys.exit(2)
    imagery = args.out / "imagery"
    imagery.mkdir(parents=True, exist_ok=True)
    with rasterio.open(args.scene) as src:
        pixels, profile, transform, crs = src.read(), src.profile, src.transform, src.crs
    for d in range(args.dates):
        noise = np.random.default_rng(d).integers(-2, 3, pixels.shape)
        day = dt.date(2014, 1, 6) + dt.timedelta(weeks=d)
        with rasterio.open(imagery / f"scene_{day.isoformat()}.tif", "w", **profile) as dst:
            dst.write(np.clip(pixels.astype(np.int32) + noise, 0, np.iinfo(pixels.dtype).max)
                      .astype(pixels.dtype))
    per_row = math.ceil(math.sqrt(args.sites))
    step_px = (profile["width"] - 100) // per_row
    blocks = []
    for k in range(args.sites):
        x0, y0 = transform * (50 + (k % per_row) * step_px, 50 + (k // per_row) * step_px)
        square = {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + 100, y0], [x0 + 100, y0 - 100],
                                                      [x0, y0 - 100], [x0, y0]]]}
        ring = transform_geom(crs, "EPSG:4326", square)["coordinates"][0][:-1]
        blocks.append(f"[[sites]]\nname = \"site_{k:02d}\"\npolygon = {json.dumps(ring)}\n")
    (args.out / "watch.toml").write_text(
        "[watch]\nfolder = \"out\"\nstart = \"2014-01-01\"\nend = \"2014-12-31\"\nmargin_m = 10.0\n"
        "min_coverage = 0.9\n\n" + "\n".join(blocks)
        + "\n[[sources]]\nkind = \"folder\"\nname = \"downloads\"\npath = \"imagery\"\n",
        encoding="utf-8")
    print(f"{args.out / 'watch.toml'}: {args.sites} sites x {args.dates} dates")


if __name__ == "__main__":
    main()
