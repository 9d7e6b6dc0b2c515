"""Issue 23.2: georeference what users have (world files, .aux.xml, control points), by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from rasterio.crs import CRS

from sitewatch.catalog import CaseStore
from sitewatch.cli.main import main
from tests.cli.snapshots import snapshot

UTM = CRS.from_epsg(32637)
# A 0.5 m world file: the top-left corner of the top-left pixel at (408000, 5236000).
WORLD = "0.5\n0\n0\n-0.5\n408000.25\n5236000.25\n"


def _picture(path: Path, size: tuple[int, int] = (160, 120)) -> Path:
    rng = np.random.default_rng(4)
    ok = cv2.imwrite(str(path), rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    assert ok
    return path



@pytest.fixture
def case(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    return case


def _ingest(case: Path, *args: str) -> int:
    return main(["ingest", str(case), *args, "--site", "depot", "--date", "2014-06-11"])


def test_jpeg_with_world_file_and_prj(case: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    image = _picture(tmp_path / "screenshot.jpg")
    (tmp_path / "screenshot.jgw").write_text(WORLD)
    (tmp_path / "screenshot.prj").write_text(UTM.to_wkt(version="WKT1_ESRI"))
    assert _ingest(case, str(image)) == 0
    out = capsys.readouterr().out
    assert "georeferenced" in out and "placed by world file screenshot.jgw + screenshot.prj" in out
    (scene,) = CaseStore.open(case).scenes()
    assert scene.transform == pytest.approx((0.5, 0, 408000.0, 0, -0.5, 5236000.0))
    assert scene.gsd_m == pytest.approx(0.5) and CRS.from_wkt(scene.crs_wkt or "").to_epsg() == 32637
    assert scene.footprint_lonlat_wkt and "37.78" in scene.footprint_lonlat_wkt
    entry = json.loads((case / "audit.jsonl").read_text().splitlines()[-1])
    sidecars = entry["details"]["scenes"][0]["georeference"]["sidecars"]
    assert [s["name"] for s in sidecars] == ["screenshot.jgw", "screenshot.prj"]
    assert main(["verify", str(case)]) == 0


def test_world_file_without_prj_is_refused_naming_the_users_file_then_crs_fixes_it(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    image = _picture(tmp_path / "press.png")
    (tmp_path / "press.pgw").write_text(WORLD)
    before = snapshot(case)
    assert _ingest(case, str(image)) == 2
    err = capsys.readouterr().err
    assert "press.pgw" in err and str(image) in err and "--crs" in err and "objects" not in err
    assert snapshot(case) == before
    assert _ingest(case, str(image), "--crs", "EPSG:32637") == 0
    assert CaseStore.open(case).scenes()[0].gsd_m == pytest.approx(0.5)


def test_png_with_gdal_aux_xml(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = _picture(tmp_path / "release.png")
    (tmp_path / "release.png.aux.xml").write_text(
        f"<PAMDataset><SRS>{UTM.to_wkt()}</SRS>"
        "<GeoTransform>408000.0, 0.4, 0.0, 5236000.0, 0.0, -0.4</GeoTransform></PAMDataset>")
    assert _ingest(case, str(image)) == 0
    assert "placed by aux.xml release.png.aux.xml" in capsys.readouterr().out
    (scene,) = CaseStore.open(case).scenes()
    assert scene.gsd_m == pytest.approx(0.4) and scene.georeferenced


def _gcps_of(transform: tuple[float, ...], pixels: list[tuple[float, float]]) -> list[str]:
    from sitewatch.imagery.georef import pixel_to_lonlat

    lonlat = pixel_to_lonlat(transform, UTM.to_wkt(), [p[0] for p in pixels], [p[1] for p in pixels])
    pairs = zip(pixels, lonlat.tolist(), strict=True)
    return [f"{x},{y},{lon:.8f},{lat:.8f}" for (x, y), (lon, lat) in pairs]


def test_ground_control_points_with_the_residual_reported(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    image = _picture(tmp_path / "earth.jpg")
    truth = (0.5, 0.0, 408000.0, 0.0, -0.5, 5236000.0)
    points = _gcps_of(truth, [(5, 5), (150, 8), (10, 110), (140, 100), (80, 60)])
    # The analyst misplaced the last point by 4 px (2 m): the residual shows it.
    x, y, lon, lat = points[-1].split(",")
    points[-1] = f"{float(x) + 4},{y},{lon},{lat}"
    args = [a for p in points for a in ("--gcp", p)]
    assert _ingest(case, str(image), *args) == 0
    out = capsys.readouterr().out
    assert "5 ground control points, an affine fit, residual RMS" in out
    assert "point 5: pixel (84, 60)" in out  # each point with its residual
    worst = float(out.split("worst ")[1].split(" m")[0])
    assert 0.8 < worst < 2.5
    (scene,) = CaseStore.open(case).scenes()
    assert scene.gsd_m == pytest.approx(0.5, rel=0.03)
    # the placed screenshot measures distances on the ground: 100 px across is ~50 m
    from sitewatch.imagery.georef import pixel_to_lonlat

    assert scene.transform and scene.crs_wkt
    (a, b) = pixel_to_lonlat(scene.transform, scene.crs_wkt, [20, 120], [60, 60]).tolist()
    from pyproj import Geod

    assert Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])[2] == pytest.approx(50, rel=0.03)
    assert main(["verify", str(case)]) == 0


def test_gcps_from_csv_and_three_points_say_nothing_checks_them(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    image = _picture(tmp_path / "earth.png")
    points = _gcps_of((0.5, 0.0, 408000.0, 0.0, -0.5, 5236000.0), [(5, 5), (150, 8), (10, 110)])
    table = tmp_path / "points.csv"
    table.write_text("px,py,lon,lat\n" + "\n".join(points) + "\n")
    assert _ingest(case, str(image), "--gcps", str(table)) == 0
    assert "exact fit, so nothing checks them" in capsys.readouterr().out


@pytest.mark.parametrize("gcps, expected", [
    (["1,1,39.1,47.1", "50,50,39.2,47.2", "100,100,39.3,47.3"], "on one line"),
    (["1,1,39.1,47.1", "50,2,39.2,47.1"], "needs 3 or more"),
    (["1,1,47.1,139.1", "50,2,39.2,47.1", "3,80,39.1,47.0"], "latitude -90..90"),
    (["1,1,39.1"], "four numbers"),
])
def test_bad_control_points_refused_and_nothing_stored(
    case: Path, tmp_path: Path, gcps: list[str], expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image = _picture(tmp_path / "earth.png")
    before = snapshot(case)
    assert _ingest(case, str(image), *[a for p in gcps for a in ("--gcp", p)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err, err
    assert snapshot(case) == before
