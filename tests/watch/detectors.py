"""A simple real detector for the scheduling tests: bright rectangles on dark ground, with a
fixed delay per tile so that a worker can be killed while it is busy. Loaded on the Dask workers
through ``DetectorSource(factory="tests.watch.detectors:SlowBlobDetector")``."""

from __future__ import annotations

import time

import cv2
import numpy as np

from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo import OrientedBoxPx


class SlowBlobDetector:
    name = "slow-blob-test"
    sha256 = "c" * 64
    gsd_m = 0.3
    tile_px = 128
    delay_s = 0.15

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        time.sleep(self.delay_s * len(tiles))
        out = []
        for tile in tiles:
            grey = cv2.cvtColor(tile, cv2.COLOR_RGB2GRAY)
            contours, _ = cv2.findContours((grey > 128).astype(np.uint8), cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_SIMPLE)
            found = []
            for contour in contours:
                (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
                if min(w, h) >= 3:
                    box = OrientedBoxPx(cx_px=cx, cy_px=cy, width_px=w, height_px=h,
                                        angle_rad=float(np.deg2rad(angle)))
                    found.append(Detection(box=box, label=VehicleClass.ARMORED_VEHICLE, score=0.9))
            out.append(tuple(found))
        return out


class BlobDetector(SlowBlobDetector):
    """The same detector without the delay."""

    delay_s = 0.0
