"""The view a second-level "loaded on a transporter?" classifier gets of one detected box.

:func:`cargo_crop` cuts a strip :data:`CROP_ALONG_M` long and :data:`CROP_ACROSS_M` wide,
centred on the box, its long side along the box's long axis, resampled to :data:`CROP_GSD_M`
whatever the image's GSD. A nearly square box has no clear long axis, so :func:`cargo_crops`
cuts both (the box's own axis and the axis a quarter turn away); a classifier keeps the higher
score. Used by ``make_cargo_crops.py`` and ``train_cargo_net.py``; what was measured with it is
in docs/model-records/loaded-transporters.md (not shipped: it learned the cargo, not the
transporter).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from sitewatch.geo import OrientedBoxPx

#: The strip a crop covers on the ground, metres along and across the box's long axis: a
#: heavy equipment transporter is 17-25 m long, its bed about 3.5 m wide.
CROP_ALONG_M = 32.0
CROP_ACROSS_M = 12.0
#: Metres per crop pixel, whatever the image's GSD.
CROP_GSD_M = 0.25
CROP_W_PX = round(CROP_ALONG_M / CROP_GSD_M)
CROP_H_PX = round(CROP_ACROSS_M / CROP_GSD_M)


def long_axis_rad(box: OrientedBoxPx) -> float:
    """Direction of the box's longer side (radians, image x towards y)."""
    return box.angle_rad if box.width_px >= box.height_px else box.angle_rad + math.pi / 2


def cargo_crop(rgb: np.ndarray, cx_px: float, cy_px: float, axis_rad: float,
               gsd_m: float) -> np.ndarray:
    """The ``CROP_H_PX`` × ``CROP_W_PX`` RGB strip centred on (cx, cy) along ``axis_rad``.

    Outside the image is black (the network saw such edges in training). Bilinear, or area
    averaging first when the image is much finer than :data:`CROP_GSD_M`.

    >>> img = np.zeros((200, 200, 3), np.uint8); img[99:102, :] = 255  # a horizontal line
    >>> along = cargo_crop(img, 100, 100, 0.0, gsd_m=0.25)  # the line runs along the strip
    >>> across = cargo_crop(img, 100, 100, math.pi / 2, gsd_m=0.25)
    >>> along.shape, int(along[23:25].min()), int(along[0].max()), int(across[:, 63:65].min())
    ((48, 128, 3), 255, 0, 255)
    >>> fine = cargo_crop(np.kron(img, np.ones((5, 5, 1), np.uint8)), 502, 502, 0.0, gsd_m=0.05)
    >>> int(fine[23:25].min()) > 200, int(fine[0].max())
    (True, 0)
    """
    if not gsd_m > 0:
        raise ValueError(f"cargo_crop needs a positive GSD, got {gsd_m}")
    scale = CROP_GSD_M / gsd_m  # image pixels per crop pixel
    if scale > 2.0:  # average first, so that a fine image does not alias
        k = math.floor(scale)
        small = cv2.resize(np.ascontiguousarray(rgb), (max(1, rgb.shape[1] // k),
                                                        max(1, rgb.shape[0] // k)),
                           interpolation=cv2.INTER_AREA)
        fx, fy = small.shape[1] / rgb.shape[1], small.shape[0] / rgb.shape[0]
        return cargo_crop(small, (cx_px + 0.5) * fx - 0.5, (cy_px + 0.5) * fy - 0.5, axis_rad,
                          gsd_m / fx)
    c, s = math.cos(axis_rad), math.sin(axis_rad)
    # crop (u, v) -> image (x, y): the centre, plus scale * (u - W/2) along the axis and
    # scale * (v - H/2) across it
    a = np.array([[scale * c, -scale * s, 0.0], [scale * s, scale * c, 0.0]])
    a[:, 2] = np.array([cx_px, cy_px]) - a[:, :2] @ np.array([CROP_W_PX / 2 - 0.5,
                                                             CROP_H_PX / 2 - 0.5])
    return cv2.warpAffine(np.ascontiguousarray(rgb), a, (CROP_W_PX, CROP_H_PX),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


def cargo_crops(rgb: np.ndarray, boxes: list[OrientedBoxPx], gsd_m: float) -> np.ndarray:
    """(N, 2, H, W, 3) uint8: each box's strip along its long axis and turned a quarter."""
    out = np.zeros((len(boxes), 2, CROP_H_PX, CROP_W_PX, 3), np.uint8)
    for i, b in enumerate(boxes):
        axis = long_axis_rad(b)
        out[i, 0] = cargo_crop(rgb, b.cx_px, b.cy_px, axis, gsd_m)
        out[i, 1] = cargo_crop(rgb, b.cx_px, b.cy_px, axis + math.pi / 2, gsd_m)
    return out
