"""Zoomed insets of large images: inside the image, on the changes, legible."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sitewatch.report.insets import INSET_SPAN_M, inset_windows


@settings(deadline=None, max_examples=80)
@given(width=st.integers(1, 20_000), height=st.integers(1, 20_000),
       gsd=st.floats(0.03, 2.0),
       fractions=st.lists(st.tuples(st.floats(0, 0.999), st.floats(0, 0.999)), min_size=1,
                          max_size=40))
def test_windows_lie_inside_the_image_and_each_holds_a_change(
        width: int, height: int, gsd: float, fractions: list[tuple[float, float]]) -> None:
    points = [(fx * width, fy * height) for fx, fy in fractions]
    windows = inset_windows(points, width_px=width, height_px=height, gsd_m=gsd)
    assert 1 <= len(windows) <= 2
    for w in windows:
        assert w.x0_px >= 0 and w.y0_px >= 0
        assert w.x0_px + w.width_px <= width and w.y0_px + w.height_px <= height
        assert w.width_px <= max(16, round(INSET_SPAN_M / gsd))
        assert any(w.x0_px <= x < w.x0_px + w.width_px and w.y0_px <= y < w.y0_px + w.height_px
                   for x, y in points)


def test_the_first_window_is_on_the_densest_cluster() -> None:
    cluster = [(5000.0 + i, 5000.0 + i) for i in range(10)]
    (first, second) = inset_windows([(100.0, 100.0), *cluster], width_px=9728, height_px=9728,
                                    gsd_m=0.12)
    assert first.x0_px <= 5000 < first.x0_px + first.width_px
    assert first.width_px == 1250  # 150 m at 0.12 m: a vehicle stays ~20 px at 700 px wide
    assert second.x0_px <= 100 < second.x0_px + second.width_px
