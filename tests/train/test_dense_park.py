"""The dense-park evaluation (issue 19 item 2): its hand labels and its scoring.

The labels in ``docs/dense-depot-labels`` must parse, lie inside their regions, keep off the
areas training pastes from, and agree with the counts their README states. The scoring of
``tools/eval_dense.py`` is checked on tiny generated rows of boxes whose answers are known:
a box over three vehicles, two boxes on one, a box on a difficult object, a box outside the
region.
"""

from __future__ import annotations

import doctest
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import eval_dense  # noqa: E402
from eval_dense import (  # noqa: E402
    Region,
    aligned_iou,
    read_boxes,
    read_regions,
    rotated_iou,
    score_region,
)

LABELS = ROOT / "docs" / "dense-depot-labels"
SCENE_PX = 2432
#: Where training recipes paste depot ground from (x0, y0, x1, y1).
PASTE_AREAS = ((1850, 1500, 2432, 2432), (2000, 560, 2432, 1500))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_regions_are_1024_squares_apart_from_each_other_and_the_paste_areas() -> None:
    regions = read_regions(LABELS / "regions.csv")
    assert len(regions) >= 2
    bounds = [(r.x0, r.y0, r.x1, r.y1) for r in regions]
    for r in regions:
        assert (r.x1 - r.x0, r.y1 - r.y0) == (1024, 1024)
        assert r.x0 >= 0 and r.y0 >= 0 and r.x1 <= SCENE_PX and r.y1 <= SCENE_PX
    for i, a in enumerate(bounds):
        assert not any(_overlap(a, b) for b in bounds[i + 1:]), a
        assert not any(_overlap(a, p) for p in PASTE_AREAS), a


