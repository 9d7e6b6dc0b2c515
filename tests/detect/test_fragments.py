"""A box lying inside a clearly larger one is a fragment of that vehicle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.detect.fragments import fragment_mask
from sitewatch.errors import ConfigError


def test_a_cab_inside_a_truck_is_dropped_and_neighbours_are_not() -> None:
    truck = [50, 50, 40, 12, 0.3]
    cab = [50 - 14 * np.cos(0.3), 50 - 14 * np.sin(0.3), 10, 11, 0.3]
    twin = [50, 50, 38, 12, 0.3]       # nearly the same box: a duplicate for NMS, not a fragment
    beside = [50, 80, 40, 12, 0.3]     # parked alongside
    mask = fragment_mask(np.array([truck, cab, twin, beside]))
    assert mask.tolist() == [False, True, False, False]


def test_a_box_half_outside_is_kept() -> None:
    truck = [50, 50, 40, 12, 0.0]
    half_out = [70, 50, 10, 10, 0.0]   # half of it past the truck's end
    assert fragment_mask(np.array([truck, half_out])).tolist() == [False, False]
    assert fragment_mask(np.array([truck, half_out]), inside_share=0.4).tolist() == [False, True]


def test_bad_parameters_and_empty_input() -> None:
    assert fragment_mask(np.empty((0, 5))).tolist() == []
    with pytest.raises(ConfigError, match="inside_share=0"):
        fragment_mask(np.empty((0, 5)), inside_share=0)


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(2, 30),
                          st.floats(2, 30), st.floats(0, 3.1)), max_size=15))
def test_the_largest_box_is_never_a_fragment_and_disjoint_boxes_never_are(
        rows: list[tuple[float, float, float, float, float]]) -> None:
    boxes = np.array(rows, float).reshape(-1, 5)
    mask = fragment_mask(boxes)
    if len(boxes):
        assert not mask[int(np.argmax(boxes[:, 2] * boxes[:, 3]))]
    far = boxes.copy()
    far[:, 0] = np.arange(len(boxes)) * 100.0  # spread apart: nothing touches
    assert not fragment_mask(far).any()


def test_a_vehicle_on_a_transporter_is_not_a_fragment_of_it() -> None:
    from sitewatch.detect.merging import VEHICLE_CARGO

    transporter = [50, 50, 66, 12, 0.1]   # 20 m at 0.3 m
    tank = [48, 50, 30, 11, 0.12]         # 9 m, standing on it
    boxes = np.array([transporter, tank])
    assert fragment_mask(boxes, inside_share=0.5).tolist() == [False, True]
    labels = np.array([VEHICLE_CARGO.carrier, VEHICLE_CARGO.cargo])
    kept = fragment_mask(boxes, inside_share=0.5, labels=labels, cargo=VEHICLE_CARGO)
    assert kept.tolist() == [False, False]
    same_class = np.array([VEHICLE_CARGO.carrier, VEHICLE_CARGO.carrier])  # a cab, not cargo
    assert fragment_mask(boxes, inside_share=0.5, labels=same_class,
                         cargo=VEHICLE_CARGO).tolist() == [False, True]


def test_a_box_longer_than_one_vehicle_swallows_nothing() -> None:
    row = [60, 50, 100, 12, 0.0]          # one box over a row of parked vehicles
    car = [30, 50, 15, 7, 0.0]            # a vehicle of that row, boxed on its own
    boxes = np.array([row, car])
    assert fragment_mask(boxes).tolist() == [False, True]
    assert fragment_mask(boxes, max_length_px=60).tolist() == [False, False]
    assert fragment_mask(boxes, max_length_px=100).tolist() == [False, True]
    with pytest.raises(ConfigError, match="max_length_px"):
        fragment_mask(boxes, max_length_px=0)
