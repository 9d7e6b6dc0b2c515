"""Loaded transporters: an armoured vehicle standing on, and aligned with, a truck or trailer."""

from __future__ import annotations

from collections.abc import Sequence

from shapely.geometry import Polygon

from sitewatch.detect import Detection, VehicleClass
from sitewatch.track.matching import axial_difference

CARRIER_LABELS: frozenset[str] = frozenset({VehicleClass.MILITARY_TRUCK.value})
CARGO_LABELS: frozenset[str] = frozenset({VehicleClass.ARMORED_VEHICLE.value})


def _long_axis(d: Detection) -> float:
    box = d.box
    angle = box.angle_rad if box.width_px >= box.height_px else box.angle_rad + 1.5707963267948966
    return angle


def loaded_pairs(
    detections: Sequence[Detection], *, min_overlap: float, max_angle_rad: float
) -> tuple[tuple[int, int], ...]:
    """Pairs (cargo index, carrier index) of armoured vehicles standing on trucks.

    An armoured box counts as loaded when at least ``min_overlap`` of its area lies inside a
    truck box whose long axis is within ``max_angle_rad`` of its own. Each cargo and each
    carrier is used at most once (the largest overlap wins).
    """
    polys = [Polygon(d.box.corners_px()) for d in detections]
    candidates: list[tuple[float, int, int]] = []
    for i, cargo in enumerate(detections):
        if cargo.label.value not in CARGO_LABELS or polys[i].area <= 0:
            continue
        for j, carrier in enumerate(detections):
            if j == i or carrier.label.value not in CARRIER_LABELS:
                continue
            overlap = polys[i].intersection(polys[j]).area / polys[i].area
            if overlap < min_overlap:
                continue
            if axial_difference(_long_axis(cargo), _long_axis(carrier)) > max_angle_rad:
                continue
            candidates.append((overlap, i, j))
    used_cargo: set[int] = set()
    used_carrier: set[int] = set()
    pairs = []
    for _, i, j in sorted(candidates, reverse=True):
        if i in used_cargo or j in used_carrier:
            continue
        used_cargo.add(i)
        used_carrier.add(j)
        pairs.append((i, j))
    return tuple(sorted(pairs))
