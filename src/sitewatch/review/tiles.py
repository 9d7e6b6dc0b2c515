"""Map tiles of a scene, cut on request, so that a large scene never travels as one image.

The page shows scenes with Leaflet's ``CRS.Simple``: at the site's deepest zoom ``zmax`` one
map pixel is one full-resolution scene pixel, and each zoom level out halves that. A tile
``(z, x, y)`` covers full-resolution pixels ``[x, x + 1) * 256 * 2**(zmax - z)`` (and the same
in y). Fine tiles are windowed reads of the original; coarse ones are cut from one overview of
the scene (longest side at most :data:`OVERVIEW_MAX_PX`), built once, strip by strip, so that
memory stays bounded whatever the scene's size.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sitewatch.errors import ReviewError, SitewatchError
from sitewatch.imagery import RasterReader, Tile

log = logging.getLogger(__name__)

TILE_PX = 256
OVERVIEW_MAX_PX = 2048
OVERVIEW_SLACK = 1.25
BACKGROUND = 34  # dark grey outside the scene, as the page's background
_STRIP_PX = 512


def native_zoom(width_px: int, height_px: int) -> int:
    """The zoom at which one map pixel is one scene pixel: 0 when the scene fits one tile.

    >>> native_zoom(256, 100), native_zoom(257, 100), native_zoom(5000, 3000)
    (0, 1, 5)
    """
    return max(0, math.ceil(math.log2(max(width_px, height_px) / TILE_PX)))


def overview_factor(width_px: int, height_px: int) -> int:
    """Smallest power of two that shrinks the scene to at most :data:`OVERVIEW_MAX_PX`.

    >>> overview_factor(2048, 10), overview_factor(2049, 10), overview_factor(20000, 9000)
    (1, 2, 16)
    """
    return 2 ** max(0, math.ceil(math.log2(max(width_px, height_px) / OVERVIEW_MAX_PX)))


def tile_span_px(zmax: int, z: int, x: int, y: int) -> tuple[int, int, int]:
    """The full-resolution pixel origin and side ``(x0, y0, span)`` of tile ``z/x/y``.

    >>> tile_span_px(5, 3, 1, 2)
    (1024, 2048, 1024)

    Raises:
        ReviewError: the zoom or the tile index is out of range.
    """
    if not (0 <= z <= zmax <= 30) or x < 0 or y < 0:
        raise ReviewError(f"tile {z}/{x}/{y} at zmax {zmax} is out of range")
    span = TILE_PX * 2 ** (zmax - z)
    return x * span, y * span, span


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenePart:
    """Pixels read from one level of a scene.

    Attributes:
        rgb: the (H, W, 3) pixels; ``rgb[i, j]`` covers full-resolution pixels
            ``[x0 + j * factor, x0 + (j + 1) * factor)`` (and the same in y).
        x0_px: full-resolution column of the left edge of ``rgb``.
        y0_px: full-resolution row of the top edge of ``rgb``.
        factor: full-resolution pixels per pixel of ``rgb`` (1, or the overview's factor).
    """

    rgb: np.ndarray
    x0_px: int
    y0_px: int
    factor: int


class SceneTiles:
    """One scene, open for tile reads. Thread-safe: reads are serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self._raster = RasterReader(path)
        self.width_px = self._raster.info.width_px
        self.height_px = self._raster.info.height_px
        self._factor = overview_factor(self.width_px, self.height_px)
        self._overview: np.ndarray | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the raster."""
        self._raster.close()

    def _build_overview(self) -> np.ndarray:
        f = self._factor
        out_w = max(1, math.ceil(self.width_px / f))
        strips = []
        for y0 in range(0, self.height_px, _STRIP_PX * f):
            h = min(_STRIP_PX * f, self.height_px - y0)
            rgb = self._raster.read_rgb(Tile(x0_px=0, y0_px=y0, width_px=self.width_px, height_px=h))
            if f > 1:
                rgb = cv2.resize(rgb, (out_w, max(1, math.ceil(h / f))), interpolation=cv2.INTER_AREA)
            strips.append(rgb)
        return np.vstack(strips)

    def level(self, step_px: float) -> int:
        """The full-resolution pixels per pixel of the level to read for ``step_px`` scene pixels
        per output pixel: the overview's factor when it is fine enough, else 1 (full resolution).

        "Fine enough" allows the overview to be up to :data:`OVERVIEW_SLACK` coarser than asked
        (a warped tile whose registration scales a little), rather than read a window up to
        ``256 * factor`` pixels wide at full resolution. Map tiles ask for powers of two, for
        which this is exactly ``step_px >= factor``.
        """
        return self._factor if step_px * OVERVIEW_SLACK >= self._factor else 1

    def window_rgb(self, x0_px: int, y0_px: int, x1_px: int, y1_px: int, *, step_px: float) -> ScenePart:
        """The scene's pixels over ``[x0, x1) × [y0, y1)`` (clipped to the scene) at :meth:`level`.

        One read: a slice of the overview, or one windowed read of the original.

        Raises:
            ReviewError: the window lies wholly outside the scene.
        """
        x0, y0 = max(0, x0_px), max(0, y0_px)
        x1, y1 = min(self.width_px, x1_px), min(self.height_px, y1_px)
        if x0 >= x1 or y0 >= y1:
            raise ReviewError(f"window {x0_px}..{x1_px} × {y0_px}..{y1_px} px lies outside the scene")
        f = self.level(step_px)
        with self._lock:
            if f > 1:
                if self._overview is None:
                    self._overview = self._build_overview()
                rgb = self._overview[y0 // f: math.ceil(y1 / f), x0 // f: math.ceil(x1 / f)]
            else:
                rgb = self._raster.read_rgb(Tile(x0_px=x0, y0_px=y0, width_px=x1 - x0, height_px=y1 - y0))
        return ScenePart(rgb=rgb, x0_px=x0 // f * f, y0_px=y0 // f * f, factor=f)

    def tile_rgb(self, zmax: int, z: int, x: int, y: int) -> np.ndarray:
        """The (256, 256, 3) RGB tile; outside the scene is dark grey.

        Raises:
            ReviewError: the tile lies wholly outside the scene or the zoom is out of range.
        """
        x0, y0, span = tile_span_px(zmax, z, x, y)
        if x0 >= self.width_px or y0 >= self.height_px:
            raise ReviewError(f"tile {z}/{x}/{y} lies outside the scene")
        x1, y1 = min(self.width_px, x0 + span), min(self.height_px, y0 + span)
        scale = TILE_PX / span
        out_w, out_h = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
        part = self.window_rgb(x0, y0, x1, y1, step_px=span / TILE_PX).rgb
        if part.shape[:2] != (out_h, out_w):
            part = cv2.resize(part, (out_w, out_h), interpolation=cv2.INTER_AREA)
        canvas = np.full((TILE_PX, TILE_PX, 3), BACKGROUND, dtype=np.uint8)
        canvas[:out_h, :out_w] = part
        return canvas


class TileCache:
    """Open scenes and recently served tiles, for one running app (never module-global)."""

    def __init__(self, *, max_tiles: int = 1024) -> None:
        self._scenes: dict[str, SceneTiles] = {}
        self._tiles: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._max_tiles = max_tiles
        self._lock = threading.Lock()

    def scene(self, sha256: str, path: Path) -> SceneTiles:
        """The scene, opened on first use and kept open."""
        with self._lock:
            scene = self._scenes.get(sha256)
            if scene is None:
                scene = self._scenes[sha256] = SceneTiles(path)
            return scene

    def jpeg(self, sha256: str, path: Path, zmax: int, z: int, x: int, y: int) -> bytes:
        """The tile as JPEG bytes, from the cache when it was served before."""
        return self.cached((sha256, zmax, z, x, y),
                           lambda: self.scene(sha256, path).tile_rgb(zmax, z, x, y))

    def cached(self, key: tuple[object, ...], make: Callable[[], np.ndarray]) -> bytes:
        """The JPEG of the tile that ``make`` draws, kept under ``key`` (hashable) for reuse.

        Raises:
            ReviewError: the tile cannot be encoded (or ``make`` refuses it).
        """
        with self._lock:
            if key in self._tiles:
                self._tiles.move_to_end(key)
                return self._tiles[key]
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(make(), cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, 88])
        if not ok:
            raise ReviewError(f"could not encode tile {key}")
        jpeg = data.tobytes()
        with self._lock:
            self._tiles[key] = jpeg
            while len(self._tiles) > self._max_tiles:
                self._tiles.popitem(last=False)
        return jpeg

    def warm(self, scenes: list[tuple[str, Path]]) -> threading.Thread:
        """Build each scene's overview in a background thread, so the first view is quick.

        Scenes are opened and overviews built one after the other; a scene that cannot be read
        is skipped here (its tiles will report the error when asked for).
        """
        def build() -> None:
            for sha256, path in scenes:
                try:
                    scene = self.scene(sha256, path)
                    scene.tile_rgb(native_zoom(scene.width_px, scene.height_px), 0, 0, 0)
                except (SitewatchError, OSError, ValueError) as exc:
                    log.debug("overview of %s not built: %s", sha256[:12], exc)

        thread = threading.Thread(target=build, name="sitewatch-review-overviews", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Close every open scene."""
        with self._lock:
            for scene in self._scenes.values():
                scene.close()
            self._scenes.clear()
