"""Test-time augmentation: mirrored views mapped back onto the tile and fused."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from sitewatch.detect.obb import corners
from sitewatch.detect.tta import FLIPS, VIEWS, FlipTTA, fuse_views
from sitewatch.errors import ConfigError
from tests.detect.fakes import BlobDetector


def _tile_with_rotated_vehicle(angle_deg: float) -> np.ndarray:
    tile = np.zeros((96, 128, 3), np.uint8)  # not square: the flips must use each side
    rect = ((40.0, 30.0), (24.0, 9.0), angle_deg)
    cv2.fillPoly(tile, [np.round(cv2.boxPoints(rect)).astype(np.int32)], (255, 255, 255))
    return tile


@pytest.mark.parametrize("angle_deg", [0.0, 25.0, 70.0, 120.0])
@pytest.mark.parametrize("views", [FLIPS, VIEWS, ("transpose",), ("rotate180",)])
def test_every_view_is_mapped_back_onto_the_vehicle(angle_deg: float, views: tuple[str, ...]) -> None:
    tile = _tile_with_rotated_vehicle(angle_deg)
    inner = BlobDetector(gsd_m=0.3, tile_px=128)
    (plain,) = inner.detect_batch([tile])[0]
    (fused,) = FlipTTA(inner, flips=views).detect_batch([tile])[0]
    assert inner.calls[-1] == len(views)  # one call, all views batched
    assert fused.score == pytest.approx(plain.score)  # all three views agree
    got = corners(np.array([[fused.box.cx_px, fused.box.cy_px, fused.box.width_px,
                             fused.box.height_px, fused.box.angle_rad]]))[0]
    want = np.array(plain.box.corners_px())
    # the same rectangle: each corner of one lies on a corner of the other
    assert np.abs(got[:, None, :] - want[None, :, :]).sum(axis=2).min(axis=1).max() < 1.5


def test_a_box_one_view_alone_found_scores_lower() -> None:
    boxes = np.array([[10, 10, 8, 4, 0.0], [10.5, 10, 8, 4, 0.05], [10, 10.3, 8, 4, 0.0],
                      [50, 50, 8, 4, 0.0]])
    scores = np.array([0.9, 0.6, 0.3, 0.9])
    views = np.array([0, 1, 2, 1])
    out_boxes, out_scores, _ = fuse_views(boxes, scores, np.zeros(4, np.intp), views,
                                          n_views=3, fuse_iou=0.5)
    assert out_scores.tolist() == pytest.approx([0.6, 0.3])
    assert out_boxes[0, 0] == pytest.approx((10 * 0.9 + 10.5 * 0.6 + 10 * 0.3) / 1.8)
    assert out_boxes[1, :2].tolist() == [50, 50]


def test_two_boxes_of_one_view_are_not_averaged_together() -> None:
    boxes = np.array([[10, 10, 8, 4, 0.0], [10.2, 10, 8, 4, 0.0]])
    out_boxes, out_scores, _ = fuse_views(boxes, np.array([0.8, 0.7]), np.zeros(2, np.intp),
                                          np.array([0, 0]), n_views=2, fuse_iou=0.5)
    assert out_scores.tolist() == pytest.approx([0.4])
    assert out_boxes[0, 0] == 10


def test_identity_and_bad_options() -> None:
    inner = BlobDetector(gsd_m=0.3, tile_px=128)
    tta = FlipTTA(inner, flips=("none", "horizontal"))
    assert (tta.sha256, tta.gsd_m, tta.tile_px) == (inner.sha256, 0.3, 128)
    assert tta.name == "blob+tta(none,horizontal)"
    with pytest.raises(ConfigError, match="flips"):
        FlipTTA(inner, flips=("diagonal",))
    assert math.isclose(FlipTTA(inner).fuse_iou, 0.55)
