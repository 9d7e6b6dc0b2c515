"""Exports that open right: the KMZ read back by a KML reader (fastkml), the GeoPackage listed
by pyogrio, the counts GeoJSON read back, all made through the CLI as a user would."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.case import detect_case
from sitewatch.catalog import CaseStore, ingest_files
from sitewatch.cli.main import main
from tests.case.test_jobs import BlobDetector, _scene


def _plain(path: Path, centres: list[tuple[int, int]]) -> Path:
    """A JPEG screenshot with no georeference at all."""
    image = np.full((200, 200, 3), 40, np.uint8)
    for cx, cy in centres:
        image[cy - 6:cy + 6, cx - 12:cx + 12] = 220
    cv2.imwrite(str(path), image)
    return path


def _make_case(tmp_path: Path, *, screenshot: bool, zones: bool) -> CaseStore:
    """Two georeferenced dates of a depot; optionally an unreferenced screenshot of a yard (a
    site of its own) or a zone drawn in lon/lat (zones apply to every site, and a lon/lat zone
    cannot be placed on the screenshot, so a case holds one or the other)."""
    store = CaseStore.init(tmp_path / "case")
    for name, date, centres in (("before.tif", dt.date(2014, 5, 30), [(60, 60), (200, 80)]),
                                ("after.tif", dt.date(2014, 6, 11),
                                 [(60, 60), (200, 80), (120, 230)])):
        ingest_files(store, [_scene(tmp_path / name, centres)], site="depot", date=date,
                     source="generated")
    if screenshot:
        ingest_files(store, [_plain(tmp_path / "screenshot.jpg", [(50, 50)])], site="yard",
                     date=dt.date(2014, 6, 1), source="generated", gsd_m=0.3)
    if zones:
        zone = {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"name": "parking"},
            "geometry": {"type": "Polygon", "coordinates": [[
                [39.8, 47.26], [39.8, 47.27], [39.81, 47.27], [39.81, 47.26], [39.8, 47.26]]]}}]}
        (tmp_path / "zones.geojson").write_text(json.dumps(zone))
        store.attach("zones", tmp_path / "zones.geojson")
    detect_case(store, BlobDetector())
    return store


@pytest.fixture
def case(tmp_path: Path) -> CaseStore:
    return _make_case(tmp_path, screenshot=False, zones=True)


@pytest.fixture
def mixed_case(tmp_path: Path) -> CaseStore:
    return _make_case(tmp_path, screenshot=True, zones=False)


def test_kmz_lays_each_georeferenced_image_on_the_ground_on_its_date(
        mixed_case: CaseStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fastkml import kml
    from fastkml.overlays import GroundOverlay

    out = tmp_path / "case.kmz"
    assert main(["export", str(mixed_case.root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "and 2 images" in printed and "screenshot.jpg (yard, 2014-06-01): no georeference" in printed
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        document = kml.KML.from_string(archive.read("doc.kml"))
        overlays: list[GroundOverlay] = []
        stack = list(document.features)
        while stack:
            item = stack.pop()
            if isinstance(item, GroundOverlay):
                overlays.append(item)
            stack.extend(getattr(item, "features", []))
        assert len(overlays) == 2  # the screenshot has no place on the ground
        spans = sorted((o.times.begin.dt, o.times.end.dt) for o in overlays)  # type: ignore[union-attr]
        assert [(str(b), str(e)) for b, e in spans] == [("2014-05-30", "2014-06-11"),
                                                         ("2014-06-11", "2014-06-12")]
        for overlay in overlays:
            href = overlay.icon.href  # type: ignore[union-attr]
            assert href in names
            image = cv2.imdecode(np.frombuffer(archive.read(href), np.uint8), cv2.IMREAD_COLOR)
            assert image.shape[:2] == (300, 300)  # small images are not enlarged
        text = archive.read("doc.kml").decode()
    # A north-up UTM image is turned by the grid convergence (~0.6° here, 3 px over its width),
    # so a LatLonBox would misplace its corners; fastkml does not read gx:LatLonQuad, ElementTree
    # does: each quad's corners are where the scene's georeference puts them.
    import xml.etree.ElementTree as ET

    from sitewatch.report.overlays import overlay_corners

    ns = {"k": "http://www.opengis.net/kml/2.2", "gx": "http://www.google.com/kml/ext/2.2"}
    quads = [q.text.split() for q in ET.fromstring(text).iterfind(
        ".//gx:LatLonQuad/k:coordinates", ns) if q.text]
    expected = {tuple(f"{lon},{lat}" for lon, lat in overlay_corners(s)[0])
                for s in mixed_case.scenes() if s.georeferenced}
    assert {tuple(q) for q in quads} == expected
    # the boxes share the image's time span, so the slider shows both together
    assert text.count("<TimeSpan><begin>2014-05-30</begin><end>2014-06-11</end>") >= 3


def test_overlay_images_are_reduced_to_2048_px(tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    from sitewatch.report.overlays import image_overlays

    path = tmp_path / "big.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4100, height=1000, count=1,
                       dtype="uint8", crs="EPSG:32637",
                       transform=from_origin(408000.0, 5236000.0, 0.5, 0.5)) as dst:
        dst.write(np.full((1, 1000, 4100), 90, np.uint8))
    store = CaseStore.init(tmp_path / "case")
    ingest_files(store, [path], site="s", date=dt.date(2020, 1, 1), source="generated")
    (overlay,), notes = image_overlays(store.scenes())
    image = cv2.imdecode(np.frombuffer(overlay.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (500, 2048) and notes == ()


def test_a_rotated_image_is_placed_by_its_four_corners(tmp_path: Path) -> None:
    import dataclasses

    from sitewatch.report.overlays import overlay_corners

    with_rotation = (0.0, 0.3, 408000.0, 0.3, 0.0, 5236000.0)  # rows run east, columns north
    store = CaseStore.init(tmp_path / "case")
    ingest_files(store, [_scene(tmp_path / "a.tif", [])], site="s", date=dt.date(2020, 1, 1),
                 source="generated")
    store_scene = dataclasses.replace(store.scenes()[0], transform=with_rotation)
    corners, box = overlay_corners(store_scene)
    assert box is None  # a LatLonBox would misplace it: gx:LatLonQuad is written instead
    from sitewatch.report.formats import ExportFormat, ExportLayers, write_export
    from sitewatch.report.overlays import ImageOverlay

    overlay = ImageOverlay(name="a.tif", site="s", scene_sha256="a" * 64,
                           date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 1, 2),
                           jpeg=b"\xff\xd8", corners_lonlat=corners, box_nsew=None)
    out = tmp_path / "r.kmz"
    write_export([], ExportFormat.KMZ, out, layers=ExportLayers(overlays=(overlay,)))
    with zipfile.ZipFile(out) as archive:
        text = archive.read("doc.kml").decode()
    assert "<gx:LatLonQuad><coordinates>" in text and "<LatLonBox>" not in text


def test_gpkg_has_one_layer_per_kind_each_of_one_geometry_type(
        case: CaseStore, tmp_path: Path) -> None:
    import pyogrio

    out = tmp_path / "case.gpkg"
    assert main(["export", str(case.root), "--out", str(out)]) == 0
    layers = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert layers == {"detections": "Polygon", "events": "Point", "counts": "Polygon",
                      "zones": "Polygon", "footprints": "Polygon"}
    counts = pyogrio.read_dataframe(out, layer="counts") if _has_geopandas() else None
    info = pyogrio.read_info(out, layer="counts")
    assert {"detected", "estimate", "interval_lo", "interval_hi", "interval_meaning"} <= set(
        info["fields"])
    assert pyogrio.read_info(out, layer="footprints")["features"] == 2
    del counts


def _has_geopandas() -> bool:
    import importlib.util

    return importlib.util.find_spec("geopandas") is not None


def test_counts_geojson_carries_each_count_with_its_interval(case: CaseStore,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "counts.geojson"
    assert main(["export", str(case.root), "--format", "counts-geojson", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    features = data["features"]
    site_rows = [f for f in features if f["properties"]["site"] == "depot"
                 and f["properties"]["zone"] == "" and f["properties"]["label"] == "armored_vehicle"]
    assert sorted(f["properties"]["date"] for f in site_rows) == ["2014-05-30", "2014-06-11"]
    for feature in site_rows:
        p = feature["properties"]
        assert p["observable"] is True
        assert p["interval_lo"] <= p["estimate"] <= p["interval_hi"]
        assert p["interval_meaning"] and 0 < p["precision"] <= 1 and 0 < p["recall"] <= 1
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
    assert {f["properties"]["detected"] for f in site_rows} == {2, 3}
    zone_rows = [f for f in features if f["properties"]["zone"] == "parking"]
    corners = {(39.8, 47.26), (39.8, 47.27), (39.81, 47.27), (39.81, 47.26)}
    for feature in zone_rows:  # the zone's own polygon, turned counter-clockwise (RFC 7946)
        ring = [tuple(p) for p in feature["geometry"]["coordinates"][0]]
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))
        assert set(ring) == corners and ring[0] == ring[-1] and area > 0


def test_counts_of_an_unreferenced_image_have_no_invented_place(mixed_case: CaseStore,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "counts.geojson"
    assert main(["export", str(mixed_case.root), "--out", str(out), "--format",
                 "counts-geojson"]) == 0
    features = json.loads(out.read_text())["features"]
    yard = [f for f in features if f["properties"]["site"] == "yard"]
    assert yard and all(f["geometry"] is None for f in yard)
    assert all(f["geometry"] is not None for f in features if f["properties"]["site"] == "depot")


def test_counts_csv_matches_the_geojson(case: CaseStore, tmp_path: Path) -> None:
    import csv

    out = tmp_path / "counts.csv"
    assert main(["export", str(case.root), "--format", "counts-csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    geo = tmp_path / "counts.json"
    assert main(["export", str(case.root), "--format", "counts-geojson", "--out", str(geo)]) == 0
    features = json.loads(geo.read_text())["features"]
    assert len(rows) == len(features)
    by_key = {(r["site"], r["date"], r["zone"], r["label"]): r for r in rows}
    for feature in features:
        p = feature["properties"]
        row = by_key[(p["site"], p["date"], p["zone"], p["label"])]
        assert row["interval_lo"] == ("" if p["interval_lo"] is None else str(p["interval_lo"]))


def test_a_counts_format_with_a_kml_name_is_refused_before_any_work(
        case: CaseStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit_before = case.audit_path.read_bytes()
    out = tmp_path / "counts.kml"
    assert main(["export", str(case.root), "--format", "counts-geojson", "--out", str(out)]) != 0
    assert "does not match --format counts-geojson" in capsys.readouterr().err
    assert not out.exists() and case.audit_path.read_bytes() == audit_before


def test_images_without_vehicles_still_go_on_the_map(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Vehicles only on an unreferenced screenshot: the referenced, empty image is still laid
    on the ground (it was refused as 'no scene is georeferenced'), and the rest is named."""
    store = CaseStore.init(tmp_path / "case")
    ingest_files(store, [_scene(tmp_path / "empty.tif", [])], site="depot",
                 date=dt.date(2014, 5, 30), source="generated")
    ingest_files(store, [_plain(tmp_path / "shot.jpg", [(50, 50)])], site="yard",
                 date=dt.date(2014, 6, 1), source="generated", gsd_m=0.3)
    detect_case(store, BlobDetector())
    out = tmp_path / "case.kmz"
    assert main(["export", str(store.root), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "wrote 0 features and 1 images" in printed
    assert "1 of 1 detections and events lie on images without georeference" in printed
    with zipfile.ZipFile(out) as archive:
        assert sum(name.endswith(".jpg") for name in archive.namelist()) == 1
    gpkg = tmp_path / "case.gpkg"
    assert main(["export", str(store.root), "--out", str(gpkg)]) == 0
    assert ", 2 footprints" in capsys.readouterr().out


@pytest.mark.parametrize("suffix", [".geojson", ".kml", ".kmz", ".gpkg"])
def test_a_map_export_of_unreferenced_images_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    from tests.cli.snapshots import snapshot

    store = CaseStore.init(tmp_path / "case")
    for name, date, centres in (("shot1.jpg", dt.date(2014, 6, 1), [(50, 50), (120, 140)]),
                                ("shot2.jpg", dt.date(2014, 6, 9), [(50, 50)])):
        ingest_files(store, [_plain(tmp_path / name, centres)], site="yard", date=date,
                     source="generated", gsd_m=0.3)
    detect_case(store, BlobDetector())
    before = snapshot(store.root)
    out = tmp_path / f"case{suffix}"
    assert main(["export", str(store.root), "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "none of the case's 2 analysed images is georeferenced" in err
    assert "export --format csv or coco" in err and len(err.strip().splitlines()) == 1
    # nothing computed (no derived tracks), nothing written, the audit log unchanged
    assert snapshot(store.root) == before and not store.layout.tracks.exists()
    assert not out.exists()
    # the pixel formats still export them
    assert main(["export", str(store.root), "--out", str(tmp_path / "case.csv")]) == 0
