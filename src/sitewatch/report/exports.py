"""Detections written for other tools: CSV rows and RFC 7946 GeoJSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from sitewatch.detect import Detection
from sitewatch.errors import NotGeoreferencedError, ReportError
from sitewatch.untrusted import csv_cell

CSV_COLUMNS = ("image", "label", "score", "x0", "y0", "x1", "y1", "cx", "cy", "width_px",
               "height_px", "angle_deg", "polygon_px", "lon", "lat")


def write_detections(path: Path, per_image: Sequence[tuple[str, Sequence[Detection]]]) -> int:
    """Write detections of several images to ``.csv`` or ``.geojson`` (by extension).

    Returns:
        The number of detections written.

    Raises:
        ReportError: the extension is neither .csv nor .geojson.
        NotGeoreferencedError: GeoJSON asked for an image without georeference.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _write_csv(path, per_image)
    if suffix in (".geojson", ".json"):
        return _write_geojson(path, per_image)
    raise ReportError(f"cannot write detections to '{path}': use a .csv or .geojson file name")


def _write_csv(path: Path, per_image: Sequence[tuple[str, Sequence[Detection]]]) -> int:
    import math

    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for image, detections in per_image:
            for det in detections:
                x0, y0, x1, y1 = det.box.bounds_px()
                writer.writerow([
                    csv_cell(image), det.label.value, f"{det.score:.4f}", f"{x0:.1f}",
                    f"{y0:.1f}", f"{x1:.1f}", f"{y1:.1f}", f"{det.box.cx_px:.1f}", f"{det.box.cy_px:.1f}",
                    f"{det.box.width_px:.1f}", f"{det.box.height_px:.1f}",
                    f"{math.degrees(det.box.angle_rad):.1f}", det.box.to_wkt(),
                    f"{det.lonlat.lon_deg:.7f}" if det.lonlat else "",
                    f"{det.lonlat.lat_deg:.7f}" if det.lonlat else "",
                ])
                written += 1
    return written


def _write_geojson(path: Path, per_image: Sequence[tuple[str, Sequence[Detection]]]) -> int:
    features = []
    for image, detections in per_image:
        for det in detections:
            if det.lonlat is None:
                raise NotGeoreferencedError(
                    f"'{image}' has no georeference, so its detections cannot be written as "
                    "GeoJSON; write a .csv instead (pixel coordinates)"
                )
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point",
                             "coordinates": [round(det.lonlat.lon_deg, 7),
                                             round(det.lonlat.lat_deg, 7)]},
                "properties": {"image": image, "label": det.label.value,
                               "score": round(det.score, 4), "polygon_px": det.box.to_wkt()},
            })
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1),
                    encoding="utf-8")
    return len(features)
