"""Annotated before/after panels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sitewatch.report.figures import annotated_panel


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
