from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sitewatch.cli.main import main
from sitewatch.demo import sample_data_dir

SAMPLE = "demo-depot_2014-08-05.tif"


def test_loose_files_to_csv_with_the_real_model(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "found.csv"
    assert main(["detect", str(sample_data_dir() / SAMPLE), "--out", str(out)]) == 0
    # the default model's card names its measured limits: the user is pointed to them
    assert ("note: sitewatch-vehicles-yolov8n-obb has measured limits that bear on its labels and "
            "counts (Civilian ground; Loaded transporters; Wrong GSD)") in capsys.readouterr().err
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the shipped model finds vehicles in the sample scene"
    for column in ("image", "label", "score", "x0", "y0", "x1", "y1", "polygon_px", "lon", "lat"):
        assert column in rows[0]
    assert rows[0]["image"] == SAMPLE and rows[0]["polygon_px"].startswith("POLYGON ((")
    assert all(float(r["x0"]) < float(r["x1"]) and float(r["lon"]) < 0 for r in rows)


@pytest.mark.parametrize(("model", "note"), [
    ("sitewatch-vehicles-yolov8n-obb-int8", "sitewatch-vehicles-yolov8n-obb-int8 has measured "
     "limits that bear on its labels and counts (Civilian ground; Loaded transporters; Wrong GSD)"),
    ("dota-yolov8n-obb", None),  # a card naming no limits: no note
    ("copy.onnx", "note: sitewatch-vehicles-yolov8n-obb has measured limits"),  # given by path
])
def test_the_known_limits_note_follows_the_models_card(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, note: str | None) -> None:
    import shutil

    from sitewatch.detect import DEFAULT_MODEL, card_path_for

    if model == "copy.onnx":
        card = card_path_for(DEFAULT_MODEL)
        (tmp_path / "m").mkdir()
        shutil.copy(card, tmp_path / "m" / "copy.json")
        shutil.copy(card.with_suffix(".onnx"), tmp_path / "m" / card.with_suffix(".onnx").name)
        model = str(tmp_path / "m" / "copy.onnx")
    out = tmp_path / "found.csv"
    assert main(["detect", str(sample_data_dir() / SAMPLE), "--model", model,
                 "--out", str(out), "-q"]) == 0
    err = capsys.readouterr().err
    assert (note in err) if note else ("measured limits" not in err)


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


def _one_colour_jpeg(path: Path, side_px: int) -> Path:
    import cv2
    import numpy as np

    cv2.imwrite(str(path), np.full((side_px, side_px), 120, dtype=np.uint8))
    return path


def test_a_loose_image_over_the_pixel_cap_is_refused_from_its_header(tmp_path: Path) -> None:
    """Issue 24: a valid one-colour JPEG of 12,000²-17,000² px (a few hundred KB) made loose
    `detect FILE` run for minutes: 38 of the 39 commands over 30 s in the fuzz run. It is now
    refused before the model loads, naming the file, its size and the ways to go on."""
    from sitewatch.case.detecting import _check_images
    from sitewatch.cli.detect import MAX_LOOSE_PIXELS
    from sitewatch.errors import RasterReadError

    big = _one_colour_jpeg(tmp_path / "grey.jpg", 7_200)
    assert big.stat().st_size < 2_000_000 and MAX_LOOSE_PIXELS < 7_200**2
    with pytest.raises(RasterReadError, match=r"'.*grey\.jpg': 7,200×7,200 px \(51.8 Mpx\) is over "
                       r"the 50 Mpx allowed here; .*sitewatch ingest.*--max-pixels") as caught:
        _check_images([big], tmp_path / "x.csv", MAX_LOOSE_PIXELS)
    assert "\n" not in str(caught.value)
    _check_images([big], tmp_path / "x.csv", 60_000_000)  # the user's explicit choice


def test_max_pixels_on_the_command_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    image = _one_colour_jpeg(tmp_path / "grey.jpg", 1_100)
    out = tmp_path / "x.csv"
    assert main(["detect", str(image), "--gsd", "0.3", "--out", str(out),
                 "--max-pixels", "1000000"]) == 2
    err = capsys.readouterr().err
    assert "grey.jpg" in err and "1,100×1,100 px (1.2 Mpx) is over the 1 Mpx allowed here" in err
    assert not out.exists()
    assert main(["detect", str(image), "--gsd", "0.3", "--out", str(out), "--max-pixels", "0"]) == 2
    assert "--max-pixels 0" in capsys.readouterr().err


def test_an_uncertain_gsd_runs_three_scales_on_loose_files(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    image = sample_data_dir() / SAMPLE
    plain, uncertain = tmp_path / "plain.csv", tmp_path / "uncertain.csv"
    assert main(["detect", str(image), "--out", str(plain), "-q"]) == 0
    assert "also run at 0.8 and 1.25" not in capsys.readouterr().out
    assert main(["detect", str(image), "--gsd-uncertain", "--out", str(uncertain), "-q"]) == 0
    assert "also run at 0.8 and 1.25 times it" in capsys.readouterr().out
    with plain.open() as a, uncertain.open() as b:
        rows_plain, rows_uncertain = list(csv.DictReader(a)), list(csv.DictReader(b))
    assert rows_plain and rows_uncertain and rows_plain != rows_uncertain


def test_gsd_uncertain_is_refused_for_a_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    assert main(["detect", str(case), "--gsd-uncertain"]) == 2
    assert "--gsd-uncertain applies to loose images" in capsys.readouterr().err
