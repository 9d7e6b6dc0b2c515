"""Value types of the detection stage: vehicle classes, detections and the detector protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import numpy as np

from sitewatch.errors import ConfigError
from sitewatch.geo import LonLat, OrientedBoxPx


class VehicleClass(StrEnum):
    """The labels sitewatch reports.

    ``VEHICLE`` is the class-agnostic label: what a model that cannot tell military from civilian
    (the DOTA checkpoints) reports, and what evaluation falls back to.
    """

    ARMORED_VEHICLE = "armored_vehicle"
    MILITARY_TRUCK = "military_truck"
    MILITARY_LIGHT_VEHICLE = "military_light_vehicle"
    MILITARY_ENGINEERING_VEHICLE = "military_engineering_vehicle"
    CIVILIAN_VEHICLE = "civilian_vehicle"
    VEHICLE = "vehicle"

    @classmethod
    def parse(cls, text: str) -> VehicleClass:
        """Parse a label, raising a :class:`ConfigError` that lists the valid ones."""
        try:
            return cls(text)
        except ValueError:
            valid = ", ".join(v.value for v in cls)
            raise ConfigError(f"unknown vehicle label {text!r}; valid labels: {valid}") from None


MILITARY_CLASSES: frozenset[VehicleClass] = frozenset(
    {
        VehicleClass.ARMORED_VEHICLE,
        VehicleClass.MILITARY_TRUCK,
        VehicleClass.MILITARY_LIGHT_VEHICLE,
        VehicleClass.MILITARY_ENGINEERING_VEHICLE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """One vehicle found in one image, in that image's full-resolution pixel grid."""

    box: OrientedBoxPx
    label: VehicleClass
    score: float
    lonlat: LonLat | None = None
    marked_loaded: bool = False  #: an analyst marked it loaded on a transporter

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ConfigError(f"detection score must be in [0, 1], got {self.score}")


def detections_to_arrays(
    detections: Sequence[Detection],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of :func:`detections_from_arrays`: boxes (N, 5) as (cx, cy, w, h, angle_rad)
    in pixels, scores (N,), and label indices into :class:`VehicleClass` in declaration order.
    """
    order = tuple(VehicleClass)
    boxes = np.array(
        [[d.box.cx_px, d.box.cy_px, d.box.width_px, d.box.height_px, d.box.angle_rad]
         for d in detections], dtype=np.float64,
    ).reshape(-1, 5)
    scores = np.array([d.score for d in detections], dtype=np.float64)
    labels = np.array([order.index(d.label) for d in detections], dtype=np.intp)
    return boxes, scores, labels


def detections_from_arrays(
    boxes: np.ndarray,
    scores: np.ndarray,
    label_ids: np.ndarray,
    lonlats: list[LonLat | None] | None = None,
) -> tuple[Detection, ...]:
    """Detections from decoded arrays: ``boxes`` rows are (cx, cy, w, h, angle_rad) in pixels,
    ``label_ids`` index :class:`VehicleClass` in declaration order; scores are clipped to [0, 1].
    """
    order = tuple(VehicleClass)
    places = lonlats if lonlats is not None else [None] * len(boxes)
    return tuple(
        Detection(
            box=OrientedBoxPx(cx_px=float(b[0]), cy_px=float(b[1]), width_px=float(b[2]),
                              height_px=float(b[3]), angle_rad=float(b[4])),
            label=order[int(c)],
            score=float(min(max(s, 0.0), 1.0)),
            lonlat=ll,
        )
        for b, s, c, ll in zip(boxes, scores, label_ids, places, strict=True)
    )


@runtime_checkable
class Detector(Protocol):
    """Anything that finds vehicles in one RGB tile.

    ``detect_batch`` takes uint8 RGB tiles of shape (H, W, 3), all at the detector's own ground
    sample distance, and returns one tuple of detections per tile in that tile's pixel grid.
    It keeps nothing between calls.
    """

    @property
    def name(self) -> str:
        """Short identifier written into provenance."""
        ...

    @property
    def sha256(self) -> str:
        """Hash of the weights, written into provenance."""
        ...

    @property
    def gsd_m(self) -> float:
        """Ground sample distance, in metres, that the model expects."""
        ...

    @property
    def tile_px(self) -> int:
        """Square tile size the model is run on."""
        ...

    def detect_batch(self, tiles: list[np.ndarray]) -> list[tuple[Detection, ...]]:
        """Detect vehicles in each tile."""
        ...
