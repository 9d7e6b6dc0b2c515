"""`sitewatch shadow overhead`: marked shadows on a georeferenced overhead image, checked against a
stated date and time, as a file or as a scene recorded in a case.

The image is a tiny generated GeoTIFF in UTM zone 16N, 2.5° east of the zone's central meridian,
where grid north is 1.4° east of true north; the marks are drawn from the sun that pvlib gives
for the true time, so the check must accept it and refuse a time six months off.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sitewatch.case.where import replay_where_checks
from sitewatch.catalog import CaseStore, ingest_files
from sitewatch.cli.main import main
from sitewatch.where import north_in_image_deg, sun_positions
from tests.cli.snapshots import snapshot

CRS = "EPSG:32616"
TRANSFORM = (0.5, 0.0, 733601.0, 0.0, -0.5, 3725139.0)
TRUE_TIME = dt.datetime(2009, 12, 22, 16, 37, tzinfo=dt.UTC)


def _write_image(path: Path) -> Path:
    import rasterio
    from rasterio.transform import Affine

    with rasterio.open(path, "w", driver="GTiff", width=96, height=96, count=1, dtype="uint8", crs=CRS,
                       transform=Affine(*TRANSFORM)) as dst:
        dst.write(np.random.default_rng(0).integers(60, 200, size=(1, 96, 96), dtype=np.uint8))
    return path


def _marks(when: dt.datetime, lengths_px: tuple[float, ...] = (20.0, 26.0, 31.0)) -> list[str]:
    """--mark arguments for upright objects whose shadows point away from the sun at ``when``."""
    north = north_in_image_deg(TRANSFORM, CRS, 48.0, 48.0)
    lon, lat = -84.4789, 33.6384
    azimuth, _ = sun_positions(lon, lat, np.array([when.timestamp()]))
    image_bearing = math.radians((azimuth[0] + 180.0 + north) % 360.0)
    args = []
    for index, length in enumerate(lengths_px):
        bx, by = 30.0 + 15 * index, 70.0 - 5 * index
        tx, ty = bx + length * math.sin(image_bearing), by - length * math.cos(image_bearing)
        args += ["--mark", f"{bx:.1f},{by:.1f}:{tx:.1f},{ty:.1f}"]
    return args


def test_true_time_fits_and_six_months_off_does_not(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    image = _write_image(tmp_path / "atlanta.tif")
    marks = _marks(TRUE_TIME)
    assert main(["shadow", "overhead", str(image), "--time", "2009-12-22T16:37Z", *marks]) == 0
    out = capsys.readouterr().out
    assert out.startswith("FITS:") and "azimuth 164.0°, elevation 31.2°" in out, out
    assert "true north at -1.40° from image-up" in out
    assert "plausible overpass 15:07–17:07 UTC" in out
    assert main(["shadow", "overhead", str(image), "--time", "2010-06-22T16:37Z", *marks]) == 0
    out = capsys.readouterr().out
    assert out.startswith("DOES NOT FIT:") and "azimuth 122.4°" in out, out
    # Without a time, the overpass window decides: December fits, June's 09:30-11:30 sun does not.
    assert main(["shadow", "overhead", str(image), "--date", "2009-12-22", *marks]) == 0
    assert capsys.readouterr().out.startswith("FITS:")
    assert main(["shadow", "overhead", str(image), "--date", "2010-06-22", *marks]) == 0
    assert capsys.readouterr().out.startswith("DOES NOT FIT:")


def test_ignoring_grid_convergence_would_shift_the_azimuth(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    image = _write_image(tmp_path / "atlanta.tif")
    marks = _marks(TRUE_TIME)
    assert main(["shadow", "overhead", str(image), "--time", "2009-12-22T16:37Z", *marks]) == 0
    with_georef = float(capsys.readouterr().out.split("measured sun azimuth ")[1].split("°")[0])
    assert main(["shadow", "overhead", str(image), "--time", "2009-12-22T16:37Z", "--north-deg", "0",
                 *marks]) == 0
    north_up = float(capsys.readouterr().out.split("measured sun azimuth ")[1].split("°")[0])
    assert with_georef == pytest.approx(164.0, abs=0.15)
    assert with_georef - north_up == pytest.approx(1.4, abs=0.1)


def test_in_a_case_the_scene_date_is_the_claim_and_the_check_is_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = CaseStore.init(tmp_path / "case")
    image = _write_image(tmp_path / "atlanta.tif")
    ingest_files(store, [image], site="atl", date=dt.date(2009, 12, 22))
    assert main(["shadow", "overhead", str(store.root), "--scene", "atlanta.tif", "--id", "o1",
                 "--cite-as", "E7", *_marks(TRUE_TIME)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("FITS:") and "on 2009-12-22" in out and "recorded:" in out
    stored = json.loads((store.layout.where / "o1.json").read_text(encoding="utf-8"))
    assert stored["kind"] == "overhead-sun" and stored["fits"] is True
    assert stored["inputs"]["source"].startswith("scene atlanta.tif")
    assert len(stored["inputs"]["marks_px"]) == 3
    assert replay_where_checks(store) == ()
    assert "where:o1" in store.layout.assessment.read_text(encoding="utf-8")
    # The catalog's date, re-stated six months off, is flagged.
    assert main(["shadow", "overhead", str(store.root), "--scene", "atlanta.tif", "--id", "o2",
                 "--date", "2010-06-22", *_marks(TRUE_TIME)]) == 0
    assert capsys.readouterr().out.startswith("DOES NOT FIT:")


def test_refusals_are_one_line_and_change_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = CaseStore.init(tmp_path / "case")
    image = _write_image(tmp_path / "atlanta.tif")
    ingest_files(store, [image], site="atl", date=dt.date(2009, 12, 22))
    before = snapshot(store.root)
    one = _marks(TRUE_TIME, lengths_px=(20.0,))
    assert main(["shadow", "overhead", str(store.root), "--scene", "atlanta.tif", *one]) == 2
    assert "mark at least two shadows" in capsys.readouterr().err
    assert main(["shadow", "overhead", str(store.root), "--scene", "nope.tif", *_marks(TRUE_TIME)]) == 2
    assert "no scene 'nope.tif'" in capsys.readouterr().err
    assert main(["shadow", "overhead", str(store.root), "--scene", "atlanta.tif", "--time",
                 "2009-12-22T16:37", *_marks(TRUE_TIME)]) == 2
    assert "no time zone" in capsys.readouterr().err
    crossed = ["--mark", "10,10:40,10", "--mark", "10,20:10,50", "--mark", "50,50:20,50",
               "--mark", "60,60:60,30"]
    assert main(["shadow", "overhead", str(store.root), "--scene", "atlanta.tif", *crossed]) == 2
    assert "disagree" in capsys.readouterr().err
    assert snapshot(store.root) == before
    with pytest.raises(SystemExit):
        main(["shadow", "overhead", str(image), "--mark", "10,10-20,20"])
    assert "BASE_X,BASE_Y:TIP_X,TIP_Y" in capsys.readouterr().err


def test_an_image_without_georeference_needs_place_and_north(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    plain = tmp_path / "plain.png"
    Image.fromarray(np.full((64, 64), 128, dtype=np.uint8)).save(plain)
    marks = _marks(TRUE_TIME)
    assert main(["shadow", "overhead", str(plain), "--date", "2009-12-22", *marks]) == 2
    assert "--place" in capsys.readouterr().err
    assert main(["shadow", "overhead", str(plain), "--date", "2009-12-22", "--place", "33.6384,-84.4789",
                 *marks]) == 2
    assert "--north-deg" in capsys.readouterr().err
    assert main(["shadow", "overhead", str(plain), "--time", "2009-12-22T16:37Z", "--place",
                 "33.6384,-84.4789", "--north-deg", "-1.4", *marks]) == 0
    assert capsys.readouterr().out.startswith("FITS:")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["shadow", "overhead", "--help"])
    assert done.value.code == 0 and "--mark" in capsys.readouterr().out
