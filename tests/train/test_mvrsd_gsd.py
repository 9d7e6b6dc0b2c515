"""``tools/mvrsd_gsd.py``: a tile's GSD from its labelled vehicles' axis-aligned boxes.

Checked on generated rectangles and a generated VOC folder whose GSD is known, so a wrong
heading correction or pooling shows; and ``tools/cross_validate.py``'s per-tile GSD table.
"""

from __future__ import annotations

import doctest
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import mvrsd_gsd  # noqa: E402
from cross_validate import gsd_groups, read_gsd_table  # noqa: E402
from mvrsd_gsd import REFERENCE, object_gsd, pool, tile_estimates, vehicle_length_px  # noqa: E402

from sitewatch.detect import VehicleClass  # noqa: E402
from sitewatch.train import LabelledBox  # noqa: E402


def _box_of(length: float, width: float, heading_deg: float) -> tuple[float, float]:
    """The axis-aligned box (w, h) of a length x width rectangle at a heading."""
    t = math.radians(heading_deg)
    return (length * abs(math.cos(t)) + width * abs(math.sin(t)),
            length * abs(math.sin(t)) + width * abs(math.cos(t)))


def test_doctests() -> None:
    assert doctest.testmod(mvrsd_gsd).failed == 0


@pytest.mark.parametrize("heading", [0, 10, 22, 35, 45, 60, 80, 90, 135])
def test_length_is_recovered_at_every_heading(heading: float) -> None:
    w, h = _box_of(40.0, 16.0, heading)
    got = vehicle_length_px(max(w, h), min(w, h), 2.5)
    assert got == pytest.approx(40.0, rel=1e-9)
    # the long side alone would be off by up to 8 % (at about 22 degrees)
    assert max(w, h) / 40.0 <= math.hypot(1, 1 / 2.5) + 1e-9


def test_object_interval_holds_the_truth_for_any_car_shape() -> None:
    kind = REFERENCE["CV"]
    for length_m, aspect, heading in [(4.2, 2.2, 30), (4.9, 2.7, 15), (4.5, 2.45, 45), (4.3, 2.6, 0)]:
        gsd = 0.1
        w, h = _box_of(length_m / gsd, length_m / aspect / gsd, heading)
        box = LabelledBox(x0_px=10, y0_px=10, x1_px=10 + w, y1_px=10 + h,
                          label=VehicleClass.CIVILIAN_VEHICLE, source_label="CV")
        low, point, high = object_gsd(box, kind)
        assert low <= gsd <= high
        assert low < point < high


def test_pool_median_and_interval() -> None:
    objects = [(0.09, 0.1, 0.11)] * 9 + [(0.18, 0.2, 0.22)]  # one pick-up-like outlier
    row = pool(objects)
    assert row["gsd_m"] == pytest.approx(0.1)
    assert row["low_m"] == pytest.approx(0.09) and row["high_m"] == pytest.approx(0.11)
    assert row["objects"] == 10 and row["vs_assumed"] == pytest.approx(0.1 / 0.12 - 1, abs=1e-3)


Row = tuple[str, float, float, float, float, int]  # name, x0, y0, x1, y1, difficult


def _write_tile(folder: Path, stem: str, boxes: Sequence[Row]) -> None:
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "images" / f"{stem}.jpg"), np.zeros((640, 640, 3), np.uint8))
    objects = "".join(
        f"<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>{x0:.1f}</xmin>"
        f"<ymin>{y0:.1f}</ymin><xmax>{x1:.1f}</xmax><ymax>{y1:.1f}</ymax></bndbox></object>"
        for n, x0, y0, x1, y1, d in boxes)
    (folder / "labels" / f"{stem}.xml").write_text(
        f"<annotation><filename>{stem}.jpg</filename><size><width>640</width><height>640</height>"
        f"<depth>3</depth></size>{objects}</annotation>", encoding="utf-8")


def test_tile_estimates_recover_a_known_gsd(tmp_path: Path) -> None:
    """Cars 4.55 m and HMMWVs 4.8 m long at 0.095 m per pixel, random headings; a truck, a
    difficult object and a car cut by the edge must not count."""
    rng = np.random.default_rng(3)
    gsd = 0.095
    boxes: list[Row] = []
    for i in range(12):
        name, length_m, aspect = ("CV", 4.55, 2.45) if i % 2 else ("SMV", 4.8, 2.15)
        w, h = _box_of(length_m / gsd, length_m / aspect / gsd, float(rng.uniform(0, 180)))
        x0, y0 = 20 + 50 * i, 100 + 30 * (i % 3)
        boxes.append((name, x0, y0, x0 + w, y0 + h, 0))
    boxes += [("LMV", 50, 400, 250, 470, 0), ("CV", 300, 400, 380, 440, 1), ("CV", 0, 500, 30, 520, 0)]
    _write_tile(tmp_path, "T1", boxes)
    row = tile_estimates(tmp_path / "labels", tmp_path / "images", audit=None)["T1"]
    assert row["pooled"]["objects"] == 12
    assert row["pooled"]["low_m"] <= gsd <= row["pooled"]["high_m"]
    assert row["pooled"]["gsd_m"] == pytest.approx(gsd, rel=0.03)
    assert set(row["kinds"]) == {"CV", "SMV"}


def test_gsd_table_groups_tiles(tmp_path: Path) -> None:
    table_path = tmp_path / "gsd.json"
    table_path.write_text(json.dumps({"tiles": {"A": {"gsd_m": 0.1}, "B": {"gsd_m": 0.1},
                                                "C": {"gsd_m": None}, "D": None}}), encoding="utf-8")
    table = read_gsd_table(table_path)
    assert table == {"A": 0.1, "B": 0.1}
    assert gsd_groups(["A", "B", "C", "D"], table, 0.12) == {0.1: ["A", "B"], 0.12: ["C", "D"]}
    assert gsd_groups(["A", "C"], read_gsd_table(None), 0.12) == {0.12: ["A", "C"]}
