"""Tiles of one scene drawn in another scene's pixel frame, through a registration.

The swipe lays the "before" date over the current one. Both are shown in the current scene's
pixel frame: a tile ``z/x/y`` of the before scene "on" the current one covers the same
current-scene pixels as the current scene's own tile ``z/x/y`` (see :mod:`.tiles`). Its pixels
are found by mapping the tile's rectangle back into the before scene through the inverse of the
registration, reading that window once from the before scene (its overview when coarse enough),
and warping it with OpenCV. Coordinates are continuous, pixel ``i`` covering ``[i, i + 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from sitewatch.errors import ReviewError
from sitewatch.review.tiles import BACKGROUND, TILE_PX, SceneTiles, tile_span_px

_MARGIN_STEPS = 2  # source pixels read beyond the mapped tile, for interpolation


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    homo = np.column_stack([pts, np.ones(len(pts))]) @ m.T
    return homo[:, :2] / homo[:, 2:3]


def _pixel_grid(x0: float, y0: float, step: float) -> np.ndarray:
    """Pixel index -> continuous coordinate, for a grid of ``step``-sized pixels from ``(x0, y0)``.

    >>> (_pixel_grid(100.0, 0.0, 4.0) @ np.array([0.0, 0.0, 1.0])).tolist()
    [102.0, 2.0, 1.0]
    """
    return np.array([[step, 0.0, x0 + 0.5 * step], [0.0, step, y0 + 0.5 * step], [0.0, 0.0, 1.0]])


def warped_tile_rgb(before: SceneTiles, to_current: Sequence[float], zmax: int, z: int, x: int,
                    y: int, *, current_size_px: tuple[int, int]) -> np.ndarray:
    """The (256, 256, 3) tile ``z/x/y`` of the current scene's frame, filled from ``before``.

    Args:
        before: the scene whose pixels are drawn.
        to_current: row-major 3×3 matrix, before-scene pixel -> current-scene pixel (a
            :class:`~sitewatch.imagery.registration.Registration`'s ``matrix``).
        zmax, z, x, y: the tile, as in the current scene's own tile route.
        current_size_px: the current scene's ``(width, height)``.

    Where the before scene has no pixels the tile is dark grey, as outside any scene.

    Raises:
        ReviewError: the tile is out of range, lies outside the current scene, or the
            registration cannot be inverted.
    """
    x0, y0, span = tile_span_px(zmax, z, x, y)
    if x0 >= current_size_px[0] or y0 >= current_size_px[1]:
        raise ReviewError(f"tile {z}/{x}/{y} lies outside the scene")
    forward = np.asarray(to_current, dtype=float).reshape(3, 3)
    try:
        back = np.linalg.inv(forward)  # current pixel -> before pixel
    except np.linalg.LinAlgError:
        raise ReviewError("the registration cannot be inverted; the swipe shows the dates "
                          "unaligned") from None
    corners = np.array([[x0, y0], [x0 + span, y0], [x0 + span, y0 + span], [x0, y0 + span]], float)
    quad = _apply(back, corners)
    blank = np.full((TILE_PX, TILE_PX, 3), BACKGROUND, dtype=np.uint8)
    if not np.all(np.isfinite(quad)) or np.any((np.column_stack([corners, np.ones(4)]) @ back.T)[:, 2] <= 0):
        return blank  # the tile lies beyond the horizon of a projective registration
    # before-scene pixels per tile pixel, from the area of the mapped tile
    x_, y_ = quad[:, 0], quad[:, 1]
    area = 0.5 * abs(float(np.dot(x_, np.roll(y_, -1)) - np.dot(y_, np.roll(x_, -1))))
    step = math.sqrt(area) / TILE_PX
    margin = _MARGIN_STEPS * max(step, 1.0)
    bx0, by0 = math.floor(x_.min() - margin), math.floor(y_.min() - margin)
    bx1, by1 = math.ceil(x_.max() + margin), math.ceil(y_.max() + margin)
    if bx1 <= 0 or by1 <= 0 or bx0 >= before.width_px or by0 >= before.height_px:
        return blank
    part = before.window_rgb(bx0, by0, bx1, by1, step_px=step)
    rgb, factor = part.rgb, part.factor
    shrink = int(step // factor)
    if shrink >= 2:  # average by a whole factor first, so that the warp does not alias
        pad_y, pad_x = -rgb.shape[0] % shrink, -rgb.shape[1] % shrink
        rgb = np.pad(rgb, ((0, pad_y), (0, pad_x), (0, 0)), constant_values=BACKGROUND)
        rgb = cv2.resize(rgb, (rgb.shape[1] // shrink, rgb.shape[0] // shrink),
                         interpolation=cv2.INTER_AREA)
        factor *= shrink
    # tile pixel index -> current -> before -> source pixel index
    source = np.linalg.inv(_pixel_grid(part.x0_px, part.y0_px, factor))
    m = source @ back @ _pixel_grid(x0, y0, span / TILE_PX)
    m /= m[2, 2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    fill = (BACKGROUND, BACKGROUND, BACKGROUND)
    rgb = np.ascontiguousarray(rgb)
    if abs(m[2, 0]) < 1e-12 and abs(m[2, 1]) < 1e-12:
        out = cv2.warpAffine(rgb, m[:2], (TILE_PX, TILE_PX), flags=flags,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    else:
        out = cv2.warpPerspective(rgb, m, (TILE_PX, TILE_PX), flags=flags,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return np.asarray(out, dtype=np.uint8)
