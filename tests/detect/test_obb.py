from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sitewatch.detect.merging import merge_tile_boxes
from sitewatch.detect.obb import (
    CargoRule,
    cargo_pairs,
    corners,
    decode_yolo_obb,
    regularize,
    rotated_nms,
)
from sitewatch.geo.coords import OrientedBoxPx


def _random_boxes(seed: int, n: int, extent: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    boxes = np.column_stack(
        [
            rng.uniform(0, extent, n),
            rng.uniform(0, extent, n),
            rng.uniform(4, 30, n),
            rng.uniform(2, 12, n),
            rng.uniform(-math.pi, math.pi, n),
        ]
    )
    return boxes, rng.uniform(0.05, 1.0, n)


def test_corners_match_oriented_box_convention() -> None:
    box = OrientedBoxPx(cx_px=10, cy_px=20, width_px=8, height_px=3, angle_rad=0.7)
    got = corners(np.array([[10, 20, 8, 3, 0.7]]))[0]
    np.testing.assert_allclose(got, np.array(box.corners_px()), atol=1e-9)


@given(st.integers(0, 10_000))
def test_regularize_keeps_the_same_rectangle(seed: int) -> None:
    boxes, _ = _random_boxes(seed, 5)
    reg = regularize(boxes)
    assert (reg[:, 2] >= reg[:, 3]).all() and (reg[:, 4] >= 0).all() and (reg[:, 4] < math.pi).all()
    for a, b in zip(corners(boxes), corners(reg), strict=True):
        # Same corner set, possibly in another order.
        d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
        assert d.min(axis=1).max() < 1e-6


def test_nms_drops_duplicates_keeps_neighbours() -> None:
    boxes = np.array(
        [
            [50, 50, 20, 8, 0.3],
            [51, 50, 20, 8, 0.32],  # duplicate of 0, lower score
            [50, 62, 20, 8, 0.3],  # parked next to 0: touching bounds, no real overlap
            [150, 150, 20, 8, 1.0],
        ]
    )
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert rotated_nms(boxes, scores, iou_threshold=0.3).tolist() == [0, 2, 3]


@settings(deadline=None, max_examples=40)
@given(st.integers(0, 10_000), st.integers(0, 120))
def test_merge_is_idempotent(seed: int, n: int) -> None:
    boxes, scores = _random_boxes(seed, n)
    truncated = np.random.default_rng(seed + 1).random(n) < 0.3
    keep = merge_tile_boxes(boxes, scores, truncated, iou_threshold=0.3, cover_threshold=0.5)
    again = merge_tile_boxes(
        boxes[keep], scores[keep], truncated[keep], iou_threshold=0.3, cover_threshold=0.5
    )
    assert sorted(again.tolist()) == list(range(len(keep)))


def test_truncated_box_replaced_by_whole_one_even_with_higher_score() -> None:
    whole = [100, 100, 30, 10, 0.0]
    half = [93, 100, 16, 10, 0.0]  # the left part, cut by a tile edge
    boxes = np.array([half, whole])
    keep = merge_tile_boxes(
        boxes,
        np.array([0.95, 0.6]),
        np.array([True, False]),
        iou_threshold=0.6,
        cover_threshold=0.5,
    )
    assert keep.tolist() == [1]


@given(arrays(np.float32, (1, 20, 64), elements=st.floats(0, 1, width=32)))
def test_decode_respects_threshold_and_classes(raw: np.ndarray) -> None:
    raw = raw.copy()
    raw[:, 2:4] = raw[:, 2:4] * 50 + 1  # positive sizes
    raw[:, :2] *= 500
    out = decode_yolo_obb(raw, class_indices=[9, 10], score_threshold=0.5, iou_threshold=0.5)
    boxes, scores, pos = out[0]
    assert (scores > 0.5).all() and set(pos.tolist()) <= {0, 1}
    assert len(boxes) <= int((raw[0, [13, 14]].max(axis=0) > 0.5).sum())


def test_decode_reads_angle_from_last_channel() -> None:
    raw = np.zeros((1, 20, 3), dtype=np.float32)
    raw[0, :4, 0] = [100, 200, 10, 40]  # taller than wide
    raw[0, 14, 0] = 0.9  # 'small vehicle'
    raw[0, 19, 0] = 0.25
    ((boxes, scores, pos),) = decode_yolo_obb(
        raw, class_indices=[9, 10], score_threshold=0.25, iou_threshold=0.5
    )
    assert pos.tolist() == [1] and scores[0] == pytest.approx(0.9)
    np.testing.assert_allclose(boxes[0], [100, 200, 40, 10, 0.25 + math.pi / 2], rtol=1e-6)


def test_class_floors_apply_before_the_nms() -> None:
    """A box under its class's floor is gone before the NMS, so it suppresses nothing."""
    raw = np.zeros((1, 20, 2), dtype=np.float32)
    raw[0, :4, 0] = raw[0, :4, 1] = [100, 100, 40, 20]  # the same place
    raw[0, 13, 0], raw[0, 14, 1] = 0.6, 0.4  # class positions 0 and 1
    plain = decode_yolo_obb(raw, class_indices=[9, 10], score_threshold=0.25, iou_threshold=0.5)
    assert plain[0][2].tolist() == [0]  # the NMS keeps the better one
    floored = decode_yolo_obb(raw, class_indices=[9, 10], score_threshold=0.25, iou_threshold=0.5,
                              class_score_floors=np.array([0.7, 0.0]))
    assert floored[0][2].tolist() == [1] and floored[0][1][0] == pytest.approx(0.4)
    high = decode_yolo_obb(raw, class_indices=[9, 10], score_threshold=0.25, iou_threshold=0.5,
                           class_score_floors=np.array([0.7, 0.45]))
    assert len(high[0][0]) == 0


def _all_pairs_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float,
                   labels: np.ndarray, cargo: CargoRule) -> list[int]:
    """Greedy NMS over every pair's rotated IoU, written plainly: the reference."""
    import shapely

    polys = shapely.polygons(corners(boxes))
    area = boxes[:, 2] * boxes[:, 3]
    keep: list[int] = []
    for idx in np.argsort(-scores, kind="stable").tolist():
        dropped = False
        for k in keep:
            a, b = min(idx, k), max(idx, k)
            inter = float(shapely.area(shapely.intersection(polys[a], polys[b])))
            iou = inter / max(area[a] + area[b] - inter, 1e-9)
            standing = cargo_pairs(boxes, labels, np.array([a]), np.array([b]),
                                   np.array([inter]), cargo)[0]
            if iou > iou_threshold and not standing:
                dropped = True
                break
        if not dropped:
            keep.append(idx)
    return keep


