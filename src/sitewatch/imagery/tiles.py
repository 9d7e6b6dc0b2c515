"""The tile grid: pure maths, no pixels.

Tiles cover the image with a fixed overlap. Like SAHI's slicing, edge tiles keep the full tile
size by sliding back inside the image (so they overlap their neighbour more), which keeps every
tile the size the model was trained on. Only an image smaller than one tile gives smaller tiles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitewatch.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class Tile:
    """A rectangular window of an image, in that image's pixel grid (integer pixels)."""

    x0_px: int
    y0_px: int
    width_px: int
    height_px: int

    def __post_init__(self) -> None:
        if self.x0_px < 0 or self.y0_px < 0 or self.width_px < 1 or self.height_px < 1:
            raise ConfigError(f"invalid tile {self!r}: origin must be >= 0 and size >= 1 px")

    @property
    def x1_px(self) -> int:
        """Exclusive right edge."""
        return self.x0_px + self.width_px

    @property
    def y1_px(self) -> int:
        """Exclusive bottom edge."""
        return self.y0_px + self.height_px


def _starts(length_px: int, tile_px: int, step_px: int) -> list[int]:
    if length_px <= tile_px:
        return [0]
    starts = list(range(0, length_px - tile_px, step_px))
    starts.append(length_px - tile_px)
    return starts


def tile_grid(width_px: int, height_px: int, *, tile_px: int, overlap_px: int) -> tuple[Tile, ...]:
    """Tiles of ``tile_px`` covering a ``width_px`` × ``height_px`` image, row by row.

    Neighbouring tiles overlap by at least ``overlap_px``; the last tile of each row and column
    is moved back so it ends at the image edge and stays full size.

    >>> [(t.x0_px, t.width_px) for t in tile_grid(1000, 400, tile_px=400, overlap_px=100)]
    [(0, 400), (300, 400), (600, 400)]

    Raises:
        ConfigError: Sizes are not positive or the overlap is not smaller than the tile.
    """
    if width_px < 1 or height_px < 1:
        raise ConfigError(f"image size must be positive, got {width_px}×{height_px} px")
    if tile_px < 1 or not 0 <= overlap_px < tile_px:
        raise ConfigError(
            f"tile_px={tile_px}, overlap_px={overlap_px}: need tile_px >= 1 and "
            "0 <= overlap_px < tile_px"
        )
    step = tile_px - overlap_px
    tiles = []
    for y0 in _starts(height_px, tile_px, step):
        for x0 in _starts(width_px, tile_px, step):
            tiles.append(
                Tile(
                    x0_px=x0,
                    y0_px=y0,
                    width_px=min(tile_px, width_px),
                    height_px=min(tile_px, height_px),
                )
            )
    return tuple(tiles)
