"""``sitewatch scene mosaic``: tiles of one date made into one scene, as a user would do it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.cli.main import main
from tests.cli.snapshots import snapshot

GSD_M = 0.3
ORIGIN = (408000.0, 5236000.0)  # UTM 37N, upper-left corner of the whole ground
CARS = [(60, 60), (200, 80), (330, 200), (150, 220)]


def _ground() -> np.ndarray:
    """A 3-band 300 x 400 px picture of textured ground with four bright cars."""
    grey = cv2.GaussianBlur(np.random.default_rng(7).integers(0, 120, (300, 400), dtype=np.uint8),
                            (5, 5), 0)
    image = np.repeat(grey[None], 3, axis=0)
    for cx, cy in CARS:
        image[:, cy - 6:cy + 6, cx - 12:cx + 12] = 220
    return image


def _tile(path: Path, ground: np.ndarray, col0: int, col1: int, *, shift_px: float = 0.0,
          geo: bool = True) -> Path:
    """Columns ``col0:col1`` of the ground as a GeoTIFF placed where they are (``shift_px``
    misplaces it east by that many pixels, as a wrong georeference would)."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.ascontiguousarray(ground[:, :, col0:col1])
    extra = ({"crs": "EPSG:32637", "transform": from_origin(
        ORIGIN[0] + (col0 + shift_px) * GSD_M, ORIGIN[1], GSD_M, GSD_M)} if geo else {})
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=3, dtype="uint8", **extra) as dst:
        dst.write(data)
    return path


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """A first date (the whole ground), then two overlapping tiles of a later date."""
    ground = _ground()
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    whole = _tile(tmp_path / "before.tif", ground, 0, 400)
    assert main(["ingest", str(case), str(whole), "--site", "depot", "--date", "2014-05-30",
                 "-q"]) == 0
    west = _tile(tmp_path / "west.tif", ground, 0, 240)
    east = _tile(tmp_path / "east.tif", ground, 160, 400)
    assert main(["ingest", str(case), str(west), str(east), "--site", "depot",
                 "--date", "2014-06-11", "-q"]) == 0
    return case


def _mosaic_of(case: Path) -> Path:
    found = [p for p in (case / "objects").rglob("*.tif")]
    import rasterio

    for path in found:
        with rasterio.open(path) as dataset:
            if dataset.width == 400 and dataset.count == 3 and "mosaic" in _names(case, path):
                return path
    raise AssertionError("no mosaic stored")


def _names(case: Path, path: Path) -> str:
    import sqlite3

    with sqlite3.connect(case / "catalog.sqlite") as db:
        row = db.execute("SELECT original_name FROM scenes WHERE sha256 = ?",
                         (path.stem,)).fetchone()
    return str(row[0]) if row else ""


