"""Real ground to paste vehicles on: whole images or empty rectangles, cut into cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from sitewatch.detect import PAD_VALUE
from sitewatch.errors import ConfigError
from sitewatch.train.samples import TrainBox, TrainingSample
from sitewatch.train.synth import Cell

__all__ = ["Background", "boxes_within", "random_cell"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Background:
    """Real imagery at the synthesis GSD that cells are cut from.

    ``boxes`` are the vehicles known in it (labels or reviewed pseudo-labels): a cell keeps those
    wholly inside it and is never cut through one. ``paste`` says whether layouts may be pasted
    onto its cells (False for hard-negative ground that should stay empty, or real tiles).
    ``ignore_px`` are difficult objects (see :class:`TrainingSample`).
    """

    image: np.ndarray
    boxes: tuple[TrainBox, ...]
    source: str
    paste: bool = True
    ignore_px: tuple[tuple[float, float, float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3:
            raise ConfigError(f"background {self.source!r} must be H×W×3, got {self.image.shape}")

    @classmethod
    def from_sample(cls, sample: TrainingSample, *, paste: bool) -> Background:
        """A background from a labelled sample, keeping its labels."""
        return cls(image=sample.image, boxes=sample.boxes, source=sample.source, paste=paste,
                   ignore_px=sample.ignore_px)


def _cuts(bounds: tuple[float, float, float, float], x0: int, y0: int, side: int) -> bool:
    a0, b0, a1, b1 = bounds
    inside = a0 >= x0 and b0 >= y0 and a1 <= x0 + side and b1 <= y0 + side
    outside = a1 <= x0 or b1 <= y0 or a0 >= x0 + side or b0 >= y0 + side
    return not (inside or outside)


def boxes_within(
    boxes: Sequence[TrainBox], x0: int, y0: int, width_px: int, height_px: int
) -> tuple[TrainBox, ...]:
    """The boxes wholly inside the rectangle at (x0, y0), moved into its pixel grid."""
    out = []
    for b in boxes:
        a0, b0, a1, b1 = b.box.bounds_px()
        if a0 >= x0 and b0 >= y0 and a1 <= x0 + width_px and b1 <= y0 + height_px:
            out.append(TrainBox(box=replace(b.box, cx_px=b.box.cx_px - x0, cy_px=b.box.cy_px - y0),
                                label=b.label))
    return tuple(out)


def random_cell(
    rng: np.random.Generator, background: Background, *, cell_px: int, tries: int = 20
) -> Cell:
    """A random ``cell_px`` square of the background that cuts through no known vehicle.

    A background smaller than the cell is tiled by reflection, or, when it holds labelled
    vehicles, padded with grey (a reflected vehicle would have no label and be taught as
    ground). After ``tries`` failed draws the last draw is used and the vehicles it cuts are
    dropped from the labels.
    """
    img = background.image
    h, w = img.shape[:2]
    if h < cell_px or w < cell_px:
        pad = ((0, max(0, cell_px - h)), (0, max(0, cell_px - w)), (0, 0))
        img = (np.pad(img, pad, mode="constant", constant_values=PAD_VALUE) if background.boxes
               else np.pad(img, pad, mode="reflect"))
        h, w = img.shape[:2]
    x0 = y0 = 0
    for _ in range(tries):
        x0 = int(rng.integers(w - cell_px + 1))
        y0 = int(rng.integers(h - cell_px + 1))
        if not any(_cuts(b.box.bounds_px(), x0, y0, cell_px) for b in background.boxes):
            break
    boxes = boxes_within(background.boxes, x0, y0, cell_px, cell_px)
    return Cell(
        image=np.ascontiguousarray(img[y0 : y0 + cell_px, x0 : x0 + cell_px]),
        boxes=boxes,
        source=f"{background.source}@{x0},{y0}",
        paste=background.paste,
    )
