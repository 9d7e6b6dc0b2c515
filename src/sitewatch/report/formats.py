"""Case exports: GeoJSON (RFC 7946), KML/KMZ with time spans, CSV, COCO and GeoPackage."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import escape

from sitewatch.errors import NotGeoreferencedError, ReportError
from sitewatch.report.features import ExportFeature
from sitewatch.report.figures import LABEL_COLOURS
from sitewatch.untrusted import csv_cell, markup_text


class ExportFormat(StrEnum):
    """Formats ``sitewatch export`` writes."""

    GEOJSON = "geojson"
    KML = "kml"
    KMZ = "kmz"
    CSV = "csv"
    COCO = "coco"
    GPKG = "gpkg"


def write_export(features: Sequence[ExportFeature], export_format: ExportFormat, out: Path) -> int:
    """Write ``features`` to ``out``; returns how many were written.

    Raises:
        NotGeoreferencedError: a map format was asked for and no feature is georeferenced.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    if export_format in (ExportFormat.CSV, ExportFormat.COCO):
        chosen = list(features)
    else:
        chosen = [f for f in features if f.point_lonlat is not None]
        if features and not chosen:
            raise NotGeoreferencedError(
                f"no scene of this case is georeferenced, so nothing can be placed on a map in "
                f"'{out}'; export --format csv or coco instead (pixel coordinates)"
            )
    writer = {
        ExportFormat.GEOJSON: _geojson, ExportFormat.KML: _kml, ExportFormat.KMZ: _kmz,
        ExportFormat.CSV: _csv, ExportFormat.COCO: _coco, ExportFormat.GPKG: _gpkg,
    }[export_format]
    writer(chosen, out)
    return len(chosen)


def _properties(f: ExportFeature) -> dict[str, object]:
    return {"kind": f.kind, "site": f.site, "date_from": f.date_from.isoformat(),
            "date_to": f.date_to.isoformat(), "label": f.label, "score": round(f.score, 4),
            "image": f.image, "scene_sha256": f.scene_sha256, "x_px": round(f.x_px, 1),
            "y_px": round(f.y_px, 1)}


def _geometry(f: ExportFeature) -> dict[str, object]:
    if f.ring_lonlat:
        return {"type": "Polygon", "coordinates": [[list(p) for p in f.ring_lonlat]]}
    assert f.point_lonlat is not None
    return {"type": "Point", "coordinates": list(f.point_lonlat)}


def _geojson(features: Sequence[ExportFeature], out: Path) -> None:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": _geometry(f), "properties": _properties(f)}
        for f in features]}
    out.write_text(json.dumps(collection, indent=1), encoding="utf-8")


def _kml_colour(label: str) -> str:
    r, g, b = LABEL_COLOURS.get(label, (255, 255, 255))
    return f"ff{b:02x}{g:02x}{r:02x}"


def _kml_document(features: Sequence[ExportFeature]) -> str:
    labels = sorted({f.label for f in features})
    styles = "".join(
        f'<Style id="{escape(label)}"><LineStyle><color>{_kml_colour(label)}</color>'
        f"<width>2</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle>"
        f"<IconStyle><color>{_kml_colour(label)}</color></IconStyle></Style>"
        for label in labels
    )
    marks = []
    for f in features:
        if f.ring_lonlat:
            coords = " ".join(f"{lon},{lat},0" for lon, lat in f.ring_lonlat)
            geometry = (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}"
                        "</coordinates></LinearRing></outerBoundaryIs></Polygon>")
        else:
            assert f.point_lonlat is not None
            geometry = f"<Point><coordinates>{f.point_lonlat[0]},{f.point_lonlat[1]},0</coordinates></Point>"
        end = f.date_to if f.date_to > f.date_from else f.date_from + dt.timedelta(days=1)
        marks.append(
            f"<Placemark><name>{markup_text(f.kind)}: {markup_text(f.label)}</name>"
            f"<description>{markup_text(f.site)} {f.date_from} {markup_text(f.image)} "
            f"score {f.score:.2f}</description>"
            f"<TimeSpan><begin>{f.date_from}</begin><end>{end}</end></TimeSpan>"
            f"<styleUrl>#{escape(f.label)}</styleUrl>{geometry}</Placemark>"
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><name>sitewatch export</name>{styles}{''.join(marks)}</Document></kml>\n")


def _kml(features: Sequence[ExportFeature], out: Path) -> None:
    out.write_text(_kml_document(features), encoding="utf-8")


def _kmz(features: Sequence[ExportFeature], out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", _kml_document(features))


def _csv(features: Sequence[ExportFeature], out: Path) -> None:
    columns = ["kind", "site", "date_from", "date_to", "label", "score", "image",
               "scene_sha256", "x_px", "y_px", "lon", "lat"]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for f in features:
            row = _properties(f)
            row["lon"], row["lat"] = f.point_lonlat if f.point_lonlat else ("", "")
            writer.writerow({k: csv_cell(v) if isinstance(v, str) else v for k, v in row.items()})


def _coco(features: Sequence[ExportFeature], out: Path) -> None:
    detections = [f for f in features if f.kind == "detection"]
    images = {f.scene_sha256: f for f in detections}
    image_ids = {sha: i + 1 for i, sha in enumerate(sorted(images))}
    labels = sorted({f.label for f in detections})
    category_ids = {label: i + 1 for i, label in enumerate(labels)}
    annotations = []
    for index, f in enumerate(detections, start=1):
        xs = [p[0] for p in f.ring_px]
        ys = [p[1] for p in f.ring_px]
        x0, y0 = min(xs), min(ys)
        annotations.append({
            "id": index, "image_id": image_ids[f.scene_sha256],
            "category_id": category_ids[f.label], "score": round(f.score, 4), "iscrowd": 0,
            "bbox": [round(x0, 1), round(y0, 1), round(max(xs) - x0, 1), round(max(ys) - y0, 1)],
            "area": round((max(xs) - x0) * (max(ys) - y0), 1),
            "segmentation": [[round(v, 1) for p in f.ring_px[:-1] for v in p]],
        })
    coco = {
        "info": {"description": "sitewatch detections", "version": "1.0"},
        "images": [{"id": image_ids[sha], "file_name": images[sha].image, "sha256": sha,
                    "site": images[sha].site, "date": images[sha].date_from.isoformat()}
                   for sha in sorted(images)],
        "categories": [{"id": i, "name": label} for label, i in category_ids.items()],
        "annotations": annotations,
    }
    out.write_text(json.dumps(coco, indent=1), encoding="utf-8")


def _gpkg(features: Sequence[ExportFeature], out: Path) -> None:
    try:
        import numpy as np
        import shapely
        from pyogrio.raw import write as write_vector
    except ImportError as exc:  # pragma: no cover - pyogrio is a core dependency
        raise ReportError(f"GeoPackage export needs pyogrio ({exc}); pip install pyogrio") from None
    if out.exists():
        out.unlink()
    geometries = [shapely.Polygon(f.ring_lonlat) if f.ring_lonlat else shapely.Point(f.point_lonlat)
                  for f in features]
    fields = ["kind", "site", "date_from", "date_to", "label", "score", "image", "scene_sha256",
              "x_px", "y_px"]
    rows = [_properties(f) for f in features]
    field_data = [np.array([row[name] for row in rows]) for name in fields]
    write_vector(
        out, np.array(shapely.to_wkb(geometries), dtype=object), field_data, fields,
        layer="sitewatch", driver="GPKG", crs="EPSG:4326", geometry_type="Unknown",
    )
