"""Vehicle chips cut from labelled real tiles, with a context margin and a soft mask.

A chip keeps a little ground around the vehicle (shadow, edges) and an alpha mask that is 1 over
the labelled box and falls smoothly to 0 across the margin, so that pasted onto other ground it
leaves no hard seam for the model to learn instead of the vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.geo import OrientedBoxPx
from sitewatch.train.samples import TrainingSample

__all__ = ["VehicleChip", "chips_by_class", "cut_chips", "transform_chip"]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VehicleChip:
    """A vehicle cut from a real image.

    ``box`` is the vehicle's oriented box in the chip's own pixels; ``gsd_m`` the chip's ground
    sample distance, so it can be pasted at its true size elsewhere.
    """

    image: np.ndarray
    alpha: np.ndarray
    box: OrientedBoxPx
    label: VehicleClass
    gsd_m: float
    source: str

    def __post_init__(self) -> None:
        if self.image.shape[:2] != self.alpha.shape:
            raise ConfigError(
                f"chip {self.source!r}: alpha {self.alpha.shape} does not match image "
                f"{self.image.shape[:2]}"
            )


def _soft_mask(h: int, w: int, inner: tuple[int, int, int, int]) -> np.ndarray:
    """1 inside ``inner`` (x0, y0, x1, y1), falling linearly to 0 at the chip border."""
    x0, y0, x1, y1 = inner
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx = np.maximum(np.maximum(x0 - xs, xs - (x1 - 1)), 0) / max(x0, w - x1, 1)
    dy = np.maximum(np.maximum(y0 - ys, ys - (y1 - 1)), 0) / max(y0, h - y1, 1)
    return np.clip(1.0 - np.maximum(dx, dy), 0.0, 1.0).astype(np.float32)


def cut_chips(
    sample: TrainingSample,
    *,
    gsd_m: float,
    margin_frac: float = 0.2,
    min_margin_px: int = 3,
) -> tuple[VehicleChip, ...]:
    """Cut every vehicle of a sample into a chip with a margin of context.

    Vehicles whose margin would leave the image are cut with what is there (the mask still
    fades to 0 at the chip border). Oriented boxes are cut by their enclosing axis-aligned box.
    """
    h, w = sample.image.shape[:2]
    chips = []
    for i, tb in enumerate(sample.boxes):
        x0, y0, x1, y1 = tb.box.bounds_px()
        margin = max(min_margin_px, round(margin_frac * min(x1 - x0, y1 - y0)))
        cx0, cy0 = max(0, math.floor(x0) - margin), max(0, math.floor(y0) - margin)
        cx1, cy1 = min(w, math.ceil(x1) + margin), min(h, math.ceil(y1) + margin)
        if cx1 - cx0 < 2 or cy1 - cy0 < 2:
            continue
        inner = (
            round(x0) - cx0,
            round(y0) - cy0,
            round(x1) - cx0,
            round(y1) - cy0,
        )
        chips.append(
            VehicleChip(
                image=sample.image[cy0:cy1, cx0:cx1].copy(),
                alpha=_soft_mask(cy1 - cy0, cx1 - cx0, inner),
                box=OrientedBoxPx(
                    cx_px=tb.box.cx_px - cx0,
                    cy_px=tb.box.cy_px - cy0,
                    width_px=tb.box.width_px,
                    height_px=tb.box.height_px,
                    angle_rad=tb.box.angle_rad,
                ),
                label=tb.label,
                gsd_m=gsd_m,
                source=f"{sample.source}#{i}",
            )
        )
    return tuple(chips)


def transform_chip(
    chip: VehicleChip,
    *,
    scale: float,
    angle_rad: float,
    flip: bool,
) -> tuple[np.ndarray, np.ndarray, OrientedBoxPx]:
    """The chip mirrored (left-right, if ``flip``), scaled and turned clockwise by ``angle_rad``.

    Returns:
        The new image, its alpha mask, and the vehicle's oriented box in the new image's pixels;
        the new image is just big enough to hold the turned chip.
    """
    import cv2

    image, alpha, box = chip.image, chip.alpha, chip.box
    h, w = image.shape[:2]
    if flip:
        image, alpha = image[:, ::-1], alpha[:, ::-1]
        box = OrientedBoxPx(
            cx_px=w - box.cx_px,
            cy_px=box.cy_px,
            width_px=box.width_px,
            height_px=box.height_px,
            angle_rad=-box.angle_rad,
        )
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    new_w = math.ceil(scale * (abs(w * c) + abs(h * s))) + 2
    new_h = math.ceil(scale * (abs(w * s) + abs(h * c))) + 2
    # x' = scale * R (x - centre) + new centre, with R turning clockwise in image space (y down).
    m = np.array([[scale * c, -scale * s, 0.0], [scale * s, scale * c, 0.0]], dtype=np.float64)
    m[:, 2] = np.array([new_w / 2, new_h / 2]) - m[:, :2] @ np.array([w / 2, h / 2])
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    out = cv2.warpAffine(
        np.ascontiguousarray(image), m, (new_w, new_h), flags=interp,
        borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    out_alpha = cv2.warpAffine(
        np.ascontiguousarray(alpha), m, (new_w, new_h), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=0.0,
    )  # fmt: skip
    cx, cy = m[:, :2] @ np.array([box.cx_px, box.cy_px]) + m[:, 2]
    new_box = OrientedBoxPx(
        cx_px=float(cx),
        cy_px=float(cy),
        width_px=box.width_px * scale,
        height_px=box.height_px * scale,
        angle_rad=box.angle_rad + angle_rad,
    )
    return out, out_alpha, new_box


def chips_by_class(chips: Sequence[VehicleChip]) -> dict[VehicleClass, tuple[VehicleChip, ...]]:
    """Group chips by class."""
    groups: dict[VehicleClass, list[VehicleChip]] = {}
    for chip in chips:
        groups.setdefault(chip.label, []).append(chip)
    return {k: tuple(v) for k, v in groups.items()}
