"""The crop rule: the crop compared holds the whole vehicle, gun included."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sitewatch.compare.models import Proposal
from sitewatch.compare.outline import MARGIN, SEARCH, blank_background, grown, whole_vehicle
from sitewatch.compare.vehicles import join_nested

HULL_AND_TURRET = (150.0, 170.0, 410.0, 260.0)  # what a detector gives when it misses the gun


def drawn_tank(seed: int, *, overhang: float) -> tuple[np.ndarray, tuple[int, int]]:
    """A side view of a tank on grass under sky; the gun reaches ``overhang`` × the box's
    width past the box's right edge. Returns the RGB picture and the gun's tip."""
    rng = np.random.default_rng(seed)
    height, width = 360, 640
    image = np.empty((height, width, 3), np.uint8)
    image[:] = (150, 160, 110)
    image[: height // 3] = (175, 200, 230)
    image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)
    cv2.rectangle(image, (150, 200), (410, 260), (60, 70, 40), -1)  # hull
    cv2.ellipse(image, (290, 200), (70, 30), 0, 180, 360, (55, 65, 38), -1)  # turret
    box_w = HULL_AND_TURRET[2] - HULL_AND_TURRET[0]
    tip = (int(HULL_AND_TURRET[2] + overhang * box_w), 178)
    cv2.line(image, (330, 185), tip, (50, 58, 35), 9)  # gun
    return image, tip


def _inside(point: tuple[int, int], box: tuple[int, ...]) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("overhang", [0.2, 0.3, 0.35])
def test_gun_beyond_the_box_is_inside_the_crop(seed: int, overhang: float) -> None:
    image, tip = drawn_tank(seed, overhang=overhang)
    height, width = image.shape[:2]
    margin_only = grown(HULL_AND_TURRET, width, height, side=MARGIN, top=MARGIN, bottom=MARGIN)
    assert not _inside(tip, tuple(margin_only.as_list())), "the gun must leave the plain box"
    outline = whole_vehicle(image, HULL_AND_TURRET)
    crop = tuple(outline.box.as_list())
    assert _inside(tip, crop)
    # grown to the gun, not to the whole search window
    window = grown(HULL_AND_TURRET, width, height, side=SEARCH[0], top=SEARCH[1],
                   bottom=SEARCH[2])
    assert crop[2] <= tip[0] + 12 < window.x1_px
    assert crop[0] == margin_only.x0_px and crop[3] == margin_only.y1_px


def test_crop_without_a_gun_stays_near_the_box_and_is_reproducible() -> None:
    image, _ = drawn_tank(5, overhang=0.3)
    cv2.line(image, (330, 185), (600, 178), (150, 160, 110), 11)  # paint the gun out
    image[: 360 // 3] = (175, 200, 230)
    first = whole_vehicle(image, HULL_AND_TURRET)
    again = whole_vehicle(image, HULL_AND_TURRET)
    assert first.box == again.box and np.array_equal(first.mask, again.mask)
    assert first.box.x1_px <= 430 and first.box.x0_px >= 130
    height, width = first.mask.shape
    assert (height, width) == (first.box.y1_px - first.box.y0_px,
                               first.box.x1_px - first.box.x0_px)
    # the mask holds the hull and not the grass beside it
    assert first.mask[60, 150] == 1 and first.mask[height - 3, 2] == 0


def test_nested_boxes_are_one_vehicle() -> None:
    hull = Proposal(x0_px=150, y0_px=200, x1_px=410, y1_px=260, label="truck", score=0.7)
    with_gun = Proposal(x0_px=150, y0_px=165, x1_px=520, y1_px=262, label="boat", score=0.3)
    other = Proposal(x0_px=560, y0_px=200, x1_px=630, y1_px=250, label="car", score=0.5)
    joined = join_nested((hull, with_gun, other))
    assert [(p.x0_px, p.x1_px, p.label, p.score) for p in joined] == [
        (150, 520, "truck", 0.7), (560, 630, "car", 0.5)]


def test_blanked_background_keeps_the_vehicle() -> None:
    image, _ = drawn_tank(1, overhang=0.3)
    outline = whole_vehicle(image, HULL_AND_TURRET)
    box = outline.box
    crop = image[box.y0_px : box.y1_px, box.x0_px : box.x1_px]
    blanked = blank_background(crop, outline.mask)
    vehicle = outline.mask > 0
    assert np.array_equal(blanked[vehicle], crop[vehicle])
    fill = crop[vehicle].mean(axis=0)
    corner = blanked[-2, 1].astype(float)  # grass beside the tracks, outside the vehicle
    assert not vehicle[-2, 1] and np.abs(corner - fill).max() < 15
    assert np.array_equal(blanked[-2, 1], blanked[1, 1])  # one fill colour
    assert np.abs(crop[-2, 1].astype(float) - fill).max() > 40
