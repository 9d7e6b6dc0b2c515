"""watch.toml is read strictly: every key known, every value checked, the file named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sitewatch.errors import ConfigError
from sitewatch.watch import FolderSource, StacApiSource, StacCatalogSource, load_watch

RING = [[-84.41, 33.75], [-84.40, 33.75], [-84.40, 33.76], [-84.41, 33.76]]

GOOD = f"""
[watch]
folder = "out"
start = 2014-01-01
end = "2014-12-31"
margin_m = 25
min_coverage = 0.8

[[sites]]
name = "depot_a"
polygon = {RING}

[[sites]]
file = "more.geojson"

[[sources]]
kind = "folder"
name = "downloads"
path = "imagery"

[[sources]]
kind = "stac-catalog"
name = "partner"
href = "catalog/catalog.json"

[[sources]]
kind = "stac-api"
name = "provider"
url = "http://127.0.0.1:7822"
collections = ["overhead"]
max_cloud_cover = 20
max_off_nadir_deg = 25.0
"""


def _geojson(path: Path, names: list[str]) -> Path:
    features = [{"type": "Feature", "properties": {"name": n},
                 "geometry": {"type": "Polygon", "coordinates": [[*RING, RING[0]]]}} for n in names]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_watch_list_is_read_into_frozen_values(tmp_path: Path) -> None:
    _geojson(tmp_path / "more.geojson", ["border_1", "border_2"])
    config = load_watch(_write(tmp_path, GOOD))
    assert [s.name for s in config.sites] == ["depot_a", "border_1", "border_2"]
    assert config.start == dt.date(2014, 1, 1) and config.end == dt.date(2014, 12, 31)
    assert (config.margin_m, config.min_coverage, config.folder) == (25.0, 0.8, tmp_path / "out")
    folder, catalog, api = config.sources
    assert folder == FolderSource(name="downloads", path=tmp_path / "imagery")
    assert catalog == StacCatalogSource(name="partner", href=str(tmp_path / "catalog/catalog.json"))
    assert api == StacApiSource(name="provider", url="http://127.0.0.1:7822",
                                collections=("overhead",), max_cloud_cover=20.0,
                                max_off_nadir_deg=25.0)
    assert config.sites[0].ring_lonlat[0] == (-84.41, 33.75)


def test_kml_sites_are_read(tmp_path: Path) -> None:
    coords = " ".join(f"{x},{y},0" for x, y in [*RING, RING[0]])
    (tmp_path / "sites.kml").write_text(
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<Placemark><name>ridge</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}"
        "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "<Placemark><name>a pin</name><Point><coordinates>1,2</coordinates></Point></Placemark>"
        "</Document></kml>")
    config = load_watch(_write(tmp_path, GOOD.replace("more.geojson", "sites.kml")))
    assert [s.name for s in config.sites] == ["depot_a", "ridge"]


@pytest.mark.parametrize(("change", "message"), [
    (("margin_m = 25", "margn_m = 25"), "unknown key 'margn_m'"),
    (('kind = "folder"', 'kind = "ftp"'), "kind 'ftp' is not one of"),
    (("max_cloud_cover = 20", 'max_cloud_cover = "low"'), "max_cloud_cover must be a number"),
    (('end = "2014-12-31"', 'end = "2013-12-31"'), "is before start"),
    (('url = "http://127.0.0.1:7822"', 'url = "file:///etc"'), "must start with http"),
    (('name = "depot_a"', 'name = "../escape"'), "site name '../escape'"),
    (("min_coverage = 0.8", "min_coverage = 0"), "min_coverage 0.0 must be in"),
    (('name = "partner"', 'name = "downloads"'), "source name 'downloads' is used twice"),
    (("[[sites]]\nfile", "[[sitez]]\nfile"), "unknown key 'sitez'"),
])
def test_mistakes_are_refused_with_the_file_and_key_named(
        tmp_path: Path, change: tuple[str, str], message: str) -> None:
    _geojson(tmp_path / "more.geojson", ["border_1"])
    path = _write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(ConfigError, match=message) as caught:
        load_watch(path)
    assert "watch.toml" in str(caught.value) or "site name" in str(caught.value)


def test_bad_polygons_and_sites_files_are_refused(tmp_path: Path) -> None:
    bow_tie = [[0, 0], [1, 1], [1, 0], [0, 1]]
    with pytest.raises(ConfigError, match="crosses itself"):
        load_watch(_write(tmp_path, GOOD.replace(str(RING), str(bow_tie))))
    (tmp_path / "more.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                           "coordinates": [RING]}}]}))
    with pytest.raises(ConfigError, match="no 'name' property"):
        load_watch(_write(tmp_path, GOOD))
    for number in ("NaN", "1" + "0" * 400):  # an OverflowError traceback, then NaN accepted
        _geojson(tmp_path / "more.geojson", ["border_1"])
        text = (tmp_path / "more.geojson").read_text()
        (tmp_path / "more.geojson").write_text(text.replace(str(RING[0][0]), number, 1))
        with pytest.raises(ConfigError, match=r"sites file .*more\.geojson"):
            load_watch(_write(tmp_path, GOOD))
    (tmp_path / "more.geojson").unlink()
    with pytest.raises(ConfigError, match="cannot read sites file"):
        load_watch(_write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_watch(_write(tmp_path, "[watch\n"))
