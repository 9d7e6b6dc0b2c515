from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sitewatch.cli.main import main
from sitewatch.demo import sample_data_dir

SAMPLE = "demo-depot_2014-08-05.tif"


def test_loose_files_to_csv_with_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "found.csv"
    assert main(["detect", str(sample_data_dir() / SAMPLE), "--out", str(out)]) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the shipped model finds vehicles in the sample scene"
    for column in ("image", "label", "score", "x0", "y0", "x1", "y1", "polygon_px", "lon", "lat"):
        assert column in rows[0]
    assert rows[0]["image"] == SAMPLE and rows[0]["polygon_px"].startswith("POLYGON ((")
    assert all(float(r["x0"]) < float(r["x1"]) and float(r["lon"]) < 0 for r in rows)


def test_geojson_needs_georeference(tmp_path: Path, tiny_jpeg: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    import cv2
    import numpy as np

    big = tmp_path / "plain.jpg"
    cv2.imwrite(str(big), np.full((200, 200, 3), 120, dtype=np.uint8))
    code = main(["detect", str(big), "--gsd", "0.3", "--out", str(tmp_path / "x.geojson")])
    err = capsys.readouterr().err
    # No vehicles means nothing to place, so the run succeeds; with vehicles it must refuse.
    assert code == 0 or "georeference" in err


def test_loose_file_without_gsd_is_refused(tmp_path: Path, tiny_jpeg: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tiny_jpeg), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "--gsd" in err and "tiny.jpg" in err


def test_loose_images_need_out(tiny_jpeg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tiny_jpeg)]) == 2
    assert "--out" in capsys.readouterr().err
