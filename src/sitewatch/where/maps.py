"""The where-on-Earth map of a shadow: a PNG for people and a GeoJSON polygon for GIS.

Country outlines are drawn from Natural Earth's low-resolution countries (public domain) when the
copy that ships inside the installed ``pyogrio`` package is present; otherwise the map is a plain
lon/lat grid. Either way the claimed place, when given, is marked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sitewatch.where.checks import SunMap


def _outlines() -> list[np.ndarray]:
    """Country outlines (lon, lat arrays) from pyogrio's Natural Earth copy, if installed."""
    try:
        import pyogrio
        import shapely

        path = Path(pyogrio.__file__).parent / "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
        if not path.is_file():
            return []
        _meta, _fids, geometry, _fields = pyogrio.raw.read(path, columns=[])
        rings: list[np.ndarray] = []
        for geom in shapely.from_wkb(geometry):
            for ring in shapely.get_rings(shapely.get_parts(geom)):
                rings.append(shapely.get_coordinates(ring))
        return rings
    except Exception:  # outlines are decoration: a map without them is still right
        return []


def write_sun_map_png(sun_map: SunMap, path: Path, *, claimed: tuple[float, float] | None = None,
                      title: str = "") -> Path:
    """Draw the cells that fit (orange) over outlines, with the claimed (lon, lat) marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(12, 6.4), dpi=110)
    try:
        axes.imshow(np.where(sun_map.mask, 1.0, np.nan), extent=(-180, 180, -90, 90), cmap="autumn",
                    vmin=0, vmax=2, interpolation="nearest", aspect="auto")
        for ring in _outlines():
            axes.plot(ring[:, 0], ring[:, 1], color="0.35", linewidth=0.4)
        axes.plot(sun_map.grid.subsolar_lon_deg, sun_map.grid.declination_deg, marker="*", color="gold",
                  markeredgecolor="k", markersize=12, linestyle="none", label="sun overhead")
        if claimed is not None:
            axes.plot(*claimed, marker="o", color="blue", markersize=7, linestyle="none",
                      label="claimed place")
        axes.set_xlim(-180, 180)
        axes.set_ylim(-90, 90)
        axes.set_xticks(range(-180, 181, 30))
        axes.set_yticks(range(-90, 91, 30))
        axes.grid(True, color="0.8", linewidth=0.5)
        axes.set_xlabel("longitude (deg)")
        axes.set_ylabel("latitude (deg)")
        interval = sun_map.elevation_interval
        axes.set_title(title or (
            f"sun elevation {interval.low_deg:.1f}–{interval.high_deg:.1f}° "
            f"(±{sun_map.tolerance_deg:g}°) at {sun_map.grid.time_utc:%Y-%m-%d %H:%M} UTC"), fontsize=10)
        axes.legend(loc="lower left", fontsize=8)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)
    return path


def sun_map_geojson(sun_map: SunMap) -> dict[str, object]:
    """The fitting band as a GeoJSON FeatureCollection of one MultiPolygon (lon/lat, WGS 84)."""
    import contourpy

    grid = sun_map.grid
    field = sun_map.mask.astype(np.float32)
    generator = contourpy.contour_generator(grid.lon_deg, grid.lat_deg, field,
                                            fill_type=contourpy.FillType.OuterCode)
    filled = generator.filled(0.5, 1.5)
    polygons, codes = filled[0], filled[1]
    multipolygon = []
    for points, kinds in zip(polygons, codes, strict=True):
        rings: list[list[list[float]]] = []
        current: list[list[float]] = []
        for (x, y), code in zip(points, kinds, strict=True):  # type: ignore[arg-type]
            if code == 1 and current:
                rings.append(current)
                current = []
            current.append([round(float(x), 4), round(float(y), 4)])
        if current:
            rings.append(current)
        for ring in rings:
            if ring[0] != ring[-1]:
                ring.append(ring[0])
        if rings:
            multipolygon.append(rings)
    interval = sun_map.elevation_interval
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": multipolygon},
        "properties": {"time_utc": grid.time_utc.isoformat(), "step_deg": grid.step_deg,
                       "elevation_low_deg": interval.low_deg, "elevation_high_deg": interval.high_deg,
                       "tolerance_deg": sun_map.tolerance_deg},
    }]}


def write_sun_map_geojson(sun_map: SunMap, path: Path) -> Path:
    """Write :func:`sun_map_geojson` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sun_map_geojson(sun_map)), encoding="utf-8")
    return path
