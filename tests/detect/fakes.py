"""A simple real detector for pipeline tests: bright blobs on dark ground are vehicles.

It looks at the pixels it is given (so tiling, resampling and seams are exercised for real)
and reports each bright connected component's minimum-area rotated rectangle.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import cv2
import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning

from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo.coords import OrientedBoxPx


class BlobDetector:
    """Finds white rectangles; satisfies the Detector protocol."""

    def __init__(self, *, gsd_m: float, tile_px: int) -> None:
        self._gsd_m = gsd_m
        self._tile_px = tile_px
        self.calls: list[int] = []

    @property
    def name(self) -> str:
        return "blob"

    @property
    def sha256(self) -> str:
        return "0" * 64

    @property
    def gsd_m(self) -> float:
        return self._gsd_m

    @property
    def tile_px(self) -> int:
        return self._tile_px

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        self.calls.append(len(tiles))
        return [self._one(t) for t in tiles]

    def _one(self, tile: np.ndarray) -> tuple[Detection, ...]:
        assert tile.dtype == np.uint8 and tile.shape[2] == 3
        mask = (tile[..., 0] > 127).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        out = []
        for contour in contours:
            if len(contour) < 3:
                continue
            (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
            if w < 1 or h < 1:
                continue
            # Contour points are pixel centres; the blob spans half a pixel further each side.
            box = OrientedBoxPx(
                cx_px=cx + 0.5,
                cy_px=cy + 0.5,
                width_px=w + 1,
                height_px=h + 1,
                angle_rad=math.radians(angle),
            )
            out.append(Detection(box=box, label=VehicleClass.VEHICLE, score=0.9))
        return tuple(out)


def planted_scene(
    path: Path,
    *,
    width: int,
    height: int,
    centres: list[tuple[float, float]],
    size_px: tuple[int, int] = (16, 7),
    georeferenced: bool = True,
    gsd_m: float = 0.3,
) -> Path:
    """A dark GeoTIFF with axis-aligned white vehicles centred on ``centres`` (integers)."""
    img = np.full((height, width, 3), 20, dtype=np.uint8)
    w, h = size_px
    for cx, cy in centres:
        x0, y0 = int(cx - w / 2), int(cy - h / 2)
        img[y0 : y0 + h, x0 : x0 + w] = 230
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint8",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    if georeferenced:
        profile["crs"] = CRS.from_epsg(32637)
        profile["transform"] = Affine(gsd_m, 0.0, 400000.0, 0.0, -gsd_m, 5000000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(np.moveaxis(img, -1, 0))
    return path


class ScaleBoundDetector(BlobDetector):
    """A blob detector that, like a real model, sees vehicles only near the size it was trained
    on: a blob ``lo``..``hi`` model pixels long is a vehicle (with ``cab``, also boxed a second
    time on its front 40 %); a shorter one is missed; a longer one is boxed as two parts, its
    front and back 40 % (narrower than the whole, so NMS keeps both beside a whole box).
    """

    def __init__(self, *, gsd_m: float, tile_px: int, lo: float = 14.0, hi: float = 18.0,
                 cab: bool = False) -> None:
        super().__init__(gsd_m=gsd_m, tile_px=tile_px)
        self.lo, self.hi, self.cab = lo, hi, cab

    def _one(self, tile: np.ndarray) -> tuple[Detection, ...]:
        out: list[Detection] = []
        for d in super()._one(tile):
            box = d.box
            length = max(box.width_px, box.height_px)
            if length < self.lo:
                continue
            if length <= self.hi:
                out.append(d)
                if not self.cab:
                    continue
                ends: tuple[float, ...] = (-0.3,)
            else:
                ends = (-0.3, 0.3)
            along_x = box.width_px >= box.height_px
            c, s = math.cos(box.angle_rad), math.sin(box.angle_rad)
            ux, uy = (c, s) if along_x else (-s, c)
            for end in ends:
                part = OrientedBoxPx(
                    cx_px=box.cx_px + end * length * ux, cy_px=box.cy_px + end * length * uy,
                    width_px=box.width_px * (0.4 if along_x else 0.7),
                    height_px=box.height_px * (0.7 if along_x else 0.4),
                    angle_rad=box.angle_rad)
                out.append(Detection(box=part, label=VehicleClass.VEHICLE, score=0.8))
        return tuple(out)