def test_two_tiles_are_mosaicked_into_one_scene_with_seams_and_the_case_verifies(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    import rasterio

    capsys.readouterr()
    before = snapshot(case)
    assert main(["track", str(case)]) == 2
    err = capsys.readouterr().err
    assert "2 images on 2014-06-11" in err
    assert f"sitewatch scene mosaic {case}" in err and "sitewatch scene retire" in err
    assert snapshot(case) == before

    assert main(["scene", "mosaic", str(case), "west.tif", "east.tif", "--reason",
                 "two tiles of one pass", "--analyst", "Ana"]) == 0
    out = capsys.readouterr().out
    assert "2 scenes of site depot on 2014-06-11, 400 x 300 px at 0.30 m" in out
    assert "west.tif: 72000 px used" in out and "east.tif: 48000 px used" in out
    assert "overlap west.tif / east.tif" in out and "correlation 1.00" in out

    # The mosaic is the ground again, pixel for pixel, on the ground's grid.
    with rasterio.open(_mosaic_of(case)) as dataset:
        assert np.array_equal(dataset.read(), _ground())
        assert tuple(dataset.transform)[:6] == (GSD_M, 0.0, ORIGIN[0], 0.0, -GSD_M, ORIGIN[1])
    # The originals stay in the hash store, retired; the mosaic is in use.
    assert len(list((case / "objects").rglob("*.tif"))) == 4
    assert main(["scene", "list", str(case)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("retired") == 2 and "duplicate date" not in listing
    assert "mosaic_depot_2014-06-11_" in listing and "(1 corrections)" in listing

    # The seams: shown, and exported as GeoJSON whose outlines are where the tiles are.
    assert main(["scene", "seams", str(case), "mosaic_depot", "--out",
                 str(tmp_path / "seams.geojson")]) == 2  # not a scene name: refused
    capsys.readouterr()
    name = next(line.split()[-1] for line in listing.splitlines() if "mosaic_depot" in line)
    assert main(["scene", "seams", str(case), name, "--out", str(tmp_path / "seams.geojson")]) == 0
    shown = capsys.readouterr().out
    assert "(160.0,0.0) (400.0,0.0) (400.0,300.0) (160.0,300.0)" in shown
    seams = json.loads((tmp_path / "seams.geojson").read_text())
    assert [f["properties"]["source"] for f in seams["features"]] == ["west.tif", "east.tif"]
    ring = np.array(seams["features"][1]["geometry"]["coordinates"][0])
    from pyproj import CRS

    from sitewatch.imagery import pixel_to_lonlat

    east_transform = (GSD_M, 0.0, ORIGIN[0] + 160 * GSD_M, 0.0, -GSD_M, ORIGIN[1])
    corners = pixel_to_lonlat(east_transform, CRS.from_epsg(32637).to_wkt(), [0, 240, 240, 0],
                              [0, 0, 300, 300])
    assert np.allclose(ring[:4], corners, atol=1e-7) and np.allclose(ring[4], ring[0])

    assert main(["track", str(case)]) == 0
    assert main(["verify", str(case)]) == 0
    # A hand edit of the retired flag is caught: the mosaic entry recorded it.
    import sqlite3

    with sqlite3.connect(case / "catalog.sqlite") as db:
        db.execute("UPDATE scenes SET retired = 0 WHERE original_name = 'west.tif'")
    capsys.readouterr()
    assert main(["verify", str(case)]) == 1
    assert "has retired False in the catalog but True" in capsys.readouterr().err


def test_detect_report_and_replay_hold_on_a_mosaic(
    case: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scene", "mosaic", str(case), "west.tif", "east.tif", "--reason", "one pass"]) == 0
    assert main(["detect", str(case), "-q"]) == 0
    assert main(["report", str(case), "-q"]) == 0
    capsys.readouterr()
    assert main(["replay", str(case)]) == 0, capsys.readouterr()
    assert main(["verify", str(case)]) == 0


@pytest.mark.parametrize("problem", ["misplaced", "not georeferenced", "other date", "one scene"])
def test_refused_mosaics_name_the_file_and_change_nothing(
    tmp_path: Path, problem: str, capsys: pytest.CaptureFixture[str],
) -> None:
    ground = _ground()
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    west = _tile(tmp_path / "west.tif", ground, 0, 240)
    # 9 px east of where it is: the overlap shows different ground.
    east = _tile(tmp_path / "east.tif", ground, 160, 400, shift_px=9 if problem == "misplaced" else 0,
                 geo=problem != "not georeferenced")
    assert main(["ingest", str(case), str(west), "--site", "depot", "--date", "2014-06-11",
                 "-q"]) == 0
    date = "2014-06-12" if problem == "other date" else "2014-06-11"
    gsd = ["--gsd", "0.3"] if problem == "not georeferenced" else []
    assert main(["ingest", str(case), str(east), "--site", "depot", "--date", date, *gsd,
                 "-q"]) == 0
    capsys.readouterr()
    before = snapshot(case)
    names = ["west.tif"] if problem == "one scene" else ["west.tif", "east.tif"]
    assert main(["scene", "mosaic", str(case), *names, "--reason", "tiles"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "objects/" not in err, err
    expected = {
        "misplaced": "'west.tif' and 'east.tif' overlap by",
        "not georeferenced": "'east.tif' has no georeference",
        "other date": "east.tif (depot, 2014-06-12)",
        "one scene": "two or more scenes",
    }[problem]
    assert expected in err, err
    if problem == "misplaced":
        assert "sitewatch scene keep" in err and "--gcp" in err
    assert snapshot(case) == before
