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


def site_map(
    scenes: Sequence[Scene],
    zones: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    points: Sequence[MapPoint],
    *,
    title: str,
) -> bytes | None:
    """PNG of the site's footprints, zones and points; None when nothing is georeferenced."""
    import matplotlib

    matplotlib.use("Agg")
    import shapely.wkt
    from matplotlib import pyplot as plt

    footprints = [(s, shapely.wkt.loads(s.footprint_lonlat_wkt)) for s in scenes
                  if s.footprint_lonlat_wkt]
    if not footprints:
        return None
    figure, axes = plt.subplots(figsize=(7.5, 5.2), dpi=110)
    try:
        cmap = plt.get_cmap("viridis", max(2, len(footprints)))
        for index, (scene, polygon) in enumerate(footprints):
            xs, ys = polygon.exterior.xy
            axes.plot(xs, ys, color=cmap(index), linewidth=1.4,
                      label=f"footprint {scene.date} ({scene.original_name})")
        for name, ring in zones:
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            axes.fill(xs, ys, facecolor="none", edgecolor="black", hatch="//", linewidth=0.8)
            axes.annotate(name, (sum(xs) / len(xs), sum(ys) / len(ys)), fontsize=7, ha="center")
        seen: set[str] = set()
        for point in points:
            axes.scatter(point.lon_deg, point.lat_deg, s=22, marker="o",
                         color=tuple(c / 255 for c in point.colour), edgecolors="black",
                         linewidths=0.4, label=None if point.label in seen else point.label,
                         zorder=3)
            seen.add(point.label)
        lat = sum(p.centroid.y for _, p in footprints) / len(footprints)
        axes.set_aspect(1 / math.cos(math.radians(lat)))
        axes.set_xlabel("longitude (°)")
        axes.set_ylabel("latitude (°)")
        axes.ticklabel_format(useOffset=False)
        axes.set_title(title, fontsize=10)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=6, loc="best", frameon=True)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()
