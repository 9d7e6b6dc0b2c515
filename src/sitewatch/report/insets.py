"""Where to zoom: windows of a large image that show the changes at a legible size.

A 10,000 px scene shrunk to a page is 1 px per 9 px of ground: a vehicle becomes a dot. The
report keeps the overview (where things are) and adds zoomed insets on the regions of
change, each a window small enough that a vehicle is drawn at least a dozen pixels long.
"""

from __future__ import annotations

from collections.abc import Sequence

from sitewatch.imagery import Tile

#: Ground width of one inset, in metres: about a city block, wide enough for context.
INSET_SPAN_M = 150.0

#: An overview shrunk below this scale gets insets even when nothing changed.
DENSE_SCALE = 0.3


def inset_windows(
    points_px: Sequence[tuple[float, float]],
    *,
    width_px: int,
    height_px: int,
    gsd_m: float,
    max_insets: int = 2,
    span_m: float = INSET_SPAN_M,
) -> list[Tile]:
    """Up to ``max_insets`` square windows, each centred on the densest cluster of points left.

    Points are (x, y) in the image's pixels; a window holds a span of ``span_m`` metres (less
    when the image is smaller) and lies inside the image. Each following window is placed on
    the points the earlier ones left out.

    >>> [(t.x0_px, t.y0_px, t.width_px) for t in inset_windows(
    ...     [(100, 100), (110, 120), (900, 900)], width_px=1000, height_px=1000, gsd_m=0.5)]
    [(0, 0, 300), (700, 700, 300)]
    """
    side = min(width_px, height_px, max(16, round(span_m / gsd_m)))
    left = list(points_px)
    windows: list[Tile] = []
    while left and len(windows) < max_insets:
        half = side / 2
        best = max(left, key=lambda p: sum(1 for q in left if abs(q[0] - p[0]) <= half
                                           and abs(q[1] - p[1]) <= half))
        x0 = int(min(max(0, round(best[0] - half)), width_px - side))
        y0 = int(min(max(0, round(best[1] - half)), height_px - side))
        tile = Tile(x0_px=x0, y0_px=y0, width_px=side, height_px=side)
        windows.append(tile)
        left = [p for p in left if not (x0 <= p[0] < x0 + side and y0 <= p[1] < y0 + side)]
    return windows
