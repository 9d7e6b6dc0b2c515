"""Copy-paste synthesis: real vehicle chips on real empty ground, laid out like real parks.

A synthetic training tile is a 2×2 grid of square cells at the model's ground sample distance.
A cell is either a real labelled tile (kept with its labels, turned and mirrored), or a crop of
real ground (possibly with its own pseudo-labels) onto which the vehicles of one real layout
are pasted: each layout box gets a chip of the same class at the chip's true size (±jitter),
turned to the layout box's orientation, colour-jittered and alpha-blended with a soft edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.train.chips import VehicleChip, transform_chip
from sitewatch.train.layouts import Layout
from sitewatch.train.samples import TrainBox, TrainingSample

__all__ = ["Cell", "SynthConfig", "compose_tile", "d4", "jitter_colour", "paste_layout"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthConfig:
    """Knobs of copy-paste synthesis.

    Attributes:
        gsd_m: Ground sample distance of every cell and of the output tiles.
        cell_px: Side of one cell; a tile is 2×2 cells.
        layout_side_m: Ground width of the images the layouts were read from.
        size_jitter: Chips are scaled by a factor drawn from ``[1 - j, 1 + j]``.
        max_turn_deg: Extra turn drawn from ``[-t, t]`` on top of the layout's orientation.
        layout_turn_deg: Each pasted layout is turned as a whole (positions and vehicles) by an
            angle drawn from ``[-t, t]``: the layout files' boxes are axis-aligned, so without
            it pasted vehicles stand within ``max_turn_deg`` of the image axes.
        colour_jitter: Strength of per-chip and per-tile brightness, contrast, colour jitter.
        drop_prob: Chance of leaving out each layout box (thins dense layouts).
    """

    gsd_m: float = 0.3
    cell_px: int = 256
    layout_side_m: float = 76.8
    size_jitter: float = 0.12
    max_turn_deg: float = 15.0
    layout_turn_deg: float = 0.0
    colour_jitter: float = 0.12
    drop_prob: float = 0.15

    def __post_init__(self) -> None:
        if self.gsd_m <= 0 or self.cell_px < 32 or self.layout_side_m <= 0:
            raise ConfigError(
                f"synthesis needs gsd_m > 0, cell_px >= 32, layout_side_m > 0; got "
                f"{self.gsd_m}, {self.cell_px}, {self.layout_side_m}"
            )
        if not (0 <= self.size_jitter < 0.5 and 0 <= self.drop_prob < 1):
            raise ConfigError(
                f"size_jitter must be in [0, 0.5) and drop_prob in [0, 1); got "
                f"{self.size_jitter}, {self.drop_prob}"
            )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Cell:
    """One square cell: its image at the synthesis GSD, its labels, and whether to paste on it."""

    image: np.ndarray
    boxes: tuple[TrainBox, ...]
    source: str
    paste: bool


def jitter_colour(rng: np.random.Generator, image: np.ndarray, *, strength: float) -> np.ndarray:
    """Random brightness, contrast, per-channel gain and gamma, of size ``strength``."""
    img = image.astype(np.float32) / 255.0
    gain = 1.0 + rng.uniform(-strength, strength, size=3) * 0.5
    contrast = 1.0 + rng.uniform(-strength, strength)
    bright = rng.uniform(-strength, strength) * 0.5
    mean = img.mean(axis=(0, 1), keepdims=True)
    img = (img - mean) * contrast + mean + bright
    img = np.clip(img * gain, 0.0, 1.0) ** (1.0 + rng.uniform(-strength, strength))
    out: np.ndarray = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return out


def d4(
    image: np.ndarray, boxes: Sequence[TrainBox], *, quarter_turns: int, mirror: bool
) -> tuple[np.ndarray, tuple[TrainBox, ...]]:
    """Mirror left-right (if ``mirror``) then turn clockwise by ``quarter_turns`` × 90°."""
    _h, w = image.shape[:2]
    out_boxes = list(boxes)
    if mirror:
        image = image[:, ::-1]
        out_boxes = [
            TrainBox(
                box=OrientedBoxPx(
                    cx_px=w - b.box.cx_px, cy_px=b.box.cy_px, width_px=b.box.width_px,
                    height_px=b.box.height_px, angle_rad=-b.box.angle_rad,
                ),
                label=b.label,
            )
            for b in out_boxes
        ]  # fmt: skip
    for _ in range(quarter_turns % 4):
        hh = image.shape[0]
        image = np.rot90(image, k=-1)  # clockwise: (x, y) -> (H - y, x)
        out_boxes = [
            TrainBox(
                box=OrientedBoxPx(
                    cx_px=hh - b.box.cy_px, cy_px=b.box.cx_px, width_px=b.box.width_px,
                    height_px=b.box.height_px, angle_rad=b.box.angle_rad + math.pi / 2,
                ),
                label=b.label,
            )
            for b in out_boxes
        ]  # fmt: skip
    return np.ascontiguousarray(image), tuple(out_boxes)


def _overlaps(bounds: tuple[float, float, float, float], taken: Sequence[TrainBox]) -> bool:
    x0, y0, x1, y1 = bounds
    area = (x1 - x0) * (y1 - y0)
    for t in taken:
        a0, b0, a1, b1 = t.box.bounds_px()
        iw, ih = min(x1, a1) - max(x0, a0), min(y1, b1) - max(y0, b0)
        if iw > 0 and ih > 0 and iw * ih > 0.15 * min(area, (a1 - a0) * (b1 - b0)):
            return True
    return False


def _blend(canvas: np.ndarray, chip: np.ndarray, alpha: np.ndarray, x0: int, y0: int) -> None:
    h, w = alpha.shape
    region = canvas[y0 : y0 + h, x0 : x0 + w].astype(np.float32)
    a = alpha[..., None]
    canvas[y0 : y0 + h, x0 : x0 + w] = (a * chip + (1 - a) * region + 0.5).astype(np.uint8)


def paste_layout(
    rng: np.random.Generator,
    cell: np.ndarray,
    layout: Layout,
    chips: Mapping[VehicleClass, Sequence[VehicleChip]],
    *,
    config: SynthConfig,
    taken: Sequence[TrainBox] = (),
) -> tuple[TrainBox, ...]:
    """Paste chips at the layout's positions into ``cell`` (in place); return the new boxes.

    The layout covers ``layout_side_m`` of ground; where that is larger or smaller than the
    cell, a random part of it falls in the cell, or it falls in a random part of the cell.

    Layout boxes whose class has no chip, that would leave the cell or overlap a vehicle
    already there are skipped.
    """
    side = cell.shape[0]
    layout_px = config.layout_side_m / config.gsd_m
    off_x, off_y = (
        rng.uniform(min(0.0, side - layout_px), max(0.0, side - layout_px)) for _ in "xy"
    )
    whole_turn = (math.radians(rng.uniform(-config.layout_turn_deg, config.layout_turn_deg))
                  if config.layout_turn_deg else 0.0)  # no draw when off: same stream as before
    cos_t, sin_t = math.cos(whole_turn), math.sin(whole_turn)
    placed: list[TrainBox] = list(taken)
    new: list[TrainBox] = []
    for lb in layout.boxes:
        pool = chips.get(lb.label)
        if not pool or rng.random() < config.drop_prob:
            continue
        chip = pool[int(rng.integers(len(pool)))]
        scale = (
            chip.gsd_m / config.gsd_m * rng.uniform(1 - config.size_jitter, 1 + config.size_jitter)
        )
        x0, y0, x1, y1 = chip.box.bounds_px()
        chip_long_x = x1 - x0 >= y1 - y0
        want_long_x = lb.w >= lb.h
        turn = (0.0 if chip_long_x == want_long_x else math.pi / 2) + math.pi * int(rng.integers(2))
        turn += math.radians(rng.uniform(-config.max_turn_deg, config.max_turn_deg)) + whole_turn
        image, alpha, box = transform_chip(
            chip, scale=scale, angle_rad=turn, flip=bool(rng.integers(2))
        )
        image = jitter_colour(rng, image, strength=config.colour_jitter)
        # turned clockwise (y down) about the layout's centre, like the chips
        dx, dy = lb.cx - 0.5, lb.cy - 0.5
        cx, cy = 0.5 + dx * cos_t - dy * sin_t, 0.5 + dx * sin_t + dy * cos_t
        x0 = round(cx * layout_px + off_x - box.cx_px)
        y0 = round(cy * layout_px + off_y - box.cy_px)
        h, w = alpha.shape
        if x0 < 0 or y0 < 0 or x0 + w > side or y0 + h > side:
            continue
        moved = OrientedBoxPx(
            cx_px=box.cx_px + x0, cy_px=box.cy_px + y0, width_px=box.width_px,
            height_px=box.height_px, angle_rad=box.angle_rad,
        )  # fmt: skip
        if _overlaps(moved.bounds_px(), placed):
            continue
        _blend(cell, image, alpha, x0, y0)
        tb = TrainBox(box=moved, label=chip.label)
        placed.append(tb)
        new.append(tb)
    return tuple(new)


def compose_tile(
    rng: np.random.Generator,
    cells: Sequence[Cell],
    layouts: Sequence[Layout],
    chips: Mapping[VehicleClass, Sequence[VehicleChip]],
    *,
    config: SynthConfig,
) -> TrainingSample:
    """A 2×2 tile of four cells; cells marked ``paste`` receive one random layout each."""
    if len(cells) != 4:
        raise ConfigError(f"a tile needs 4 cells, got {len(cells)}")
    side = config.cell_px
    tile = np.zeros((2 * side, 2 * side, 3), np.uint8)
    boxes: list[TrainBox] = []
    sources = []
    for k, cell in enumerate(cells):
        if cell.image.shape[:2] != (side, side):
            raise ConfigError(
                f"cell {cell.source!r} is {cell.image.shape[:2]}, expected {side}×{side} px"
            )
        img, cell_boxes = d4(
            cell.image, cell.boxes, quarter_turns=int(rng.integers(4)), mirror=bool(rng.integers(2))
        )
        img = jitter_colour(rng, img, strength=config.colour_jitter / 2)
        name = cell.source
        if cell.paste and layouts:
            layout = layouts[int(rng.integers(len(layouts)))]
            cell_boxes = cell_boxes + paste_layout(
                rng, img, layout, chips, config=config, taken=cell_boxes
            )
            name += f"+layout:{layout.source}"
        ox, oy = (k % 2) * side, (k // 2) * side
        tile[oy : oy + side, ox : ox + side] = img
        boxes.extend(
            TrainBox(
                box=OrientedBoxPx(
                    cx_px=b.box.cx_px + ox, cy_px=b.box.cy_px + oy, width_px=b.box.width_px,
                    height_px=b.box.height_px, angle_rad=b.box.angle_rad,
                ),
                label=b.label,
            )
            for b in cell_boxes
        )  # fmt: skip
        sources.append(name)
    return TrainingSample(image=tile, boxes=tuple(boxes), source="synthetic:" + "|".join(sources))
