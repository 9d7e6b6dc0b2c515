"""Ground control points fitted by a polynomial (order 2 or 3), by the CLI, on a picture warped
by a known quadratic: the residuals are reported per point, the rectified scene puts the ground
where it is, and an under-determined fit is refused naming the user's file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from pyproj import Transformer

from sitewatch.catalog import CaseStore
from sitewatch.cli.main import main
from tests.cli.snapshots import snapshot

GSD_M = 0.5
ORIGIN = (408000.0, 5236000.0)  # UTM 37N, the ground's top-left corner
MARKS = [(60, 50), (300, 60), (90, 230), (320, 240), (200, 150)]  # ground pixels (x, y)
TO_LONLAT = Transformer.from_crs(32637, 4326, always_xy=True)


def _ground() -> np.ndarray:
    grey = cv2.GaussianBlur(np.random.default_rng(3).integers(0, 120, (300, 400), dtype=np.uint8),
                            (5, 5), 0)
    for x, y in MARKS:
        grey[y - 4:y + 5, x - 4:x + 5] = 250
    return grey


def _warp(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Picture pixel -> ground pixel: a known quadratic (an oblique, bent screenshot)."""
    return (12 + 0.9 * u + 0.0007 * u * v + 0.0003 * u * u,
            10 + 0.85 * v + 0.0005 * u * v + 0.0002 * v * v)


def _picture(path: Path) -> Path:
    v, u = np.mgrid[0:240, 0:320].astype(np.float32)
    gx, gy = _warp(u, v)
    picture = cv2.remap(_ground(), gx.astype(np.float32), gy.astype(np.float32), cv2.INTER_LINEAR)
    assert cv2.imwrite(str(path), np.repeat(picture[:, :, None], 3, axis=2))
    return path


def _points(path: Path, pixels: list[tuple[int, int]]) -> Path:
    """The control points a careful analyst would pick: exact lon/lat for each pixel centre."""
    u, v = np.array(pixels, float).T
    gx, gy = _warp(u, v)
    east, north = ORIGIN[0] + (gx + 0.5) * GSD_M, ORIGIN[1] - (gy + 0.5) * GSD_M
    lon, lat = TO_LONLAT.transform(east, north)
    rows = [f"{a + 0.5},{b + 0.5},{c:.9f},{d:.9f}" for a, b, c, d in zip(u, v, lon, lat, strict=True)]
    path.write_text("px,py,lon,lat\n" + "\n".join(rows) + "\n")
    return path


GRID = [(x, y) for x in (5, 110, 210, 310) for y in (5, 120, 230)]  # 12 points
#: Ten points in no pattern: a cubic needs them off any three lines (GRID[:10] lies on three).
SCATTER = [(5, 5), (150, 10), (310, 8), (60, 70), (250, 90), (10, 130), (170, 140), (300, 160),
           (80, 228), (220, 232)]


def _ingest(case: Path, *args: str) -> int:
    return main(["ingest", str(case), *args, "--site", "depot", "--date", "2014-06-11"])


@pytest.fixture
def case(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    return case


def test_order_2_rectifies_the_picture_and_reports_each_residual(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    picture = _picture(tmp_path / "screenshot.png")
    points = _points(tmp_path / "points.csv", GRID)
    capsys.readouterr()
    assert _ingest(case, str(picture), "--gcps", str(points), "--gcp-order", "2") == 0
    out = capsys.readouterr().out
    assert "12 ground control points, a polynomial of order 2, residual RMS" in out
    rms = float(out.split("residual RMS ")[1].split(" m")[0])
    assert rms < 0.05  # the warp is exactly quadratic
    assert out.count("    point ") == 12 and "point 12: pixel (310.5, 230.5)" in out
    assert "screenshot.rectified.tif" in out

    store = CaseStore.open(case)
    (scene,) = store.scenes()
    assert scene.original_name == "screenshot.rectified.tif" and scene.georeferenced
    assert 0.45 < scene.gsd_m < 0.7  # a picture pixel spans 0.9-1.3 ground pixels of 0.5 m
    (original,) = [s for s in store.scenes(include_retired=True) if s.retired]
    assert original.original_name == "screenshot.png"  # kept, as given, out of every job
    # The rectified picture shows each mark where it is on the ground.
    import rasterio

    from sitewatch.imagery import map_to_pixel

    assert scene.transform is not None
    with rasterio.open(scene.path) as dataset:
        grey = dataset.read(1)
    for x, y in MARKS[1:]:  # the first mark lies outside the picture
        (col, row), = map_to_pixel(scene.transform, [ORIGIN[0] + (x + 0.5) * GSD_M],
                                   [ORIGIN[1] - (y + 0.5) * GSD_M]).tolist()
        assert grey[int(row), int(col)] > 180, (x, y, col, row)
    assert main(["verify", str(case)]) == 0
    # Replay rectifies the stored original again from the logged points and gets the same.
    assert main(["detect", str(case), "-q"]) == 0
    assert main(["report", str(case), "-q"]) == 0
    capsys.readouterr()
    assert main(["replay", str(case)]) == 0, capsys.readouterr()


def test_an_affine_fit_of_the_same_points_shows_metres_of_error(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    picture = _picture(tmp_path / "screenshot.png")
    points = _points(tmp_path / "points.csv", GRID)
    capsys.readouterr()
    assert _ingest(case, str(picture), "--gcps", str(points)) == 0
    out = capsys.readouterr().out
    assert "12 ground control points, an affine fit, residual RMS" in out
    assert float(out.split("residual RMS ")[1].split(" m")[0]) > 1.0


def test_order_3_with_ten_points_is_exact_and_nine_are_refused(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    picture = _picture(tmp_path / "press.png")
    nine = _points(tmp_path / "nine.csv", GRID[:9])
    before = snapshot(case)
    capsys.readouterr()
    assert _ingest(case, str(picture), "--gcps", str(nine), "--gcp-order", "3") == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot georeference '{picture}'" in err and "order 3 needs 10" in err
    assert "9 were given" in err and "\n" not in err and "objects" not in err
    assert snapshot(case) == before
    on_three_lines = _points(tmp_path / "lines.csv", GRID[:10])
    assert _ingest(case, str(picture), "--gcps", str(on_three_lines), "--gcp-order", "3") == 2
    assert "fix no polynomial of order 3" in capsys.readouterr().err
    assert snapshot(case) == before
    ten = _points(tmp_path / "ten.csv", SCATTER)
    assert _ingest(case, str(picture), "--gcps", str(ten), "--gcp-order", "3") == 0
    assert "an exact fit, so nothing checks them (give 11+)" in capsys.readouterr().out


@pytest.mark.parametrize("args, expected", [
    (["--gcp-order", "2"], "give them with --gcp"),
    (["--gcp-order", "2", "--gcp", "1,1,39.1,47.1", "--gcp", "50,2,39.2,47.1",
      "--gcp", "3,80,39.1,47.0", "--gcp", "90,80,39.2,47.0", "--gcp", "40,40,39.15,47.05"],
     "order 2 needs 6 or more ground control points and 5 were given"),
])
def test_bad_polynomial_requests_change_nothing(
    case: Path, tmp_path: Path, args: list[str], expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    picture = _picture(tmp_path / "earth.png")
    before = snapshot(case)
    capsys.readouterr()
    assert _ingest(case, str(picture), *args) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err, err
    assert snapshot(case) == before
