"""A site map drawn offline: image footprints per date, zones, detections and sightings.

No basemap tiles are fetched (sitewatch works offline); the axes are longitude and latitude
with the aspect ratio of the local latitude, so distances read true.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sitewatch.catalog import Scene


@dataclass(frozen=True, slots=True, kw_only=True)
class MapPoint:
    """A labelled point to draw (a detection, an event or a sighting)."""

    lon_deg: float
    lat_deg: float
    label: str
    colour: tuple[int, int, int]
    marker: str = "o"


def site_map(
    scenes: Sequence[Scene],
    zones: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    points: Sequence[MapPoint],
    *,
    title: str,
) -> bytes | None:
    """PNG of the site's footprints, zones and points; None when nothing is georeferenced.

    The map carries a scale bar and a north arrow (its axes are longitude and latitude, so
    north is up), so that a copy cut out of the report can still be read.
    """
    import matplotlib

    matplotlib.use("Agg")
    import shapely.wkt
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    footprints = [(s, shapely.wkt.loads(s.footprint_lonlat_wkt)) for s in scenes
                  if s.footprint_lonlat_wkt]
    if not footprints:
        return None
    figure, axes = plt.subplots(figsize=(9.0, 5.2), dpi=110)
    try:
        cmap = plt.get_cmap("viridis", max(2, len(footprints)))
        for index, (scene, polygon) in enumerate(footprints):
            xs, ys = polygon.exterior.xy
            # earlier dates drawn wider underneath: footprints that coincide (a site imaged
            # the same way each time) still show every date's colour as a band
            axes.plot(xs, ys, color=cmap(index), linewidth=1.4 + 1.2 * (len(footprints) - 1 - index),
                      label=f"footprint {scene.date} ({scene.original_name})")
        for name, ring in zones:
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            axes.fill(xs, ys, facecolor="none", edgecolor="black", hatch="//", linewidth=0.8)
            axes.annotate(name, (sum(xs) / len(xs), sum(ys) / len(ys)), fontsize=7, ha="center")
        seen: set[str] = set()
        for point in points:
            axes.scatter(point.lon_deg, point.lat_deg, s=26, marker=point.marker,
                         color=tuple(c / 255 for c in point.colour), edgecolors="black",
                         linewidths=0.4, label=None if point.label in seen else point.label,
                         zorder=3)
            seen.add(point.label)
        lat = sum(p.centroid.y for _, p in footprints) / len(footprints)
        axes.set_aspect(1 / math.cos(math.radians(lat)))
        axes.set_xlabel("longitude (°)")
        axes.set_ylabel("latitude (°)")
        axes.ticklabel_format(useOffset=False)
        axes.xaxis.set_major_locator(MaxNLocator(4))
        axes.yaxis.set_major_locator(MaxNLocator(5))
        axes.set_title(title, fontsize=10)
        axes.grid(alpha=0.3)
        _scale_bar(axes, lat)
        _north_arrow(axes)
        axes.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _scale_bar(axes: object, lat_deg: float) -> float:
    """Draw a scale bar in the lower left of lon/lat ``axes``; returns its length in metres."""
    from matplotlib.axes import Axes

    from sitewatch.report.figures import scale_bar_m, scale_bar_text

    assert isinstance(axes, Axes)
    (x0, x1), (y0, y1) = axes.get_xlim(), axes.get_ylim()
    metres_per_deg = 111_320.0 * math.cos(math.radians(lat_deg))
    length_m = scale_bar_m(0.3 * (x1 - x0) * metres_per_deg)
    length_deg = length_m / metres_per_deg
    left, base = x0 + 0.05 * (x1 - x0), y0 + 0.06 * (y1 - y0)
    axes.plot([left, left + length_deg], [base, base], color="black", linewidth=4,
              solid_capstyle="butt", zorder=5)
    axes.plot([left, left + length_deg / 2], [base, base], color="white", linewidth=2,
              solid_capstyle="butt", zorder=6)
    axes.annotate(scale_bar_text(length_m), (left, base), xytext=(0, 5),
                  textcoords="offset points", fontsize=8, zorder=6,
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.7,
                        "edgecolor": "none"})
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    return length_m


def _north_arrow(axes: object) -> None:
    """An arrow marked N in the upper right of ``axes`` (latitude grows upwards)."""
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    axes.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.82), xycoords="axes fraction",
                  textcoords="axes fraction", ha="center", va="center", fontsize=10,
                  fontweight="bold", zorder=6,
                  arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
