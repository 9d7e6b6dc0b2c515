"""``sitewatch scene``: a case can be corrected, as a user would do it, and still verifies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.cli.main import main
from tests.cli.snapshots import snapshot

GSD_M = 0.3


def _scene(path: Path, centres: list[tuple[int, int]], *, gsd_m: float = GSD_M,
           geo: bool = True) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    ground = cv2.GaussianBlur(np.random.default_rng(7).integers(0, 90, (300, 300), dtype=np.uint8),
                              (5, 5), 0)
    image = np.repeat(ground[None], 3, axis=0)
    for cx, cy in centres:
        image[:, cy - 6:cy + 6, cx - 12:cx + 12] = 220
    extra = ({"crs": "EPSG:32637", "transform": from_origin(408000.0, 5236000.0, gsd_m, gsd_m)}
             if geo else {})
    with rasterio.open(path, "w", driver="GTiff", width=300, height=300, count=3, dtype="uint8",
                       **extra) as dst:
        dst.write(image)
    return path



@pytest.fixture
def case(tmp_path: Path) -> Path:
    """One date, then four tiles of one later date (what a new user ingests from a portal)."""
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    before = _scene(tmp_path / "before.tif", [(60, 60), (200, 80)])
    assert main(["ingest", str(case), str(before), "--site", "depot", "--date", "2014-05-30"]) == 0
    tiles = [_scene(tmp_path / f"tile_{i}.tif", [(60, 60), (200, 80), (40 + 50 * i, 230)])
             for i in range(4)]
    assert main(["ingest", str(case), *map(str, tiles), "--site", "depot",
                 "--date", "2014-06-11"]) == 0
    return case


def test_several_images_on_one_date_refused_with_the_command_that_fixes_it(
    case: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    before = snapshot(case)
    assert main(["track", str(case)]) == 2
    err = capsys.readouterr().err
    assert "4 images on 2014-06-11" in err and "tile_0.tif" in err
    assert f"sitewatch scene keep {case}" in err
    assert snapshot(case) == before  # the refused command changed nothing

    assert main(["scene", "list", str(case)]) == 0
    assert capsys.readouterr().out.count("duplicate date") == 4

    assert main(["scene", "keep", str(case), "tile_2.tif", "--reason", "sharpest pass",
                 "--analyst", "Ana"]) == 0
    out = capsys.readouterr().out
    assert out.count("retired false -> true") == 3 and "by Ana" in out
    assert main(["scene", "list", str(case)]) == 0
    listing = capsys.readouterr().out
    assert listing.count("retired") >= 3 and "duplicate date" not in listing
    assert main(["track", str(case)]) == 0
    assert main(["verify", str(case)]) == 0
    # every original is still in the hash store
    assert len(list((case / "objects").rglob("*.tif"))) == 5


def test_redate_is_audited_and_verify_catches_a_hand_edit(
    case: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scene", "redate", str(case), "before.tif", "2014-05-29",
                 "--reason", "date read from the provider's metadata"]) == 0
    assert main(["verify", str(case)]) == 0
    lines = (case / "audit.jsonl").read_text().splitlines()
    assert '"scene-change"' in lines[-1] and "provider's metadata" in lines[-1]
    assert '"old":"2014-05-30"' in lines[-1].replace(" ", "")
    with sqlite3.connect(case / "catalog.sqlite") as db:
        db.execute("UPDATE scenes SET date = '2014-05-01' WHERE original_name = 'before.tif'")
    capsys.readouterr()
    assert main(["verify", str(case)]) == 1
    assert "the catalog was edited" in capsys.readouterr().err


@pytest.mark.parametrize("args, expected", [
    (["redate", "before.tif", "2099-01-01", "--reason", "x"], "in the future"),
    (["redate", "before.tif", "1790-01-01", "--reason", "x"], "first aerial photograph"),
    (["redate", "before.tif", "2014-05-30", "--reason", "x"], "already dated"),
    (["set-gsd", "before.tif", "0.01", "--reason", "x"], "less than one car"),
    (["retire", "nosuch.tif", "--reason", "x"], "no scene 'nosuch.tif'"),
    (["retire", "before.tif", "--reason", "  "], "--reason"),
    (["keep", "before.tif", "--reason", "x"], "already the only image"),
])
def test_refused_corrections_change_nothing(
    case: Path, args: list[str], expected: str, capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(case)
    capsys.readouterr()
    assert main(["scene", args[0], str(case), *args[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err, err
    assert snapshot(case) == before


def test_reason_is_required(case: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["scene", "retire", str(case), "before.tif"])
    assert exit_info.value.code == 2


def test_retire_then_restore_and_a_case_from_before_the_change_table_opens(
    case: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    with sqlite3.connect(case / "catalog.sqlite") as db:  # the catalog of an older sitewatch
        db.execute("DROP TABLE scene_changes")
        db.execute("ALTER TABLE scenes DROP COLUMN retired")
    assert main(["scene", "retire", str(case), "tile_0.tif", "--reason", "cloud"]) == 0
    capsys.readouterr()
    assert main(["scene", "retire", str(case), "tile_0.tif", "--reason", "cloud"]) == 2
    assert "already retired" in capsys.readouterr().err
    assert main(["scene", "restore", str(case), "tile_0.tif", "--reason", "cloud was haze"]) == 0
    assert main(["verify", str(case)]) == 0
    assert main(["scene", "list", str(case)]) == 0
    assert "(2 corrections)" in capsys.readouterr().out


def test_detect_skips_a_scene_too_coarse_and_processes_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    fine = _scene(tmp_path / "fine.tif", [(60, 60)])
    coarse = _scene(tmp_path / "coarse.png.tif", [(60, 60)], geo=False)
    assert main(["ingest", str(case), str(fine), "--site", "a", "--date", "2014-05-30"]) == 0
    assert main(["ingest", str(case), str(coarse), "--site", "a", "--date", "2014-06-11",
                 "--gsd", "5"]) == 0
    capsys.readouterr()
    assert main(["detect", str(case)]) == 0
    printed = capsys.readouterr()
    assert "1 scenes processed" in printed.out and "1 could not be processed" in printed.out
    assert "skipped a 2014-06-11 coarse.png.tif" in printed.err and "5 m pixels" in printed.err
    assert "objects/" not in printed.err  # the user's file name, not the stored copy
    # Corrected, the scene is processed by the next run, and the first is not done again.
    assert main(["scene", "set-gsd", str(case), "coarse.png.tif", "0.3", "--reason",
                 "measured a 12 m bus on the image"]) == 0
    capsys.readouterr()
    assert main(["detect", str(case)]) == 0
    assert "1 scenes processed" in capsys.readouterr().out
    assert main(["verify", str(case)]) == 0
