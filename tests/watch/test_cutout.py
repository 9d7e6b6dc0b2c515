"""Windowed reads of COGs over HTTP range requests: only the site's blocks travel, and the cut
file holds exactly the source pixels with their georeference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window
from shapely.geometry import Polygon

from sitewatch.errors import SourceError
from sitewatch.watch import cut_site
from tests.watch.conftest import Scenes
from tests.watch.servers import range_server


def test_site_of_5_percent_reads_under_15_percent_of_the_cog(scenes: Scenes, tmp_path: Path) -> None:
    cog = scenes.files[0]
    with range_server(scenes.folder) as server:
        cut = cut_site(f"{server.url}/{cog.name}", Polygon(scenes.ring_lonlat), tmp_path / "cut.tif",
                       margin_m=10.0, min_coverage=0.9)
        read = server.sent[cog.name]
    share = read / cog.stat().st_size
    assert cut.path is not None and cut.coverage > 0.99
    assert 0 < share < 0.15, f"read {read} of {cog.stat().st_size} bytes ({share:.1%})"
    assert cut.identity["etag"].startswith('"')


def test_cut_holds_the_source_pixels_and_georeference(scenes: Scenes, tmp_path: Path) -> None:
    cog = scenes.files[1]
    with range_server(scenes.folder) as server:
        cut = cut_site(f"{server.url}/{cog.name}", Polygon(scenes.ring_lonlat), tmp_path / "cut.tif",
                       margin_m=10.0, min_coverage=0.9)
    assert cut.path is not None and cut.window is not None
    w = cut.window
    window = Window(w.col_off, w.row_off, w.width_px, w.height_px)
    with rasterio.open(cog) as src, rasterio.open(cut.path) as out:
        assert np.array_equal(out.read(), src.read(window=window))
        assert out.transform == src.window_transform(window)
        assert out.crs == src.crs
    again = cut_site(str(cog), Polygon(scenes.ring_lonlat), tmp_path / "again.tif", margin_m=10.0,
                     min_coverage=0.9)
    assert again.path is not None
    assert again.path.read_bytes() == cut.path.read_bytes()  # same pixels, same bytes
    assert len(again.identity["sha256"]) == 64


def test_scene_covering_too_little_is_not_read(scenes: Scenes, tmp_path: Path) -> None:
    cog = scenes.files[0]
    with range_server(scenes.folder) as server:
        cut = cut_site(f"{server.url}/{cog.name}", Polygon(scenes.far_ring_lonlat),
                       tmp_path / "cut.tif", margin_m=10.0, min_coverage=0.9)
        read = server.sent[cog.name]
    assert cut.path is None and 0.3 < cut.coverage < 0.7
    assert read < 0.05 * cog.stat().st_size  # the header only
    assert not (tmp_path / "cut.tif").exists()


def test_unreachable_scene_is_named(tmp_path: Path) -> None:
    with range_server(tmp_path) as server:
        url = f"{server.url}/missing.tif"
        with pytest.raises(SourceError, match=r"missing\.tif"):
            cut_site(url, Polygon([(0, 0), (0.001, 0), (0.001, 0.001)]), tmp_path / "c.tif",
                     margin_m=0, min_coverage=0.5)
