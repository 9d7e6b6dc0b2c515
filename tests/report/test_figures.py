"""Annotated before/after panels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.errors import ReportError
from sitewatch.report.figures import CountPoint, annotated_panel, counts_plot
from sitewatch.track import estimate_count


def _panel(path: Path, markers: list[tuple[float, float, str]]) -> np.ndarray:
    png = annotated_panel(path, (), title="t", subtitle="s", markers=markers)
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)


def test_crowded_marker_labels_are_written_once(tmp_path: Path) -> None:
    path = tmp_path / "ground.png"
    cv2.imwrite(str(path), np.full((400, 400, 3), 128, np.uint8))
    one = _panel(path, [(200, 200, "departed")])
    two = _panel(path, [(200, 200, "departed"), (206, 200, "departed")])
    # The band where the first label is written: the second, overlapping label is left out,
    # so the band is as it is with one marker (its ring lies below the band).
    header = one.shape[0] - 400
    band = slice(header + 200 - 14 - 16, header + 200 - 14 - 8)
    assert np.array_equal(one[band], two[band])
    assert not np.array_equal(one, two)  # the second ring is drawn


def test_marker_label_at_the_top_edge_stays_in_the_image(tmp_path: Path) -> None:
    path = tmp_path / "ground.png"
    cv2.imwrite(str(path), np.full((400, 400, 3), 128, np.uint8))
    panel = _panel(path, [(200, 2, "arrived")])
    header = panel.shape[0] - 400
    top_rows = panel[header:header + 12, 220:260]  # right of the ring.astype(int)
    assert (np.abs(top_rows - 128).sum(axis=2) > 60).any()


def _decoded(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[0] > 100
    return image


def test_the_depot_counts_that_crashed_the_report_now_plot() -> None:
    # issue 18: 156 detections with an interval 42-116 on the true number gave negative yerr;
    # the point plotted is the estimate, which its interval always holds
    day = dt.date(2024, 6, 11)
    points = {}
    for label, n, (p, r) in (("military_light_vehicle", 156, (0.332, 0.61)),
                             ("armored_vehicle", 41, (0.696, 0.841)),
                             ("loaded_transporter", 0, (0.696, 0.841))):
        found = estimate_count(n, precision=p, recall=r)
        points[label] = [CountPoint(date=day, detected=n, estimate=found.estimate, lo=found.lo,
                                    hi=found.hi),
                         CountPoint(date=day + dt.timedelta(days=12), detected=None)]
    _decoded(counts_plot(points, title="depot"))


@given(n=st.integers(0, 100_000), precision=st.floats(0.01, 1.0), recall=st.floats(0.01, 1.0))
@settings(max_examples=15)
def test_any_count_made_by_estimate_count_plots(n: int, precision: float, recall: float) -> None:
    found = estimate_count(n, precision=precision, recall=recall)
    point = CountPoint(date=dt.date(2024, 6, 11), detected=n, estimate=found.estimate,
                       lo=found.lo, hi=found.hi)
    _decoded(counts_plot({"armored_vehicle": [point]}, title="t"))


def test_a_point_outside_its_interval_is_refused_by_name_not_by_matplotlib() -> None:
    bad = CountPoint(date=dt.date(2024, 6, 11), detected=156, estimate=156.0, lo=42, hi=116)
    with pytest.raises(ReportError, match=r"military_light_vehicle on 2024-06-11.*42-116"):
        counts_plot({"military_light_vehicle": [bad]}, title="t")