@pytest.mark.parametrize("seed", range(6))
def test_nms_keeps_what_every_pair_compared_keeps(seed: int) -> None:
    """The NMS measures only the pairs that can decide something; it must keep exactly what
    comparing every pair keeps, in dense clusters of duplicates, rows and cargo on carriers."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 120, size=(40, 2))
    boxes = []
    for cx, cy in centres:
        for _ in range(int(rng.integers(1, 8))):  # several candidate boxes a vehicle
            boxes.append([cx + rng.normal(0, 1.5), cy + rng.normal(0, 1.5), rng.uniform(8, 30),
                          rng.uniform(4, 9), rng.uniform(0, np.pi)])
    boxes_arr = regularize(np.array(boxes))
    scores = rng.uniform(0.1, 1.0, len(boxes_arr))
    labels = rng.integers(0, 3, len(boxes_arr))
    cargo = CargoRule(cargo=0, carrier=1)
    for threshold in (0.1, 0.45, 0.7):
        kept = rotated_nms(boxes_arr, scores, iou_threshold=threshold, labels=labels, cargo=cargo)
        assert kept.tolist() == _all_pairs_nms(boxes_arr, scores, threshold, labels, cargo)


def test_touching_pairs_of_a_whole_scene_are_those_every_pair_compared_gives() -> None:
    """Past a few thousand boxes the pairs come from an R-tree: the same pairs, in the same
    order, as comparing every pair, including edge contacts (not overlaps), zero-width boxes
    and boxes with a NaN."""
    from sitewatch.detect.obb import touching_pairs

    rng = np.random.default_rng(5)
    x0, y0 = rng.integers(0, 400, 3000).astype(float), rng.integers(0, 400, 3000).astype(float)
    aabb = np.column_stack([x0, y0, x0 + rng.integers(0, 12, 3000), y0 + rng.integers(1, 12, 3000)])
    aabb[7] = [np.nan, 0, 5, 5]
    hit = ((aabb[:, None, 0] < aabb[None, :, 2]) & (aabb[None, :, 0] < aabb[:, None, 2])
           & (aabb[:, None, 1] < aabb[None, :, 3]) & (aabb[None, :, 1] < aabb[:, None, 3]))
    i, j = np.nonzero(np.triu(hit, k=1))
    got_i, got_j = touching_pairs(aabb)
    assert len(i) > 1000
    assert got_i.tolist() == i.tolist() and got_j.tolist() == j.tolist()


def _shapely_areas(boxes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    import shapely

    polys = shapely.polygons(corners(boxes))
    return np.asarray(shapely.area(shapely.intersection(polys[i], polys[j])), dtype=np.float64)


@pytest.mark.parametrize("seed", range(4))
def test_intersection_areas_are_those_of_clipping_the_polygons(seed: int) -> None:
    """The numpy clipping gives shapely's areas to rounding, in the cases that break naive
    clipping: identical boxes, boxes sharing edges or corners (turned by right angles), one
    inside another, disjoint, thin and far from the origin (full-resolution pixels)."""
    from sitewatch.detect.obb import intersection_areas

    rng = np.random.default_rng(seed)
    n = 4000
    a = np.column_stack([rng.uniform(0, 60, n), rng.uniform(0, 60, n), rng.uniform(0.5, 40, n),
                         rng.uniform(0.05, 20, n), rng.uniform(-4, 4, n)])
    b = np.column_stack([rng.uniform(0, 60, n), rng.uniform(0, 60, n), rng.uniform(0.5, 40, n),
                         rng.uniform(0.05, 20, n), rng.uniform(-4, 4, n)])
    q = n // 5
    b[:q] = a[:q]  # identical
    b[q:2 * q, 2:4] = a[q:2 * q, 2:4]  # same size, turned by right angles, shifted by whole
    b[q:2 * q, 4] = a[q:2 * q, 4] + np.pi / 2 * rng.integers(0, 4, q)  # sides: shared edges
    b[q:2 * q, :2] = a[q:2 * q, :2] + rng.integers(-2, 3, (q, 2)) * a[q:2 * q, 2:3]
    b[2 * q:3 * q] = a[2 * q:3 * q] * [1, 1, 0.3, 0.3, 1] + [0.1, -0.2, 0, 0, 0.4]  # inside
    a[3 * q:4 * q, :2] += 5000.0  # far from the origin, nearly the same box
    b[3 * q:4 * q] = a[3 * q:4 * q] + rng.normal(0, 0.5, (q, 5)) * [1, 1, 0.1, 0.1, 0.05]
    b[3 * q:4 * q, 2:4] = np.abs(b[3 * q:4 * q, 2:4]) + 0.05
    boxes = np.concatenate([a, b])
    i, j = np.arange(n), np.arange(n) + n
    got = intersection_areas(boxes, i, j)
    want = _shapely_areas(boxes, i, j)
    scale = np.minimum(a[:, 2] * a[:, 3], b[:, 2] * b[:, 3])
    assert (want > 0).sum() > n // 2
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * scale.max())
    assert (np.abs(got - want) <= 1e-9 * scale).all()
    np.testing.assert_allclose(intersection_areas(boxes, j, i), want, rtol=0, atol=1e-9 * scale.max())


def test_intersection_areas_of_degenerate_boxes_are_zero() -> None:
    from sitewatch.detect.obb import intersection_areas

    boxes = np.array([[10, 10, 8, 4, 0.3], [10, 10, 0, 4, 0.3], [10, 10, 8, 0, 0.0],
                      [np.nan, 10, 8, 4, 0.0], [10, 10, 8, 4, np.nan]])
    got = intersection_areas(boxes, np.zeros(4, dtype=np.intp), np.arange(1, 5))
    assert got.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert intersection_areas(boxes, np.arange(1, 5), np.zeros(4, dtype=np.intp)).tolist() == [0.0] * 4
    assert intersection_areas(boxes, np.empty(0, np.intp), np.empty(0, np.intp)).shape == (0,)


@pytest.mark.parametrize(("seed", "n"), [(0, 0), (1, 1), (2, 2), (3, 40), (4, 600), (5, 2048)])
def test_touching_pairs_of_a_tile_are_those_every_pair_compared_gives(seed: int, n: int) -> None:
    """Up to 2048 boxes the pairs come from a sweep along x: the same pairs, in the same order,
    as comparing every pair, with shared left edges, edge contacts, zero-width, inverted and
    NaN boxes, and boxes spanning the whole tile."""
    from sitewatch.detect.obb import touching_pairs

    rng = np.random.default_rng(seed)
    x0, y0 = rng.integers(0, 60, n).astype(float), rng.integers(0, 60, n).astype(float)
    aabb = np.column_stack([x0, y0, x0 + rng.integers(-1, 12, n), y0 + rng.integers(0, 12, n)])
    if n >= 40:
        aabb[3] = [np.nan, 0, 5, 5]
        aabb[5] = [0, 0, np.nan, 5]
        aabb[8] = [-5, -5, 200, 200]
        aabb[9] = [1, 1, 1, 9]
    hit = ((aabb[:, None, 0] < aabb[None, :, 2]) & (aabb[None, :, 0] < aabb[:, None, 2])
           & (aabb[:, None, 1] < aabb[None, :, 3]) & (aabb[None, :, 1] < aabb[:, None, 3]))
    i, j = np.nonzero(np.triu(hit, k=1))
    got_i, got_j = touching_pairs(aabb)
    assert got_i.dtype == got_j.dtype == np.intp
    assert got_i.tolist() == i.tolist() and got_j.tolist() == j.tolist()
    assert n < 600 or len(i) > 3 * n
