"""Value types of the training pipeline: a labelled oriented box and a training image."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.train.labels import LabelledBox

__all__ = ["TrainBox", "TrainingSample", "from_labelled", "scale_box"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainBox:
    """One vehicle in a training image: an oriented box in that image's pixels and its class."""

    box: OrientedBoxPx
    label: VehicleClass


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class TrainingSample:
    """One training image (uint8, H×W×3, channel order as OpenCV reads: BGR) and its vehicles.

    ``source`` says where the pixels came from (e.g. ``mvrsd:AUAU010001`` or
    ``synthetic:depot+layout:RURU020662``), so a dataset can be audited for leaks.
    ``ignore_px`` are axis-aligned boxes ``(x0, y0, x1, y1)`` of difficult objects (may or may
    not be vehicles): never labels, never mined as hard negatives.
    """

    image: np.ndarray
    boxes: tuple[TrainBox, ...]
    source: str
    ignore_px: tuple[tuple[float, float, float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ConfigError(
                f"training image {self.source!r} must be uint8 H×W×3, got "
                f"{self.image.dtype} {self.image.shape}"
            )


def from_labelled(box: LabelledBox) -> TrainBox:
    """An oriented training box from a reader's box: the polygon's min-area rectangle if any.

    >>> from sitewatch.detect import VehicleClass
    >>> b = LabelledBox(x0_px=0, y0_px=0, x1_px=4, y1_px=2, label=VehicleClass.VEHICLE,
    ...                 source_label="car")
    >>> from_labelled(b).box.bounds_px()
    (0.0, 0.0, 4.0, 2.0)
    """
    if box.polygon_px is None:
        oriented = OrientedBoxPx(
            cx_px=(box.x0_px + box.x1_px) / 2,
            cy_px=(box.y0_px + box.y1_px) / 2,
            width_px=box.width_px,
            height_px=box.height_px,
            angle_rad=0.0,
        )
    else:
        oriented = _min_area_box(box.polygon_px)
    return TrainBox(box=oriented, label=box.label)


def _min_area_box(points: Sequence[tuple[float, float]]) -> OrientedBoxPx:
    import cv2

    (cx, cy), (w, h), angle_deg = cv2.minAreaRect(np.asarray(points, np.float32))
    return OrientedBoxPx(
        cx_px=float(cx),
        cy_px=float(cy),
        width_px=max(float(w), 1e-3),
        height_px=max(float(h), 1e-3),
        angle_rad=math.radians(float(angle_deg)),
    )


def scale_box(box: TrainBox, factor: float, *, dx_px: float = 0.0, dy_px: float = 0.0) -> TrainBox:
    """The box scaled about the image origin by ``factor``, then shifted by ``(dx_px, dy_px)``."""
    b = box.box
    return TrainBox(
        box=OrientedBoxPx(
            cx_px=b.cx_px * factor + dx_px,
            cy_px=b.cy_px * factor + dy_px,
            width_px=b.width_px * factor,
            height_px=b.height_px * factor,
            angle_rad=b.angle_rad,
        ),
        label=box.label,
    )
