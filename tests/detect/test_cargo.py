"""A vehicle standing on another (a tank on a transporter) survives the class-agnostic NMS;
two boxes on one vehicle still do not. Tiny boxes in metres-as-pixels, pure numpy."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.detect import VehicleClass
from sitewatch.detect.merging import VEHICLE_CARGO, merge_tile_boxes
from sitewatch.detect.obb import CargoRule, decode_yolo_obb, rotated_nms

ORDER = tuple(VehicleClass)
ARMOURED = ORDER.index(VehicleClass.ARMORED_VEHICLE)
TRUCK = ORDER.index(VehicleClass.MILITARY_TRUCK)
LIGHT = ORDER.index(VehicleClass.MILITARY_LIGHT_VEHICLE)

TRANSPORTER = [100.0, 100.0, 20.0, 3.5, 0.3]  # heavy equipment transporter, 20 x 3.5 m
# a T-64 with its gun (11 x 3.4 m) on the trailer bed: 94 % inside it, IoU 0.48
TANK = [100.0 + 3 * math.cos(0.3), 100.0 + 3 * math.sin(0.3), 11.0, 3.4, 0.3 + 0.1]


def _nms(boxes: list[list[float]], scores: list[float], labels: list[int], iou: float,
         rule: CargoRule | None = VEHICLE_CARGO) -> list[int]:
    return rotated_nms(np.array(boxes), np.array(scores), iou_threshold=iou,
                       labels=np.array(labels), cargo=rule).tolist()


def test_tank_on_transporter_is_kept_at_both_thresholds() -> None:
    for iou in (0.45, 0.3):  # within a tile, across tiles
        assert _nms([TRANSPORTER, TANK], [0.9, 0.5], [TRUCK, ARMOURED], iou) == [0, 1]
        assert _nms([TANK, TRANSPORTER], [0.9, 0.5], [ARMOURED, TRUCK], iou) == [0, 1]
        # without the rule the lower-scoring one is suppressed: the test can fail
        assert _nms([TRANSPORTER, TANK], [0.9, 0.5], [TRUCK, ARMOURED], iou, None) == [0]


def test_two_boxes_on_one_vehicle_are_still_suppressed() -> None:
    cab = [*TANK[:4], TRANSPORTER[4]]
    # same class: a truck's cab inside the truck's box
    assert _nms([TRANSPORTER, cab], [0.9, 0.5], [TRUCK, TRUCK], 0.3) == [0]
    # carrier inside cargo (a truck box inside an armoured one) is not cargo
    assert _nms([TRANSPORTER, cab], [0.9, 0.5], [ARMOURED, TRUCK], 0.3) == [0]
    # another class on the truck (a light vehicle) is not cargo either
    assert _nms([TRANSPORTER, cab], [0.9, 0.5], [TRUCK, LIGHT], 0.3) == [0]
    # one vehicle boxed twice with two labels: about the same size, not "on" anything
    twice = [TRANSPORTER[0] + 0.5, TRANSPORTER[1], 19.0, 3.5, 0.3]
    assert _nms([TRANSPORTER, twice], [0.9, 0.5], [TRUCK, ARMOURED], 0.3) == [0]


def test_cargo_across_the_carrier_or_hanging_off_it_is_suppressed() -> None:
    across = [100.0, 100.0, 11.0, 3.4, 0.3 + math.radians(35)]
    # beside the trailer, a third of it on it (IoU 0.12)
    half_off = [100.0 - 2.4 * math.sin(0.3), 100.0 + 2.4 * math.cos(0.3), 11.0, 3.4, 0.3]
    for cargo in (across, half_off):
        assert _nms([TRANSPORTER, cargo], [0.9, 0.5], [TRUCK, ARMOURED], 0.1) == [0]


def test_merge_across_tiles_keeps_cargo_and_its_truncated_copy_does_not_replace() -> None:
    cut_tank = [TANK[0] - 1.5 * math.cos(0.4), TANK[1] - 1.5 * math.sin(0.4), 8.0, 3.4, 0.4]
    boxes = np.array([TRANSPORTER, TANK, cut_tank])
    labels = np.array([TRUCK, ARMOURED, ARMOURED])
    keep = merge_tile_boxes(boxes, np.array([0.9, 0.6, 0.7]), np.array([False, False, True]),
                            iou_threshold=0.3, cover_threshold=0.5, labels=labels,
                            cargo=VEHICLE_CARGO)
    # the transporter and the whole tank stay; the cut copy of the tank is replaced by it
    assert sorted(keep.tolist()) == [0, 1]
    # a cut tank box whose whole copy was not found is not replaced by the transporter
    keep = merge_tile_boxes(boxes[[0, 2]], np.array([0.9, 0.7]), np.array([False, True]),
                            iou_threshold=0.3, cover_threshold=0.5, labels=labels[[0, 2]],
                            cargo=VEHICLE_CARGO)
    assert sorted(keep.tolist()) == [0, 1]
    assert merge_tile_boxes(boxes[[0, 2]], np.array([0.9, 0.7]), np.array([False, True]),
                            iou_threshold=0.3, cover_threshold=0.5).tolist() == [0]


def test_decode_keeps_cargo_with_labels_mapped_from_class_positions() -> None:
    raw = np.zeros((1, 4 + 3 + 1, 2), dtype=np.float32)
    raw[0, :4, 0], raw[0, -1, 0] = [100, 100, 200, 35], 0.0  # transporter, class position 2
    raw[0, :4, 1], raw[0, -1, 1] = [110, 100, 110, 34], 0.05  # tank, class position 1
    raw[0, 4 + 2, 0], raw[0, 4 + 1, 1] = 0.9, 0.6
    to_label = np.array([LIGHT, ARMOURED, TRUCK])  # class position -> VehicleClass index
    ((_, _, pos),) = decode_yolo_obb(raw, class_indices=[0, 1, 2], score_threshold=0.1,
                                     iou_threshold=0.45, cargo=VEHICLE_CARGO,
                                     cargo_labels=to_label)
    assert pos.tolist() == [2, 1]
    ((_, _, pos),) = decode_yolo_obb(raw, class_indices=[0, 1, 2], score_threshold=0.1,
                                     iou_threshold=0.45)
    assert pos.tolist() == [2]


@settings(deadline=None, max_examples=40)
@given(st.integers(0, 10_000), st.integers(0, 80))
def test_merge_with_cargo_is_idempotent(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    carriers = np.column_stack([rng.uniform(0, 100, n), rng.uniform(0, 100, n),
                                rng.uniform(12, 22, n), rng.uniform(3, 4, n),
                                rng.uniform(0, math.pi, n)])
    on = carriers.copy()
    on[:, 2] *= rng.uniform(0.3, 0.7, n)
    on[:, 4] += rng.normal(0, 0.2, n)
    boxes = np.concatenate([carriers, on])
    labels = rng.choice([ARMOURED, TRUCK, LIGHT], 2 * n)
    scores = rng.uniform(0.1, 1, 2 * n)
    cut = rng.random(2 * n) < 0.3
    kw = {"iou_threshold": 0.3, "cover_threshold": 0.5, "cargo": VEHICLE_CARGO}
    keep = merge_tile_boxes(boxes, scores, cut, labels=labels, **kw)  # type: ignore[arg-type]
    again = merge_tile_boxes(boxes[keep], scores[keep], cut[keep], labels=labels[keep],
                             **kw)  # type: ignore[arg-type]
    assert sorted(again.tolist()) == list(range(len(keep)))
