"""Scenes of any size as training images: overlapping pieces, read window by window.

A reviewed or pseudo-labelled scene can be tens of thousands of pixels a side. Training never
reads one whole at full resolution: a scene over ``piece_px`` is cut into overlapping pieces
(the overlap at least the longest vehicle, so each vehicle lies whole in some piece), each
read as its own window. A vehicle that a piece's inner edge cuts is painted out of that piece
(inpainted, with the boxes the caller asks to paint), since it is labelled whole in a
neighbouring piece; half a vehicle would otherwise be taught as ground or as a whole vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from sitewatch.detect import DetectOptions
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.imagery import RasterReader, Tile, tile_grid

__all__ = ["PIECE_PX", "Piece", "paint_out", "read_pieces"]

#: Scenes wider or taller than this (in their own pixels) are cut into pieces of this side.
PIECE_PX = 4096


class _Boxed(Protocol):
    @property
    def box(self) -> OrientedBoxPx: ...


BoxedT = TypeVar("BoxedT", bound=_Boxed)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Piece(Generic[BoxedT]):
    """One window of a scene, ready to train on.

    Attributes:
        window: Where the piece lies in the scene's pixel grid.
        suffix: Added to the scene's stem: empty for a scene in one piece, else ``_x…_y…``.
        image: The window as 8-bit BGR, with cut vehicles and the asked-for boxes painted out.
        labels: The vehicles lying whole in the piece, in the piece's pixels.
        painted: How many boxes were painted out.
    """

    window: Tile
    suffix: str
    image: np.ndarray
    labels: tuple[BoxedT, ...]
    painted: int


def _polygon(box: OrientedBoxPx, grow: float = 1.0, pad_px: float = 0.0) -> np.ndarray:
    grown = replace(box, width_px=box.width_px * grow + pad_px, height_px=box.height_px * grow + pad_px)
    return np.asarray(grown.corners_px()).astype(np.int32)


def paint_out(image: np.ndarray, keep: Sequence[OrientedBoxPx], paint: Sequence[OrientedBoxPx],
              *, grow: float, pad_px: float) -> np.ndarray:
    """``image`` with the ``paint`` boxes (grown) inpainted and the ``keep`` boxes untouched."""
    import cv2

    mask = np.zeros(image.shape[:2], np.uint8)
    for box in paint:
        cv2.fillPoly(mask, [_polygon(box, grow, pad_px)], 255)
    for box in keep:
        cv2.fillPoly(mask, [_polygon(box)], 0)
    if not mask.any():
        return image
    return cv2.inpaint(image, mask, 5, cv2.INPAINT_TELEA)


def _bounds(items: Sequence[_Boxed]) -> np.ndarray:
    return np.asarray([b.box.bounds_px() for b in items], np.float64).reshape(-1, 4)


def _inside(bounds: np.ndarray, piece: Tile, width_px: int, height_px: int) -> np.ndarray:
    """Which boxes (rows of x0, y0, x1, y1) no inner edge of ``piece`` cuts.

    An edge of the piece that is also the scene's edge cuts nothing: a box reaching past the
    scene's border is as whole there as the image shows it.
    """
    x0, y0, x1, y1 = bounds.T
    ok = np.ones(len(bounds), bool)
    if piece.x0_px > 0:
        ok &= x0 >= piece.x0_px
    if piece.y0_px > 0:
        ok &= y0 >= piece.y0_px
    if piece.x1_px < width_px:
        ok &= x1 <= piece.x1_px
    if piece.y1_px < height_px:
        ok &= y1 <= piece.y1_px
    return ok


def _touching(bounds: np.ndarray, piece: Tile) -> np.ndarray:
    x0, y0, x1, y1 = bounds.T
    return (x1 > piece.x0_px) & (x0 < piece.x1_px) & (y1 > piece.y0_px) & (y0 < piece.y1_px)


def _windows(width_px: int, height_px: int, *, piece_px: int, overlap_px: int) -> tuple[Tile, ...]:
    if max(width_px, height_px) <= piece_px:
        return (Tile(x0_px=0, y0_px=0, width_px=width_px, height_px=height_px),)
    if overlap_px >= piece_px:
        raise ConfigError(f"pieces of {piece_px} px are not longer than their {overlap_px} px "
                          "overlap (the longest vehicle); use larger pieces")
    return tile_grid(width_px, height_px, tile_px=piece_px, overlap_px=overlap_px)


def read_pieces(reader: RasterReader, labels: Sequence[BoxedT], *, gsd_m: float,
                paint: Sequence[_Boxed] = (), piece_px: int = PIECE_PX, grow: float = 1.25,
                pad_px: float = 4.0) -> Iterator[Piece[BoxedT]]:
    """The scene open in ``reader`` as pieces, each holding the labels that lie whole in it.

    Args:
        reader: The open scene.
        labels: Its vehicles (anything with an oriented ``box``), in the scene's pixels.
        gsd_m: The scene's metres per pixel: pieces overlap by the detector's tile overlap
            (:attr:`sitewatch.detect.DetectOptions.overlap_m`, the longest vehicle).
        paint: Further boxes to paint out wherever they fall (e.g. detections too unsure to
            be labels or ground).
        piece_px: The pieces' side; a scene no larger is one piece, the scene itself.
        grow: Painted boxes are grown by this factor, plus ``pad_px`` (shadows, box error).
        pad_px: Pixels added around each painted box.

    Raises:
        ConfigError: the pieces are not longer than their overlap.
        RasterReadError: a window cannot be read.
    """
    w, h = reader.info.width_px, reader.info.height_px
    windows = _windows(w, h, piece_px=piece_px,
                       overlap_px=math.ceil(DetectOptions().overlap_m / gsd_m))
    label_bounds, paint_bounds = _bounds(labels), _bounds(paint)
    for window in windows:
        whole = _inside(label_bounds, window, w, h)
        cut = ~whole & _touching(label_bounds, window)
        painted = [b.box for b, k in zip(labels, cut, strict=True) if k]
        painted += [b.box for b, k in zip(paint, _touching(paint_bounds, window), strict=True) if k]
        kept = tuple(_shifted(b, window) for b, k in zip(labels, whole, strict=True) if k)
        bgr = np.ascontiguousarray(reader.read_rgb(window)[..., ::-1])
        image = paint_out(bgr, [k.box for k in kept],
                          [_shifted_box(b, window) for b in painted], grow=grow, pad_px=pad_px)
        suffix = "" if len(windows) == 1 else f"_x{window.x0_px}_y{window.y0_px}"
        yield Piece(window=window, suffix=suffix, image=image, labels=kept, painted=len(painted))


def _shifted_box(box: OrientedBoxPx, window: Tile) -> OrientedBoxPx:
    return replace(box, cx_px=box.cx_px - window.x0_px, cy_px=box.cy_px - window.y0_px)


def _shifted(item: BoxedT, window: Tile) -> BoxedT:
    shifted: Any = replace(item, box=_shifted_box(item.box, window))  # type: ignore[type-var]
    return shifted

