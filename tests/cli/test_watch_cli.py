"""``sitewatch watch``: help, a run on a folder of generated scenes, a rerun that does nothing,
and a one-line error for a bad watch list."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from sitewatch.cli.main import main


def _scene(path: Path, seed: int) -> None:
    import rasterio
    from rasterio.transform import from_origin

    image = np.random.default_rng(seed).integers(0, 90, (3, 200, 200), dtype=np.uint8)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8",
                       crs="EPSG:4326", transform=from_origin(30.0, 50.0, 3e-6, 3e-6)) as dst:
        dst.write(image)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["watch", "--help"])
    assert "--cluster" in capsys.readouterr().out


def test_watch_runs_then_reruns_without_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "imagery").mkdir()
    _scene(tmp_path / "imagery" / "site_2020-01-02.tif", 1)
    ring = [[30.0001, 49.9995], [30.0005, 49.9995], [30.0005, 49.9999], [30.0001, 49.9999]]
    config = tmp_path / "watch.toml"
    config.write_text(f"""
[watch]
start = "2020-01-01"
end = "2020-12-31"
margin_m = 5
model = "sitewatch-vehicles-yolov8n-obb-int8"

[[sites]]
name = "ridge"
polygon = {json.dumps(ring)}

[[sources]]
kind = "folder"
name = "downloads"
path = "imagery"
""")
    assert main(["watch", str(config), "--workers", "1", "--threads", "1"]) == 0
    first = capsys.readouterr().out
    assert "ridge: 1 scenes offered, 1 new" in first and "1 detection tasks run on 1 scene windows" in first
    assert (tmp_path / "watch-out" / "cases" / "ridge" / "derived" / "report.html").is_file()
    assert main(["watch", str(config), "--workers", "1", "--threads", "1"]) == 0
    second = capsys.readouterr().out
    assert "1 seen before" in second and "nothing changed" in second
    assert "0 detection tasks run" in second
    chatter = [r.getMessage() for r in caplog.records
               if r.name.startswith("distributed") and r.levelno < logging.WARNING]
    assert not chatter, f"Dask's INFO lines reach the user: {chatter[:3]}"


def test_bad_watch_list_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "watch.toml"
    config.write_text('[watch]\nstart = "2020-01-01"\nend = "2020-12-31"\nfoo = 1\n')
    assert main(["watch", str(config)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'foo'" in err and str(config) in err and len(err.strip().splitlines()) == 1
