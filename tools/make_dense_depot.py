"""Dense-scene series from the real depot scene, for the end-to-end check of issue 18 item 4.

Writes, from ``overhead/scenes/AUAU040001_depot.tif`` (2432 px, ~0.23 m, hundreds of vehicles):

- ``depot_d1``: the scene as it is;
- ``depot_d2``: a 500 px block replaced by a mirrored copy of another block (the block's
  vehicles leave, others arrive), and a slight change of brightness;
- ``depot_d3``: ``depot_d2`` under a thick round cloud over its upper left (a date that can
  see only part of the site);
- ``mirror_d1``, ``mirror_d2``: 4 × 4 mosaics of ``d1`` and ``d2`` with alternate flips,
  9728 px square, thousands of vehicles.

Each is a GeoTIFF with an ILLUSTRATIVE georeference (0.23 m, the scene's GSD from
hand-measured vehicle lengths in ``docs/dense-depot-labels/README.md``; UTM 37N; the place is invented,
the tags say so) so that every export format, maps included, can run. Ingest them with
``sitewatch ingest CASE FILE --site depot --date ...``. Reads ``../shared/data`` (or
``$SITEWATCH_DATA``); exits with status 2 when it is absent.

Usage::

    python tools/make_dense_depot.py OUT_DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sitewatch.errors import ConfigError
from sitewatch.shared_data import shared_data_root

SCENE = "overhead/scenes/AUAU040001_depot.tif"
#: The depot's metres per pixel, from labelled vehicle lengths (docs/dense-depot-labels/README.md).
GSD_M = 0.23

NOTE = ("ILLUSTRATIVE georeference, not the real location: made by tools/make_dense_depot.py "
        "from the MVRSD depot scene (Google Earth imagery, research use only)")


def _mosaic(image: np.ndarray) -> np.ndarray:
    rows = []
    for i in range(4):
        row = []
        for j in range(4):
            tile = cv2.flip(image, 0) if i % 2 else image
            row.append(cv2.flip(tile, 1) if j % 2 else tile)
        rows.append(np.hstack(row))
    return np.vstack(rows)


def _write(path: Path, bgr: np.ndarray) -> None:
    import rasterio
    from rasterio.transform import Affine

    profile = {"driver": "GTiff", "width": bgr.shape[1], "height": bgr.shape[0], "count": 3,
               "dtype": "uint8", "crs": "EPSG:32637",
               "transform": Affine(GSD_M, 0, 500000.0, 0, -GSD_M, 5300000.0),
               "compress": "jpeg", "photometric": "ycbcr", "jpeg_quality": 90, "tiled": True,
               "blockxsize": 256, "blockysize": 256}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.transpose(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (2, 0, 1)))
        dst.update_tags(TIFFTAG_IMAGEDESCRIPTION=NOTE, SITEWATCH_NOTE=NOTE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    try:
        data = shared_data_root(needs=SCENE)
    except ConfigError as error:
        print(f"make_dense_depot: {error}", file=sys.stderr)
        return 2
    d1 = None if data is None else cv2.imread(str(data / SCENE))
    if d1 is None:
        print(f"make_dense_depot: cannot read {SCENE} under $SITEWATCH_DATA or ../shared/data",
              file=sys.stderr)
        return 2
    d2 = d1.copy()
    d2[1500:2000, 300:800] = cv2.flip(d1[200:700, 1500:2000], 1)
    d2 = np.clip(d2.astype(np.float32) * 1.05 + 4, 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[0:d1.shape[0], 0:d1.shape[1]]
    cloud = np.clip((900 - np.hypot(yy - 500, xx - 500)) / 200, 0, 1)[..., None]
    d3 = (d2 * (1 - cloud) + 245 * cloud).astype(np.uint8)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, image in (("depot_d1", d1), ("depot_d2", d2), ("depot_d3", d3),
                        ("mirror_d1", _mosaic(d1)), ("mirror_d2", _mosaic(d2))):
        _write(args.out / f"{name}.tif", image)
        print(f"wrote {args.out / name}.tif {image.shape[1]}×{image.shape[0]} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
