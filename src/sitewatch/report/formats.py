"""Case exports: GeoJSON (RFC 7946), KML/KMZ with time spans and the images as ground overlays,
CSV, COCO, a GeoPackage with one layer per kind and geometry type, and counts with intervals."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import escape

from sitewatch.errors import NotGeoreferencedError, ReportError
from sitewatch.label_names import LABEL_COLOURS
from sitewatch.report.areas import AreaFeature
from sitewatch.report.features import ExportFeature
from sitewatch.report.overlays import ImageOverlay
from sitewatch.untrusted import csv_cell, markup_text

KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"


class ExportFormat(StrEnum):
    """Formats ``sitewatch export`` writes."""

    GEOJSON = "geojson"
    KML = "kml"
    KMZ = "kmz"
    CSV = "csv"
    COCO = "coco"
    GPKG = "gpkg"
    COUNTS_CSV = "counts-csv"
    COUNTS_GEOJSON = "counts-geojson"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportLayers:
    """What a map export carries beside the boxes and events: the analysed images (KMZ), counts,
    zones and footprints (GeoPackage, counts GeoJSON), and notes on what was left out."""

    overlays: tuple[ImageOverlay, ...] = ()
    counts: tuple[AreaFeature, ...] = ()
    zones: tuple[AreaFeature, ...] = ()
    footprints: tuple[AreaFeature, ...] = ()
    notes: tuple[str, ...] = ()


def write_export(features: Sequence[ExportFeature], export_format: ExportFormat, out: Path, *,
                 layers: ExportLayers | None = None) -> int:
    """Write ``features`` (and ``layers`` where the format holds them) to ``out``; returns how
    many features were written (for ``counts-geojson``, how many counts).

    Raises:
        NotGeoreferencedError: a map format was asked for and no feature is georeferenced.
        ReportError: ``counts-csv`` asked of this writer (``track.write_counts_csv`` writes it).
    """
    layers = layers or ExportLayers()
    out.parent.mkdir(parents=True, exist_ok=True)
    if export_format is ExportFormat.COUNTS_GEOJSON:
        _area_geojson(layers.counts, out)
        return len(layers.counts)
    if export_format is ExportFormat.COUNTS_CSV:
        raise ReportError("counts-csv is written by sitewatch.track.write_counts_csv")
    if export_format in (ExportFormat.CSV, ExportFormat.COCO):
        chosen = list(features)
    else:
        chosen = [f for f in features if f.point_lonlat is not None]
        areas = (*layers.counts, *layers.zones, *layers.footprints)
        placeable = chosen or layers.overlays or any(a.ring_lonlat for a in areas)
        if features and not placeable:
            raise NotGeoreferencedError(
                f"none of the {len(features)} detections and events lies on a georeferenced "
                f"image, so nothing can be placed on a map in '{out}'; export --format csv or "
                "coco instead (pixel coordinates), or georeference the images (world file or "
                "control points at ingest)"
            )
    if export_format is ExportFormat.KMZ:
        _kmz(chosen, out, layers)
    elif export_format is ExportFormat.GPKG:
        _gpkg(chosen, out, layers)
    else:
        writer = {ExportFormat.GEOJSON: _geojson, ExportFormat.KML: _kml, ExportFormat.CSV: _csv,
                  ExportFormat.COCO: _coco}[export_format]
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


def _time_span(begin: dt.date, end: dt.date) -> str:
    return f"<TimeSpan><begin>{begin}</begin><end>{end}</end></TimeSpan>"


def _placemark(f: ExportFeature) -> str:
    if f.ring_lonlat:
        coords = " ".join(f"{lon},{lat},0" for lon, lat in f.ring_lonlat)
        geometry = (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}"
                    "</coordinates></LinearRing></outerBoundaryIs></Polygon>")
    else:
        assert f.point_lonlat is not None
        geometry = f"<Point><coordinates>{f.point_lonlat[0]},{f.point_lonlat[1]},0</coordinates></Point>"
    end = f.date_to if f.date_to > f.date_from else f.date_from + dt.timedelta(days=1)
    return (f"<Placemark><name>{markup_text(f.kind)}: {markup_text(f.label)}</name>"
            f"<description>{markup_text(f.site)} {f.date_from} {markup_text(f.image)} "
            f"score {f.score:.2f}</description>{_time_span(f.date_from, end)}"
            f"<styleUrl>#{escape(f.label)}</styleUrl>{geometry}</Placemark>")


def _ground_overlay(overlay: ImageOverlay, href: str) -> str:
    if overlay.box_nsew is not None:
        north, south, east, west = overlay.box_nsew
        where = (f"<LatLonBox><north>{north}</north><south>{south}</south><east>{east}</east>"
                 f"<west>{west}</west></LatLonBox>")
    else:
        coords = " ".join(f"{lon},{lat}" for lon, lat in overlay.corners_lonlat)
        where = f"<gx:LatLonQuad><coordinates>{coords}</coordinates></gx:LatLonQuad>"
    return (f"<GroundOverlay><name>{markup_text(overlay.site)} {overlay.date_from}: "
            f"{markup_text(overlay.name)}</name><description>sha256 {overlay.scene_sha256}"
            f"</description>{_time_span(overlay.date_from, overlay.date_to)}"
            f"<drawOrder>0</drawOrder><Icon><href>{escape(href)}</href></Icon>{where}"
            "</GroundOverlay>")


def _kml_document(features: Sequence[ExportFeature],
                  overlays: Sequence[tuple[ImageOverlay, str]] = (),
                  notes: Sequence[str] = ()) -> str:
    labels = sorted({f.label for f in features})
    styles = "".join(
        f'<Style id="{escape(label)}"><LineStyle><color>{_kml_colour(label)}</color>'
        f"<width>2</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle>"
        f"<IconStyle><color>{_kml_colour(label)}</color></IconStyle></Style>"
        for label in labels
    )
    images = "".join(_ground_overlay(o, href) for o, href in overlays)
    folder = f"<Folder><name>images</name>{images}</Folder>" if overlays else ""
    description = (f"<description>{markup_text('; '.join(notes))}</description>" if notes else "")
    marks = "".join(_placemark(f) for f in features)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}" xmlns:gx="{GX_NS}">'
            f"<Document><name>sitewatch export</name>{description}{styles}{folder}"
            f"<Folder><name>detections and events</name>{marks}</Folder></Document></kml>\n")


def _kml(features: Sequence[ExportFeature], out: Path) -> None:
    out.write_text(_kml_document(features), encoding="utf-8")


def _kmz(features: Sequence[ExportFeature], out: Path, layers: ExportLayers) -> None:
    named = [(o, f"images/{i:03d}_{o.date_from}.jpg") for i, o in enumerate(layers.overlays)]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        # doc.kml first: Google Earth reads the first .kml entry of a KMZ.
        archive.writestr("doc.kml", _kml_document(features, named, layers.notes))
        for overlay, href in named:
            archive.writestr(href, overlay.jpeg, compress_type=zipfile.ZIP_STORED)


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


def _area_geojson(areas: Sequence[AreaFeature], out: Path) -> None:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "geometry": None if a.ring_lonlat is None else
         {"type": "Polygon", "coordinates": [[list(p) for p in a.ring_lonlat]]},
         "properties": dict(a.properties)}
        for a in areas]}
    out.write_text(json.dumps(collection, indent=1), encoding="utf-8")


def _columns(rows: Sequence[dict[str, object]]) -> tuple[list[str], list[object]]:
    """Field names and typed arrays: numbers (None as NaN, written as null) or text."""
    import numpy as np

    names = list(rows[0])
    arrays: list[object] = []
    for name in names:
        values = [row[name] for row in rows]
        if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool))
               for v in values) and any(v is not None for v in values):
            arrays.append(np.array([np.nan if v is None else v for v in values], dtype=float))
        else:
            arrays.append(np.array(["" if v is None else str(v) for v in values], dtype=object))
    return names, arrays


def _gpkg(features: Sequence[ExportFeature], out: Path, layers: ExportLayers) -> None:
    """One layer per kind, each of one geometry type, so QGIS opens each without splitting it."""
    try:
        import numpy as np
        import shapely
        from pyogrio.raw import write as write_vector
    except ImportError as exc:  # pragma: no cover - pyogrio is a core dependency
        raise ReportError(f"GeoPackage export needs pyogrio ({exc}); pip install pyogrio") from None
    if out.exists():
        out.unlink()
    tables: list[tuple[str, str, list[object], list[dict[str, object]]]] = []
    boxes = [f for f in features if f.kind == "detection" and f.ring_lonlat]
    events = [f for f in features if f.kind != "detection" and f.point_lonlat]
    tables.append(("detections", "Polygon", [shapely.Polygon(f.ring_lonlat) for f in boxes],
                   [_properties(f) for f in boxes]))
    tables.append(("events", "Point", [shapely.Point(f.point_lonlat) for f in events],
                   [_properties(f) for f in events]))
    for name, areas in (("counts", layers.counts), ("zones", layers.zones),
                        ("footprints", layers.footprints)):
        tables.append((name, "Polygon",
                       [None if a.ring_lonlat is None else shapely.Polygon(a.ring_lonlat)
                        for a in areas],
                       [dict(a.properties) for a in areas]))
    append = False
    for layer, geometry_type, geometries, rows in tables:
        if not rows:
            continue
        fields, field_data = _columns(rows)
        write_vector(
            out, np.array(shapely.to_wkb(geometries), dtype=object), field_data, fields,
            layer=layer, driver="GPKG", crs="EPSG:4326", geometry_type=geometry_type,
            append=append,
        )
        append = True