@pytest.mark.parametrize("region", read_regions(LABELS / "regions.csv"), ids=lambda r: r.name)
def test_labels_parse_and_lie_inside_their_region(region: Region) -> None:
    boxes, difficult = read_boxes(LABELS / f"{region.name}.csv")
    assert len(boxes) > 200 and difficult.dtype == bool
    assert region.holds(boxes[:, 0], boxes[:, 1]).all()
    assert ((boxes[:, 2] >= 5) & (boxes[:, 2] <= 120) & (boxes[:, 3] >= 4) & (boxes[:, 3] <= 60)).all()
    assert ((boxes[:, 4] >= 0) & (boxes[:, 4] < math.pi)).all()
    # No two labels on one vehicle: centres of the vehicles are at least 6 px apart.
    d = np.hypot(*(boxes[:, None, :2] - boxes[None, :, :2]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 6, np.unravel_index(d.argmin(), d.shape)


def test_readme_counts_match_the_files() -> None:
    text = (LABELS / "README.md").read_text(encoding="utf-8")
    for region in read_regions(LABELS / "regions.csv"):
        _, difficult = read_boxes(LABELS / f"{region.name}.csv")
        row = re.search(rf"\| `{region.name}` \| [^|]+\| [^|]+\| (\d+) \| (\d+) \|", text)
        assert row is not None, region.name
        assert (int(row.group(1)), int(row.group(2))) == ((~difficult).sum(), difficult.sum())


# A row of five vehicles 20 × 12 px standing up and down the image, 14 px apart, and a
# difficult trailer behind the last one.
ROW = np.array([[20 + 14 * k, 50, 20, 12, math.pi / 2] for k in range(5)] + [[76, 70, 12, 12, 0]])
HARD = np.array([False] * 5 + [True])
REGION = Region(name="r", x0=0, y0=0, x1=100, y1=100)


def _score(pred: list[list[float]], scores: list[float] | None = None) -> eval_dense.RegionScore:
    p = np.array(pred, float).reshape(-1, 5)
    s = np.array(scores if scores is not None else [0.9] * len(p))
    return score_region(REGION, p, s, ROW, HARD, iou_min=0.3)


def test_perfect_boxes_score_one_and_no_count_error() -> None:
    s = _score(ROW[:5].tolist())
    assert (s.tp, s.fp, s.fn, s.precision, s.recall, s.count_error) == (5, 0, 0, 1.0, 1.0, 0.0)
    assert (s.covering_several, s.on_part, s.difficult) == (0, 0, 1)


def test_one_box_over_three_vehicles() -> None:
    # 40 px across the row covers the centres of vehicles 0-2 (x 20, 34, 48).
    s = _score([[34, 50, 20, 42, math.pi / 2], *ROW[3:5].tolist()])
    assert s.covering_several == 1
    assert (s.tp, s.fp, s.fn) == (2, 1, 3)  # the wide box overlaps none at IoU 0.3
    assert s.count_error == pytest.approx((3 - 5) / 5)


def test_one_box_over_two_vehicles() -> None:
    s = _score([[27, 50, 20, 26, math.pi / 2], *ROW[2:5].tolist()])
    assert (s.covering_several, s.tp, s.fn) == (1, 4, 1)
    assert s.count_error == pytest.approx(-1 / 5)


def test_a_right_box_beside_labels_drawn_off_is_not_over_two_vehicles() -> None:
    # 16 px across, half-way between vehicles 0 and 1: it holds both centres, but only 7 of
    # each vehicle's 12 px width (58 %).
    s = _score([[27, 50, 20, 16, math.pi / 2], *ROW[2:5].tolist()])
    assert s.covering_several == 0


def test_two_boxes_on_one_vehicle() -> None:
    front, back = [20, 45, 10, 12, math.pi / 2], [20, 55, 10, 12, math.pi / 2]
    s = _score([front, back, *ROW[1:5].tolist()], [0.9, 0.8, 0.9, 0.9, 0.9, 0.9])
    assert (s.on_part, s.vehicles_cut_up) == (1, 1)
    assert (s.tp, s.fp) == (5, 1)  # the half box scoring less finds no free vehicle
    assert s.count_error == pytest.approx(1 / 5)


def test_a_box_on_a_difficult_object_or_outside_the_region_is_not_counted() -> None:
    s = _score([*ROW[:5].tolist(), ROW[5].tolist(), [150, 50, 20, 12, 0.0]])
    assert (s.tp, s.fp, s.ignored, s.boxes) == (5, 0, 1, 6)
    assert s.count_error == 0.0
    # A second box on the trailer, once the first has taken it, is ignored too (VOC).
    s = _score([*ROW[:5].tolist(), ROW[5].tolist(), (ROW[5] + [1, 1, 0, 0, 0]).tolist()],
               [0.9] * 5 + [0.9, 0.5])
    assert (s.tp, s.fp, s.ignored) == (5, 0, 2)


def test_no_boxes() -> None:
    s = _score([])
    assert (s.tp, s.fp, s.fn, s.precision, s.recall, s.count_error) == (0, 0, 5, None, 0.0, -1.0)


def test_rotated_iou_sees_the_turn_the_enclosing_box_misses() -> None:
    a = np.array([[0, 0, 20, 12, 0.0]])
    turned = np.array([[0, 0, 20, 12, math.pi / 2]])
    assert rotated_iou(a, a)[0, 0] == pytest.approx(1.0)
    assert rotated_iou(a, turned)[0, 0] == pytest.approx(144 / (240 + 240 - 144))
    diagonal = np.array([[0, 0, 20, 12, math.pi / 4]])
    apart = diagonal.copy()
    apart[0, 0] += 18  # 12.7 px apart across their width of 12: enclosing boxes (22.6 px) overlap
    assert rotated_iou(diagonal, apart)[0, 0] == 0.0


def test_the_axis_aligned_comparison_of_sitewatch_eval_is_available_too() -> None:
    s = score_region(REGION, ROW[:5], np.full(5, 0.9), ROW, HARD, overlap=aligned_iou)
    assert (s.tp, s.fp, s.fn) == (5, 0, 0)
    diagonal = np.array([[0, 0, 20, 12, math.pi / 4]])
    apart = diagonal.copy()
    apart[0, 0] += 18
    assert aligned_iou(diagonal, apart)[0, 0] > 0.1


def test_doctests() -> None:
    assert doctest.testmod(eval_dense).failed == 0


def test_detection_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("image,label,score,x0,y0,x1,y1,cx,cy,width_px,height_px,angle_deg,polygon_px,lon,lat\n"
                    "s.tif,vehicle,0.5,0,0,1,1,12.5,7.0,20.0,10.0,90.0,,,\n", encoding="utf-8")
    boxes, scores = eval_dense.read_detections(path)
    assert boxes.tolist() == [[12.5, 7.0, 20.0, 10.0, pytest.approx(math.pi / 2)]]
    assert scores.tolist() == [0.5]
